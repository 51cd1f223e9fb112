/*===- OneDNNLinear.h - xf.linear through a oneDNN matmul ---------*- C -*-===*
 *
 * The C ABI that models compiled with `xfc compile --kernels=onednn|auto`
 * call for each `xf.linear ... backend onednn` (lowering/lib/OneDNN). The
 * library is a static archive linked into such a model only, with libdnnl.
 * Addresses cross the call as int64_t, as for the microkernels (xfk).
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFO_ONEDNNLINEAR_H
#define XFO_ONEDNNLINEAR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element type of the weights, as stored in the model's weight blob. */
enum { XFO_W_F32 = 0, XFO_W_F16 = 1, XFO_W_BF16 = 2 };

/* y[m][n] = x[m][k] w^T + bias, all f32 but w: `x` rows `ldx` floats
 * apart, `w` plain [n][k] rows of `weight_type`, `bias` [n] or 0, `y`
 * contiguous [m][n]. `w` must stay constant while the process runs with it
 * at that address: its oneDNN layout is computed at the first call and
 * cached by address. Runs on the calling model's thread count. */
void xfo_linear(int64_t weight_type, int64_t x, int64_t ldx, int64_t w,
                int64_t bias, int64_t y, int64_t m, int64_t n, int64_t k);

/* Forgets every cached primitive and weight layout (for tests). */
void xfo_release(void);

#ifdef __cplusplus
}
#endif

#endif /* XFO_ONEDNNLINEAR_H */
