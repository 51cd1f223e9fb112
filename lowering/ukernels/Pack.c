/*===- Pack.c - Weights into the kernels' packed layouts ------------------===*
 *
 * Runs in the compiler, when it writes a model's weight blob: the layouts
 * are those of xfk/Kernels.h, and the values are moved, never re-encoded.
 *
 *===----------------------------------------------------------------------===*/

#include "Decode.h"
#include "Packed.h"

#include <string.h>

int64_t xfk_packed_tile_rows(int64_t kind) {
  if (xfk_is_float_kind(kind))
    return XFK_PANEL;
  return xfk_is_block_kind(kind) ? XFK_QTILE : 0;
}

int64_t xfk_packed_bytes(int64_t kind, int64_t N, int64_t K) {
  if (N <= 0 || K <= 0)
    return 0;
  if (xfk_is_float_kind(kind))
    return (N + XFK_PANEL - 1) / XFK_PANEL * XFK_PANEL * K *
           xfk_element_bytes(kind);
  if (!xfk_is_block_kind(kind) || K % XFK_QBLOCK)
    return 0;
  return (N + XFK_QTILE - 1) / XFK_QTILE * (K / XFK_QBLOCK) *
         xfk_tile_bytes(kind);
}

static void packFloat(int64_t kind, const uint8_t *src, int64_t ldw, int64_t N,
                      int64_t K, uint8_t *dst) {
  int64_t elt = xfk_element_bytes(kind);
  for (int64_t n = 0; n < N; ++n) {
    uint8_t *panel = dst + (n / XFK_PANEL) * K * XFK_PANEL * elt;
    for (int64_t k = 0; k < K; ++k)
      memcpy(panel + (k * XFK_PANEL + n % XFK_PANEL) * elt, src + n * ldw + k * elt,
             (size_t)elt);
  }
}

/* One ggml block (32 values of one row) into row r of a tile. */
static void packBlock(int64_t kind, const uint8_t *block, int r,
                      uint8_t *tile) {
  int64_t codeBytes = xfk_tile_code_bytes(kind);
  const uint8_t *codes;
  if (kind == XFK_W_Q8_0) {
    codes = block + 2;
    for (int j = 0; j < 32; ++j) /* int8 to unsigned: + 128 */
      tile[(j / 4) * 64 + r * 4 + j % 4] = (uint8_t)(codes[j] ^ 0x80);
  } else {
    codes = block + (kind == XFK_W_Q4_1 ? 4 : 2);
    for (int j = 0; j < 32; ++j) {
      /* ggml: value j < 16 is byte j's low nibble, j + 16 its high one. */
      unsigned nibble = j < 16 ? codes[j] & 15u : codes[j - 16] >> 4;
      int group = j / 4;
      tile[(group % 4) * 64 + r * 4 + j % 4] |=
          (uint8_t)(nibble << (group < 4 ? 0 : 4));
    }
  }
  memcpy(tile + codeBytes + 2 * r, block, 2); /* scale */
  if (kind == XFK_W_Q4_1)
    memcpy(tile + codeBytes + 32 + 2 * r, block + 2, 2); /* minimum */
}

static int64_t ggmlBlockBytes(int64_t kind) {
  return kind == XFK_W_Q8_0 ? 34 : kind == XFK_W_Q4_0 ? 18 : 20;
}

int xfk_pack(int64_t kind, const void *src, int64_t ldw, int64_t N, int64_t K,
             void *dst) {
  int64_t bytes = xfk_packed_bytes(kind, N, K);
  if (!bytes)
    return 0;
  memset(dst, 0, (size_t)bytes); /* padding rows: zero scales and codes */
  const uint8_t *in = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  if (xfk_is_float_kind(kind)) {
    packFloat(kind, in, ldw, N, K, out);
    return 1;
  }
  int64_t blocks = K / XFK_QBLOCK, tileBytes = xfk_tile_bytes(kind);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t b = 0; b < blocks; ++b)
      packBlock(kind, in + n * ldw + b * ggmlBlockBytes(kind),
                (int)(n % XFK_QTILE),
                out + ((n / XFK_QTILE) * blocks + b) * tileBytes);
  return 1;
}
