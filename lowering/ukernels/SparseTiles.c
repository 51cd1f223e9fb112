/*===- SparseTiles.c - Quantized weights without their zero groups --------===*
 *
 * Runs in the compiler, when it writes a model's weight blob: the 16x32
 * VNNI tiles of xfk_pack with the groups whose values are all zero left
 * out (xfk/Kernels.h). A group that is absent contributes exactly nothing
 * to a sum (its codes stand for zeros), so the INT8 kernels skip it: its
 * bytes are neither read nor multiplied.
 *
 *===----------------------------------------------------------------------===*/

#include "Decode.h"
#include "Packed.h"

#include <stdlib.h>
#include <string.h>

static int isSparseTileKind(int64_t kind, int64_t group, int64_t K) {
  return xfk_is_block_kind(kind) && xfk_is_valid_group(group) && K > 0 &&
         K % group == 0;
}

int64_t xfk_sparse_tiles_bytes(int64_t kind, int64_t group, int64_t N,
                               int64_t K, int64_t groups) {
  if (!isSparseTileKind(kind, group, K) || N <= 0 || groups < 0 ||
      groups > K / group)
    return 0;
  return (N + XFK_QTILE - 1) / XFK_QTILE *
         xfk_sparse_tile_block_bytes(kind, group, K, groups);
}

/* Whether group b of row n (stored ggml blocks, rows ldw bytes apart) has
 * only zeros: every value decodes to 0, and Q4_1's minimum is 0 too, so
 * that the kernels' sum over it is exactly 0. */
static int isZeroBlock(int64_t kind, int64_t group, const uint8_t *row,
                       int64_t b, float *scratch) {
  const uint8_t *block = row + b * xfk_block_bytes(kind, group);
  if (xfk_has_minimum(kind) &&
      xfk_load_scale(kind, block + xfk_scale_bytes(kind)) != 0.0f)
    return 0;
  xfk_decode_values(kind, group, row, b * group, group, scratch);
  for (int64_t j = 0; j < group; ++j)
    if (scratch[j] != 0.0f)
      return 0;
  return 1;
}

/* Whether group b of the 16-row block from row n0 is stored. */
static int isStoredGroup(int64_t kind, int64_t group, const uint8_t *src,
                         int64_t ldw, int64_t N, int64_t n0, int64_t b,
                         float *scratch) {
  for (int64_t n = n0; n < N && n < n0 + XFK_QTILE; ++n)
    if (!isZeroBlock(kind, group, src + n * ldw, b, scratch))
      return 1;
  return 0;
}

int64_t xfk_sparse_tile_groups(int64_t kind, int64_t group, const void *src,
                               int64_t ldw, int64_t N, int64_t K) {
  if (!isSparseTileKind(kind, group, K))
    return -1;
  float *scratch = (float *)malloc((size_t)group * sizeof(float));
  if (!scratch)
    return -1;
  int64_t most = 0;
  for (int64_t n0 = 0; n0 < N; n0 += XFK_QTILE) {
    int64_t stored = 0;
    for (int64_t b = 0; b < K / group; ++b)
      stored += isStoredGroup(kind, group, (const uint8_t *)src, ldw, N, n0, b,
                              scratch);
    most = stored > most ? stored : most;
  }
  free(scratch);
  return most;
}

int xfk_pack_sparse_tiles(int64_t kind, int64_t group, const void *src,
                          int64_t ldw, int64_t N, int64_t K, int64_t groups,
                          void *dst) {
  int64_t total = xfk_sparse_tiles_bytes(kind, group, N, K, groups);
  if (!total)
    return 0;
  const uint8_t *rows = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  memset(out, 0, (size_t)total);
  int64_t groupBytes = xfk_tile_group_bytes(kind, group),
          blockBytes = xfk_sparse_tile_block_bytes(kind, group, K, groups),
          count = K / group;
  /* One block of 16 rows packed dense, then its stored groups copied. */
  uint8_t *dense = (uint8_t *)malloc((size_t)(count * groupBytes));
  float *scratch = (float *)malloc((size_t)group * sizeof(float));
  int ok = dense && scratch;
  for (int64_t n0 = 0; ok && n0 < N; n0 += XFK_QTILE) {
    int64_t rowsHere = N - n0 < XFK_QTILE ? N - n0 : XFK_QTILE;
    ok = xfk_pack(kind, group, rows + n0 * ldw, ldw, rowsHere, K, dense);
    uint8_t *block = out + n0 / XFK_QTILE * blockBytes;
    uint8_t *next = block + xfk_sparse_tile_mask_bytes(count);
    int64_t stored = 0;
    for (int64_t b = 0; ok && b < count; ++b) {
      if (!isStoredGroup(kind, group, rows, ldw, N, n0, b, scratch))
        continue;
      if (stored++ == groups) {
        ok = 0;
        break;
      }
      block[b / 8] |= (uint8_t)(1u << (b % 8));
      memcpy(next, dense + b * groupBytes, (size_t)groupBytes);
      next += groupBytes;
    }
  }
  free(dense);
  free(scratch);
  return ok;
}
