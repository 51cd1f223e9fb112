//===- SparseKernelsTest.cpp - Sparse float panels and their GEMM ---------===//
//
// xfk_pack_sparse's layout is checked mask by mask and value by value
// against the ABI's description; xfk_linear_sparse against double sums over
// the decoded weights, at densities from all zeros to none, with shapes off
// every panel and K block, on every instruction-set level this CPU has.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtils.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace xfc::gguf;
using namespace xfc::gguf::test;

namespace {

bool isFloat(const Encoding &e) { return !isBlock(e.type); }

/// Packs `rows` with the fewest value slots, checking the size first.
std::vector<uint8_t> packSparse(const Encoding &e, const PackedRows &rows,
                                int64_t N, int64_t K, int64_t &values) {
  values =
      xfk_sparse_panel_values(e.kind, rows.bytes.data(), rows.rowBytes, N, K);
  EXPECT_GE(values, 0);
  int64_t bytes = xfk_sparse_packed_bytes(e.kind, N, K, values);
  EXPECT_GT(bytes, 0);
  std::vector<uint8_t> packed(bytes, 0xAB);
  EXPECT_EQ(xfk_pack_sparse(e.kind, rows.bytes.data(), rows.rowBytes, N, K,
                            values, packed.data()),
            1);
  return packed;
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

TEST(SparsePackTest, MasksAndValuesAreAsDocumented) {
  std::mt19937 rng(1);
  const int64_t N = 150, K = 37;
  for (const Encoding &e : kEncodings) {
    if (!isFloat(e))
      continue;
    SCOPED_TRACE(e.name);
    PackedRows rows = pack(e, sparseValues(N, K, 0.7, rng), N, K);
    int64_t elt = rows.rowBytes / K, values = 0;
    std::vector<uint8_t> packed = packSparse(e, rows, N, K, values);
    ASSERT_FALSE(HasFailure());
    int64_t panelBytes = (K * 8 + values * elt + 63) / 64 * 64;
    ASSERT_EQ(xfk_sparse_panel_bytes(e.kind, K, values), panelBytes);
    ASSERT_EQ(packed.size(), size_t(3 * panelBytes + 64));
    int64_t most = 0;
    for (int64_t p = 0; p < 3; ++p) {
      const uint8_t *panel = &packed[p * panelBytes];
      const uint8_t *value = panel + K * 8;
      int64_t stored = 0;
      for (int64_t k = 0; k < K; ++k) {
        uint64_t mask;
        std::memcpy(&mask, panel + k * 8, 8);
        for (int64_t j = 0; j < 64; ++j) {
          int64_t n = p * 64 + j;
          bool nonzero = n < N && rows.decoded[n * K + k] != 0.0f;
          ASSERT_EQ(bool(mask >> j & 1), nonzero) << "n=" << n << " k=" << k;
          if (!nonzero)
            continue;
          ASSERT_EQ(std::memcmp(value + stored * elt,
                                &rows.bytes[n * rows.rowBytes + k * elt], elt),
                    0)
              << "n=" << n << " k=" << k;
          ++stored;
        }
      }
      most = std::max(most, stored);
      // The slots after the last value, to the panel's end, are zero.
      for (const uint8_t *b = value + stored * elt; b < panel + panelBytes; ++b)
        ASSERT_EQ(*b, 0) << "panel " << p;
    }
    EXPECT_EQ(values, most);
    for (size_t b = 3 * panelBytes; b < packed.size(); ++b)
      ASSERT_EQ(packed[b], 0);
  }
}

TEST(SparsePackTest, TooFewSlotsAndBadShapesAreRefused) {
  std::mt19937 rng(2);
  const int64_t N = 64, K = 16;
  PackedRows rows = pack(kEncodings[0], sparseValues(N, K, 0.5, rng), N, K);
  int64_t values = xfk_sparse_panel_values(XFK_W_F32, rows.bytes.data(),
                                           rows.rowBytes, N, K);
  ASSERT_GT(values, 0);
  std::vector<uint8_t> dst(xfk_sparse_packed_bytes(XFK_W_F32, N, K, values));
  EXPECT_EQ(xfk_pack_sparse(XFK_W_F32, rows.bytes.data(), rows.rowBytes, N, K,
                            values - 1, dst.data()),
            0);
  EXPECT_EQ(xfk_sparse_packed_bytes(XFK_W_F32, N, K, 64 * K + 1), 0);
  EXPECT_EQ(xfk_sparse_packed_bytes(XFK_W_Q8_0, N, K, 8), 0);
  EXPECT_EQ(xfk_sparse_packed_bytes(XFK_W_F32, 0, K, 8), 0);
  EXPECT_EQ(xfk_sparse_panel_values(XFK_W_Q4_0, rows.bytes.data(), 18, 1, 32),
            -1);
  // All zeros: no slots, masks only.
  std::vector<float> zeros(N * K, 0.0f);
  EXPECT_EQ(xfk_sparse_panel_values(XFK_W_F32, zeros.data(), K * 4, N, K), 0);
  // -0 is a zero.
  zeros[5] = -0.0f;
  EXPECT_EQ(xfk_sparse_panel_values(XFK_W_F32, zeros.data(), K * 4, N, K), 0);
}

// A 2:4 weight (the 2 largest magnitudes of every 4 consecutive values of a
// row kept, as xf.prune keeps them) keeps its pattern exactly in the sparse
// panels: in every row, each run of 4 k has exactly 2 mask bits, at the
// kept values.
TEST(SparsePackTest, TwoFourPatternIsExactInThePackedMasks) {
  std::mt19937 rng(4);
  const int64_t N = 128, K = 64;
  std::vector<float> values = sparseValues(N, K, 0.0, rng);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k0 = 0; k0 < K; k0 += 4) {
      float *run = &values[n * K + k0];
      int order[4] = {0, 1, 2, 3};
      std::stable_sort(order, order + 4, [&](int a, int b) {
        return std::fabs(run[a]) < std::fabs(run[b]);
      });
      run[order[0]] = run[order[1]] = 0.0f;
    }
  PackedRows rows = pack(kEncodings[0], values, N, K);
  int64_t slots = 0;
  std::vector<uint8_t> packed = packSparse(kEncodings[0], rows, N, K, slots);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(slots, 64 * K / 2); // every panel holds exactly half
  int64_t panelBytes = xfk_sparse_panel_bytes(XFK_W_F32, K, slots);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k0 = 0; k0 < K; k0 += 4) {
      int kept = 0;
      for (int64_t k = k0; k < k0 + 4; ++k) {
        uint64_t mask;
        std::memcpy(&mask, &packed[n / 64 * panelBytes + k * 8], 8);
        bool stored = mask >> (n % 64) & 1;
        ASSERT_EQ(stored, values[n * K + k] != 0.0f) << "n=" << n << " k=" << k;
        kept += stored;
      }
      ASSERT_EQ(kept, 2) << "n=" << n << " k0=" << k0;
    }
}

//===----------------------------------------------------------------------===//
// GEMM and GEMV
//===----------------------------------------------------------------------===//

class SparseLinearTest : public IsaTest {};

void checkSparse(const Encoding &e, double zeros, int64_t M, int64_t N,
                 int64_t K, bool bias, int64_t n0, int64_t n1, unsigned seed,
                 const Activation &a = {}) {
  SCOPED_TRACE(testing::Message()
               << e.name << " zeros=" << zeros << " M=" << M << " N=" << N
               << " K=" << K << " bias=" << bias << " [" << n0 << ", " << n1
               << ") act=" << a.act << " up=" << a.up);
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, sparseValues(N, K, zeros, rng), N, K);
  int64_t values = 0;
  std::vector<uint8_t> packed = packSparse(e, rows, N, K, values);
  ASSERT_FALSE(testing::Test::HasFailure());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random = [&](int64_t count) {
    std::vector<float> v(count);
    for (float &x : v)
      x = dist(rng);
    return v;
  };
  int64_t ldx = K + 3, ldy = (n1 - n0) + 5;
  std::vector<float> x = random(M * ldx), b = random(N);
  std::vector<float> y(M * ldy, NAN);
  bool withResidual = seed % 2;
  int64_t ldr = N + 1;
  std::vector<float> r = withResidual ? random(M * ldr) : std::vector<float>();
  xfk_linear_sparse(e.kind, values, addr(x.data()), ldx, addr(packed.data()),
                    bias ? addr(b.data()) : 0,
                    withResidual ? addr(r.data()) : 0, ldr, a.act, a.up,
                    addr(y.data()), ldy, M, K, n0, n1);
  expectLinearOutput(
      y, ldy, M, K, n0, n1,
      [&](int64_t m, int64_t k) { return double(x[m * ldx + k]); },
      rows.decoded, bias ? b.data() : nullptr,
      withResidual ? r.data() : nullptr, ldr, a);
}

TEST_P(SparseLinearTest, DensitiesKindsAndTails) {
  unsigned seed = 10;
  for (const Encoding &e : kEncodings) {
    if (!isFloat(e))
      continue;
    for (double zeros : {0.0, 0.5, 0.9, 1.0})
      for (int64_t M : {1, 2, 7, 13})
        for (int64_t N : {1, 65, 130})
          for (int64_t K : {1, 17, 300})
            checkSparse(e, zeros, M, N, K, (M + N + K) % 2 == 0, 0, N, seed++);
    // Column ranges start at panel boundaries; K spans several K blocks.
    checkSparse(e, 0.7, 3, 200, 40, true, 64, 200, seed++);
    checkSparse(e, 0.7, 1, 200, 1000, true, 128, 200, seed++);
    checkSparse(e, 0.8, 8, 150, 1000, false, 128, 150, seed++);
  }
}

TEST_P(SparseLinearTest, ActivationEpilogue) {
  unsigned seed = 60;
  for (const Encoding &e : kEncodings) {
    if (!isFloat(e))
      continue;
    for (XfkActivation act : {XFK_ACT_SILU, XFK_ACT_GELU}) {
      checkSparse(e, 0.7, 7, 100, 17, true, 0, 100, seed++, {act, 0});
      checkSparse(e, 0.7, 1, 256, 40, false, 64, 128, seed++, {act, 128});
      checkSparse(e, 0.5, 35, 384, 1000, true, 0, 150, seed++, {act, 192});
    }
  }
}

//===----------------------------------------------------------------------===//
// Sparse tiles (block kinds)
//===----------------------------------------------------------------------===//

/// N x K values whose groups of 16 rows by `group` are all zero with
/// probability `zeros` (block:16xG pruning), the others random.
std::vector<float> zeroGroups(int64_t N, int64_t K, int64_t group, double zeros,
                              std::mt19937 &rng) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::bernoulli_distribution isZero(zeros);
  std::vector<float> v(N * K);
  for (float &x : v)
    x = value(rng);
  for (int64_t n0 = 0; n0 < N; n0 += 16)
    for (int64_t b = 0; b < K / group; ++b)
      if (isZero(rng))
        for (int64_t n = n0; n < std::min(N, n0 + 16); ++n)
          std::fill_n(&v[n * K + b * group], group, 0.0f);
  return v;
}

std::vector<uint8_t> packSparseTiles(const Encoding &e, const PackedRows &rows,
                                     int64_t N, int64_t K, int64_t group,
                                     int64_t &stored) {
  stored = xfk_sparse_tile_groups(e.kind, group, rows.bytes.data(),
                                  rows.rowBytes, N, K);
  EXPECT_GE(stored, 0);
  std::vector<uint8_t> packed(
      xfk_sparse_tiles_bytes(e.kind, group, N, K, stored), 0xAB);
  EXPECT_FALSE(packed.empty());
  EXPECT_EQ(xfk_pack_sparse_tiles(e.kind, group, rows.bytes.data(),
                                  rows.rowBytes, N, K, stored, packed.data()),
            1);
  return packed;
}

// Each block holds a bit per group, then exactly the dense tiles of the
// groups with a nonzero value, in order; the groups left out are those
// whose values are all zero.
TEST(SparseTilesTest, StoredGroupsAreTheDenseTilesOfNonzeroGroups) {
  std::mt19937 rng(3);
  const int64_t N = 40, K = 256;
  for (const Encoding &e : kEncodings) {
    if (isFloat(e))
      continue;
    for (int64_t G : {int64_t(32), int64_t(64)}) {
      SCOPED_TRACE(testing::Message() << e.name << " group=" << G);
      PackedRows rows = pack(e, zeroGroups(N, K, G, 0.6, rng), N, K, G);
      int64_t stored = 0;
      std::vector<uint8_t> sparse = packSparseTiles(e, rows, N, K, G, stored);
      std::vector<uint8_t> dense(xfk_packed_bytes(e.kind, G, N, K));
      ASSERT_EQ(xfk_pack(e.kind, G, rows.bytes.data(), rows.rowBytes, N, K,
                         dense.data()),
                1);
      ASSERT_FALSE(HasFailure());
      int64_t groups = K / G, groupBytes = dense.size() / 3 / groups;
      int64_t blockBytes = (8 + stored * groupBytes + 63) / 64 * 64;
      ASSERT_EQ(sparse.size(), size_t(3 * blockBytes));
      int64_t most = 0;
      for (int64_t t = 0; t < 3; ++t) {
        const uint8_t *block = &sparse[t * blockBytes];
        const uint8_t *next = block + 8;
        int64_t count = 0;
        for (int64_t b = 0; b < groups; ++b) {
          bool nonzero = false;
          for (int64_t n = 16 * t; n < std::min(N, 16 * t + 16); ++n)
            for (int64_t j = 0; j < G; ++j)
              nonzero |= rows.decoded[n * K + b * G + j] != 0.0f;
          ASSERT_EQ(bool(block[b / 8] >> (b % 8) & 1), nonzero)
              << "block " << t << " group " << b;
          if (!nonzero)
            continue;
          ASSERT_EQ(std::memcmp(next, &dense[(t * groups + b) * groupBytes],
                                groupBytes),
                    0)
              << "block " << t << " group " << b;
          next += groupBytes;
          ++count;
        }
        most = std::max(most, count);
        for (const uint8_t *p = next; p < block + blockBytes; ++p)
          ASSERT_EQ(*p, 0);
      }
      EXPECT_EQ(stored, most);
      // One slot fewer than a block needs is refused.
      EXPECT_EQ(xfk_pack_sparse_tiles(e.kind, G, rows.bytes.data(),
                                      rows.rowBytes, N, K, stored - 1,
                                      sparse.data()),
                0);
    }
  }
  EXPECT_EQ(xfk_sparse_tile_groups(XFK_W_F32, 32, nullptr, 0, 1, 32), -1);
  EXPECT_EQ(xfk_sparse_tiles_bytes(XFK_W_Q8_0, 48, 16, 96, 1), 0);
}

class SparseTilesLinearTest : public IsaTest {};

void checkSparseTiles(const Encoding &e, double zeros, int64_t M, int64_t N,
                      int64_t K, int64_t group, bool bias, int64_t n0,
                      int64_t n1, unsigned seed, const Activation &a = {}) {
  SCOPED_TRACE(testing::Message()
               << e.name << " zeros=" << zeros << " M=" << M << " N=" << N
               << " K=" << K << " group=" << group << " [" << n0 << ", " << n1
               << ") act=" << a.act << " up=" << a.up);
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, zeroGroups(N, K, group, zeros, rng), N, K, group);
  int64_t stored = 0;
  std::vector<uint8_t> packed = packSparseTiles(e, rows, N, K, group, stored);
  ASSERT_FALSE(testing::Test::HasFailure());
  expectQuantizedLinear(rows, M, N, K, group, bias, n0, n1, rng, a,
                        [&](intptr_t qx, intptr_t b, intptr_t y, int64_t ldy) {
                          xfk_linear_q8_sparse(
                              e.kind, group, stored, qx, addr(packed.data()), b,
                              0, 0, a.act, a.up, y, ldy, M, K, n0, n1);
                        });
}

TEST_P(SparseTilesLinearTest, ZeroGroupsAreSkippedExactly) {
  unsigned seed = 80;
  for (const Encoding &e : kEncodings) {
    if (isFloat(e))
      continue;
    for (double zeros : {0.0, 0.5, 0.9, 1.0})
      for (int64_t M : {1, 3, 7})
        for (int64_t N : {16, 40, 64})
          checkSparseTiles(e, zeros, M, N, 128, 32, (M + N) % 2 == 0, 0, N,
                           seed++);
    checkSparseTiles(e, 0.7, 5, 100, 256, 64, true, 48, 100, seed++);
    checkSparseTiles(e, 0.7, 1, 64, 2048, 128, false, 16, 64, seed++);
    checkSparseTiles(e, 0.5, 9, 40, 96, 96, true, 0, 40, seed++); // per row
    checkSparseTiles(e, 0.7, 17, 48, 256, 32, true, 0, 48, seed++); // AMX
    checkSparseTiles(e, 0.9, 20, 130, 128, 64, false, 16, 130, seed++);
    checkSparseTiles(e, 0.7, 3, 192, 128, 32, true, 0, 96, seed++,
                     {XFK_ACT_SILU, 96});
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, SparseLinearTest, allIsas(), isaName);
INSTANTIATE_TEST_SUITE_P(Isa, SparseTilesLinearTest, allIsas(), isaName);

} // namespace
