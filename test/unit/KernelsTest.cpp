//===- KernelsTest.cpp - Microkernels against a naive reference -----------===//
//
// Every weight encoding, on every instruction-set path this CPU can run,
// with shapes that exercise the tails: M and N not multiples of the tile,
// K not a multiple of the vector width (float encodings), bias or none,
// and a strided output. The reference decodes weights with the GGUF
// frontend's codecs, not the kernels' own, and sums in double.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtils.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace xfc::gguf;
using namespace xfc::gguf::test;

namespace {

/// Runs xfk_linear on random data and compares it with the reference.
void check(const Encoding &e, int64_t M, int64_t N, int64_t K, bool bias,
           int64_t n0, int64_t n1, unsigned seed, int64_t group = 32,
           const Activation &a = {}) {
  SCOPED_TRACE(testing::Message()
               << e.name << " M=" << M << " N=" << N << " K=" << K
               << " group=" << group << " bias=" << bias << " [" << n0 << ", "
               << n1 << ") act=" << a.act << " up=" << a.up);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> weights(N * K), x(M * (K + 3)), b(N);
  for (float &v : weights)
    v = dist(rng);
  for (float &v : x)
    v = dist(rng);
  for (float &v : b)
    v = dist(rng);
  PackedRows w = pack(e, weights, N, K, group);
  ASSERT_FALSE(testing::Test::HasFailure());
  int64_t ldw = w.rowBytes;
  const std::vector<float> &decoded = w.decoded;
  int64_t ldx = K + 3, ldy = (n1 - n0) + 5;
  std::vector<float> y(M * ldy, NAN);
  // A residual with every other bias choice (seed parity).
  bool residual = seed % 2 == 1;
  int64_t ldr = N + 2;
  std::vector<float> r(M * ldr);
  for (float &v : r)
    v = dist(rng);
  xfk_linear(e.kind, group, reinterpret_cast<intptr_t>(x.data()), ldx,
             reinterpret_cast<intptr_t>(w.bytes.data()), ldw,
             bias ? reinterpret_cast<intptr_t>(b.data()) : 0,
             residual ? reinterpret_cast<intptr_t>(r.data()) : 0, ldr, a.act,
             a.up, reinterpret_cast<intptr_t>(y.data()), ldy, M, K, n0, n1);
  expectLinearOutput(
      y, ldy, M, K, n0, n1,
      [&](int64_t m, int64_t k) { return double(x[m * ldx + k]); }, decoded,
      bias ? b.data() : nullptr, residual ? r.data() : nullptr, ldr, a);
}

class KernelsTest : public IsaTest {};

TEST_P(KernelsTest, AllEncodingsAndTails) {
  unsigned seed = 1;
  for (const Encoding &e : kEncodings)
    for (int64_t M : {1, 2, 3, 4, 5, 9})
      for (int64_t N : {1, 3, 4, 7, 13})
        for (int64_t K : {32, 64, 96, 17, 1, 50}) {
          if (isBlock(e.type) && K % 32 != 0)
            continue;
          check(e, M, N, K, /*bias=*/(M + N) % 2 == 0, 0, N, seed++);
        }
}

TEST_P(KernelsTest, ColumnRanges) {
  for (const Encoding &e : kEncodings) {
    check(e, 3, 37, 64, true, 5, 22, 7);
    check(e, 1, 37, 64, false, 36, 37, 8);
    check(e, 6, 37, 64, true, 0, 37, 9);
  }
}

TEST_P(KernelsTest, LargerShapes) {
  for (const Encoding &e : kEncodings) {
    check(e, 1, 64, 2048, false, 0, 64, 11);
    check(e, 17, 33, 544, true, 0, 33, 12);
    // More rows than a cache block, K over several K blocks with a short
    // last one (and a partial vector for the float encodings).
    check(e, 70, 9, 1056, true, 0, 9, 13);
    if (!isBlock(e.type))
      check(e, 67, 6, 1001, false, 1, 6, 14);
  }
}

// Groups larger than ggml's 32 values, and one group per row (per
// channel), where a K block of the kernel ends inside a group.
TEST_P(KernelsTest, LargerGroupsAndPerChannel) {
  unsigned seed = 30;
  for (const Encoding &e : kEncodings) {
    if (!isBlock(e.type))
      continue;
    for (int64_t group : {64, 128, 256})
      for (int64_t M : {1, 5})
        check(e, M, 7, 256, M == 1, 0, 7, seed++, group);
    check(e, 3, 9, 96, true, 2, 9, seed++, /*group=*/96);
    check(e, 9, 5, 1024, false, 0, 5, seed++, /*group=*/1024);
    check(e, 2, 5, 1536, true, 0, 5, seed++, /*group=*/384);
  }
}

// SiLU and GELU on the sums, alone and gated (N = 2F: gate rows, then up
// rows from F), for rows of every encoding.
TEST_P(KernelsTest, ActivationEpilogue) {
  unsigned seed = 30;
  for (const Encoding &e : kEncodings)
    for (XfkActivation act : {XFK_ACT_SILU, XFK_ACT_GELU}) {
      check(e, 3, 37, 64, true, 5, 22, seed++, 32, {act, 0});
      check(e, 1, 14, 96, false, 0, 7, seed++, 32, {act, 7});
      check(e, 40, 150, 64, true, 3, 75, seed++, 32, {act, 75});
    }
}

TEST_P(KernelsTest, EmptyRangesWriteNothing) {
  float y = 42.0f, x = 1.0f, w = 1.0f;
  xfk_linear(XFK_W_F32, 0, reinterpret_cast<intptr_t>(&x), 1,
             reinterpret_cast<intptr_t>(&w), 4, 0, 0, 0, XFK_ACT_NONE, 0,
             reinterpret_cast<intptr_t>(&y), 1, 1, 1, 3, 3);
  xfk_linear(XFK_W_F32, 0, reinterpret_cast<intptr_t>(&x), 1,
             reinterpret_cast<intptr_t>(&w), 4, 0, 0, 0, XFK_ACT_NONE, 0,
             reinterpret_cast<intptr_t>(&y), 1, 0, 1, 0, 1);
  EXPECT_EQ(y, 42.0f);
}

TEST_P(KernelsTest, EmbeddingGathersDecodedRows) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  const int64_t rows = 11, K = 192;
  for (const Encoding &e : kEncodings) {
    // Blocks of ggml's 32 values, and of 64 (float kinds ignore it).
    for (int64_t group : {32, 64}) {
      SCOPED_TRACE(testing::Message() << e.name << " group=" << group);
      std::vector<float> values(rows * K);
      for (float &v : values)
        v = dist(rng);
      PackedRows table = pack(e, values, rows, K, group);
      ASSERT_FALSE(testing::Test::HasFailure());
      const std::vector<float> &decoded = table.decoded;
      std::vector<int32_t> ids = {3, 0, 10, 3, 7};
      std::vector<float> out(ids.size() * K);
      xfk_embedding(e.kind, group,
                    reinterpret_cast<intptr_t>(table.bytes.data()),
                    table.rowBytes, reinterpret_cast<intptr_t>(ids.data()),
                    ids.size(), reinterpret_cast<intptr_t>(out.data()), K);
      for (size_t i = 0; i < ids.size(); ++i)
        for (int64_t k = 0; k < K; ++k)
          ASSERT_EQ(out[i * K + k], decoded[ids[i] * K + k])
              << "row " << i << " column " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, KernelsTest, allIsas(), isaName);

TEST(KernelsCpuTest, ForcingAboveTheCpuIsRefused) {
  int detected = xfk_cpu_isa();
  EXPECT_EQ(xfk_force_isa(detected + 1), 0);
  EXPECT_EQ(xfk_cpu_isa(), detected);
  EXPECT_EQ(xfk_force_isa(XFK_ISA_GENERIC), 1);
  EXPECT_EQ(xfk_cpu_isa(), XFK_ISA_GENERIC);
  xfk_force_isa(-1);
  EXPECT_EQ(xfk_cpu_isa(), detected);
}

} // namespace
