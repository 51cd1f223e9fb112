/*===- Activation.h - The activation epilogue of the linear kernels -*- C
 *-*-===*
 *
 * Internal to the kernel library. Each linear entry point computes its
 * plain sums (plus bias) for a range of columns with one function, its
 * `columns`; xfk_run_linear calls it once when there is no activation, and
 * otherwise in blocks of up to 64 outputs, applying the activation (and
 * for a gated one, the product with the up projection) to each block while
 * it is in L1, before the residual. So one driver serves every kernel path.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_ACTIVATION_H
#define XFK_ACTIVATION_H

#include "Epilogue.h"
#include "xfk/Kernels.h"

/* Sums plus e's bias (and residual) of columns [n0, n1) of M rows: column
 * n at y[m * ldy + n - n0]. `call` holds the kernel's other arguments. */
typedef void (*XfkColumns)(const void *call, const XfkEpilogue *e, float *y,
                           int64_t ldy, int64_t n0, int64_t n1);

/* Outputs per block of the activation epilogue. */
enum { XFK_ACTIVATION_BLOCK = 64 };

/* Whether (act, up) asks for an activation the kernels have. */
static inline int xfk_is_valid_activation(int64_t act, int64_t up) {
  return (act == XFK_ACT_NONE && up == 0) || act == XFK_ACT_SILU ||
         act == XFK_ACT_GELU;
}

/* y[m][j] = act(s[m][j]) (times s[m][up + j] when gated) + the residual of
 * output n + j, for m < M, j < count; s rows lds apart. */
void xfk_activate_block(int64_t act, int gated, const float *s, int64_t lds,
                        int64_t up, const XfkEpilogue *e, float *y, int64_t ldy,
                        int64_t M, int64_t n, int64_t count);

/* Runs `columns` on [n0, n1) with the epilogue (bias, residual) `e` and
 * the activation (act, up) of xfk/Kernels.h. */
void xfk_activated_columns(XfkColumns columns, const void *call,
                           const XfkEpilogue *e, int64_t act, int64_t up,
                           float *y, int64_t ldy, int64_t M, int64_t n0,
                           int64_t n1);

static inline __attribute__((always_inline)) void
xfk_run_linear(XfkColumns columns, const void *call, XfkEpilogue e, int64_t act,
               int64_t up, float *y, int64_t ldy, int64_t M, int64_t n0,
               int64_t n1) {
  /* Inlined, so a call without activation is a direct call of `columns`. */
  if (act == XFK_ACT_NONE)
    columns(call, &e, y, ldy, n0, n1);
  else
    xfk_activated_columns(columns, call, &e, act, up, y, ldy, M, n0, n1);
}

#endif /* XFK_ACTIVATION_H */
