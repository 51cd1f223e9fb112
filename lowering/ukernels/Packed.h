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

/* The value of a float kind's element at p. */
static inline float xfk_float_value(int64_t kind, const uint8_t *p) {
  if (kind == XFK_W_F32) {
    float f;
    memcpy(&f, p, 4);
    return f;
  }
  if (kind == XFK_W_F16)
    return xfk_half_to_float(xfk_load16(p));
  return xfk_bf16_to_float(xfk_load16(p));
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

/* The sparse layout: bytes after a weight's last panel (a vector load may
 * read past the last value), and whether a value of a float kind, at p, is
 * stored (nonzero; -0 counts as zero). */
enum { XFK_SPARSE_TAIL = 64 };

static inline int xfk_is_stored_value(int64_t kind, const uint8_t *p) {
  if (kind == XFK_W_F32) {
    uint32_t bits;
    memcpy(&bits, p, 4);
    return (bits & 0x7fffffffu) != 0;
  }
  uint16_t bits;
  memcpy(&bits, p, 2);
  return (bits & 0x7fffu) != 0;
}

/* Sparse tiles (block kinds): per 16-row block, a bit per group (stored
 * or not) in whole 8-byte words, then the stored groups' tiles and scales
 * as xfk_pack lays out a group; blocks start on cache lines. */
static inline int64_t xfk_sparse_tile_mask_bytes(int64_t groups) {
  return (groups + 63) / 64 * 8;
}

static inline int64_t xfk_sparse_tile_block_bytes(int64_t kind, int64_t group,
                                                  int64_t K, int64_t stored) {
  int64_t bytes = xfk_sparse_tile_mask_bytes(K / group) +
                  stored * xfk_tile_group_bytes(kind, group);
  return (bytes + 63) / 64 * 64;
}

/* Sparse codes (Q8_0 kinds, groups of at most XFK_CODES_MAX_GROUP): per
 * 16-row block, group after group: a 64-bit mask per VNNI run of 16 rows
 * x 4 values (bit i: row i / 4, value i % 4 is nonzero), the group's 16
 * scales, then its nonzero values as signed int8 (code - 128) in the
 * masks' order; room for `values` values per block; then zeros to a cache
 * line. One stream, read in order. XFK_SPARSE_TAIL bytes follow the last
 * block (vector loads past the last value). */
enum { XFK_CODES_MAX_GROUP = 256 };

/* Bytes of a group's 16 scales. */
static inline int64_t xfk_sparse_code_scales_bytes(int64_t kind) {
  return XFK_QTILE * xfk_scale_bytes(kind);
}

/* Bytes of a group's masks and scales. */
static inline int64_t xfk_sparse_code_header_bytes(int64_t kind,
                                                   int64_t group) {
  return group / 4 * 8 + xfk_sparse_code_scales_bytes(kind);
}

static inline int64_t xfk_sparse_codes_block_bytes(int64_t kind, int64_t group,
                                                   int64_t K, int64_t values) {
  int64_t bytes =
      K / group * xfk_sparse_code_header_bytes(kind, group) + values;
  return (bytes + 63) / 64 * 64;
}

/* Expands `runs` runs of sparse codes (masks at `masks`, values from
 * `values`) into the unsigned codes of dense tiles at `out` (64 bytes per
 * run); returns where the next run's values start. */
const int8_t *xfk_expand_codes(const uint64_t *masks, int64_t runs,
                               const int8_t *values, uint8_t *out);

/* Whether the kernels may use AVX512_VBMI2 (vpexpandb): the CPU has it
 * and the chosen ISA level is AVX-512 or above. */
int xfk_cpu_has_vbmi2(void);

/* How a weight's 16-row blocks hold their groups: all of them (xfk_pack),
 * the stored groups (sparse tiles, `slots` groups of room) or every
 * group's nonzero codes (sparse codes, `slots` values of room). */
typedef enum {
  XFK_TILES_DENSE,
  XFK_TILES_SPARSE_GROUPS,
  XFK_TILES_SPARSE_CODES
} XfkTilesLayout;

typedef struct {
  XfkTilesLayout layout;
  int64_t slots;
} XfkTileFormat;

/* Bytes from one 16-row block to the next. */
static inline int64_t xfk_tile_block_stride(int64_t kind, int64_t group,
                                            int64_t K, XfkTileFormat f) {
  switch (f.layout) {
  case XFK_TILES_SPARSE_GROUPS:
    return xfk_sparse_tile_block_bytes(kind, group, K, f.slots);
  case XFK_TILES_SPARSE_CODES:
    return xfk_sparse_codes_block_bytes(kind, group, K, f.slots);
  default:
    return K / group * xfk_tile_group_bytes(kind, group);
  }
}

/* Walks the groups of one 16-row block in order of b, in any format:
 * xfk_group_tiles(&g, b) is where group b's tiles and scales are (as
 * xfk_pack lays out a group), or 0 for a group whose values are all zero
 * and that the format left out. Sparse codes are expanded into `scratch`
 * (xfk_tile_group_bytes, 64-byte aligned). */
typedef struct {
  const uint8_t *base, *mask, *next;
  int64_t groupBytes;
  /* Sparse codes only. */
  int64_t runs, scaleBytes;
  uint8_t *scratch;
} XfkGroupWalk;

static inline XfkGroupWalk xfk_group_walk(const uint8_t *block, XfkTileFormat f,
                                          int64_t kind, int64_t group,
                                          int64_t K, uint8_t *scratch) {
  int64_t groups = K / group;
  XfkGroupWalk g = {block, 0, 0, xfk_tile_group_bytes(kind, group), 0, 0, 0};
  if (f.layout == XFK_TILES_SPARSE_GROUPS) {
    g.mask = block;
    g.next = block + xfk_sparse_tile_mask_bytes(groups);
  } else if (f.layout == XFK_TILES_SPARSE_CODES) {
    g.mask = g.next = block;
    g.scaleBytes = xfk_sparse_code_scales_bytes(kind);
    g.runs = group / 4;
    g.scratch = scratch;
  }
  return g;
}

static inline const uint8_t *xfk_group_tiles(XfkGroupWalk *g, int64_t b) {
  if (!g->mask)
    return g->base + b * g->groupBytes;
  if (g->scratch) { /* groups in order: g->next is group b's masks */
    uint64_t masks[XFK_CODES_MAX_GROUP / 4], any = 0;
    memcpy(masks, g->next, (size_t)g->runs * 8);
    const uint8_t *scales = g->next + g->runs * 8;
    for (int64_t r = 0; r < g->runs; ++r)
      any |= masks[r];
    g->next = scales + g->scaleBytes;
    if (!any)
      return 0;
    g->next = (const uint8_t *)xfk_expand_codes(
        masks, g->runs, (const int8_t *)g->next, g->scratch);
    memcpy(g->scratch + g->runs * 64, scales, (size_t)g->scaleBytes);
    return g->scratch;
  }
  if (!((g->mask[b >> 3] >> (b & 7)) & 1))
    return 0;
  const uint8_t *tiles = g->next;
  g->next += g->groupBytes;
  return tiles;
}

#endif /* XFK_PACKED_H */
