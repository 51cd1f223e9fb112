/*===- Bf16Linear.c - BF16 activations against packed BF16 weights --------===*
 *
 * `compute bf16`: the activations are rounded to bf16 once per call site
 * (xfk_round_rows_bf16), as pairs of k; the weights are BF16 panels of
 * pairs (PackedLinear.c's layout). vdpbf16ps multiplies one broadcast pair
 * of activations by 16 outputs' pairs and adds both products to f32 sums,
 * so each instruction does the work of two FMAs. Products of two bf16 are
 * exact in f32, so the paths differ only in the order of the sums:
 *  - AMX: tdpbf16ps on 16 rows x 16 outputs x 32 k per tile product;
 *  - AVX512_BF16: a 6 x 64 register tile of vdpbf16ps;
 *  - otherwise the rounded activations go back to f32 for the f32 kernel
 *    over the same panels (xfk_linear_packed).
 *
 *===----------------------------------------------------------------------===*/

#include "Activation.h"
#include "Amx.h"
#include "Decode.h"
#include "Epilogue.h"
#include "Packed.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/* Round to nearest even, as vcvtneps2bf16 does; NaNs stay NaNs. */
static uint16_t toBf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t)((bits >> 16) | 0x40);
  return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
}

int64_t xfk_bf16_row_bytes(int64_t K) {
  return xfk_panel_k(XFK_W_BF16, K) * 2;
}

void xfk_round_rows_bf16(int64_t x, int64_t ldx, int64_t M, int64_t K,
                         int64_t xb) {
  const float *xp = (const float *)(intptr_t)x;
  int64_t Kp = xfk_panel_k(XFK_W_BF16, K);
  for (int64_t m = 0; m < M; ++m) {
    uint16_t *row = (uint16_t *)(intptr_t)xb + m * Kp;
    for (int64_t k = 0; k < K; ++k)
      row[k] = toBf16(xp[m * ldx + k]);
    for (int64_t k = K; k < Kp; ++k)
      row[k] = 0;
  }
}

void xfk_round_rows_bf16_f32(int64_t x, int64_t ldx, int64_t M, int64_t K,
                             int64_t out) {
  const float *xp = (const float *)(intptr_t)x;
  float *op = (float *)(intptr_t)out;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      op[m * K + k] = xfk_bf16_to_float(toBf16(xp[m * ldx + k]));
}

/*===----------------------------------------------------------------------===*
 * Without BF16 instructions: the f32 kernel over the rounded values
 *===----------------------------------------------------------------------===*/

static void linearViaF32(const uint16_t *xb, const uint8_t *w,
                         const XfkEpilogue *e, float *y, int64_t ldy, int64_t M,
                         int64_t K, int64_t n0, int64_t n1) {
  int64_t Kp = xfk_panel_k(XFK_W_BF16, K);
  float *x = (float *)malloc((size_t)(M * K) * sizeof(float));
  if (!x)
    abort(); /* the runtime cannot report from here; never silently wrong */
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      x[m * K + k] = xfk_bf16_to_float(xb[m * Kp + k]);
  xfk_linear_packed(XFK_W_BF16, (int64_t)(intptr_t)x, K, (int64_t)(intptr_t)w,
                    (int64_t)(intptr_t)e->bias, (int64_t)(intptr_t)e->residual,
                    e->ldr, XFK_ACT_NONE, 0, (int64_t)(intptr_t)y, ldy, M, K,
                    n0, n1);
  free(x);
}

/*===----------------------------------------------------------------------===*
 * AVX512_BF16 path
 *===----------------------------------------------------------------------===*/

#define XFK_BF16                                                               \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,f16c,fma")))
#define XFK_INLINE static inline __attribute__((always_inline))

/* Rows per register tile; prefetch distance of one-row tiles (as in
 * PackedLinear.c). */
enum { MR = 6, PREFETCH_BYTES = 4096 };

/* Rows [0, mr) of the bf16 rows (pairs, `ldp` pairs apart) against one
 * panel over `pairs` pairs of k. */
XFK_BF16 XFK_INLINE void bf16Tile(const int mr, const uint32_t *xp, int64_t ldp,
                                  const uint8_t *panel, int64_t pairs,
                                  const XfkEpilogue *e, int first, int last,
                                  float *y, int64_t ldy,
                                  const __mmask16 *mask) {
  __m512 acc[MR][4];
  xfk_tile_start(mr, acc, e, first, y, ldy, mask);
  for (int64_t p = 0; p < pairs; ++p) {
    const uint8_t *row = panel + p * XFK_PANEL * 4;
    if (mr == 1)
      for (int64_t line = 0; line < 256; line += 64)
        _mm_prefetch((const char *)row + PREFETCH_BYTES + line, _MM_HINT_T0);
    __m512bh w[4];
    for (int j = 0; j < 4; ++j)
      w[j] = (__m512bh)_mm512_loadu_si512(row + 64 * j);
    for (int i = 0; i < mr; ++i) {
      __m512bh a = (__m512bh)_mm512_set1_epi32((int)xp[i * ldp + p]);
      for (int j = 0; j < 4; ++j)
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], a, w[j]);
    }
  }
  xfk_tile_store(mr, acc, e, last, y, ldy, mask);
}

XFK_BF16 static void linearBf16(const uint16_t *xb, const uint8_t *w,
                                XfkEpilogue e, float *y, int64_t ldy, int64_t M,
                                int64_t K, int64_t n0, int64_t n1) {
  const int64_t Kp = xfk_panel_k(XFK_W_BF16, K), ldp = Kp / 2;
  /* A K block of a panel (32 KiB) stays in L1 while every row passes. */
  const int64_t PC = 32768 / (XFK_PANEL * 4);
  const uint32_t *xp = (const uint32_t *)xb;
  for (int64_t n = n0; n < n1; n += XFK_PANEL) {
    const uint8_t *panel = w + (n / XFK_PANEL) * Kp * XFK_PANEL * 2;
    __mmask16 mask[4];
    xfk_column_masks(n1 - n, 4, mask);
    XfkEpilogue en = xfk_epilogue_at(e, 0, n);
    float *yn = y + (n - n0);
    for (int64_t p0 = 0; p0 < ldp; p0 += PC) {
      int64_t pb = ldp - p0 < PC ? ldp - p0 : PC;
      const uint8_t *pk = panel + p0 * XFK_PANEL * 4;
      int first = p0 == 0, last = p0 + pb == ldp;
      int64_t m = 0;
      for (; m + MR <= M; m += MR) {
        XfkEpilogue em = xfk_epilogue_at(en, m, 0);
        bf16Tile(MR, xp + m * ldp + p0, ldp, pk, pb, &em, first, last,
                 yn + m * ldy, ldy, mask);
      }
      const uint32_t *xm = xp + m * ldp + p0;
      float *ym = yn + m * ldy;
      XfkEpilogue em = xfk_epilogue_at(en, m, 0);
#define TAIL(mr) bf16Tile(mr, xm, ldp, pk, pb, &em, first, last, ym, ldy, mask)
      XFK_TAIL_ROWS(M - m, TAIL)
#undef TAIL
    }
  }
}

/*===----------------------------------------------------------------------===*
 * AMX-BF16 path
 *
 * Per 16 rows of x and 64 outputs (four C tiles of 16): one tdpbf16ps per
 * output block and 32 values of k. A is 16 rows x 32 bf16 of the rounded
 * activations, loaded once for the four products; B is 16 pair rows x 16
 * outputs x 2 bf16, read from the panel in place (a pair row of a panel is
 * 256 bytes, the 16 outputs 64 of them). A tail of k past the last 32 is
 * added after.
 *===----------------------------------------------------------------------===*/

#define XFK_AMX_BF16                                                           \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,f16c,fma,"      \
                        "amx-tile,amx-bf16")))

XFK_AMX_BF16 static void linearAmx(const uint16_t *xb, const uint8_t *w,
                                   XfkEpilogue e, float *y, int64_t ldy,
                                   int64_t M, int64_t K, int64_t n0,
                                   int64_t n1) {
  const int64_t Kp = xfk_panel_k(XFK_W_BF16, K), K32 = Kp / 32 * 32;
  float sums[XFK_AMX_C_TILES][16][16] __attribute__((aligned(64)));
  int configured = 0;
  for (int64_t m0 = 0; m0 < M; m0 += 16) {
    int rows = M - m0 < 16 ? (int)(M - m0) : 16;
    if (rows != configured)
      xfk_amx_configure(configured = rows, 64, 16);
    for (int64_t n = n0; n < n1; n += XFK_AMX_C_TILES * 16) {
      /* Block c's 16 columns in their panel, or 0 past n1. */
      const uint8_t *columns[XFK_AMX_C_TILES];
      for (int c = 0; c < XFK_AMX_C_TILES; ++c) {
        int64_t nc = n + 16 * c;
        columns[c] = nc < n1 ? w + (nc / XFK_PANEL) * Kp * XFK_PANEL * 2 +
                                   (nc % XFK_PANEL) * 4
                             : 0;
      }
#define ZERO(c, bt)                                                            \
  if (columns[c])                                                              \
    _tile_zero(c);
      XFK_AMX_FOR_EACH_C(ZERO)
#undef ZERO
      for (int64_t k0 = 0; k0 < K32; k0 += 32) {
        _tile_loadd(XFK_AMX_A, xb + m0 * Kp + k0, Kp * 2);
#define PRODUCT(c, bt)                                                         \
  if (columns[c]) {                                                            \
    _tile_loadd(bt, columns[c] + (k0 / 2) * XFK_PANEL * 4, XFK_PANEL * 4);     \
    _tile_dpbf16ps(c, XFK_AMX_A, bt);                                          \
  }
        XFK_AMX_FOR_EACH_C(PRODUCT)
#undef PRODUCT
      }
#define STORE(c, bt)                                                           \
  if (columns[c])                                                              \
    _tile_stored(c, sums[c], 64);
      XFK_AMX_FOR_EACH_C(STORE)
#undef STORE
      for (int c = 0; c < XFK_AMX_C_TILES && columns[c]; ++c)
        for (int i = 0; i < rows; ++i) {
          int64_t nc = n + 16 * c, valid = n1 - nc < 16 ? n1 - nc : 16;
          for (int64_t j = 0; j < valid; ++j) {
            float s = sums[c][i][j] + xfk_epilogue_bias(&e, nc + j);
            for (int64_t k = K32; k < Kp; ++k)
              s += xfk_bf16_to_float(xb[(m0 + i) * Kp + k]) *
                   xfk_bf16_to_float(*(
                       const uint16_t *)(columns[c] + (k / 2) * XFK_PANEL * 4 +
                                         4 * j + 2 * (k % 2)));
            y[(m0 + i) * ldy + (nc + j - n0)] =
                s + xfk_epilogue_residual(&e, m0 + i, nc + j);
          }
        }
    }
  }
  _tile_release();
}

/*===----------------------------------------------------------------------===*
 * Entry point
 *===----------------------------------------------------------------------===*/

/* xfk_linear_bf16's arguments but the output and columns. */
typedef struct {
  int64_t M, K;
  const uint16_t *xb;
  const uint8_t *w;
} Bf16Call;

static void bf16Columns(const void *call, const XfkEpilogue *e, float *y,
                        int64_t ldy, int64_t n0, int64_t n1) {
  const Bf16Call *c = (const Bf16Call *)call;
  int isa = xfk_cpu_isa();
  /* An AMX tile holds 16 rows of x: with fewer (decode), vdpbf16ps is
   * faster. */
  if (isa >= XFK_ISA_AMX && c->M >= 16)
    linearAmx(c->xb, c->w, *e, y, ldy, c->M, c->K, n0, n1);
  else if (isa >= XFK_ISA_AVX512_BF16)
    linearBf16(c->xb, c->w, *e, y, ldy, c->M, c->K, n0, n1);
  else
    linearViaF32(c->xb, c->w, e, y, ldy, c->M, c->K, n0, n1);
}

void xfk_linear_bf16(int64_t xb, int64_t w, int64_t bias, int64_t residual,
                     int64_t ldr, int64_t act, int64_t up, int64_t y,
                     int64_t ldy, int64_t M, int64_t K, int64_t n0,
                     int64_t n1) {
  if (M <= 0 || n1 <= n0 || !xfk_is_valid_activation(act, up) || up % XFK_PANEL)
    return;
  Bf16Call call = {M, K, (const uint16_t *)(intptr_t)xb,
                   (const uint8_t *)(intptr_t)w};
  xfk_run_linear(bf16Columns, &call, xfk_epilogue(bias, residual, ldr), act, up,
                 (float *)(intptr_t)y, ldy, M, n0, n1);
}
