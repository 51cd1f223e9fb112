//===- SparseCodesTest.cpp - Q8_0 weights without their zero values -------===//
//
// xfk_pack_sparse_codes' layout is checked mask bit by mask bit and value
// by value against the dense tiles of xfk_pack, as the ABI describes it;
// xfk_linear_q8_codes against double sums over the decoded weights and the
// quantized activations, with unstructured zeros from none to all, on
// every instruction-set level this CPU has (each expands the codes its own
// way: vpexpandb, pdep, or bit by bit).
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

bool isQ8(const Encoding &e) { return e.type == GGMLType::Q8_0; }

std::vector<uint8_t> packCodes(const Encoding &e, const PackedRows &rows,
                               int64_t N, int64_t K, int64_t group,
                               int64_t &values) {
  values = xfk_sparse_code_values(e.kind, group, rows.bytes.data(),
                                  rows.rowBytes, N, K);
  EXPECT_GE(values, 0);
  std::vector<uint8_t> packed(
      xfk_sparse_codes_bytes(e.kind, group, N, K, values), 0xAB);
  EXPECT_FALSE(packed.empty());
  EXPECT_EQ(xfk_pack_sparse_codes(e.kind, group, rows.bytes.data(),
                                  rows.rowBytes, N, K, values, packed.data()),
            1);
  return packed;
}

// Per block and group: the masks mark exactly the nonzero values, the
// scales are the dense tiles' scales, the stored bytes are the dense codes
// less 128 in the masks' order; the rest of the block and the tail are
// zero.
TEST(SparseCodesTest, MasksValuesAndScalesAreAsDocumented) {
  std::mt19937 rng(5);
  const int64_t N = 40, K = 256, blocks = 3;
  for (const Encoding &e : kEncodings) {
    if (!isQ8(e))
      continue;
    for (int64_t G : {int64_t(32), int64_t(128)}) {
      SCOPED_TRACE(testing::Message() << e.name << " group=" << G);
      PackedRows rows = pack(e, sparseValues(N, K, 0.7, rng), N, K, G);
      int64_t values = 0;
      std::vector<uint8_t> sparse = packCodes(e, rows, N, K, G, values);
      std::vector<uint8_t> dense(xfk_packed_bytes(e.kind, G, N, K));
      ASSERT_EQ(xfk_pack(e.kind, G, rows.bytes.data(), rows.rowBytes, N, K,
                         dense.data()),
                1);
      ASSERT_FALSE(HasFailure());
      int64_t groups = K / G, groupBytes = dense.size() / blocks / groups,
              scaleBytes = 16 * (e.f32Scales ? 4 : 2), runs = G / 4;
      int64_t blockBytes =
          (groups * (runs * 8 + scaleBytes) + values + 63) / 64 * 64;
      ASSERT_EQ(sparse.size(), size_t(blocks * blockBytes + 64));
      int64_t most = 0;
      for (int64_t t = 0; t < blocks; ++t) {
        const uint8_t *block = &sparse[t * blockBytes], *next = block;
        int64_t count = 0;
        for (int64_t b = 0; b < groups; ++b) {
          const uint8_t *tiles = &dense[(t * groups + b) * groupBytes];
          const uint8_t *masks = next, *scales = masks + runs * 8;
          ASSERT_EQ(std::memcmp(scales, tiles + G / 32 * 512, scaleBytes), 0)
              << "block " << t << " group " << b;
          next = scales + scaleBytes;
          for (int64_t run = 0; run < runs; ++run) {
            uint64_t mask;
            std::memcpy(&mask, masks + run * 8, 8);
            for (int i = 0; i < 64; ++i) {
              int64_t n = 16 * t + i / 4, k = b * G + run * 4 + i % 4;
              bool nonzero = n < N && rows.decoded[n * K + k] != 0.0f;
              ASSERT_EQ(bool(mask >> i & 1), nonzero)
                  << "block " << t << " group " << b << " run " << run
                  << " lane " << i;
              if (nonzero) {
                ASSERT_EQ(*next++, uint8_t(tiles[run * 64 + i] ^ 0x80));
                ++count;
              }
            }
          }
        }
        most = std::max(most, count);
        for (const uint8_t *p = next; p < block + blockBytes; ++p)
          ASSERT_EQ(*p, 0);
      }
      EXPECT_EQ(values, most);
      for (size_t i = blocks * blockBytes; i < sparse.size(); ++i)
        ASSERT_EQ(sparse[i], 0) << "tail byte " << i;
      // One slot fewer than a block needs is refused.
      EXPECT_EQ(xfk_pack_sparse_codes(e.kind, G, rows.bytes.data(),
                                      rows.rowBytes, N, K, values - 1,
                                      sparse.data()),
                0);
    }
  }
}

TEST(SparseCodesTest, OnlyQ8GroupsUpTo256HaveTheLayout) {
  std::vector<uint8_t> row(2 * 1024);
  EXPECT_EQ(xfk_sparse_code_values(XFK_W_Q4_0, 32, row.data(), 0, 1, 32), -1);
  EXPECT_EQ(xfk_sparse_code_values(XFK_W_F32, 32, row.data(), 0, 1, 32), -1);
  EXPECT_EQ(xfk_sparse_code_values(XFK_W_Q8_0, 512, row.data(), 0, 1, 512), -1);
  EXPECT_EQ(xfk_sparse_codes_bytes(XFK_W_Q8_0, 32, 16, 48, 1), 0);
  EXPECT_EQ(xfk_sparse_codes_bytes(XFK_W_Q8_0, 32, 16, 32, 16 * 32 + 1), 0);
  EXPECT_EQ(xfk_sparse_codes_bytes(XFK_W_Q4_1, 32, 16, 32, 1), 0);
}

class SparseCodesLinearTest : public IsaTest {};

void checkCodes(const Encoding &e, double zeros, int64_t M, int64_t N,
                int64_t K, int64_t group, bool bias, int64_t n0, int64_t n1,
                unsigned seed, const Activation &a = {}) {
  SCOPED_TRACE(testing::Message()
               << e.name << " zeros=" << zeros << " M=" << M << " N=" << N
               << " K=" << K << " group=" << group << " [" << n0 << ", " << n1
               << ") act=" << a.act << " up=" << a.up);
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, sparseValues(N, K, zeros, rng), N, K, group);
  int64_t values = 0;
  std::vector<uint8_t> packed = packCodes(e, rows, N, K, group, values);
  ASSERT_FALSE(testing::Test::HasFailure());
  expectQuantizedLinear(rows, M, N, K, group, bias, n0, n1, rng, a,
                        [&](intptr_t qx, intptr_t b, intptr_t y, int64_t ldy) {
                          xfk_linear_q8_codes(
                              e.kind, group, values, qx, addr(packed.data()), b,
                              0, 0, a.act, a.up, y, ldy, M, K, n0, n1);
                        });
}

TEST_P(SparseCodesLinearTest, UnstructuredZerosFromNoneToAll) {
  unsigned seed = 120;
  for (const Encoding &e : kEncodings) {
    if (!isQ8(e))
      continue;
    for (double zeros : {0.0, 0.5, 0.9, 1.0})
      for (int64_t M : {1, 3, 7})
        for (int64_t N : {16, 40, 64})
          checkCodes(e, zeros, M, N, 128, 32, (M + N) % 2 == 0, 0, N, seed++);
    checkCodes(e, 0.7, 5, 100, 256, 64, true, 48, 100, seed++);
    checkCodes(e, 0.7, 1, 64, 2048, 128, false, 16, 64, seed++);
    checkCodes(e, 0.8, 17, 48, 512, 256, true, 0, 48, seed++);
    checkCodes(e, 0.7, 16, 100, 128, 32, false, 16, 100, seed++);
    checkCodes(e, 0.7, 3, 192, 128, 32, true, 0, 96, seed++,
               {XFK_ACT_SILU, 96});
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, SparseCodesLinearTest, allIsas(), isaName);

} // namespace
