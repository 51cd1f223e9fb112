/*===- Decode.h - Portable decoding of every weight encoding --*- C -*-===*
 *
 * Internal to the kernel library: the portable paths and the embedding
 * gather decode rows with these.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_DECODE_H
#define XFK_DECODE_H

#include "xfk/Kernels.h"

float xfk_half_to_float(uint16_t h);
uint16_t xfk_load16(const uint8_t *p);

/* K values of a row of weights of `kind` as floats (K a multiple of 32 for
 * the block formats). */
void xfk_decode_row(int64_t kind, const uint8_t *row, int64_t K, float *out);

/* Bytes from a row's start to value k (k a multiple of 32 for blocks). */
int64_t xfk_row_offset(int64_t kind, int64_t k);

#endif /* XFK_DECODE_H */
