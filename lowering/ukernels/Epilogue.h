/*===- Epilogue.h - What the linear kernels add to their sums --*- C -*-===*
 *
 * Internal to the kernel library: every linear kernel adds bias[n] and
 * residual[m][n] (either may be absent) to its sums, so a bias and a
 * residual connection cost no pass of their own over the output.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_EPILOGUE_H
#define XFK_EPILOGUE_H

#include <immintrin.h>
#include <stdint.h>

typedef struct {
  const float *bias;     /* [N], or 0 */
  const float *residual; /* rows ldr apart, indexed by column n; or 0 */
  int64_t ldr;
} XfkEpilogue;

static inline XfkEpilogue xfk_epilogue(int64_t bias, int64_t residual,
                                       int64_t ldr) {
  XfkEpilogue e = {(const float *)(intptr_t)bias,
                   (const float *)(intptr_t)residual, ldr};
  return e;
}

/* TILE(mr) for the last r < 6 rows of a kernel's register blocks, with a
 * constant mr in each call so each one is specialized. */
#define XFK_TAIL_ROWS(r, TILE)                                                 \
  switch (r) {                                                                 \
  case 5:                                                                      \
    TILE(5);                                                                   \
    break;                                                                     \
  case 4:                                                                      \
    TILE(4);                                                                   \
    break;                                                                     \
  case 3:                                                                      \
    TILE(3);                                                                   \
    break;                                                                     \
  case 2:                                                                      \
    TILE(2);                                                                   \
    break;                                                                     \
  case 1:                                                                      \
    TILE(1);                                                                   \
    break;                                                                     \
  }

/* Masks of `count` vectors of 16 columns when `valid` columns remain. */
static inline void xfk_column_masks(int64_t valid, int count, __mmask16 *mask) {
  for (int j = 0; j < count; ++j, valid -= 16)
    mask[j] = valid >= 16 ? (__mmask16)0xffff
              : valid > 0 ? (__mmask16)((1u << valid) - 1)
                          : (__mmask16)0;
}

/* The epilogue of the block whose first row is m and first column n. */
static inline XfkEpilogue xfk_epilogue_at(XfkEpilogue e, int64_t m, int64_t n) {
  if (e.bias)
    e.bias += n;
  if (e.residual)
    e.residual += m * e.ldr + n;
  return e;
}

/* Sums start from the bias; the residual is added to the finished sum, so
 * a fused residual gives exactly the f32 result of a separate add. */
static inline float xfk_epilogue_bias(const XfkEpilogue *e, int64_t j) {
  return e->bias ? e->bias[j] : 0.0f;
}

static inline float xfk_epilogue_residual(const XfkEpilogue *e, int64_t i,
                                          int64_t j) {
  return e->residual ? e->residual[i * e->ldr + j] : 0.0f;
}

#define XFK_EPILOGUE_AVX512                                                    \
  __attribute__((target("avx512f"))) static inline                             \
      __attribute__((always_inline))

/* The bias of 16 columns from j, lanes outside `mask` zero. */
XFK_EPILOGUE_AVX512 __m512 xfk_epilogue_bias16(const XfkEpilogue *e, int64_t j,
                                               __mmask16 mask) {
  return e->bias ? _mm512_maskz_loadu_ps(mask, e->bias + j)
                 : _mm512_setzero_ps();
}

/* `sum` of row i, 16 columns from j, plus their residual. */
XFK_EPILOGUE_AVX512 __m512 xfk_epilogue_finish16(const XfkEpilogue *e,
                                                 __m512 sum, int64_t i,
                                                 int64_t j, __mmask16 mask) {
  if (!e->residual)
    return sum;
  return _mm512_add_ps(
      sum, _mm512_maskz_loadu_ps(mask, e->residual + i * e->ldr + j));
}

/* The sums of a register tile of mr rows x 64 columns before a K block:
 * the bias before the first, y (the sums so far) before later ones. */
XFK_EPILOGUE_AVX512 void xfk_tile_start(const int mr, __m512 (*acc)[4],
                                        const XfkEpilogue *e, int first,
                                        const float *y, int64_t ldy,
                                        const __mmask16 *mask) {
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < 4; ++j)
      acc[i][j] = first ? xfk_epilogue_bias16(e, 16 * j, mask[j])
                        : _mm512_maskz_loadu_ps(mask[j], y + i * ldy + 16 * j);
}

/* Stores such a tile after a K block; after the last, with the residual. */
XFK_EPILOGUE_AVX512 void xfk_tile_store(const int mr, __m512 (*acc)[4],
                                        const XfkEpilogue *e, int last,
                                        float *y, int64_t ldy,
                                        const __mmask16 *mask) {
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < 4; ++j)
      _mm512_mask_storeu_ps(
          y + i * ldy + 16 * j, mask[j],
          last ? xfk_epilogue_finish16(e, acc[i][j], i, 16 * j, mask[j])
               : acc[i][j]);
}

/*===----------------------------------------------------------------------===*
 * AVX2: 8 columns per vector, masks as vectors of lanes
 *===----------------------------------------------------------------------===*/

#define XFK_EPILOGUE_AVX2                                                      \
  __attribute__((target("avx2,fma,f16c"))) static inline                       \
      __attribute__((always_inline))

/* Masks of `count` vectors of 8 columns when `valid` columns remain. */
XFK_EPILOGUE_AVX2 void xfk_column_masks8(int64_t valid, int count,
                                         __m256i *mask) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int j = 0; j < count; ++j, valid -= 8) {
    int v = valid >= 8 ? 8 : valid > 0 ? (int)valid : 0;
    mask[j] = _mm256_cmpgt_epi32(_mm256_set1_epi32(v), lanes);
  }
}

/* The bias of 8 columns from j, lanes outside `mask` zero. */
XFK_EPILOGUE_AVX2 __m256 xfk_epilogue_bias8(const XfkEpilogue *e, int64_t j,
                                            __m256i mask) {
  return e->bias ? _mm256_maskload_ps(e->bias + j, mask) : _mm256_setzero_ps();
}

/* `sum` of row i, 8 columns from j, plus their residual. */
XFK_EPILOGUE_AVX2 __m256 xfk_epilogue_finish8(const XfkEpilogue *e, __m256 sum,
                                              int64_t i, int64_t j,
                                              __m256i mask) {
  if (!e->residual)
    return sum;
  return _mm256_add_ps(sum,
                       _mm256_maskload_ps(e->residual + i * e->ldr + j, mask));
}

/* The sums of a register tile of mr rows x 8 nv columns before a K block:
 * the bias before the first, y (the sums so far) before later ones. */
XFK_EPILOGUE_AVX2 void xfk_tile_start8(const int mr, const int nv,
                                       __m256 (*acc)[8], const XfkEpilogue *e,
                                       int first, const float *y, int64_t ldy,
                                       const __m256i *mask) {
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nv; ++j)
      acc[i][j] = first ? xfk_epilogue_bias8(e, 8 * j, mask[j])
                        : _mm256_maskload_ps(y + i * ldy + 8 * j, mask[j]);
}

/* Stores such a tile after a K block; after the last, with the residual. */
XFK_EPILOGUE_AVX2 void xfk_tile_store8(const int mr, const int nv,
                                       __m256 (*acc)[8], const XfkEpilogue *e,
                                       int last, float *y, int64_t ldy,
                                       const __m256i *mask) {
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nv; ++j)
      _mm256_maskstore_ps(
          y + i * ldy + 8 * j, mask[j],
          last ? xfk_epilogue_finish8(e, acc[i][j], i, 8 * j, mask[j])
               : acc[i][j]);
}

#endif /* XFK_EPILOGUE_H */
