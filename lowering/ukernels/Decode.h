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
float xfk_bf16_to_float(uint16_t h);
uint16_t xfk_load16(const uint8_t *p);

/* K values of a row of weights of `kind` (and `group`, xfk/Kernels.h) as
 * floats (K a multiple of the group for the block formats). */
void xfk_decode_row(int64_t kind, int64_t group, const uint8_t *row, int64_t K,
                    float *out);

/* Values [k0, k0 + count) of a row as floats (for block formats, k0 and
 * count multiples of 32). */
void xfk_decode_values(int64_t kind, int64_t group, const uint8_t *row,
                       int64_t k0, int64_t count, float *out);

#endif /* XFK_DECODE_H */
