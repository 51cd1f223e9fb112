/*===- PanelTiles.h - Register tiles over float weight panels --*- C -*-===*
 *
 * Internal to the kernel library: the outer-product tiles of the float
 * panel GEMM (PackedLinear.c), which the sparse kernels (SparseLinear.c)
 * also run on panels they expand into L1.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_PANELTILES_H
#define XFK_PANELTILES_H

#include "Epilogue.h"
#include "Packed.h"

#include <immintrin.h>

/*===----------------------------------------------------------------------===*
 * AVX-512 path
 *===----------------------------------------------------------------------===*/

#define XFK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
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
        acc[0][j] =
            _mm512_fmadd_ps(x0, load16(kind, row + 16 * j * elt), acc[0][j]);
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

#endif /* XFK_PANELTILES_H */
