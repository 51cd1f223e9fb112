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

int64_t xfk_packed_k_pairs(int64_t kind) { return xfk_panel_pairs(kind); }

int64_t xfk_packed_bytes(int64_t kind, int64_t group, int64_t N, int64_t K) {
  if (N <= 0 || K <= 0)
    return 0;
  if (xfk_is_float_kind(kind))
    return (N + XFK_PANEL - 1) / XFK_PANEL * XFK_PANEL *
           xfk_panel_k(kind, K) * xfk_element_bytes(kind);
  if (!xfk_is_block_kind(kind) || !xfk_is_valid_group(group) || K % group)
    return 0;
  return (N + XFK_QTILE - 1) / XFK_QTILE * (K / group) *
         xfk_tile_group_bytes(kind, group);
}

static void packFloat(int64_t kind, const uint8_t *src, int64_t ldw, int64_t N,
                      int64_t K, uint8_t *dst) {
  int64_t elt = xfk_element_bytes(kind);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      memcpy(dst + xfk_panel_index(kind, K, n, k) * elt,
             src + n * ldw + k * elt, (size_t)elt);
}

/* One run of 32 stored codes into row r of a code tile. */
static void packRun(int64_t kind, const uint8_t *codes, int r, uint8_t *tile) {
  if (xfk_base_kind(kind) == XFK_W_Q8_0) {
    for (int j = 0; j < 32; ++j) /* int8 to unsigned: + 128 */
      tile[(j / 4) * 64 + r * 4 + j % 4] = (uint8_t)(codes[j] ^ 0x80);
    return;
  }
  for (int j = 0; j < 32; ++j) {
    /* Stored: value j < 16 is byte j's low nibble, j + 16 its high one. */
    unsigned nibble = j < 16 ? codes[j] & 15u : codes[j - 16] >> 4;
    int run = j / 4;
    tile[(run % 4) * 64 + r * 4 + j % 4] |=
        (uint8_t)(nibble << (run < 4 ? 0 : 4));
  }
}

/* One stored block (`group` values of one row) into row r of the group's
 * tiles. */
static void packBlock(int64_t kind, int64_t group, const uint8_t *block, int r,
                      uint8_t *tiles) {
  int64_t runs = group / XFK_QBLOCK, codeBytes = xfk_tile_code_bytes(kind);
  const uint8_t *codes = block + xfk_block_header_bytes(kind);
  for (int64_t i = 0; i < runs; ++i)
    packRun(kind, codes + i * xfk_chunk_code_bytes(kind), r,
            tiles + i * codeBytes);
  uint8_t *scales = tiles + runs * codeBytes;
  int64_t sb = xfk_scale_bytes(kind);
  memcpy(scales + sb * r, block, (size_t)sb);
  if (xfk_has_minimum(kind))
    memcpy(scales + sb * (XFK_QTILE + r), block + sb, (size_t)sb);
}

int xfk_pack(int64_t kind, int64_t group, const void *src, int64_t ldw,
             int64_t N, int64_t K, void *dst) {
  int64_t bytes = xfk_packed_bytes(kind, group, N, K);
  if (!bytes)
    return 0;
  memset(dst, 0, (size_t)bytes); /* padding rows: zero scales and codes */
  const uint8_t *in = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  if (xfk_is_float_kind(kind)) {
    packFloat(kind, in, ldw, N, K, out);
    return 1;
  }
  int64_t groups = K / group, groupBytes = xfk_tile_group_bytes(kind, group),
          blockBytes = xfk_block_bytes(kind, group);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t b = 0; b < groups; ++b)
      packBlock(kind, group, in + n * ldw + b * blockBytes,
                (int)(n % XFK_QTILE),
                out + ((n / XFK_QTILE) * groups + b) * groupBytes);
  return 1;
}

/*===----------------------------------------------------------------------===*
 * Sparse panels
 *===----------------------------------------------------------------------===*/

int64_t xfk_sparse_panel_bytes(int64_t kind, int64_t K, int64_t values) {
  int64_t bytes = K * 8 + values * xfk_element_bytes(kind);
  return (bytes + 63) / 64 * 64; /* panels start on cache lines */
}

int64_t xfk_sparse_packed_bytes(int64_t kind, int64_t N, int64_t K,
                                int64_t values) {
  if (!xfk_is_float_kind(kind) || N <= 0 || K <= 0 || values < 0 ||
      values > XFK_PANEL * K)
    return 0;
  return (N + XFK_PANEL - 1) / XFK_PANEL *
             xfk_sparse_panel_bytes(kind, K, values) +
         XFK_SPARSE_TAIL;
}

int64_t xfk_sparse_panel_values(int64_t kind, const void *src, int64_t ldw,
                                int64_t N, int64_t K) {
  if (!xfk_is_float_kind(kind))
    return -1;
  const uint8_t *rows = (const uint8_t *)src;
  int64_t elt = xfk_element_bytes(kind), most = 0;
  for (int64_t n0 = 0; n0 < N; n0 += XFK_PANEL) {
    int64_t count = 0;
    for (int64_t n = n0; n < N && n < n0 + XFK_PANEL; ++n)
      for (int64_t k = 0; k < K; ++k)
        count += xfk_is_stored_value(kind, rows + n * ldw + k * elt);
    most = count > most ? count : most;
  }
  return most;
}

int xfk_pack_sparse(int64_t kind, const void *src, int64_t ldw, int64_t N,
                    int64_t K, int64_t values, void *dst) {
  int64_t total = xfk_sparse_packed_bytes(kind, N, K, values);
  if (!total)
    return 0;
  const uint8_t *rows = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  memset(out, 0, (size_t)total);
  int64_t elt = xfk_element_bytes(kind);
  int64_t panelBytes = xfk_sparse_panel_bytes(kind, K, values);
  for (int64_t p = 0; p * XFK_PANEL < N; ++p) {
    uint8_t *panel = out + p * panelBytes;
    uint8_t *value = panel + K * 8;
    int64_t stored = 0;
    for (int64_t k = 0; k < K; ++k) {
      uint64_t mask = 0;
      for (int j = 0; j < XFK_PANEL && p * XFK_PANEL + j < N; ++j) {
        const uint8_t *v = rows + (p * XFK_PANEL + j) * ldw + k * elt;
        if (!xfk_is_stored_value(kind, v))
          continue;
        if (stored == values)
          return 0;
        mask |= (uint64_t)1 << j;
        memcpy(value + stored++ * elt, v, (size_t)elt);
      }
      memcpy(panel + k * 8, &mask, 8);
    }
  }
  return 1;
}
