/*===- SparseLinear.c - y = x W^T + b over sparse weight panels -----------===*
 *
 * The weights are the float panels of PackedLinear.c with their zeros left
 * out: per k, a 64-bit mask of the panel's stored rows, and the stored
 * values in one stream (xfk/Kernels.h). Decode is bound by memory, so
 * reading 1/32 of a value's bytes for the mask plus the nonzero values is
 * the speedup; the kernel expands each mask's values into vectors in
 * registers (AVX-512 `vexpandps`, AVX2 a permutation looked up by mask
 * byte) and runs the same FMAs as the dense GEMV. Prefill is bound by
 * arithmetic: it expands a K block of a panel into L1 once and runs the
 * dense panels' register tiles (PanelTiles.h) over it for every row.
 *
 *===----------------------------------------------------------------------===*/

#include "Activation.h"
#include "Decode.h"
#include "Epilogue.h"
#include "Packed.h"
#include "PanelTiles.h"

#include <immintrin.h>
#include <string.h>

/* Values of k a panel block expands into L1: 32 KiB of f32. */
enum { SPARSE_KC = 32768 / (XFK_PANEL * 4) };

static uint64_t panelMask(const uint8_t *panel, int64_t k) {
  uint64_t mask;
  memcpy(&mask, panel + k * 8, 8);
  return mask;
}

/*===----------------------------------------------------------------------===*
 * Portable path
 *===----------------------------------------------------------------------===*/

static void sparseGeneric(int64_t kind, int64_t values, const float *x,
                          int64_t ldx, const uint8_t *w, const XfkEpilogue *e,
                          float *y, int64_t ldy, int64_t M, int64_t K,
                          int64_t n0, int64_t n1) {
  const int64_t elt = xfk_element_bytes(kind);
  const int64_t panelBytes = xfk_sparse_panel_bytes(kind, K, values);
  for (int64_t n = n0; n < n1; n += XFK_PANEL) {
    const uint8_t *panel = w + (n / XFK_PANEL) * panelBytes;
    const uint8_t *v = panel + K * 8;
    int64_t cols = n1 - n < XFK_PANEL ? n1 - n : XFK_PANEL;
    float *yn = y + (n - n0);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < cols; ++j)
        yn[m * ldy + j] = xfk_epilogue_bias(e, n + j);
    for (int64_t k = 0; k < K; ++k) {
      uint64_t mask = panelMask(panel, k);
      for (int j = 0; mask; ++j, mask >>= 1) {
        if (!(mask & 1))
          continue;
        float wv = xfk_float_value(kind, v);
        v += elt;
        if (j < cols)
          for (int64_t m = 0; m < M; ++m)
            yn[m * ldy + j] += x[m * ldx + k] * wv;
      }
    }
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < cols; ++j)
        yn[m * ldy + j] += xfk_epilogue_residual(e, m, n + j);
  }
}

/*===----------------------------------------------------------------------===*
 * AVX-512 path
 *===----------------------------------------------------------------------===*/

#define XFK_SPARSE_AVX512                                                      \
  __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma,popcnt")))

/* The 16 weights of mask `m` as floats: the stored ones from v, in order,
 * in the lanes whose bits are set, zeros elsewhere. */
XFK_SPARSE_AVX512 XFK_INLINE __m512 expand16(int64_t kind, const uint8_t *v,
                                             __mmask16 m) {
  if (kind == XFK_W_F32)
    return _mm512_maskz_expandloadu_ps(m, v);
  __m256i halves = _mm256_loadu_si256((const __m256i *)v);
  __m512 packed = kind == XFK_W_F16 ? _mm512_cvtph_ps(halves)
                                    : _mm512_castsi512_ps(_mm512_slli_epi32(
                                          _mm512_cvtepu16_epi32(halves), 16));
  return _mm512_maskz_expand_ps(m, packed);
}

/* One row of x against one panel, over all of K. */
XFK_SPARSE_AVX512 XFK_INLINE void
sparseRowAvx512(int64_t kind, const float *x, const uint8_t *panel, int64_t K,
                const XfkEpilogue *e, float *y, const __mmask16 *mask) {
  const int64_t elt = xfk_element_bytes(kind);
  const uint8_t *v = panel + K * 8;
  __m512 acc[1][4];
  xfk_tile_start(1, acc, e, 1, y, 0, mask);
  for (int64_t k = 0; k < K; ++k) {
    uint64_t m = panelMask(panel, k);
    _mm_prefetch((const char *)v + PREFETCH_BYTES, _MM_HINT_T0);
    __m512 xv = _mm512_set1_ps(x[k]);
    for (int g = 0; g < 4; ++g) {
      __mmask16 bits = (__mmask16)(m >> (16 * g));
      acc[0][g] = _mm512_fmadd_ps(xv, expand16(kind, v, bits), acc[0][g]);
      v += __builtin_popcount(bits) * elt;
    }
  }
  xfk_tile_store(1, acc, e, 1, y, 0, mask);
}

/* Expands k in [k0, k0 + kb) of a panel, whose values from k0 start at v,
 * into f32 panel rows at `dense`; returns where the values of k0 + kb
 * start. */
XFK_SPARSE_AVX512 XFK_INLINE const uint8_t *
expandBlockAvx512(int64_t kind, const uint8_t *panel, int64_t k0, int64_t kb,
                  const uint8_t *v, float *dense) {
  const int64_t elt = xfk_element_bytes(kind);
  for (int64_t k = 0; k < kb; ++k) {
    uint64_t m = panelMask(panel, k0 + k);
    for (int g = 0; g < 4; ++g) {
      __mmask16 bits = (__mmask16)(m >> (16 * g));
      _mm512_store_ps(dense + k * XFK_PANEL + 16 * g, expand16(kind, v, bits));
      v += __builtin_popcount(bits) * elt;
    }
  }
  return v;
}

XFK_SPARSE_AVX512 XFK_INLINE void
sparseAvx512Kind(const int64_t kind, int64_t values, const float *x,
                 int64_t ldx, const uint8_t *w, XfkEpilogue e, float *y,
                 int64_t ldy, int64_t M, int64_t K, int64_t n0, int64_t n1) {
  const int64_t panelBytes = xfk_sparse_panel_bytes(kind, K, values);
  float dense[SPARSE_KC * XFK_PANEL] __attribute__((aligned(64)));
  for (int64_t n = n0; n < n1; n += XFK_PANEL) {
    const uint8_t *panel = w + (n / XFK_PANEL) * panelBytes;
    __mmask16 mask[4];
    xfk_column_masks(n1 - n, 4, mask);
    XfkEpilogue en = xfk_epilogue_at(e, 0, n);
    float *yn = y + (n - n0);
    if (M == 1) {
      sparseRowAvx512(kind, x, panel, K, &en, yn, mask);
      continue;
    }
    const uint8_t *v = panel + K * 8;
    for (int64_t k0 = 0; k0 < K; k0 += SPARSE_KC) {
      int64_t kb = K - k0 < SPARSE_KC ? K - k0 : SPARSE_KC;
      v = expandBlockAvx512(kind, panel, k0, kb, v, dense);
      const uint8_t *pk = (const uint8_t *)dense;
      int first = k0 == 0, last = k0 + kb == K;
      int64_t m = 0;
      for (; m + MR <= M; m += MR) {
        XfkEpilogue em = xfk_epilogue_at(en, m, 0);
        panelTile(MR, XFK_W_F32, x + m * ldx + k0, ldx, pk, kb, &em, first,
                  last, yn + m * ldy, ldy, mask);
      }
      const float *xm = x + m * ldx + k0;
      float *ym = yn + m * ldy;
      XfkEpilogue em = xfk_epilogue_at(en, m, 0);
#define TAIL(mr)                                                               \
  panelTile(mr, XFK_W_F32, xm, ldx, pk, kb, &em, first, last, ym, ldy, mask)
      XFK_TAIL_ROWS(M - m, TAIL)
#undef TAIL
    }
  }
}

/*===----------------------------------------------------------------------===*
 * AVX2 path
 *
 * No expand instruction: a table gives, per mask byte, the permutation
 * that moves 8 packed values to their lanes, with the sign bit set in the
 * lanes that stay zero (vpermps reads the low 3 bits, vblendvps the sign).
 *===----------------------------------------------------------------------===*/

#define XFK_SPARSE_AVX2 __attribute__((target("avx2,fma,f16c,popcnt")))

/* Entry b, byte i: the rank of bit i among b's set bits, or 0x80. */
#define XFK_BIT(b, i) (((b) >> (i)) & 1u)
#define XFK_RANK(b, i)                                                         \
  (XFK_BIT(b, i) ? (uint64_t)(((i) > 0 ? XFK_BIT(b, 0) : 0) +                  \
                              ((i) > 1 ? XFK_BIT(b, 1) : 0) +                  \
                              ((i) > 2 ? XFK_BIT(b, 2) : 0) +                  \
                              ((i) > 3 ? XFK_BIT(b, 3) : 0) +                  \
                              ((i) > 4 ? XFK_BIT(b, 4) : 0) +                  \
                              ((i) > 5 ? XFK_BIT(b, 5) : 0) +                  \
                              ((i) > 6 ? XFK_BIT(b, 6) : 0))                   \
                 : (uint64_t)0x80)
#define XFK_ENTRY(b)                                                           \
  (XFK_RANK(b, 0) | XFK_RANK(b, 1) << 8 | XFK_RANK(b, 2) << 16 |               \
   XFK_RANK(b, 3) << 24 | XFK_RANK(b, 4) << 32 | XFK_RANK(b, 5) << 40 |        \
   XFK_RANK(b, 6) << 48 | XFK_RANK(b, 7) << 56)
#define XFK_ENTRIES4(b)                                                        \
  XFK_ENTRY(b), XFK_ENTRY(b + 1), XFK_ENTRY(b + 2), XFK_ENTRY(b + 3)
#define XFK_ENTRIES16(b)                                                       \
  XFK_ENTRIES4(b), XFK_ENTRIES4(b + 4), XFK_ENTRIES4(b + 8),                   \
      XFK_ENTRIES4(b + 12)
#define XFK_ENTRIES64(b)                                                       \
  XFK_ENTRIES16(b), XFK_ENTRIES16(b + 16), XFK_ENTRIES16(b + 32),              \
      XFK_ENTRIES16(b + 48)

static const uint64_t expandTable[256] = {XFK_ENTRIES64(0u), XFK_ENTRIES64(64u),
                                          XFK_ENTRIES64(128u),
                                          XFK_ENTRIES64(192u)};

/* 8 packed values from v as floats. */
XFK_SPARSE_AVX2 XFK_INLINE __m256 loadPacked8(int64_t kind, const uint8_t *v) {
  if (kind == XFK_W_F32)
    return _mm256_loadu_ps((const float *)v);
  __m128i halves = _mm_loadu_si128((const __m128i *)v);
  if (kind == XFK_W_F16)
    return _mm256_cvtph_ps(halves);
  return _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_cvtepu16_epi32(halves), 16));
}

/* The 8 weights of mask byte `bits`, as expand16 for 16. */
XFK_SPARSE_AVX2 XFK_INLINE __m256 expand8(int64_t kind, const uint8_t *v,
                                          unsigned bits) {
  __m256i index =
      _mm256_cvtepi8_epi32(_mm_cvtsi64_si128((long long)expandTable[bits]));
  __m256 moved = _mm256_permutevar8x32_ps(loadPacked8(kind, v), index);
  /* The lanes whose index has the sign bit stay zero (an arithmetic shift
   * makes the mask, so no register holds a zero vector). */
  return _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_srai_epi32(index, 31)),
                          moved);
}

XFK_SPARSE_AVX2 XFK_INLINE void sparseRowAvx2(int64_t kind, const float *x,
                                              const uint8_t *panel, int64_t K,
                                              const XfkEpilogue *e, float *y,
                                              const __m256i *mask) {
  const int64_t elt = xfk_element_bytes(kind);
  const uint8_t *v = panel + K * 8;
  __m256 acc[1][8];
  xfk_tile_start8(1, 8, acc, e, 1, y, 0, mask);
  for (int64_t k = 0; k < K; ++k) {
    /* The mask bytes are loaded one by one: fewer instructions than
     * shifting them out of the 64-bit mask. */
    const uint8_t *bytes = panel + k * 8;
    _mm_prefetch((const char *)v + PREFETCH_BYTES, _MM_HINT_T0);
    __m256 xv = _mm256_broadcast_ss(x + k);
    for (int g = 0; g < 8; ++g) {
      acc[0][g] = _mm256_fmadd_ps(xv, expand8(kind, v, bytes[g]), acc[0][g]);
      v += __builtin_popcount(bytes[g]) * elt;
    }
  }
  xfk_tile_store8(1, 8, acc, e, 1, y, 0, mask);
}

XFK_SPARSE_AVX2 XFK_INLINE const uint8_t *
expandBlockAvx2(int64_t kind, const uint8_t *panel, int64_t k0, int64_t kb,
                const uint8_t *v, float *dense) {
  const int64_t elt = xfk_element_bytes(kind);
  for (int64_t k = 0; k < kb; ++k) {
    uint64_t m = panelMask(panel, k0 + k);
    for (int g = 0; g < 8; ++g) {
      unsigned bits = (unsigned)(m >> (8 * g)) & 255u;
      _mm256_store_ps(dense + k * XFK_PANEL + 8 * g, expand8(kind, v, bits));
      v += __builtin_popcount(bits) * elt;
    }
  }
  return v;
}

XFK_SPARSE_AVX2 XFK_INLINE void
sparseAvx2Kind(const int64_t kind, int64_t values, const float *x, int64_t ldx,
               const uint8_t *w, XfkEpilogue e, float *y, int64_t ldy,
               int64_t M, int64_t K, int64_t n0, int64_t n1) {
  const int64_t panelBytes = xfk_sparse_panel_bytes(kind, K, values);
  float dense[SPARSE_KC * XFK_PANEL] __attribute__((aligned(64)));
  for (int64_t n = n0; n < n1; n += XFK_PANEL) {
    const uint8_t *panel = w + (n / XFK_PANEL) * panelBytes;
    if (M == 1) {
      __m256i mask[8];
      xfk_column_masks8(n1 - n, 8, mask);
      XfkEpilogue en = xfk_epilogue_at(e, 0, n);
      sparseRowAvx2(kind, x, panel, K, &en, y + (n - n0), mask);
      continue;
    }
    const uint8_t *v = panel + K * 8;
    for (int64_t k0 = 0; k0 < K; k0 += SPARSE_KC) {
      int64_t kb = K - k0 < SPARSE_KC ? K - k0 : SPARSE_KC;
      v = expandBlockAvx2(kind, panel, k0, kb, v, dense);
      const uint8_t *pk = (const uint8_t *)dense;
      const float *xk = x + k0;
      int first = k0 == 0, last = k0 + kb == K;
      for (int64_t c = 0; c < XFK_PANEL && n + c < n1; c += 16) {
        __m256i mask[2];
        xfk_column_masks8(n1 - n - c, 2, mask);
        XfkEpilogue ec = xfk_epilogue_at(e, 0, n + c);
        float *yc = y + (n + c - n0);
        int64_t m = 0;
        for (; m + MR <= M; m += MR) {
          XfkEpilogue em = xfk_epilogue_at(ec, m, 0);
          avx2Tile(MR, 2, XFK_W_F32, xk + m * ldx, ldx, pk, kb, c, &em, first,
                   last, yc + m * ldy, ldy, mask);
        }
        XfkEpilogue em = xfk_epilogue_at(ec, m, 0);
#define TAIL(mr)                                                               \
  avx2Tile(mr, 2, XFK_W_F32, xk + m * ldx, ldx, pk, kb, c, &em, first, last,   \
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

/* The drivers with the kind a constant, so that the expansion has no
 * branch on it (a compiled model's call has a constant kind; the native
 * library's callers, the tests and benchmarks, do not). */
#define SPARSE_BY_KIND(DRIVER, ...)                                            \
  switch (kind) {                                                              \
  case XFK_W_F32:                                                              \
    DRIVER(XFK_W_F32, __VA_ARGS__);                                            \
    break;                                                                     \
  case XFK_W_F16:                                                              \
    DRIVER(XFK_W_F16, __VA_ARGS__);                                            \
    break;                                                                     \
  default:                                                                     \
    DRIVER(XFK_W_BF16, __VA_ARGS__);                                           \
  }

XFK_SPARSE_AVX512 static void
sparseAvx512(int64_t kind, int64_t values, const float *x, int64_t ldx,
             const uint8_t *w, XfkEpilogue e, float *y, int64_t ldy, int64_t M,
             int64_t K, int64_t n0,
             int64_t n1){SPARSE_BY_KIND(sparseAvx512Kind, values, x, ldx, w, e,
                                        y, ldy, M, K, n0, n1)}

XFK_SPARSE_AVX2
    static void sparseAvx2(int64_t kind, int64_t values, const float *x,
                           int64_t ldx, const uint8_t *w, XfkEpilogue e,
                           float *y, int64_t ldy, int64_t M, int64_t K,
                           int64_t n0, int64_t n1) {
  SPARSE_BY_KIND(sparseAvx2Kind, values, x, ldx, w, e, y, ldy, M, K, n0, n1)
}

/* xfk_linear_sparse's arguments but the output and columns. */
typedef struct {
  int64_t kind, values, ldx, M, K;
  const float *x;
  const uint8_t *w;
} SparseCall;

static void sparseColumns(const void *call, const XfkEpilogue *e, float *y,
                          int64_t ldy, int64_t n0, int64_t n1) {
  const SparseCall *c = (const SparseCall *)call;
  int isa = xfk_cpu_isa();
  if (isa >= XFK_ISA_AVX512)
    sparseAvx512(c->kind, c->values, c->x, c->ldx, c->w, *e, y, ldy, c->M, c->K,
                 n0, n1);
  else if (isa >= XFK_ISA_AVX2)
    sparseAvx2(c->kind, c->values, c->x, c->ldx, c->w, *e, y, ldy, c->M, c->K,
               n0, n1);
  else
    sparseGeneric(c->kind, c->values, c->x, c->ldx, c->w, e, y, ldy, c->M, c->K,
                  n0, n1);
}

void xfk_linear_sparse(int64_t kind, int64_t values, int64_t x, int64_t ldx,
                       int64_t w, int64_t bias, int64_t residual, int64_t ldr,
                       int64_t act, int64_t up, int64_t y, int64_t ldy,
                       int64_t M, int64_t K, int64_t n0, int64_t n1) {
  if (M <= 0 || n1 <= n0 || n0 % XFK_PANEL || !xfk_is_float_kind(kind) ||
      values < 0 || values > XFK_PANEL * K ||
      !xfk_is_valid_activation(act, up) || up % XFK_PANEL)
    return;
  SparseCall call = {kind,
                     values,
                     ldx,
                     M,
                     K,
                     (const float *)(intptr_t)x,
                     (const uint8_t *)(intptr_t)w};
  xfk_run_linear(sparseColumns, &call, xfk_epilogue(bias, residual, ldr), act,
                 up, (float *)(intptr_t)y, ldy, M, n0, n1);
}
