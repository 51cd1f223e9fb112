/*===- SparseCodes.c - INT8 weights without their zero values -------------===*
 *
 * The sparse-codes layout (xfk/Kernels.h) for unstructured sparsity in
 * Q8_0 weights: the packing, which runs in the compiler when it writes the
 * weight blob, and the expansion of a group's runs back into dense tiles,
 * which the INT8 kernels run (xfk_group_tiles) before their dot products.
 * A value left out is code 128, the zero of a Q8_0 tile.
 *
 *===----------------------------------------------------------------------===*/

#include "Packed.h"

#include <cpuid.h>
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

static int isCodesKind(int64_t kind, int64_t group, int64_t K) {
  return xfk_base_kind(kind) == XFK_W_Q8_0 && xfk_is_valid_group(group) &&
         group <= XFK_CODES_MAX_GROUP && K > 0 && K % group == 0;
}

int64_t xfk_sparse_codes_bytes(int64_t kind, int64_t group, int64_t N,
                               int64_t K, int64_t values) {
  if (!isCodesKind(kind, group, K) || N <= 0 || values < 0 ||
      values > XFK_QTILE * K)
    return 0;
  return (N + XFK_QTILE - 1) / XFK_QTILE *
             xfk_sparse_codes_block_bytes(kind, group, K, values) +
         XFK_SPARSE_TAIL;
}

int64_t xfk_sparse_code_values(int64_t kind, int64_t group, const void *src,
                               int64_t ldw, int64_t N, int64_t K) {
  if (!isCodesKind(kind, group, K))
    return -1;
  const uint8_t *rows = (const uint8_t *)src;
  int64_t blockBytes = xfk_block_bytes(kind, group),
          header = xfk_block_header_bytes(kind), most = 0, count = 0;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t b = 0; b < K / group; ++b) {
      const int8_t *codes =
          (const int8_t *)(rows + n * ldw + b * blockBytes + header);
      for (int64_t j = 0; j < group; ++j)
        count += codes[j] != 0;
    }
    if (n % XFK_QTILE == XFK_QTILE - 1 || n == N - 1) {
      most = count > most ? count : most;
      count = 0;
    }
  }
  return most;
}

int xfk_pack_sparse_codes(int64_t kind, int64_t group, const void *src,
                          int64_t ldw, int64_t N, int64_t K, int64_t values,
                          void *dst) {
  int64_t total = xfk_sparse_codes_bytes(kind, group, N, K, values);
  if (!total)
    return 0;
  memset(dst, 0, (size_t)total);
  const uint8_t *rows = (const uint8_t *)src;
  int64_t groups = K / group, runs = group / 4,
          groupBytes = xfk_tile_group_bytes(kind, group),
          scaleBytes = xfk_sparse_code_scales_bytes(kind),
          blockBytes = xfk_sparse_codes_block_bytes(kind, group, K, values);
  /* One block of 16 rows packed dense, then each group's masks, scales
   * and stored values. */
  uint8_t *dense = (uint8_t *)malloc((size_t)(groups * groupBytes));
  int ok = dense != 0;
  for (int64_t n0 = 0; ok && n0 < N; n0 += XFK_QTILE) {
    int64_t rowsHere = N - n0 < XFK_QTILE ? N - n0 : XFK_QTILE;
    ok = xfk_pack(kind, group, rows + n0 * ldw, ldw, rowsHere, K, dense);
    uint8_t *next = (uint8_t *)dst + n0 / XFK_QTILE * blockBytes;
    int64_t stored = 0;
    for (int64_t b = 0; ok && b < groups; ++b) {
      const uint8_t *tiles = dense + b * groupBytes;
      uint8_t *masks = next;
      memcpy(masks + runs * 8, tiles + runs * 64, (size_t)scaleBytes);
      next = masks + runs * 8 + scaleBytes;
      for (int64_t r = 0; ok && r < runs; ++r) {
        uint64_t mask = 0;
        for (int i = 0; i < 64; ++i) {
          uint8_t code = tiles[r * 64 + i];
          if (i / 4 >= rowsHere || code == 0x80)
            continue;
          if (stored++ == values) {
            ok = 0;
            break;
          }
          mask |= 1ull << i;
          *next++ = code ^ 0x80;
        }
        memcpy(masks + r * 8, &mask, 8);
      }
    }
  }
  free(dense);
  return ok;
}

/*===----------------------------------------------------------------------===*
 * Expansion
 *===----------------------------------------------------------------------===*/

#define XFK_VBMI2 __attribute__((target("avx512f,avx512bw,avx512vbmi2")))
#define XFK_BMI2 __attribute__((target("bmi2")))

/* vpexpandb: a run's stored bytes to their lanes, zeros elsewhere. */
XFK_VBMI2 static const int8_t *expandVbmi2(const uint64_t *masks, int64_t runs,
                                           const int8_t *values, uint8_t *out) {
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  for (int64_t r = 0; r < runs; ++r) {
    __m512i v = _mm512_maskz_expandloadu_epi8(masks[r], values);
    _mm512_storeu_si512(out + r * 64, _mm512_xor_si512(v, flip));
    values += __builtin_popcountll(masks[r]);
  }
  return values;
}

/* pdep deposits 8 consecutive stored bytes into the lanes of a mask byte;
 * reads up to 7 bytes past the last value (the layout's tail). */
XFK_BMI2 static const int8_t *expandBmi2(const uint64_t *masks, int64_t runs,
                                         const int8_t *values, uint8_t *out) {
  for (int64_t r = 0; r < runs; ++r)
    for (int j = 0; j < 8; ++j) {
      unsigned bits = (unsigned)(masks[r] >> (8 * j)) & 255u;
      uint64_t lanes = _pdep_u64(bits, 0x0101010101010101ull) * 255u, v;
      memcpy(&v, values, 8);
      uint64_t codes = _pdep_u64(v, lanes) ^ 0x8080808080808080ull;
      memcpy(out + r * 64 + 8 * j, &codes, 8);
      values += __builtin_popcount(bits);
    }
  return values;
}

static const int8_t *expandGeneric(const uint64_t *masks, int64_t runs,
                                   const int8_t *values, uint8_t *out) {
  for (int64_t r = 0; r < runs; ++r)
    for (int i = 0; i < 64; ++i)
      out[r * 64 + i] = (uint8_t)(((masks[r] >> i) & 1 ? *values++ : 0) ^ 0x80);
  return values;
}

enum { HAS_BMI2 = 1, HAS_VBMI2 = 2 };

static int features(void) {
  static int known = -1; /* idempotent: a race stores the same value */
  if (known < 0) {
    unsigned a, b = 0, c = 0, d;
    int leaf7 = __get_cpuid_count(7, 0, &a, &b, &c, &d);
    known = leaf7
                ? ((b >> 8) & 1 ? HAS_BMI2 : 0) | ((c >> 6) & 1 ? HAS_VBMI2 : 0)
                : 0;
  }
  return known;
}

int xfk_cpu_has_vbmi2(void) {
  return xfk_cpu_isa() >= XFK_ISA_AVX512 && (features() & HAS_VBMI2);
}

/* pdep is microcoded (slow) on AMD before Zen 3; those CPUs would want a
 * byte-shuffle table instead. */
const int8_t *xfk_expand_codes(const uint64_t *masks, int64_t runs,
                               const int8_t *values, uint8_t *out) {
  if (xfk_cpu_has_vbmi2())
    return expandVbmi2(masks, runs, values, out);
  if (xfk_cpu_isa() >= XFK_ISA_AVX2 && (features() & HAS_BMI2))
    return expandBmi2(masks, runs, values, out);
  return expandGeneric(masks, runs, values, out);
}
