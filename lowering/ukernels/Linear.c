/*===- Linear.c - y = x W^T + b over packed weights -----------------------===*
 *
 * One entry point, xfk_linear, for every weight encoding. With a constant
 * `kind` (as the compiler emits it) the dispatch folds away once the
 * bitcode is inlined into a model. The AVX-512 path is compiled with target
 * attributes so one library serves every CPU; xfk_cpu_isa() picks the path.
 *
 *===----------------------------------------------------------------------===*/

#include "Activation.h"
#include "Decode.h"
#include "Epilogue.h"
#include "Packed.h"

#include <string.h>

/*===----------------------------------------------------------------------===*
 * Portable path
 *===----------------------------------------------------------------------===*/

static void linearGeneric(int64_t kind, int64_t group, const float *x,
                          int64_t ldx, const uint8_t *w, int64_t ldw,
                          const XfkEpilogue *e, float *y, int64_t ldy,
                          int64_t M, int64_t K, int64_t n0, int64_t n1) {
  float row[512];
  for (int64_t n = n0; n < n1; ++n) {
    float acc[64];
    for (int64_t m0 = 0; m0 < M; m0 += 64) {
      int64_t mb = M - m0 < 64 ? M - m0 : 64;
      for (int64_t i = 0; i < mb; ++i)
        acc[i] = xfk_epilogue_bias(e, n);
      /* K in chunks the stack buffer holds (block formats: runs of 32). */
      for (int64_t k0 = 0; k0 < K; k0 += 512) {
        int64_t kb = K - k0 < 512 ? K - k0 : 512;
        xfk_decode_values(kind, group, w + n * ldw, k0, kb, row);
        for (int64_t i = 0; i < mb; ++i) {
          const float *xr = x + (m0 + i) * ldx + k0;
          float s = 0.0f;
          for (int64_t k = 0; k < kb; ++k)
            s += xr[k] * row[k];
          acc[i] += s;
        }
      }
      for (int64_t i = 0; i < mb; ++i)
        y[(m0 + i) * ldy + (n - n0)] =
            acc[i] + xfk_epilogue_residual(e, m0 + i, n);
    }
  }
}

/*===----------------------------------------------------------------------===*
 * AVX-512 path
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>

#define XFK_AVX512                                                             \
  __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
#define XFK_INLINE static inline __attribute__((always_inline))

/* Weights [k, k + 16) of a row as floats (lanes past K are zero for the
 * float formats; block formats have K a multiple of 32). */
XFK_AVX512 XFK_INLINE __m512 loadWeights(int64_t kind, int64_t group,
                                         const uint8_t *row, int64_t k,
                                         __mmask16 mask) {
  switch (kind) {
  case XFK_W_F32:
    return _mm512_maskz_loadu_ps(mask, row + 4 * k);
  case XFK_W_F16:
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, row + 2 * k));
  case XFK_W_BF16:
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, row + 2 * k)),
        16));
  }
  /* Block formats: the block's scale, and the run of 32 codes holding k. */
  const uint8_t *block = row + k / group * xfk_block_bytes(kind, group);
  const uint8_t *run = block + xfk_block_header_bytes(kind) +
                       k % group / 32 * xfk_chunk_code_bytes(kind);
  __m512 d = _mm512_set1_ps(xfk_load_scale(kind, block));
  if (xfk_base_kind(kind) == XFK_W_Q8_0) {
    __m128i codes = _mm_loadu_si128((const __m128i *)(run + (k & 16)));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(codes)), d);
  }
  /* Q4: values 0-15 of a run are low nibbles, 16-31 high ones. */
  __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)run));
  __m512i nibbles = (k & 16) ? _mm512_srli_epi32(bytes, 4)
                             : _mm512_and_si512(bytes, _mm512_set1_epi32(15));
  if (xfk_base_kind(kind) == XFK_W_Q4_0)
    return _mm512_mul_ps(
        _mm512_cvtepi32_ps(_mm512_sub_epi32(nibbles, _mm512_set1_epi32(8))), d);
  __m512 min =
      _mm512_set1_ps(xfk_load_scale(kind, block + xfk_scale_bytes(kind)));
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(nibbles), d, min);
}

/* A MB x 4 tile of Y: rows of x (already offset to the K block), columns
 * n.. (at most `nb` stored), over values [k0, k0 + kb). The dot products
 * accumulate in vectors and are reduced once; the first K block stores
 * them plus the bias, later ones add, the last adds the residual. */
XFK_AVX512 XFK_INLINE void tile(int MB, int64_t kind, int64_t group,
                                const float *x, int64_t ldx, const uint8_t *w,
                                int64_t ldw, int64_t k0, int last,
                                const XfkEpilogue *e, float *y, int64_t ldy,
                                int64_t kb, int64_t n, int64_t nb) {
  const int first = k0 == 0;
  const uint8_t *rows[4];
  for (int j = 0; j < 4; ++j) /* past the end: repeat the last row */
    rows[j] = w + (n + (j < nb ? j : nb - 1)) * ldw;
  __m512 acc[4][4];
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < 4; ++j)
      acc[i][j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kb; k += 16) {
    __mmask16 mask =
        kb - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (kb - k)) - 1);
    __m512 wv[4];
    for (int j = 0; j < 4; ++j)
      wv[j] = loadWeights(kind, group, rows[j], k0 + k, mask);
    for (int i = 0; i < MB; ++i) {
      __m512 xv = _mm512_maskz_loadu_ps(mask, x + i * ldx + k);
      for (int j = 0; j < 4; ++j)
        acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < nb; ++j) {
      float sum = _mm512_reduce_add_ps(acc[i][j]);
      float v =
          first ? sum + xfk_epilogue_bias(e, n + j) : y[i * ldy + j] + sum;
      y[i * ldy + j] = last ? v + xfk_epilogue_residual(e, i, n + j) : v;
    }
}

/* Cache blocking: a block of KC values of MC rows of x (128 KiB) stays in
 * L2 while the chunk's weight rows stream past it; KC is a multiple of the
 * 32-value runs of codes. */
enum { KC = 512, MC = 64 };

XFK_AVX512 static void linearAvx512(int64_t kind, int64_t group, const float *x,
                                    int64_t ldx, const uint8_t *w, int64_t ldw,
                                    XfkEpilogue e, float *y, int64_t ldy,
                                    int64_t M, int64_t K, int64_t n0,
                                    int64_t n1) {
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    int64_t kb = K - k0 < KC ? K - k0 : KC;
    int last = k0 + kb == K;
    for (int64_t m0 = 0; m0 < M; m0 += MC) {
      int64_t mEnd = M - m0 < MC ? M : m0 + MC;
      for (int64_t n = n0; n < n1; n += 4) {
        int64_t nb = n1 - n < 4 ? n1 - n : 4;
        float *yn = y + (n - n0);
        int64_t m = m0;
        for (; m + 4 <= mEnd; m += 4) {
          XfkEpilogue em = xfk_epilogue_at(e, m, 0);
          tile(4, kind, group, x + m * ldx + k0, ldx, w, ldw, k0, last, &em,
               yn + m * ldy, ldy, kb, n, nb);
        }
        XfkEpilogue em = xfk_epilogue_at(e, m, 0);
        const float *xm = x + m * ldx + k0;
        float *ym = yn + m * ldy;
        if (mEnd - m == 3)
          tile(3, kind, group, xm, ldx, w, ldw, k0, last, &em, ym, ldy, kb, n,
               nb);
        else if (mEnd - m == 2)
          tile(2, kind, group, xm, ldx, w, ldw, k0, last, &em, ym, ldy, kb, n,
               nb);
        else if (mEnd - m == 1)
          tile(1, kind, group, xm, ldx, w, ldw, k0, last, &em, ym, ldy, kb, n,
               nb);
      }
    }
  }
}

/*===----------------------------------------------------------------------===*
 * Entry point
 *===----------------------------------------------------------------------===*/

/* xfk_linear's arguments but the output and columns. */
typedef struct {
  int64_t kind, group, ldx, ldw, M, K;
  const float *x;
  const uint8_t *w;
} RowsCall;

static void rowsColumns(const void *call, const XfkEpilogue *e, float *y,
                        int64_t ldy, int64_t n0, int64_t n1) {
  const RowsCall *c = (const RowsCall *)call;
  if (xfk_cpu_isa() >= XFK_ISA_AVX512)
    linearAvx512(c->kind, c->group, c->x, c->ldx, c->w, c->ldw, *e, y, ldy,
                 c->M, c->K, n0, n1);
  else
    linearGeneric(c->kind, c->group, c->x, c->ldx, c->w, c->ldw, e, y, ldy,
                  c->M, c->K, n0, n1);
}

void xfk_linear(int64_t kind, int64_t group, int64_t x, int64_t ldx, int64_t w,
                int64_t ldw, int64_t bias, int64_t residual, int64_t ldr,
                int64_t act, int64_t up, int64_t y, int64_t ldy, int64_t M,
                int64_t K, int64_t n0, int64_t n1) {
  if (M <= 0 || n1 <= n0 ||
      (xfk_is_block_kind(kind) && (!xfk_is_valid_group(group) || K % group)) ||
      !xfk_is_valid_activation(act, up))
    return;
  RowsCall call = {kind,
                   group,
                   ldx,
                   ldw,
                   M,
                   K,
                   (const float *)(intptr_t)x,
                   (const uint8_t *)(intptr_t)w};
  xfk_run_linear(rowsColumns, &call, xfk_epilogue(bias, residual, ldr), act, up,
                 (float *)(intptr_t)y, ldy, M, n0, n1);
}
