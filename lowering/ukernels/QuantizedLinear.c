/*===- QuantizedLinear.c - INT8 activations against packed INT8/INT4 ------===*
 *
 * Activations are quantized once per call site (xfk_quantize_rows) in the
 * weights' groups, then every group of 16 outputs is one integer dot
 * product per row of x: vpdpbusd multiplies a code tile's unsigned codes
 * (one VNNI run of 4 values per 32-bit lane, 16 outputs per vector) by 4
 * broadcast int8 activations, over the group's tiles. The codes' offset
 * (128 for Q8_0, 8 for Q4_0) comes off with the group's code sum; Q4_1's
 * minimum multiplies it:
 *
 *   sum_k w_k a_k = d sa (dot(c, q) - z sum(q))       (Q8_0, Q4_0)
 *                 = d sa dot(c, q) + m sa sum(q)      (Q4_1)
 *
 * with a_k = sa q_k the quantized activations and c the codes.
 *
 *===----------------------------------------------------------------------===*/

#include "Activation.h"
#include "Amx.h"
#include "Decode.h"
#include "Epilogue.h"
#include "Packed.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

int64_t xfk_quantized_row_bytes(int64_t K, int64_t group) {
  return K + K / group * 8;
}

/* Where row m's codes, scales and code sums are. */
typedef struct {
  int8_t *codes;
  float *scales;
  int32_t *sums;
} QuantizedRow;

static QuantizedRow quantizedRow(const uint8_t *qx, int64_t K, int64_t group,
                                 int64_t m) {
  uint8_t *row = (uint8_t *)qx + m * xfk_quantized_row_bytes(K, group);
  QuantizedRow r = {(int8_t *)row, (float *)(row + K),
                    (int32_t *)(row + K + K / group * 4)};
  return r;
}

/* A buffer for one group's tiles expanded from sparse codes. */
#define XFK_CODES_SCRATCH_BYTES                                                \
  (XFK_CODES_MAX_GROUP / XFK_QBLOCK * 512 + XFK_QTILE * 4)
#define XFK_CODES_SCRATCH(name)                                                \
  uint8_t name[XFK_CODES_SCRATCH_BYTES] __attribute__((aligned(64)))

/* The offset subtracted from a symmetric kind's codes. */
static int32_t codeOffset(int64_t kind) {
  return xfk_base_kind(kind) == XFK_W_Q8_0 ? 128 : 8;
}

/*===----------------------------------------------------------------------===*
 * Portable path
 *===----------------------------------------------------------------------===*/

/* A group's activation scale max|x| / 127, and its inverse (0 for 0). */
static float groupScale(const float *x, int64_t group, float *inverse) {
  float amax = 0.0f;
  for (int64_t j = 0; j < group; ++j)
    amax = fmaxf(amax, fabsf(x[j]));
  float d = amax / 127.0f;
  *inverse = d != 0.0f ? 1.0f / d : 0.0f;
  return d;
}

/* Rounds half to even (the vector path's default rounding mode). */
static void quantizeGroup(const float *x, int64_t group, int8_t *codes,
                          float *scale, int32_t *sum) {
  float inv;
  *scale = groupScale(x, group, &inv);
  int32_t s = 0;
  for (int64_t j = 0; j < group; ++j) {
    codes[j] = (int8_t)__builtin_rintf(x[j] * inv);
    s += codes[j];
  }
  *sum = s;
}

static void linearGeneric(int64_t kind, int64_t group, XfkTileFormat f,
                          const uint8_t *qx, const uint8_t *w,
                          const XfkEpilogue *e, float *y, int64_t ldy,
                          int64_t M, int64_t K, int64_t n0, int64_t n1) {
  int64_t groups = K / group, codeBytes = xfk_tile_code_bytes(kind),
          scalesAt = group / XFK_QBLOCK * codeBytes, sb = xfk_scale_bytes(kind);
  XFK_CODES_SCRATCH(scratch);
  for (int64_t n = n0; n < n1; ++n) {
    int r = (int)(n % XFK_QTILE);
    const uint8_t *tiles =
        w + (n / XFK_QTILE) * xfk_tile_block_stride(kind, group, K, f);
    for (int64_t m = 0; m < M; ++m) {
      QuantizedRow a = quantizedRow(qx, K, group, m);
      float s = xfk_epilogue_bias(e, n);
      XfkGroupWalk walk = xfk_group_walk(tiles, f, kind, group, K, scratch);
      for (int64_t b = 0; b < groups; ++b) {
        const uint8_t *tile = xfk_group_tiles(&walk, b);
        if (!tile)
          continue;
        int32_t dot = 0;
        for (int64_t j = 0; j < group; ++j)
          dot += (int32_t)xfk_tile_code(kind, tile + j / 32 * codeBytes, r,
                                        (int)(j % 32)) *
                 a.codes[b * group + j];
        float d = xfk_load_scale(kind, tile + scalesAt + sb * r);
        if (xfk_base_kind(kind) == XFK_W_Q4_1) {
          float min =
              xfk_load_scale(kind, tile + scalesAt + sb * (XFK_QTILE + r));
          s += d * ((float)dot * a.scales[b]) +
               min * (a.scales[b] * (float)a.sums[b]);
        } else {
          s += d * ((float)(dot - codeOffset(kind) * a.sums[b]) * a.scales[b]);
        }
      }
      y[m * ldy + (n - n0)] = s + xfk_epilogue_residual(e, m, n);
    }
  }
}

/*===----------------------------------------------------------------------===*
 * AVX-512 paths
 *===----------------------------------------------------------------------===*/

#define XFK_AVX512                                                             \
  __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
#define XFK_VNNI                                                               \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))
#define XFK_INLINE static inline __attribute__((always_inline))

XFK_AVX512 static void quantizeAvx512(const float *x, int64_t ldx, int64_t M,
                                      int64_t K, int64_t group, uint8_t *qx) {
  for (int64_t m = 0; m < M; ++m) {
    QuantizedRow row = quantizedRow(qx, K, group, m);
    for (int64_t b = 0; b < K / group; ++b) {
      const float *xb = x + m * ldx + b * group;
      __m512 amax = _mm512_setzero_ps();
      for (int64_t j = 0; j < group; j += 16)
        amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(xb + j)));
      float d = _mm512_reduce_max_ps(amax) / 127.0f,
            inv = d != 0.0f ? 1.0f / d : 0.0f;
      __m512 scale = _mm512_set1_ps(inv);
      __m512i sum = _mm512_setzero_si512();
      for (int64_t j = 0; j < group; j += 16) {
        __m512i q =
            _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + j), scale));
        _mm_storeu_si128((__m128i *)(row.codes + b * group + j),
                         _mm512_cvtsepi32_epi8(q));
        sum = _mm512_add_epi32(sum, q);
      }
      row.scales[b] = d;
      row.sums[b] = _mm512_reduce_add_epi32(sum);
    }
  }
}

/* The unsigned codes of VNNI runs g (< 4: low nibbles) and g + 4 (high
 * nibbles) of a Q4 code tile, or runs g and g + 4 of a Q8_0 one. */
XFK_AVX512 XFK_INLINE void loadCodes(int64_t kind, const uint8_t *tile, int g,
                                     __m512i *low, __m512i *high) {
  if (xfk_base_kind(kind) == XFK_W_Q8_0) {
    *low = _mm512_loadu_si512(tile + g * 64);
    *high = _mm512_loadu_si512(tile + (g + 4) * 64);
    return;
  }
  const __m512i nibble = _mm512_set1_epi8(15);
  __m512i bytes = _mm512_loadu_si512(tile + g * 64);
  *low = _mm512_and_si512(bytes, nibble);
  *high = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
}

/* 4 int8 activations as one 32-bit lane, in every lane. */
XFK_AVX512 XFK_INLINE __m512i broadcast4(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

/* A tile group's 16 scales (or minimums) at p as floats. */
XFK_AVX512 XFK_INLINE __m512 loadScales16(int64_t kind, const uint8_t *p) {
  if (kind & XFK_W_F32_SCALES)
    return _mm512_loadu_ps(p);
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

/* Rows and tiles per register block (6 x 2: 12 int32 and 12 f32 sums,
 * 11% faster than 4 x 2 at M = 128); how far ahead each tile's stream is
 * prefetched (as in PackedLinear.c). */
enum { QMR = 6, QNT = 2, PREFETCH_BYTES = 4096 };

/* Rows [0, mr) of the quantized x against nt tiles of 16 outputs each
 * (`tileStride` bytes between consecutive tiles' rows of groups). */
XFK_VNNI XFK_INLINE void vnniTile(const int mr, const int nt, int64_t kind,
                                  int64_t group, XfkTileFormat f,
                                  const uint8_t *qx, int64_t m, int64_t K,
                                  const uint8_t *w, int64_t tileStride,
                                  XfkEpilogue e, float *y, int64_t ldy,
                                  const __mmask16 *mask) {
  const int64_t groups = K / group, runs = group / XFK_QBLOCK,
                codeBytes = xfk_tile_code_bytes(kind),
                scalesAt = runs * codeBytes;
  QuantizedRow a[QMR];
  for (int i = 0; i < mr; ++i)
    a[i] = quantizedRow(qx, K, group, m + i);
  __m512 acc[QMR][QNT];
  for (int i = 0; i < mr; ++i)
    for (int t = 0; t < nt; ++t)
      acc[i][t] = xfk_epilogue_bias16(&e, 16 * t, mask[t]);
  /* Sparse blocks come one at a time (nt = 1): one scratch. */
  XFK_CODES_SCRATCH(scratch);
  XfkGroupWalk walk[QNT];
  for (int t = 0; t < nt; ++t)
    walk[t] = xfk_group_walk(w + t * tileStride, f, kind, group, K, scratch);
  for (int64_t b = 0; b < groups; ++b) {
    const uint8_t *group0[QNT];
    for (int t = 0; t < nt; ++t)
      group0[t] = xfk_group_tiles(&walk[t], b);
    if (!group0[0])
      continue;
    __m512i dot[QMR][QNT];
    for (int i = 0; i < mr; ++i)
      for (int t = 0; t < nt; ++t)
        dot[i][t] = _mm512_setzero_si512();
    /* The group's dot products stay integer over all its code tiles. */
    for (int64_t c = 0; c < runs; ++c) {
      for (int t = 0; t < nt; ++t)
        for (int64_t line = 0; line < codeBytes; line += 64)
          _mm_prefetch((const char *)(group0[t] + c * codeBytes) +
                           PREFETCH_BYTES + line,
                       _MM_HINT_T0);
      for (int g = 0; g < 4; ++g) {
        __m512i low[QNT], high[QNT];
        for (int t = 0; t < nt; ++t)
          loadCodes(kind, group0[t] + c * codeBytes, g, &low[t], &high[t]);
        for (int i = 0; i < mr; ++i) {
          const int8_t *codes = a[i].codes + b * group + c * XFK_QBLOCK;
          __m512i aLow = broadcast4(codes + 4 * g);
          __m512i aHigh = broadcast4(codes + 4 * (g + 4));
          for (int t = 0; t < nt; ++t) {
            dot[i][t] = _mm512_dpbusd_epi32(dot[i][t], low[t], aLow);
            dot[i][t] = _mm512_dpbusd_epi32(dot[i][t], high[t], aHigh);
          }
        }
      }
    }
    for (int t = 0; t < nt; ++t) {
      const uint8_t *scales = group0[t] + scalesAt;
      __m512 d = loadScales16(kind, scales);
      __m512 min =
          xfk_has_minimum(kind)
              ? loadScales16(kind, scales + XFK_QTILE * xfk_scale_bytes(kind))
              : _mm512_setzero_ps();
      for (int i = 0; i < mr; ++i) {
        __m512 sa = _mm512_set1_ps(a[i].scales[b]);
        if (xfk_base_kind(kind) == XFK_W_Q4_1) {
          __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(dot[i][t]), sa);
          acc[i][t] = _mm512_fmadd_ps(f, d, acc[i][t]);
          acc[i][t] = _mm512_fmadd_ps(
              _mm512_set1_ps(a[i].scales[b] * (float)a[i].sums[b]), min,
              acc[i][t]);
        } else {
          __m512i centered = _mm512_sub_epi32(
              dot[i][t], _mm512_set1_epi32(codeOffset(kind) * a[i].sums[b]));
          __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(centered), sa);
          acc[i][t] = _mm512_fmadd_ps(f, d, acc[i][t]);
        }
      }
    }
  }
  for (int i = 0; i < mr; ++i)
    for (int t = 0; t < nt; ++t)
      _mm512_mask_storeu_ps(
          y + i * ldy + 16 * t, mask[t],
          xfk_epilogue_finish16(&e, acc[i][t], i, 16 * t, mask[t]));
}

/* One column step (nt tiles) over every row of x. */
XFK_VNNI XFK_INLINE void vnniColumns(const int nt, int64_t kind, int64_t group,
                                     XfkTileFormat f, const uint8_t *qx,
                                     int64_t M, int64_t K, const uint8_t *w,
                                     int64_t tileStride, const XfkEpilogue *e,
                                     float *y, int64_t ldy,
                                     const __mmask16 *mask) {
  int64_t m = 0;
  for (; m + QMR <= M; m += QMR)
    vnniTile(QMR, nt, kind, group, f, qx, m, K, w, tileStride,
             xfk_epilogue_at(*e, m, 0), y + m * ldy, ldy, mask);
#define TAIL(mr)                                                               \
  vnniTile(mr, nt, kind, group, f, qx, m, K, w, tileStride,                    \
           xfk_epilogue_at(*e, m, 0), y + m * ldy, ldy, mask)
  XFK_TAIL_ROWS(M - m, TAIL)
#undef TAIL
}

#define XFK_VNNI_VBMI2                                                         \
  __attribute__((target(                                                       \
      "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi2,popcnt,f16c,fma")))

/* How far ahead the masks and values are prefetched. */
enum { CODES_PREFETCH = 2048 };

/* A run's stored values in their lanes (vpexpandb; loads only the
 * stored bytes). */
XFK_VNNI_VBMI2 XFK_INLINE __m512i expandRun(uint64_t mask, const int8_t *p) {
  return _mm512_maskz_expandloadu_epi8(mask, p);
}

/* Decode (one row) over sparse codes: each run's stored values go
 * straight from memory into their lanes and into vpdpbusd, without the
 * dense tiles in between. Two runs per step keep two accumulators. The
 * block is one stream (masks, scales, values, group after group), which
 * the hardware prefetcher follows better than three (measured 1.5x). */
XFK_VNNI_VBMI2 static void codesGemvVbmi2(int64_t kind, int64_t group,
                                          XfkTileFormat f, const uint8_t *qx,
                                          const uint8_t *w, XfkEpilogue e,
                                          float *y, int64_t K, int64_t n0,
                                          int64_t n1) {
  const int64_t groups = K / group, runs = group / 4,
                stride = xfk_tile_block_stride(kind, group, K, f);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  QuantizedRow a = quantizedRow(qx, K, group, 0);
  for (int64_t n = n0; n < n1; n += XFK_QTILE) {
    __mmask16 mask;
    xfk_column_masks(n1 - n, 1, &mask);
    const uint8_t *next = w + n / XFK_QTILE * stride;
    XfkEpilogue en = xfk_epilogue_at(e, 0, n);
    __m512 acc = xfk_epilogue_bias16(&en, 0, mask);
    for (int64_t b = 0; b < groups; ++b) {
      const int8_t *codes = a.codes + b * group;
      const uint8_t *masks = next, *scales = masks + runs * 8;
      const int8_t *values =
          (const int8_t *)(scales + XFK_QTILE * xfk_scale_bytes(kind));
      __m512i dot0 = _mm512_setzero_si512(), dot1 = _mm512_setzero_si512();
      for (int64_t r = 0; r < runs; r += 2) {
        _mm_prefetch((const char *)values + CODES_PREFETCH, _MM_HINT_T0);
        uint64_t m0, m1;
        memcpy(&m0, masks + r * 8, 8);
        memcpy(&m1, masks + r * 8 + 8, 8);
        const int8_t *second = values + __builtin_popcountll(m0);
        __m512i w0 = expandRun(m0, values), w1 = expandRun(m1, second);
        values = second + __builtin_popcountll(m1);
        dot0 = _mm512_dpbusd_epi32(dot0, _mm512_xor_si512(w0, flip),
                                   broadcast4(codes + 4 * r));
        dot1 = _mm512_dpbusd_epi32(dot1, _mm512_xor_si512(w1, flip),
                                   broadcast4(codes + 4 * r + 4));
      }
      next = (const uint8_t *)values;
      __m512i centered =
          _mm512_sub_epi32(_mm512_add_epi32(dot0, dot1),
                           _mm512_set1_epi32(codeOffset(kind) * a.sums[b]));
      acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(centered),
                                          _mm512_set1_ps(a.scales[b])),
                            loadScales16(kind, scales), acc);
    }
    _mm512_mask_storeu_ps(y + (n - n0), mask,
                          xfk_epilogue_finish16(&en, acc, 0, 0, mask));
  }
}

XFK_VNNI static void linearVnni(int64_t kind, int64_t group, XfkTileFormat f,
                                const uint8_t *qx, const uint8_t *w,
                                XfkEpilogue e, float *y, int64_t ldy, int64_t M,
                                int64_t K, int64_t n0, int64_t n1) {
  const int64_t tileStride = xfk_tile_block_stride(kind, group, K, f);
  /* Two blocks per step share the activations' broadcasts; sparse blocks
   * skip different groups, so they go one at a time. */
  if (f.layout == XFK_TILES_SPARSE_CODES && M == 1 && xfk_cpu_has_vbmi2()) {
    codesGemvVbmi2(kind, group, f, qx, w, e, y, K, n0, n1);
    return;
  }
  const int dense = f.layout == XFK_TILES_DENSE;
  const int64_t step = dense ? QNT * XFK_QTILE : XFK_QTILE;
  for (int64_t n = n0; n < n1; n += step) {
    __mmask16 mask[QNT];
    xfk_column_masks(n1 - n, QNT, mask);
    const uint8_t *tiles = w + n / XFK_QTILE * tileStride;
    XfkEpilogue en = xfk_epilogue_at(e, 0, n);
    float *yn = y + (n - n0);
    if (dense && n1 - n > XFK_QTILE)
      vnniColumns(2, kind, group, f, qx, M, K, tiles, tileStride, &en, yn, ldy,
                  mask);
    else
      vnniColumns(1, kind, group, f, qx, M, K, tiles, tileStride, &en, yn, ldy,
                  mask);
  }
}

/*===----------------------------------------------------------------------===*
 * AVX2 path
 *
 * Without VNNI, a 4-byte dot product is vpmaddubsw (u8 x s8 pairs to s16)
 * then vpmaddwd by ones (pairs of s16 to s32). vpmaddubsw saturates, so:
 * Q4 nibbles (<= 15) are used as they are, and a code tile's 16 products
 * per lane added in 16 bits before one vpmaddwd (16 * 15 * 128 < 2^15);
 * Q8_0 codes become signed
 * (code - 128), multiplied as |w| by a with w's sign (2 * 128 * 127 <
 * 2^15), so their dot product needs no offset. A ymm holds 8 rows of a
 * run: a register tile is 4 rows of x by 8 outputs (half a code tile).
 *===----------------------------------------------------------------------===*/

#define XFK_AVX2 __attribute__((target("avx2,fma,f16c")))

enum { QMR_AVX2 = 4 };

/* Runs g and g + 4 of rows [8 half, 8 half + 8) of a code tile: Q4's
 * unsigned nibbles, or Q8_0's codes less 128 (signed). */
XFK_AVX2 XFK_INLINE void loadCodes8(int64_t kind, const uint8_t *tile, int g,
                                    int half, __m256i *low, __m256i *high) {
  const uint8_t *p = tile + g * 64 + half * 32;
  if (xfk_base_kind(kind) == XFK_W_Q8_0) {
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    *low = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p), flip);
    *high =
        _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 256)), flip);
    return;
  }
  const __m256i nibble = _mm256_set1_epi8(15);
  __m256i bytes = _mm256_loadu_si256((const __m256i *)p);
  *low = _mm256_and_si256(bytes, nibble);
  *high = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);
}

/* 8 scales (or minimums) at p as floats. */
XFK_AVX2 XFK_INLINE __m256 loadScales8(int64_t kind, const uint8_t *p) {
  if (kind & XFK_W_F32_SCALES)
    return _mm256_loadu_ps((const float *)p);
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

XFK_AVX2 XFK_INLINE __m256i broadcast4x8(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

/* Decode reads each tile once: fetch ahead of it. */
XFK_AVX2 XFK_INLINE void avx2Prefetch(const int mr, const uint8_t *tile,
                                      int64_t codeBytes) {
  if (mr == 1)
    for (int64_t line = 0; line < codeBytes; line += 64)
      _mm_prefetch((const char *)tile + PREFETCH_BYTES + line, _MM_HINT_T0);
}

/* Adds one Q8_0 code tile's products to dot[i][h]. A pair sum may reach
 * 2 * 128 * 127, so each is widened to 32 bits at once. */
XFK_AVX2 XFK_INLINE void avx2DotQ8(const int mr, const int nh, int64_t kind,
                                   const uint8_t *tile, int half,
                                   const QuantizedRow *a, int64_t at,
                                   __m256i dot[][2]) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int g = 0; g < 4; ++g)
    for (int h = 0; h < nh; ++h) {
      __m256i low, high;
      loadCodes8(kind, tile, g, half + h, &low, &high);
      __m256i lowAbs = _mm256_abs_epi8(low), highAbs = _mm256_abs_epi8(high);
      for (int i = 0; i < mr; ++i) {
        const int8_t *codes = a[i].codes + at;
        __m256i aLow = broadcast4x8(codes + 4 * g);
        __m256i aHigh = broadcast4x8(codes + 4 * (g + 4));
        __m256i pairs = _mm256_add_epi32(
            _mm256_madd_epi16(
                _mm256_maddubs_epi16(lowAbs, _mm256_sign_epi8(aLow, low)),
                ones),
            _mm256_madd_epi16(
                _mm256_maddubs_epi16(highAbs, _mm256_sign_epi8(aHigh, high)),
                ones));
        dot[i][h] = _mm256_add_epi32(dot[i][h], pairs);
      }
    }
}

/* Adds one Q4 code tile's products to dot[i][h]. A row's eight products
 * stay in 16 bits (a pair sum is at most 2 * 15 * 127; eight of them stay
 * below 2^15) and widen once per tile. */
XFK_AVX2 XFK_INLINE void avx2DotQ4(const int mr, const int nh, int64_t kind,
                                   const uint8_t *tile, int half,
                                   const QuantizedRow *a, int64_t at,
                                   __m256i dot[][2]) {
  __m256i part[QMR][2];
  for (int i = 0; i < mr; ++i)
    for (int h = 0; h < nh; ++h)
      part[i][h] = _mm256_setzero_si256();
  for (int g = 0; g < 4; ++g)
    for (int h = 0; h < nh; ++h) {
      __m256i low, high;
      loadCodes8(kind, tile, g, half + h, &low, &high);
      for (int i = 0; i < mr; ++i) {
        const int8_t *codes = a[i].codes + at;
        part[i][h] = _mm256_add_epi16(
            part[i][h],
            _mm256_add_epi16(
                _mm256_maddubs_epi16(low, broadcast4x8(codes + 4 * g)),
                _mm256_maddubs_epi16(high, broadcast4x8(codes + 4 * (g + 4)))));
      }
    }
  const __m256i ones = _mm256_set1_epi16(1);
  for (int i = 0; i < mr; ++i)
    for (int h = 0; h < nh; ++h)
      dot[i][h] =
          _mm256_add_epi32(dot[i][h], _mm256_madd_epi16(part[i][h], ones));
}

/* Rows [0, mr) of the quantized x (from row m) against nh x 8 outputs:
 * halves [half, half + nh) of the tiles at w. */
XFK_AVX2 XFK_INLINE void avx2QTile(const int mr, const int nh, int64_t kind,
                                   int64_t group, XfkTileFormat f,
                                   const uint8_t *qx, int64_t m, int64_t K,
                                   const uint8_t *w, int half,
                                   const XfkEpilogue *e, float *y, int64_t ldy,
                                   const __m256i *mask) {
  const int64_t groups = K / group, runs = group / XFK_QBLOCK,
                codeBytes = xfk_tile_code_bytes(kind),
                scalesAt = runs * codeBytes, sb = xfk_scale_bytes(kind);
  QuantizedRow a[QMR]; /* QMR: XFK_TAIL_ROWS names up to 5 rows */
  __m256 acc[QMR][2];
  for (int i = 0; i < mr; ++i) {
    a[i] = quantizedRow(qx, K, group, m + i);
    for (int h = 0; h < nh; ++h)
      acc[i][h] = xfk_epilogue_bias8(e, 8 * h, mask[h]);
  }
  XFK_CODES_SCRATCH(scratch);
  XfkGroupWalk walk = xfk_group_walk(w, f, kind, group, K, scratch);
  for (int64_t b = 0; b < groups; ++b) {
    const uint8_t *tiles = xfk_group_tiles(&walk, b);
    if (!tiles)
      continue;
    __m256i dot[QMR][2];
    for (int i = 0; i < mr; ++i)
      for (int h = 0; h < nh; ++h)
        dot[i][h] = _mm256_setzero_si256();
    /* The kind's branch outside the loop, so each loop is specialized. */
    if (xfk_base_kind(kind) == XFK_W_Q8_0)
      for (int64_t c = 0; c < runs; ++c) {
        const uint8_t *tile = tiles + c * codeBytes;
        avx2Prefetch(mr, tile, codeBytes);
        avx2DotQ8(mr, nh, kind, tile, half, a, b * group + c * XFK_QBLOCK, dot);
      }
    else
      for (int64_t c = 0; c < runs; ++c) {
        const uint8_t *tile = tiles + c * codeBytes;
        avx2Prefetch(mr, tile, codeBytes);
        avx2DotQ4(mr, nh, kind, tile, half, a, b * group + c * XFK_QBLOCK, dot);
      }
    for (int h = 0; h < nh; ++h) {
      const uint8_t *scales = tiles + scalesAt + (half + h) * 8 * sb;
      __m256 d = loadScales8(kind, scales);
      for (int i = 0; i < mr; ++i) {
        __m256 sa = _mm256_set1_ps(a[i].scales[b]);
        __m256i centered =
            xfk_base_kind(kind) == XFK_W_Q4_0
                ? _mm256_sub_epi32(dot[i][h],
                                   _mm256_set1_epi32(8 * a[i].sums[b]))
                : dot[i][h];
        acc[i][h] = _mm256_fmadd_ps(
            _mm256_mul_ps(_mm256_cvtepi32_ps(centered), sa), d, acc[i][h]);
        if (xfk_base_kind(kind) == XFK_W_Q4_1) {
          __m256 min = loadScales8(kind, scales + XFK_QTILE * sb);
          acc[i][h] = _mm256_fmadd_ps(
              _mm256_set1_ps(a[i].scales[b] * (float)a[i].sums[b]), min,
              acc[i][h]);
        }
      }
    }
  }
  for (int i = 0; i < mr; ++i)
    for (int h = 0; h < nh; ++h)
      _mm256_maskstore_ps(
          y + i * ldy + 8 * h, mask[h],
          xfk_epilogue_finish8(e, acc[i][h], i, 8 * h, mask[h]));
}

XFK_AVX2 static void linearAvx2(int64_t kind, int64_t group, XfkTileFormat f,
                                const uint8_t *qx, const uint8_t *w,
                                XfkEpilogue e, float *y, int64_t ldy, int64_t M,
                                int64_t K, int64_t n0, int64_t n1) {
  const int64_t tileStride = xfk_tile_block_stride(kind, group, K, f);
  for (int64_t n = n0; n < n1;) {
    int half = (int)(n % XFK_QTILE) / 8;
    /* Fewer rows than a register block (decode): both halves of a tile per
     * step, so each 64-byte line of codes is read once. */
    int nh = M < QMR_AVX2 && half == 0 && n1 - n > 8 ? 2 : 1;
    const uint8_t *tiles = w + n / XFK_QTILE * tileStride;
    __m256i mask[2];
    xfk_column_masks8(n1 - n, nh, mask);
    float *yn = y + (n - n0);
    int64_t m = 0;
    for (; m + QMR_AVX2 <= M; m += QMR_AVX2) {
      XfkEpilogue em = xfk_epilogue_at(e, m, n);
      avx2QTile(QMR_AVX2, 1, kind, group, f, qx, m, K, tiles, half, &em,
                yn + m * ldy, ldy, mask);
    }
    XfkEpilogue em = xfk_epilogue_at(e, m, n);
#define TAIL(mr)                                                               \
  if (nh == 2)                                                                 \
    avx2QTile(mr, 2, kind, group, f, qx, m, K, tiles, half, &em, yn + m * ldy, \
              ldy, mask);                                                      \
  else                                                                         \
    avx2QTile(mr, 1, kind, group, f, qx, m, K, tiles, half, &em, yn + m * ldy, \
              ldy, mask)
    XFK_TAIL_ROWS(M - m, TAIL)
#undef TAIL
    n += 8 * nh;
  }
}

/*===----------------------------------------------------------------------===*
 * AMX path
 *
 * Per 16 rows of x, 64 outputs (four C tiles of 16) and one group: one
 * tile product per output block and k step, accumulated in the block's C
 * tile. A holds the rows' int8 codes, 16 x 64 bytes when the group has an
 * even number of 32-value runs (a code tile stores its runs one after the
 * other, so two runs are one 16-row B tile) and 16 x 32 otherwise; B is
 * the packed code tile as it is (the VNNI layout tdpbsud reads: signed A,
 * unsigned B). The int32 dot products are stored and scaled per group by
 * the AVX-512 epilogue into f32 sums, as the VNNI path does. Q4 codes are
 * widened to bytes first.
 *===----------------------------------------------------------------------===*/

#define XFK_AMX                                                                \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma,"      \
                        "amx-tile,amx-int8")))

/* One output block's group: the code tiles (or 0 when the group is left
 * out) and the int32 dot products of the rows. */
typedef struct {
  const uint8_t *tile;
  int32_t dots[16][16] __attribute__((aligned(64)));
  float sums[16][16] __attribute__((aligned(64)));
  uint8_t codes[2 * 512] __attribute__((aligned(64)));
} AmxBlock;

/* Where the B tile of runs [c, c + step) of a block's group is: in place
 * for Q8_0 codes, widened into blk->codes for Q4 ones. */
XFK_AMX XFK_INLINE const uint8_t *amxCodes(int64_t kind, AmxBlock *blk,
                                           int64_t c, int64_t step,
                                           int64_t codeBytes) {
  if (xfk_base_kind(kind) == XFK_W_Q8_0)
    return blk->tile + c * codeBytes;
  for (int64_t r = 0; r < step; ++r)
    for (int g = 0; g < 4; ++g) {
      __m512i low, high;
      loadCodes(kind, blk->tile + (c + r) * codeBytes, g, &low, &high);
      _mm512_store_si512(blk->codes + r * 512 + g * 64, low);
      _mm512_store_si512(blk->codes + r * 512 + (g + 4) * 64, high);
    }
  return blk->codes;
}

/* Adds group b's scaled dot products of `rows` rows to blk->sums. */
XFK_AMX XFK_INLINE void amxGroupEpilogue(int64_t kind, AmxBlock *blk,
                                         const uint8_t *scales,
                                         const QuantizedRow *a, int rows,
                                         int64_t b) {
  __m512 d = loadScales16(kind, scales);
  if (xfk_base_kind(kind) == XFK_W_Q4_1) {
    __m512 min = loadScales16(kind, scales + XFK_QTILE * xfk_scale_bytes(kind));
    for (int i = 0; i < rows; ++i) {
      __m512 sa = _mm512_set1_ps(a[i].scales[b]);
      __m512 dot = _mm512_cvtepi32_ps(_mm512_load_si512(blk->dots[i]));
      __m512 acc = _mm512_load_ps(blk->sums[i]);
      acc = _mm512_fmadd_ps(_mm512_mul_ps(dot, sa), d, acc);
      acc = _mm512_fmadd_ps(
          _mm512_set1_ps(a[i].scales[b] * (float)a[i].sums[b]), min, acc);
      _mm512_store_ps(blk->sums[i], acc);
    }
    return;
  }
  const int32_t offset = codeOffset(kind);
  for (int i = 0; i < rows; ++i) {
    __m512i centered =
        _mm512_sub_epi32(_mm512_load_si512(blk->dots[i]),
                         _mm512_set1_epi32(offset * a[i].sums[b]));
    __m512 acc = _mm512_load_ps(blk->sums[i]);
    acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(centered),
                                        _mm512_set1_ps(a[i].scales[b])),
                          d, acc);
    _mm512_store_ps(blk->sums[i], acc);
  }
}

XFK_AMX static void linearAmx(int64_t kind, int64_t group, XfkTileFormat f,
                              const uint8_t *qx, const uint8_t *w,
                              XfkEpilogue e, float *y, int64_t ldy, int64_t M,
                              int64_t K, int64_t n0, int64_t n1) {
  const int64_t groups = K / group, runs = group / XFK_QBLOCK,
                step = runs % 2 ? 1 : 2, codeBytes = xfk_tile_code_bytes(kind),
                rowBytes = xfk_quantized_row_bytes(K, group),
                blockStride = xfk_tile_block_stride(kind, group, K, f);
  AmxBlock blk[XFK_AMX_C_TILES];
  uint8_t scratch[XFK_AMX_C_TILES][XFK_CODES_SCRATCH_BYTES]
      __attribute__((aligned(64)));
  QuantizedRow a[16];
  int configured = 0;
  for (int64_t m0 = 0; m0 < M; m0 += 16) {
    int rows = M - m0 < 16 ? (int)(M - m0) : 16;
    if (rows != configured)
      xfk_amx_configure(configured = rows, (int)(32 * step), (int)(8 * step));
    for (int i = 0; i < rows; ++i)
      a[i] = quantizedRow(qx, K, group, m0 + i);
    for (int64_t n = n0; n < n1; n += XFK_AMX_C_TILES * XFK_QTILE) {
      XfkGroupWalk walk[XFK_AMX_C_TILES];
      __mmask16 mask[XFK_AMX_C_TILES];
      int blocks = 0;
      for (; blocks < XFK_AMX_C_TILES && n + blocks * XFK_QTILE < n1;
           ++blocks) {
        int64_t nj = n + blocks * XFK_QTILE,
                valid = n1 - nj < 16 ? n1 - nj : 16;
        mask[blocks] = (__mmask16)((1u << valid) - 1);
        walk[blocks] = xfk_group_walk(w + nj / XFK_QTILE * blockStride, f, kind,
                                      group, K, scratch[blocks]);
        __m512 bias = xfk_epilogue_bias16(&e, nj, mask[blocks]);
        for (int i = 0; i < rows; ++i)
          _mm512_store_ps(blk[blocks].sums[i], bias);
      }
      for (int j = blocks; j < XFK_AMX_C_TILES; ++j)
        blk[j].tile = 0;
      for (int64_t b = 0; b < groups; ++b) {
        for (int j = 0; j < blocks; ++j)
          blk[j].tile = xfk_group_tiles(&walk[j], b);
#define ZERO(c, bt)                                                            \
  if (blk[c].tile)                                                             \
    _tile_zero(c);
        XFK_AMX_FOR_EACH_C(ZERO)
#undef ZERO
        for (int64_t c = 0; c < runs; c += step) {
          _tile_loadd(XFK_AMX_A,
                      qx + m0 * rowBytes + b * group + c * XFK_QBLOCK,
                      rowBytes);
#define PRODUCT(c_, bt)                                                        \
  if (blk[c_].tile) {                                                          \
    _tile_loadd(bt, amxCodes(kind, &blk[c_], c, step, codeBytes), 64);         \
    _tile_dpbsud(c_, XFK_AMX_A, bt);                                           \
  }
          XFK_AMX_FOR_EACH_C(PRODUCT)
#undef PRODUCT
        }
#define STORE(c, bt)                                                           \
  if (blk[c].tile)                                                             \
    _tile_stored(c, blk[c].dots, 64);
        XFK_AMX_FOR_EACH_C(STORE)
#undef STORE
        for (int j = 0; j < blocks; ++j)
          if (blk[j].tile)
            amxGroupEpilogue(kind, &blk[j], blk[j].tile + runs * codeBytes, a,
                             rows, b);
      }
      for (int j = 0; j < blocks; ++j)
        for (int i = 0; i < rows; ++i) {
          int64_t nj = n + j * XFK_QTILE;
          __m512 acc = _mm512_load_ps(blk[j].sums[i]);
          _mm512_mask_storeu_ps(
              y + (m0 + i) * ldy + (nj - n0), mask[j],
              xfk_epilogue_finish16(&e, acc, m0 + i, nj, mask[j]));
        }
    }
  }
  _tile_release();
}

/*===----------------------------------------------------------------------===*
 * Entry points
 *===----------------------------------------------------------------------===*/

void xfk_quantize_rows(int64_t x, int64_t ldx, int64_t M, int64_t K,
                       int64_t group, int64_t qx) {
  if (!xfk_is_valid_group(group) || K % group)
    return;
  const float *xp = (const float *)(intptr_t)x;
  const uint8_t *out = (const uint8_t *)(intptr_t)qx;
  if (xfk_cpu_isa() >= XFK_ISA_AVX512) {
    quantizeAvx512(xp, ldx, M, K, group, (uint8_t *)out);
    return;
  }
  for (int64_t m = 0; m < M; ++m) {
    QuantizedRow row = quantizedRow(out, K, group, m);
    for (int64_t b = 0; b < K / group; ++b)
      quantizeGroup(xp + m * ldx + b * group, group, row.codes + b * group,
                    &row.scales[b], &row.sums[b]);
  }
}

void xfk_round_rows_int8(int64_t x, int64_t ldx, int64_t M, int64_t K,
                         int64_t group, int64_t out) {
  if (!xfk_is_valid_group(group) || K % group)
    return;
  const float *xp = (const float *)(intptr_t)x;
  float *op = (float *)(intptr_t)out;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t b = 0; b < K / group; ++b) {
      const float *xb = xp + m * ldx + b * group;
      float *ob = op + m * K + b * group;
      float inv, d = groupScale(xb, group, &inv);
      for (int64_t j = 0; j < group; ++j)
        ob[j] = d * __builtin_rintf(xb[j] * inv);
    }
}

/* xfk_linear_q8's arguments but the output and columns. */
typedef struct {
  int64_t kind, group;
  XfkTileFormat format;
  int64_t M, K;
  const uint8_t *qx, *w;
} Q8Call;

static void q8Columns(const void *call, const XfkEpilogue *e, float *y,
                      int64_t ldy, int64_t n0, int64_t n1) {
  const Q8Call *c = (const Q8Call *)call;
  int isa = xfk_cpu_isa();
  /* An AMX tile holds 16 rows of x: with fewer (decode), the VNNI loops
   * are faster (1.3x at M = 1 and 4 on Sapphire Rapids). */
  if (isa >= XFK_ISA_AMX && c->M >= 16)
    linearAmx(c->kind, c->group, c->format, c->qx, c->w, *e, y, ldy, c->M, c->K,
              n0, n1);
  else if (isa >= XFK_ISA_AVX512_VNNI)
    linearVnni(c->kind, c->group, c->format, c->qx, c->w, *e, y, ldy, c->M,
               c->K, n0, n1);
  else if (isa >= XFK_ISA_AVX2)
    linearAvx2(c->kind, c->group, c->format, c->qx, c->w, *e, y, ldy, c->M,
               c->K, n0, n1);
  else
    linearGeneric(c->kind, c->group, c->format, c->qx, c->w, e, y, ldy, c->M,
                  c->K, n0, n1);
}

/* Every entry point: the tiles in format f. */
static inline __attribute__((always_inline)) void
runQ8(int64_t kind, int64_t group, XfkTileFormat f, int64_t qx, int64_t w,
      int64_t bias, int64_t residual, int64_t ldr, int64_t act, int64_t up,
      int64_t y, int64_t ldy, int64_t M, int64_t K, int64_t n0, int64_t n1) {
  if (M <= 0 || n1 <= n0 || !xfk_is_block_kind(kind) ||
      !xfk_is_valid_group(group) || K % group ||
      !xfk_is_valid_activation(act, up) || up % XFK_QTILE)
    return;
  Q8Call call = {kind,
                 group,
                 f,
                 M,
                 K,
                 (const uint8_t *)(intptr_t)qx,
                 (const uint8_t *)(intptr_t)w};
  xfk_run_linear(q8Columns, &call, xfk_epilogue(bias, residual, ldr), act, up,
                 (float *)(intptr_t)y, ldy, M, n0, n1);
}

void xfk_linear_q8(int64_t kind, int64_t group, int64_t qx, int64_t w,
                   int64_t bias, int64_t residual, int64_t ldr, int64_t act,
                   int64_t up, int64_t y, int64_t ldy, int64_t M, int64_t K,
                   int64_t n0, int64_t n1) {
  XfkTileFormat f = {XFK_TILES_DENSE, 0};
  runQ8(kind, group, f, qx, w, bias, residual, ldr, act, up, y, ldy, M, K, n0,
        n1);
}

void xfk_linear_q8_sparse(int64_t kind, int64_t group, int64_t groups,
                          int64_t qx, int64_t w, int64_t bias, int64_t residual,
                          int64_t ldr, int64_t act, int64_t up, int64_t y,
                          int64_t ldy, int64_t M, int64_t K, int64_t n0,
                          int64_t n1) {
  if (groups < 0 || groups > K / (group > 0 ? group : 1))
    return;
  XfkTileFormat f = {XFK_TILES_SPARSE_GROUPS, groups};
  runQ8(kind, group, f, qx, w, bias, residual, ldr, act, up, y, ldy, M, K, n0,
        n1);
}

void xfk_linear_q8_codes(int64_t kind, int64_t group, int64_t values,
                         int64_t qx, int64_t w, int64_t bias, int64_t residual,
                         int64_t ldr, int64_t act, int64_t up, int64_t y,
                         int64_t ldy, int64_t M, int64_t K, int64_t n0,
                         int64_t n1) {
  if (xfk_sparse_codes_bytes(kind, group, XFK_QTILE, K, values) == 0)
    return;
  XfkTileFormat f = {XFK_TILES_SPARSE_CODES, values};
  runQ8(kind, group, f, qx, w, bias, residual, ldr, act, up, y, ldy, M, K, n0,
        n1);
}
