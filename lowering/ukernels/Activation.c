/*===- Activation.c - SiLU and GELU on blocks of the linear kernels' sums -===*
 *
 * The AVX-512 path evaluates exp as 2^n e^r with n = round(x log2 e) and a
 * degree-6 polynomial for e^r on |r| <= ln2 / 2 (relative error about
 * 1e-7), scaled by vscalefps, which saturates to 0 and infinity (AVX2
 * builds 2^n in the exponent field instead); SiLU and the tanh of GELU are
 * written with that one exp.
 *
 *===----------------------------------------------------------------------===*/

#include "Activation.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>

static const float kGeluScale = 0.7978845608f; /* sqrt(2 / pi) */
static const float kGeluCubic = 0.044715f;

/* exp's argument reduction x = n ln2 + r (ln2 in two parts, the first
 * exact in few bits) and e^r's Taylor coefficients, highest first. */
static const float kLog2e = 1.44269504f;
static const float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
enum { EXP_TERMS = 7 };
static const float kExpTaylor[EXP_TERMS] = {
    1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f};

static float activateScalar(int64_t act, float s) {
  if (act == XFK_ACT_SILU)
    return s / (1.0f + expf(-s));
  return 0.5f * s * (1.0f + tanhf(kGeluScale * (s + kGeluCubic * s * s * s)));
}

#define XFK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define XFK_INLINE static inline __attribute__((always_inline))

XFK_AVX512 XFK_INLINE __m512 exp16(__m512 x) {
  /* Past these, 2^n alone is 0 or infinity; the clamp keeps r small. */
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)),
                    _mm512_set1_ps(89.0f));
  __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kExpTaylor[0]);
  for (int i = 1; i < EXP_TERMS; ++i)
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpTaylor[i]));
  return _mm512_scalef_ps(p, n);
}

XFK_AVX512 XFK_INLINE __m512 activate16(int64_t act, __m512 s) {
  const __m512 one = _mm512_set1_ps(1.0f);
  if (act == XFK_ACT_SILU)
    return _mm512_div_ps(
        s, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), s))));
  /* tanh(z) = 1 - 2 / (e^2z + 1), so 1 + tanh(z) = 2 - 2 / (e^2z + 1). */
  __m512 s3 = _mm512_mul_ps(_mm512_mul_ps(s, s), s);
  __m512 z = _mm512_mul_ps(_mm512_set1_ps(kGeluScale),
                           _mm512_fmadd_ps(_mm512_set1_ps(kGeluCubic), s3, s));
  __m512 e2z = exp16(_mm512_add_ps(z, z));
  __m512 onePlusTanh = _mm512_sub_ps(
      _mm512_set1_ps(2.0f),
      _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e2z, one)));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), s), onePlusTanh);
}

XFK_AVX512 static void activateAvx512(int64_t act, int gated, const float *s,
                                      int64_t lds, int64_t up,
                                      const XfkEpilogue *e, float *y,
                                      int64_t ldy, int64_t M, int64_t n,
                                      int64_t count) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < count; j += 16) {
      __mmask16 mask;
      xfk_column_masks(count - j, 1, &mask);
      const float *sm = s + m * lds + j;
      __m512 v = activate16(act, _mm512_maskz_loadu_ps(mask, sm));
      if (gated)
        v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(mask, sm + up));
      _mm512_mask_storeu_ps(y + m * ldy + j, mask,
                            xfk_epilogue_finish16(e, v, m, n + j, mask));
    }
}

/* The same on 8 lanes, for AVX2 (no vscalefps: 2^n is built in the
 * exponent field, with x clamped so that n stays a normal exponent). */
#define XFK_AVX2 __attribute__((target("avx2,fma,f16c")))

XFK_AVX2 XFK_INLINE __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)),
                    _mm256_set1_ps(88.0f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kExpTaylor[0]);
  for (int i = 1; i < EXP_TERMS; ++i)
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpTaylor[i]));
  __m256i bits = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

XFK_AVX2 XFK_INLINE __m256 activate8(int64_t act, __m256 s) {
  const __m256 one = _mm256_set1_ps(1.0f);
  if (act == XFK_ACT_SILU)
    return _mm256_div_ps(
        s, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), s))));
  __m256 s3 = _mm256_mul_ps(_mm256_mul_ps(s, s), s);
  __m256 z = _mm256_mul_ps(_mm256_set1_ps(kGeluScale),
                           _mm256_fmadd_ps(_mm256_set1_ps(kGeluCubic), s3, s));
  __m256 e2z = exp8(_mm256_add_ps(z, z));
  __m256 onePlusTanh = _mm256_sub_ps(
      _mm256_set1_ps(2.0f),
      _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e2z, one)));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), s), onePlusTanh);
}

XFK_AVX2 static void activateAvx2(int64_t act, int gated, const float *s,
                                  int64_t lds, int64_t up, const XfkEpilogue *e,
                                  float *y, int64_t ldy, int64_t M, int64_t n,
                                  int64_t count) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < count; j += 8) {
      __m256i mask;
      xfk_column_masks8(count - j, 1, &mask);
      const float *sm = s + m * lds + j;
      __m256 v = activate8(act, _mm256_maskload_ps(sm, mask));
      if (gated)
        v = _mm256_mul_ps(v, _mm256_maskload_ps(sm + up, mask));
      _mm256_maskstore_ps(y + m * ldy + j, mask,
                          xfk_epilogue_finish8(e, v, m, n + j, mask));
    }
}

void xfk_activate_block(int64_t act, int gated, const float *s, int64_t lds,
                        int64_t up, const XfkEpilogue *e, float *y, int64_t ldy,
                        int64_t M, int64_t n, int64_t count) {
  int isa = xfk_cpu_isa();
  if (isa >= XFK_ISA_AVX512) {
    activateAvx512(act, gated, s, lds, up, e, y, ldy, M, n, count);
    return;
  }
  if (isa >= XFK_ISA_AVX2) {
    activateAvx2(act, gated, s, lds, up, e, y, ldy, M, n, count);
    return;
  }
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < count; ++j) {
      float v = activateScalar(act, s[m * lds + j]);
      if (gated)
        v *= s[m * lds + up + j];
      y[m * ldy + j] = v + xfk_epilogue_residual(e, m, n + j);
    }
}

void xfk_activated_columns(XfkColumns columns, const void *call,
                           const XfkEpilogue *e, int64_t act, int64_t up,
                           float *y, int64_t ldy, int64_t M, int64_t n0,
                           int64_t n1) {
  /* The block's sums, gate then up: L1-sized for M up to 32. */
  const int64_t B = XFK_ACTIVATION_BLOCK, lds = up > 0 ? 2 * B : B;
  float local[32 * 2 * XFK_ACTIVATION_BLOCK];
  float *sums = M * lds <= (int64_t)(sizeof(local) / sizeof(float))
                    ? local
                    : (float *)malloc((size_t)(M * lds) * sizeof(float));
  if (!sums)
    abort(); /* the runtime cannot report from here; never silently wrong */
  XfkEpilogue biasOnly = xfk_epilogue((int64_t)(intptr_t)e->bias, 0, 0);
  for (int64_t n = n0; n < n1; n += B) {
    int64_t count = n1 - n < B ? n1 - n : B;
    columns(call, &biasOnly, sums, lds, n, n + count);
    if (up > 0)
      columns(call, &biasOnly, sums + B, lds, up + n, up + n + count);
    xfk_activate_block(act, up > 0, sums, lds, B, e, y + (n - n0), ldy, M, n,
                       count);
  }
  if (sums != local)
    free(sums);
}
