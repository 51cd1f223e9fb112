/*===- PackedLinear.c - y = x W^T + b over K-major weight panels ----------===*
 *
 * The outer-product GEMM: a tile of MR rows of x by one 64-wide panel of
 * outputs keeps 6 x 4 vectors of sums in registers; each step loads the
 * panel's 64 weights at one k (contiguous, packed at compile time) and
 * broadcasts one x value per row. The same code is the decode GEMV (M = 1),
 * which streams each panel once. BF16 panels hold pairs of k (the layout
 * vdpbf16ps reads): one load gives 16 outputs' weights at two k, split
 * into even and odd k by shifts.
 *
 *===----------------------------------------------------------------------===*/

#include "Activation.h"
#include "Decode.h"
#include "Epilogue.h"
#include "Packed.h"
#include "PanelTiles.h"

#include <immintrin.h>
#include <string.h>

/*===----------------------------------------------------------------------===*
 * Portable path
 *===----------------------------------------------------------------------===*/

static void packedGeneric(int64_t kind, const float *x, int64_t ldx,
                          const uint8_t *w, const XfkEpilogue *e, float *y,
                          int64_t ldy, int64_t M, int64_t K, int64_t n0,
                          int64_t n1) {
  int64_t elt = xfk_element_bytes(kind);
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      float s = xfk_epilogue_bias(e, n);
      for (int64_t k = 0; k < K; ++k)
        s += x[m * ldx + k] *
             xfk_float_value(kind, w + xfk_panel_index(kind, K, n, k) * elt);
      y[m * ldy + (n - n0)] = s + xfk_epilogue_residual(e, m, n);
    }
  }
}

/*===----------------------------------------------------------------------===*
 * AVX-512 and AVX2 drivers (the tiles are in PanelTiles.h)
 *===----------------------------------------------------------------------===*/

XFK_AVX512 static void packedAvx512(int64_t kind, const float *x, int64_t ldx,
                                    const uint8_t *w, XfkEpilogue e, float *y,
                                    int64_t ldy, int64_t M, int64_t K,
                                    int64_t n0, int64_t n1) {
  const int64_t elt = xfk_element_bytes(kind);
  /* A K block of one panel (32 KiB) stays in L1 while every row of x
   * passes over it, so each weight comes from memory once. */
  const int64_t KC = 32768 / (XFK_PANEL * elt);
  for (int64_t n = n0; n < n1; n += XFK_PANEL) {
    const uint8_t *panel =
        w + (n / XFK_PANEL) * xfk_panel_k(kind, K) * XFK_PANEL * elt;
    __mmask16 mask[4];
    xfk_column_masks(n1 - n, 4, mask);
    XfkEpilogue en = xfk_epilogue_at(e, 0, n);
    float *yn = y + (n - n0);
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      int64_t kb = K - k0 < KC ? K - k0 : KC;
      const uint8_t *pk = panel + k0 * XFK_PANEL * elt;
      int first = k0 == 0, last = k0 + kb == K;
      int64_t m = 0;
      for (; m + MR <= M; m += MR) {
        XfkEpilogue em = xfk_epilogue_at(en, m, 0);
        panelTile(MR, kind, x + m * ldx + k0, ldx, pk, kb, &em, first, last,
                  yn + m * ldy, ldy, mask);
      }
      const float *xm = x + m * ldx + k0;
      float *ym = yn + m * ldy;
      XfkEpilogue em = xfk_epilogue_at(en, m, 0);
#define TAIL(mr)                                                               \
  panelTile(mr, kind, xm, ldx, pk, kb, &em, first, last, ym, ldy, mask)
      XFK_TAIL_ROWS(M - m, TAIL)
#undef TAIL
    }
  }
}

XFK_AVX2 static void packedAvx2(int64_t kind, const float *x, int64_t ldx,
                                const uint8_t *w, XfkEpilogue e, float *y,
                                int64_t ldy, int64_t M, int64_t K, int64_t n0,
                                int64_t n1) {
  const int64_t elt = xfk_element_bytes(kind);
  /* A K block of a panel (32 KiB; whole pairs for BF16) stays in L1. */
  const int64_t KC = 32768 / (XFK_PANEL * elt);
  for (int64_t n = n0; n < n1; n += XFK_PANEL) {
    const uint8_t *panel =
        w + (n / XFK_PANEL) * xfk_panel_k(kind, K) * XFK_PANEL * elt;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      int64_t kb = K - k0 < KC ? K - k0 : KC;
      const uint8_t *pk = panel + k0 * XFK_PANEL * elt;
      const float *xk = x + k0;
      int first = k0 == 0, last = k0 + kb == K;
      if (M == 1) {
        __m256i mask[8];
        xfk_column_masks8(n1 - n, 8, mask);
        XfkEpilogue en = xfk_epilogue_at(e, 0, n);
        avx2Tile(1, 8, kind, xk, ldx, pk, kb, 0, &en, first, last, y + (n - n0),
                 ldy, mask);
        continue;
      }
      for (int64_t c = 0; c < XFK_PANEL && n + c < n1; c += 16) {
        __m256i mask[2];
        xfk_column_masks8(n1 - n - c, 2, mask);
        XfkEpilogue ec = xfk_epilogue_at(e, 0, n + c);
        float *yc = y + (n + c - n0);
        int64_t m = 0;
        for (; m + MR <= M; m += MR) {
          XfkEpilogue em = xfk_epilogue_at(ec, m, 0);
          avx2Tile(MR, 2, kind, xk + m * ldx, ldx, pk, kb, c, &em, first, last,
                   yc + m * ldy, ldy, mask);
        }
        XfkEpilogue em = xfk_epilogue_at(ec, m, 0);
#define TAIL(mr)                                                               \
  avx2Tile(mr, 2, kind, xk + m * ldx, ldx, pk, kb, c, &em, first, last,        \
           yc + m * ldy, ldy, mask)
        XFK_TAIL_ROWS(M - m, TAIL)
#undef TAIL
      }
    }
  }
}

/*===----------------------------------------------------------------------===*
 * Entry point
 *===----------------------------------------------------------------------===*/

/* xfk_linear_packed's arguments but the output and columns. */
typedef struct {
  int64_t kind, ldx, M, K;
  const float *x;
  const uint8_t *w;
} PackedCall;

static void packedColumns(const void *call, const XfkEpilogue *e, float *y,
                          int64_t ldy, int64_t n0, int64_t n1) {
  const PackedCall *c = (const PackedCall *)call;
  int isa = xfk_cpu_isa();
  if (isa >= XFK_ISA_AVX512)
    packedAvx512(c->kind, c->x, c->ldx, c->w, *e, y, ldy, c->M, c->K, n0, n1);
  else if (isa >= XFK_ISA_AVX2)
    packedAvx2(c->kind, c->x, c->ldx, c->w, *e, y, ldy, c->M, c->K, n0, n1);
  else
    packedGeneric(c->kind, c->x, c->ldx, c->w, e, y, ldy, c->M, c->K, n0, n1);
}

void xfk_linear_packed(int64_t kind, int64_t x, int64_t ldx, int64_t w,
                       int64_t bias, int64_t residual, int64_t ldr, int64_t act,
                       int64_t up, int64_t y, int64_t ldy, int64_t M, int64_t K,
                       int64_t n0, int64_t n1) {
  if (M <= 0 || n1 <= n0 || !xfk_is_float_kind(kind) ||
      !xfk_is_valid_activation(act, up) || up % XFK_PANEL)
    return;
  PackedCall call = {kind,
                     ldx,
                     M,
                     K,
                     (const float *)(intptr_t)x,
                     (const uint8_t *)(intptr_t)w};
  xfk_run_linear(packedColumns, &call, xfk_epilogue(bias, residual, ldr), act,
                 up, (float *)(intptr_t)y, ldy, M, n0, n1);
}
