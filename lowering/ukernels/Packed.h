/*===- Packed.h - Facts of the weight layouts ------------------*- C -*-===*
 *
 * Internal to the kernel library: the packing code and the kernels that
 * read stored or packed weights agree on the layouts of xfk/Kernels.h
 * through these.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_PACKED_H
#define XFK_PACKED_H

#include "Decode.h"
#include "xfk/Kernels.h"

#include <string.h>

enum {
  XFK_PANEL = 64, /* float kinds: outputs per K-major panel */
  XFK_QTILE = 16, /* block kinds: outputs per tile */
  XFK_QBLOCK = 32 /* block kinds: values per code tile (and ggml chunk) */
};

/* A block kind without its scale type. */
static inline int64_t xfk_base_kind(int64_t kind) {
  return kind & ~(int64_t)XFK_W_F32_SCALES;
}

static inline int xfk_is_block_kind(int64_t kind) {
  int64_t base = xfk_base_kind(kind);
  return base == XFK_W_Q8_0 || base == XFK_W_Q4_0 || base == XFK_W_Q4_1;
}

/* Bytes of a block kind's scale (and minimum): 2 (f16) or 4 (f32). */
static inline int64_t xfk_scale_bytes(int64_t kind) {
  return kind & XFK_W_F32_SCALES ? 4 : 2;
}

/* A scale (or minimum) of a block kind, stored at p. */
static inline float xfk_load_scale(int64_t kind, const uint8_t *p) {
  if (kind & XFK_W_F32_SCALES) {
    float f;
    memcpy(&f, p, 4);
    return f;
  }
  uint16_t h;
  memcpy(&h, p, 2);
  return xfk_half_to_float(h);
}

static inline int xfk_is_float_kind(int64_t kind) {
  return kind == XFK_W_F32 || kind == XFK_W_F16 || kind == XFK_W_BF16;
}

/* Whether `group` values per scale is a group block kinds can have. */
static inline int xfk_is_valid_group(int64_t group) {
  return group > 0 && group % XFK_QBLOCK == 0;
}

/* Values of k per element group of a float panel: BF16 pairs. */
static inline int64_t xfk_panel_pairs(int64_t kind) {
  return kind == XFK_W_BF16 ? 2 : 1;
}

/* K rounded up to whole element groups of a float panel. */
static inline int64_t xfk_panel_k(int64_t kind, int64_t K) {
  int64_t pairs = xfk_panel_pairs(kind);
  return (K + pairs - 1) / pairs * pairs;
}

/* Where W[n][k] is in a float kind's packed panels, in elements. */
static inline int64_t xfk_panel_index(int64_t kind, int64_t K, int64_t n,
                                      int64_t k) {
  int64_t pairs = xfk_panel_pairs(kind);
  return (n / XFK_PANEL) * xfk_panel_k(kind, K) * XFK_PANEL +
         (k / pairs) * XFK_PANEL * pairs + (n % XFK_PANEL) * pairs +
         k % pairs;
}

/* Bytes of one element of a float kind. */
static inline int64_t xfk_element_bytes(int64_t kind) {
  return kind == XFK_W_F32 ? 4 : 2;
}

/* Whether a block kind has a minimum per group (Q4_1). */
static inline int xfk_has_minimum(int64_t kind) {
  return xfk_base_kind(kind) == XFK_W_Q4_1;
}

/* Stored blocks: bytes of the scale (and Q4_1's minimum) that start a
 * block, and of the codes of each 32 values after it. */
static inline int64_t xfk_block_header_bytes(int64_t kind) {
  return (xfk_has_minimum(kind) ? 2 : 1) * xfk_scale_bytes(kind);
}
static inline int64_t xfk_chunk_code_bytes(int64_t kind) {
  return xfk_base_kind(kind) == XFK_W_Q8_0 ? 32 : 16;
}

/* Bytes of a stored block of `group` values. */
static inline int64_t xfk_block_bytes(int64_t kind, int64_t group) {
  return xfk_block_header_bytes(kind) +
         group / XFK_QBLOCK * xfk_chunk_code_bytes(kind);
}

/* Bytes of the codes of a 16 x 32 tile of a block kind. */
static inline int64_t xfk_tile_code_bytes(int64_t kind) {
  return xfk_base_kind(kind) == XFK_W_Q8_0 ? 512 : 256;
}

/* Bytes of a group's tiles: group / 32 code tiles, 16 scales, (Q4_1) 16
 * minimums, which start 16 scales after the scales. */
static inline int64_t xfk_tile_group_bytes(int64_t kind, int64_t group) {
  return group / XFK_QBLOCK * xfk_tile_code_bytes(kind) +
         XFK_QTILE * xfk_block_header_bytes(kind);
}

/* The unsigned code of value j (< 32) of row r (< 16) in a code tile. */
static inline unsigned xfk_tile_code(int64_t kind, const uint8_t *tile, int r,
                                     int j) {
  int group = j / 4, lane = r * 4 + j % 4;
  if (xfk_base_kind(kind) == XFK_W_Q8_0)
    return tile[group * 64 + lane];
  uint8_t byte = tile[(group % 4) * 64 + lane];
  return group < 4 ? byte & 15u : byte >> 4;
}

#endif /* XFK_PACKED_H */
