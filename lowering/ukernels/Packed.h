/*===- Packed.h - Facts of the weight layouts ------------------*- C -*-===*
 *
 * Internal to the kernel library: the packing code and the kernels that
 * read stored or packed weights agree on the layouts of xfk/Kernels.h
 * through these.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_PACKED_H
#define XFK_PACKED_H

#include "xfk/Kernels.h"

enum {
  XFK_PANEL = 64, /* float kinds: outputs per K-major panel */
  XFK_QTILE = 16, /* block kinds: outputs per tile */
  XFK_QBLOCK = 32 /* block kinds: values per code tile (and ggml chunk) */
};

static inline int xfk_is_block_kind(int64_t kind) {
  return kind == XFK_W_Q8_0 || kind == XFK_W_Q4_0 || kind == XFK_W_Q4_1;
}

static inline int xfk_is_float_kind(int64_t kind) {
  return kind == XFK_W_F32 || kind == XFK_W_F16 || kind == XFK_W_BF16;
}

/* Whether `group` values per scale is a group block kinds can have. */
static inline int xfk_is_valid_group(int64_t group) {
  return group > 0 && group % XFK_QBLOCK == 0;
}

/* Bytes of one element of a float kind. */
static inline int64_t xfk_element_bytes(int64_t kind) {
  return kind == XFK_W_F32 ? 4 : 2;
}

/* Stored blocks: bytes of the f16 scale (and Q4_1's f16 minimum) that
 * start a block, and of the codes of each 32 values after it. */
static inline int64_t xfk_block_header_bytes(int64_t kind) {
  return kind == XFK_W_Q4_1 ? 4 : 2;
}
static inline int64_t xfk_chunk_code_bytes(int64_t kind) {
  return kind == XFK_W_Q8_0 ? 32 : 16;
}

/* Bytes of a stored block of `group` values. */
static inline int64_t xfk_block_bytes(int64_t kind, int64_t group) {
  return xfk_block_header_bytes(kind) +
         group / XFK_QBLOCK * xfk_chunk_code_bytes(kind);
}

/* Bytes of the codes of a 16 x 32 tile of a block kind. */
static inline int64_t xfk_tile_code_bytes(int64_t kind) {
  return kind == XFK_W_Q8_0 ? 512 : 256;
}

/* Bytes of a group's tiles: group / 32 code tiles, 16 f16 scales, (Q4_1)
 * 16 f16 minimums. */
static inline int64_t xfk_tile_group_bytes(int64_t kind, int64_t group) {
  return group / XFK_QBLOCK * xfk_tile_code_bytes(kind) + 32 +
         (kind == XFK_W_Q4_1 ? 32 : 0);
}

/* The unsigned code of value j (< 32) of row r (< 16) in a code tile. */
static inline unsigned xfk_tile_code(int64_t kind, const uint8_t *tile, int r,
                                     int j) {
  int group = j / 4, lane = r * 4 + j % 4;
  if (kind == XFK_W_Q8_0)
    return tile[group * 64 + lane];
  uint8_t byte = tile[(group % 4) * 64 + lane];
  return group < 4 ? byte & 15u : byte >> 4;
}

#endif /* XFK_PACKED_H */
