//===- KernelsTest.cpp - Microkernels against a naive reference -----------===//
//
// Every weight encoding, on every instruction-set path this CPU can run,
// with shapes that exercise the tails: M and N not multiples of the tile,
// K not a multiple of the vector width (float encodings), bias or none,
// and a strided output. The reference decodes weights with the GGUF
// frontend's codecs, not the kernels' own, and sums in double.
//
//===----------------------------------------------------------------------===//

#include "xfk/Kernels.h"

#include "xfc/Frontends/GGUF/GGMLType.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace xfc::gguf;

namespace {

struct Encoding {
  XfkWeightKind kind;
  GGMLType type;
  const char *name;
};

const Encoding kEncodings[] = {
    {XFK_W_F32, GGMLType::F32, "f32"},   {XFK_W_F16, GGMLType::F16, "f16"},
    {XFK_W_BF16, GGMLType::BF16, "bf16"}, {XFK_W_Q8_0, GGMLType::Q8_0, "q8_0"},
    {XFK_W_Q4_0, GGMLType::Q4_0, "q4_0"}, {XFK_W_Q4_1, GGMLType::Q4_1, "q4_1"},
};

bool isBlock(GGMLType type) {
  return type == GGMLType::Q8_0 || type == GGMLType::Q4_0 ||
         type == GGMLType::Q4_1;
}

/// Rows of K values encoded as `e`, and the same bytes decoded by the
/// frontend's codecs for the reference.
struct PackedRows {
  int64_t rowBytes = 0;
  std::vector<uint8_t> bytes;
  std::vector<float> decoded;
};

PackedRows pack(const Encoding &e, const std::vector<float> &values,
                int64_t rows, int64_t K) {
  GGMLTypeInfo info = *getTypeInfo(static_cast<uint32_t>(e.type));
  PackedRows p;
  p.rowBytes = K / info.blockSize * info.blockBytes;
  p.bytes.resize(rows * p.rowBytes);
  p.decoded.resize(rows * K);
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_TRUE(encodeFromF32(e.type, &values[r * K], K,
                              &p.bytes[r * p.rowBytes]));
    EXPECT_TRUE(decodeToF32(e.type, &p.bytes[r * p.rowBytes], K,
                            &p.decoded[r * K]));
  }
  return p;
}

/// Runs xfk_linear on random data and compares it with the reference.
void check(const Encoding &e, int64_t M, int64_t N, int64_t K, bool bias,
           int64_t n0, int64_t n1, unsigned seed) {
  SCOPED_TRACE(testing::Message() << e.name << " M=" << M << " N=" << N
                                  << " K=" << K << " bias=" << bias << " ["
                                  << n0 << ", " << n1 << ")");
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> weights(N * K), x(M * (K + 3)), b(N);
  for (float &v : weights)
    v = dist(rng);
  for (float &v : x)
    v = dist(rng);
  for (float &v : b)
    v = dist(rng);
  PackedRows w = pack(e, weights, N, K);
  ASSERT_FALSE(testing::Test::HasFailure());
  int64_t ldw = w.rowBytes;
  const std::vector<float> &decoded = w.decoded;
  int64_t ldx = K + 3, ldy = (n1 - n0) + 5;
  std::vector<float> y(M * ldy, NAN);
  xfk_linear(e.kind, reinterpret_cast<intptr_t>(x.data()), ldx,
             reinterpret_cast<intptr_t>(w.bytes.data()), ldw,
             bias ? reinterpret_cast<intptr_t>(b.data()) : 0,
             reinterpret_cast<intptr_t>(y.data()), ldy, M, K, n0, n1);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = n0; n < n1; ++n) {
      double ref = bias ? b[n] : 0.0, scale = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        ref += static_cast<double>(x[m * ldx + k]) * decoded[n * K + k];
        scale += std::fabs(x[m * ldx + k] * decoded[n * K + k]);
      }
      ASSERT_NEAR(y[m * ldy + (n - n0)], ref, 1e-5 * (scale + 1.0))
          << "at m=" << m << " n=" << n;
    }
  // Columns outside [n0, n1) of each output row are left alone.
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = n1 - n0; j < ldy; ++j)
      ASSERT_TRUE(std::isnan(y[m * ldy + j]));
}

class KernelsTest : public testing::TestWithParam<int> {
protected:
  void SetUp() override {
    if (!xfk_force_isa(GetParam()))
      GTEST_SKIP() << "this CPU lacks ISA level " << GetParam();
  }
  void TearDown() override { xfk_force_isa(-1); }
};

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

TEST_P(KernelsTest, EmptyRangesWriteNothing) {
  float y = 42.0f, x = 1.0f, w = 1.0f;
  xfk_linear(XFK_W_F32, reinterpret_cast<intptr_t>(&x), 1,
             reinterpret_cast<intptr_t>(&w), 4, 0,
             reinterpret_cast<intptr_t>(&y), 1, 1, 1, 3, 3);
  xfk_linear(XFK_W_F32, reinterpret_cast<intptr_t>(&x), 1,
             reinterpret_cast<intptr_t>(&w), 4, 0,
             reinterpret_cast<intptr_t>(&y), 1, 0, 1, 0, 1);
  EXPECT_EQ(y, 42.0f);
}

std::string isaName(const testing::TestParamInfo<int> &info) {
  static const char *const names[] = {"generic", "avx512", "avx512_vnni"};
  return names[info.param];
}

TEST_P(KernelsTest, EmbeddingGathersDecodedRows) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  const int64_t rows = 11, K = 96;
  for (const Encoding &e : kEncodings) {
    SCOPED_TRACE(e.name);
    std::vector<float> values(rows * K);
    for (float &v : values)
      v = dist(rng);
    PackedRows table = pack(e, values, rows, K);
    ASSERT_FALSE(testing::Test::HasFailure());
    const std::vector<float> &decoded = table.decoded;
    std::vector<int32_t> ids = {3, 0, 10, 3, 7};
    std::vector<float> out(ids.size() * K);
    xfk_embedding(e.kind, reinterpret_cast<intptr_t>(table.bytes.data()),
                  table.rowBytes,
                  reinterpret_cast<intptr_t>(ids.data()), ids.size(),
                  reinterpret_cast<intptr_t>(out.data()), K);
    for (size_t i = 0; i < ids.size(); ++i)
      for (int64_t k = 0; k < K; ++k)
        ASSERT_EQ(out[i * K + k], decoded[ids[i] * K + k])
            << "row " << i << " column " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, KernelsTest,
                         testing::Values(XFK_ISA_GENERIC, XFK_ISA_AVX512,
                                         XFK_ISA_AVX512_VNNI),
                         isaName);

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
