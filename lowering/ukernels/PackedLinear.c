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

#include <immintrin.h>
#include <string.h>

/*===----------------------------------------------------------------------===*
 * Portable path
 *===----------------------------------------------------------------------===*/

static float panelValue(int64_t kind, const uint8_t *p) {
  if (kind == XFK_W_F32) {
    float f;
    memcpy(&f, p, 4);
    return f;
  }
  if (kind == XFK_W_F16)
    return xfk_half_to_float(xfk_load16(p));
  return xfk_bf16_to_float(xfk_load16(p));
}

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
             panelValue(kind, w + xfk_panel_index(kind, K, n, k) * elt);
      y[m * ldy + (n - n0)] = s + xfk_epilogue_residual(e, m, n);
    }
  }
}

/*===----------------------------------------------------------------------===*
 * AVX-512 path
 *===----------------------------------------------------------------------===*/

#define XFK_AVX512                                                             \
  __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
#define XFK_INLINE static inline __attribute__((always_inline))

/* Rows per tile; how far ahead (bytes) a one-row tile prefetches its
 * panel: hardware prefetching alone leaves a decode thread short of the
 * bandwidth f16/bf16 weights need (74% -> 83% of one thread's stream). */
enum { MR = 6, PREFETCH_BYTES = 4096 };

/* 16 weights of an F32 or F16 panel row as floats. */
XFK_AVX512 XFK_INLINE __m512 load16(int64_t kind, const uint8_t *p) {
  if (kind == XFK_W_F32)
    return _mm512_loadu_ps(p);
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

/* Rows [0, mr) of x against one F32 or F16 panel over kb values: sums
 * start from the epilogue on the first K block and from y on later
 * ones. */
XFK_AVX512 XFK_INLINE void microTile(const int mr, int64_t kind, const float *x,
                                     int64_t ldx, const uint8_t *panel,
                                     int64_t kb, const XfkEpilogue *e,
                                     int first, int last, float *y, int64_t ldy,
                                     const __mmask16 *mask) {
  const int64_t elt = xfk_element_bytes(kind);
  __m512 acc[MR][4];
  xfk_tile_start(mr, acc, e, first, y, ldy, mask);
  int64_t k = 0;
  if (mr == 1) {
    /* One row (decode): a second set of sums for odd k halves the FMA
     * dependency chains, so loads run further ahead. */
    __m512 odd[4];
    for (int j = 0; j < 4; ++j)
      odd[j] = _mm512_setzero_ps();
    for (; k + 2 <= kb; k += 2) {
      const uint8_t *row = panel + k * XFK_PANEL * elt;
      for (int64_t line = 0; line < 2 * XFK_PANEL * elt; line += 64)
        _mm_prefetch((const char *)row + PREFETCH_BYTES + line, _MM_HINT_T0);
      __m512 x0 = _mm512_set1_ps(x[k]), x1 = _mm512_set1_ps(x[k + 1]);
      for (int j = 0; j < 4; ++j) {
        acc[0][j] = _mm512_fmadd_ps(x0, load16(kind, row + 16 * j * elt),
                                    acc[0][j]);
        odd[j] = _mm512_fmadd_ps(
            x1, load16(kind, row + (XFK_PANEL + 16 * j) * elt), odd[j]);
      }
    }
    for (int j = 0; j < 4; ++j)
      acc[0][j] = _mm512_add_ps(acc[0][j], odd[j]);
  }
  for (; k < kb; ++k) {
    const uint8_t *row = panel + k * XFK_PANEL * elt;
    __m512 w[4];
    for (int j = 0; j < 4; ++j)
      w[j] = load16(kind, row + 16 * j * elt);
    for (int i = 0; i < mr; ++i) {
      __m512 xv = _mm512_set1_ps(x[i * ldx + k]);
      for (int j = 0; j < 4; ++j)
        acc[i][j] = _mm512_fmadd_ps(xv, w[j], acc[i][j]);
    }
  }
  xfk_tile_store(mr, acc, e, last, y, ldy, mask);
}

/* microTile for BF16 panels of pairs of k (kb may be odd: the last pair's
 * second weight is padding, and x has no value there). */
XFK_AVX512 XFK_INLINE void microTilePairs(const int mr, const float *x,
                                          int64_t ldx, const uint8_t *panel,
                                          int64_t kb, const XfkEpilogue *e,
                                          int first, int last, float *y,
                                          int64_t ldy, const __mmask16 *mask) {
  const __m512i highHalves = _mm512_set1_epi32((int)0xffff0000u);
  __m512 acc[MR][4];
  xfk_tile_start(mr, acc, e, first, y, ldy, mask);
  for (int64_t k = 0; k < kb; k += 2) {
    const uint8_t *row = panel + k * XFK_PANEL * 2;
    if (mr == 1)
      for (int64_t line = 0; line < 256; line += 64)
        _mm_prefetch((const char *)row + PREFETCH_BYTES + line, _MM_HINT_T0);
    __m512 even[4], odd[4];
    for (int j = 0; j < 4; ++j) {
      __m512i v = _mm512_loadu_si512(row + 64 * j);
      even[j] = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
      odd[j] = _mm512_castsi512_ps(_mm512_and_si512(v, highHalves));
    }
    for (int i = 0; i < mr; ++i) {
      __m512 x0 = _mm512_set1_ps(x[i * ldx + k]);
      for (int j = 0; j < 4; ++j)
        acc[i][j] = _mm512_fmadd_ps(x0, even[j], acc[i][j]);
      if (k + 1 < kb) {
        __m512 x1 = _mm512_set1_ps(x[i * ldx + k + 1]);
        for (int j = 0; j < 4; ++j)
          acc[i][j] = _mm512_fmadd_ps(x1, odd[j], acc[i][j]);
      }
    }
  }
  xfk_tile_store(mr, acc, e, last, y, ldy, mask);
}

/* Rows [0, mr) of x against one panel (either element layout). */
XFK_AVX512 XFK_INLINE void panelTile(const int mr, int64_t kind, const float *x,
                                     int64_t ldx, const uint8_t *panel,
                                     int64_t kb, const XfkEpilogue *e,
                                     int first, int last, float *y, int64_t ldy,
                                     const __mmask16 *mask) {
  if (kind == XFK_W_BF16)
    microTilePairs(mr, x, ldx, panel, kb, e, first, last, y, ldy, mask);
  else
    microTile(mr, kind, x, ldx, panel, kb, e, first, last, y, ldy, mask);
}

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

/*===----------------------------------------------------------------------===*
 * AVX2 path
 *
 * 16 registers of 8 floats: a tile is 6 rows x 16 columns of a panel (12
 * sums, 2 weight vectors, a broadcast), or for one row (decode) all 64
 * columns, each weight vector an FMA's memory operand.
 *===----------------------------------------------------------------------===*/

#define XFK_AVX2 __attribute__((target("avx2,fma,f16c")))

/* 8 weights of an F32 or F16 panel row as floats. */
XFK_AVX2 XFK_INLINE __m256 load8(int64_t kind, const uint8_t *p) {
  if (kind == XFK_W_F32)
    return _mm256_loadu_ps((const float *)p);
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

/* Rows [0, mr) of x against nv vectors of 8 columns of a panel from its
 * column c, over kb values of k (pairs for BF16 panels). */
XFK_AVX2 XFK_INLINE void avx2Tile(const int mr, const int nv, int64_t kind,
                                  const float *x, int64_t ldx,
                                  const uint8_t *panel, int64_t kb, int64_t c,
                                  const XfkEpilogue *e, int first, int last,
                                  float *y, int64_t ldy, const __m256i *mask) {
  const int64_t elt = xfk_element_bytes(kind);
  __m256 acc[MR][8];
  xfk_tile_start8(mr, nv, acc, e, first, y, ldy, mask);
  if (kind == XFK_W_BF16) {
    const __m256i highHalves = _mm256_set1_epi32((int)0xffff0000u);
    for (int64_t k = 0; k < kb; k += 2) {
      const uint8_t *row = panel + (k / 2) * XFK_PANEL * 4 + c * 4;
      if (mr == 1)
        for (int64_t line = 0; line < 256; line += 64)
          _mm_prefetch((const char *)row + PREFETCH_BYTES + line, _MM_HINT_T0);
      for (int j = 0; j < nv; ++j) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(row + 32 * j));
        __m256 even = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
        __m256 odd = _mm256_castsi256_ps(_mm256_and_si256(v, highHalves));
        for (int i = 0; i < mr; ++i) {
          acc[i][j] = _mm256_fmadd_ps(_mm256_broadcast_ss(x + i * ldx + k),
                                      even, acc[i][j]);
          if (k + 1 < kb)
            acc[i][j] = _mm256_fmadd_ps(
                _mm256_broadcast_ss(x + i * ldx + k + 1), odd, acc[i][j]);
        }
      }
    }
  } else if (mr == 1) {
    for (int64_t k = 0; k < kb; ++k) {
      const uint8_t *row = panel + (k * XFK_PANEL + c) * elt;
      for (int64_t line = 0; line < 8 * nv * elt; line += 64)
        _mm_prefetch((const char *)row + PREFETCH_BYTES + line, _MM_HINT_T0);
      __m256 xv = _mm256_broadcast_ss(x + k);
      for (int j = 0; j < nv; ++j)
        acc[0][j] =
            _mm256_fmadd_ps(xv, load8(kind, row + 8 * j * elt), acc[0][j]);
    }
  } else {
    for (int64_t k = 0; k < kb; ++k) {
      const uint8_t *row = panel + (k * XFK_PANEL + c) * elt;
      __m256 w[2];
      for (int j = 0; j < nv; ++j)
        w[j] = load8(kind, row + 8 * j * elt);
      for (int i = 0; i < mr; ++i) {
        __m256 xv = _mm256_broadcast_ss(x + i * ldx + k);
        for (int j = 0; j < nv; ++j)
          acc[i][j] = _mm256_fmadd_ps(xv, w[j], acc[i][j]);
      }
    }
  }
  xfk_tile_store8(mr, nv, acc, e, last, y, ldy, mask);
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
