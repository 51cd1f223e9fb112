//===- PackedKernelsTest.cpp - Packed-weight kernels against references ---===//
//
// xfk_pack's layouts are checked element by element against the layout
// the ABI documents; the packed float GEMM and the INT8-activation kernels
// against double-precision sums over weights decoded by the GGUF codecs,
// with shapes off every tile (M, N, K tails; column ranges at tile
// starts), on every instruction-set level this CPU has.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtils.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace xfc::gguf;
using namespace xfc::gguf::test;

namespace {

std::vector<float> randomValues(size_t count, std::mt19937 &rng,
                                float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::vector<uint8_t> packWeights(const Encoding &e, const PackedRows &rows,
                                 int64_t N, int64_t K) {
  int64_t bytes = xfk_packed_bytes(e.kind, N, K);
  EXPECT_GT(bytes, 0);
  std::vector<uint8_t> packed(bytes, 0xAB);
  EXPECT_EQ(xfk_pack(e.kind, rows.bytes.data(), rows.rowBytes, N, K,
                     packed.data()),
            1);
  return packed;
}

intptr_t addr(const void *p) { return reinterpret_cast<intptr_t>(p); }

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

TEST(PackTest, FloatPanelsAreKMajorAndZeroPadded) {
  std::mt19937 rng(1);
  const int64_t N = 70, K = 5;
  for (const Encoding &e : kEncodings) {
    if (isBlock(e.type))
      continue;
    SCOPED_TRACE(e.name);
    PackedRows rows = pack(e, randomValues(N * K, rng), N, K);
    std::vector<uint8_t> packed = packWeights(e, rows, N, K);
    int64_t elt = rows.rowBytes / K;
    ASSERT_EQ(packed.size(), size_t(2 * 64 * K * elt));
    for (int64_t n = 0; n < 128; ++n)
      for (int64_t k = 0; k < K; ++k) {
        const uint8_t *at = &packed[((n / 64) * K * 64 + k * 64 + n % 64) * elt];
        std::vector<uint8_t> expected(elt, 0);
        if (n < N)
          std::memcpy(expected.data(), &rows.bytes[n * rows.rowBytes + k * elt],
                      elt);
        ASSERT_EQ(std::memcmp(at, expected.data(), elt), 0)
            << "n=" << n << " k=" << k;
      }
  }
}

/// The unsigned code of value j of row n, as the ABI documents it.
unsigned documentedCode(XfkWeightKind kind, const std::vector<uint8_t> &packed,
                        int64_t K, int64_t tileBytes, int64_t n, int64_t j) {
  const uint8_t *tile =
      &packed[((n / 16) * (K / 32) + j / 32) * tileBytes];
  int64_t v = j % 32, group = v / 4, lane = (n % 16) * 4 + v % 4;
  if (kind == XFK_W_Q8_0)
    return tile[group * 64 + lane];
  uint8_t byte = tile[(group % 4) * 64 + lane];
  return group < 4 ? byte & 15 : byte >> 4;
}

TEST(PackTest, BlockTilesHoldTheGgmlValuesExactly) {
  std::mt19937 rng(2);
  const int64_t N = 21, K = 64;
  for (const Encoding &e : kEncodings) {
    if (!isBlock(e.type))
      continue;
    SCOPED_TRACE(e.name);
    PackedRows rows = pack(e, randomValues(N * K, rng), N, K);
    std::vector<uint8_t> packed = packWeights(e, rows, N, K);
    int64_t codeBytes = e.kind == XFK_W_Q8_0 ? 512 : 256;
    int64_t tileBytes = codeBytes + (e.kind == XFK_W_Q4_1 ? 64 : 32);
    ASSERT_EQ(packed.size(), size_t(2 * 2 * tileBytes));
    for (int64_t n = 0; n < 32; ++n)
      for (int64_t j = 0; j < K; ++j) {
        const uint8_t *tile = &packed[((n / 16) * 2 + j / 32) * tileBytes];
        float d = halfToFloat(tile[codeBytes + 2 * (n % 16)] |
                              tile[codeBytes + 2 * (n % 16) + 1] << 8);
        float min = e.kind != XFK_W_Q4_1
                        ? 0.0f
                        : halfToFloat(tile[codeBytes + 32 + 2 * (n % 16)] |
                                      tile[codeBytes + 33 + 2 * (n % 16)] << 8);
        int code = documentedCode(e.kind, packed, K, tileBytes, n, j);
        float value = e.kind == XFK_W_Q8_0   ? d * (code - 128)
                      : e.kind == XFK_W_Q4_0 ? d * (code - 8)
                                             : d * code + min;
        float expected = n < N ? rows.decoded[n * K + j] : 0.0f;
        ASSERT_EQ(value, expected) << "n=" << n << " j=" << j;
      }
  }
}

TEST(PackTest, UnpackableShapesAreRefused) {
  std::vector<uint8_t> src(64), dst(4096);
  for (XfkWeightKind kind : {XFK_W_Q8_0, XFK_W_Q4_0, XFK_W_Q4_1}) {
    EXPECT_EQ(xfk_packed_bytes(kind, 4, 48), 0);
    EXPECT_EQ(xfk_pack(kind, src.data(), 34, 1, 48, dst.data()), 0);
    EXPECT_EQ(xfk_packed_tile_rows(kind), 16);
  }
  EXPECT_EQ(xfk_packed_bytes(XFK_W_F32, 0, 8), 0);
  EXPECT_EQ(xfk_packed_bytes(99, 4, 32), 0);
  EXPECT_EQ(xfk_packed_tile_rows(XFK_W_F16), 64);
}

//===----------------------------------------------------------------------===//
// Packed float GEMM
//===----------------------------------------------------------------------===//

class PackedLinearTest : public IsaTest {};

void checkFloat(const Encoding &e, int64_t M, int64_t N, int64_t K, bool bias,
                int64_t n0, int64_t n1, unsigned seed) {
  SCOPED_TRACE(testing::Message() << e.name << " M=" << M << " N=" << N
                                  << " K=" << K << " bias=" << bias << " ["
                                  << n0 << ", " << n1 << ")");
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, randomValues(N * K, rng), N, K);
  std::vector<uint8_t> packed = packWeights(e, rows, N, K);
  ASSERT_FALSE(testing::Test::HasFailure());
  int64_t ldx = K + 3, ldy = (n1 - n0) + 5;
  std::vector<float> x = randomValues(M * ldx, rng), b = randomValues(N, rng);
  std::vector<float> y(M * ldy, NAN);
  xfk_linear_packed(e.kind, addr(x.data()), ldx, addr(packed.data()),
                    bias ? addr(b.data()) : 0, addr(y.data()), ldy, M, K, n0,
                    n1);
  expectLinearOutput(
      y, ldy, M, K, n0, n1,
      [&](int64_t m, int64_t k) { return double(x[m * ldx + k]); },
      rows.decoded, bias ? b.data() : nullptr);
}

TEST_P(PackedLinearTest, FloatKindsAndTails) {
  unsigned seed = 10;
  for (const Encoding &e : kEncodings) {
    if (isBlock(e.type))
      continue;
    for (int64_t M : {1, 2, 5, 6, 7, 13})
      for (int64_t N : {1, 17, 64, 65, 130})
        for (int64_t K : {1, 17, 64, 300})
          checkFloat(e, M, N, K, (M + N + K) % 2 == 0, 0, N, seed++);
    // Column ranges start at panel boundaries; K spans several K blocks.
    checkFloat(e, 3, 200, 40, true, 64, 200, seed++);
    checkFloat(e, 8, 150, 1000, false, 128, 150, seed++);
  }
}

//===----------------------------------------------------------------------===//
// INT8 activations
//===----------------------------------------------------------------------===//

struct QuantizedX {
  std::vector<uint8_t> bytes;
  int64_t rowBytes;
  int8_t code(int64_t m, int64_t k) const {
    return static_cast<int8_t>(bytes[m * rowBytes + k]);
  }
  float scale(int64_t m, int64_t K, int64_t b) const {
    float s;
    std::memcpy(&s, &bytes[m * rowBytes + K + 4 * b], 4);
    return s;
  }
  int32_t sum(int64_t m, int64_t K, int64_t b) const {
    int32_t s;
    std::memcpy(&s, &bytes[m * rowBytes + K + K / 32 * 4 + 4 * b], 4);
    return s;
  }
};

QuantizedX quantize(const std::vector<float> &x, int64_t ldx, int64_t M,
                    int64_t K) {
  QuantizedX q;
  q.rowBytes = xfk_quantized_row_bytes(K);
  q.bytes.assign(M * q.rowBytes, 0);
  xfk_quantize_rows(addr(x.data()), ldx, M, K, addr(q.bytes.data()));
  return q;
}

class QuantizedLinearTest : public IsaTest {};

TEST_P(QuantizedLinearTest, ActivationsRoundToTheNearestStep) {
  std::mt19937 rng(3);
  const int64_t M = 3, K = 96, ldx = 100;
  std::vector<float> x = randomValues(M * ldx, rng, 4.0f);
  for (int64_t k = 32; k < 64; ++k) // a block of zeros
    x[ldx + k] = 0.0f;
  QuantizedX q = quantize(x, ldx, M, K);
  ASSERT_EQ(q.rowBytes, K + K / 32 * 8);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t b = 0; b < K / 32; ++b) {
      float amax = 0.0f;
      for (int64_t k = 32 * b; k < 32 * b + 32; ++k)
        amax = std::max(amax, std::fabs(x[m * ldx + k]));
      float d = q.scale(m, K, b);
      ASSERT_FLOAT_EQ(d, amax / 127.0f);
      int32_t sum = 0;
      for (int64_t k = 32 * b; k < 32 * b + 32; ++k) {
        int code = q.code(m, k);
        sum += code;
        ASSERT_LE(std::abs(code), 127);
        ASSERT_LE(std::fabs(x[m * ldx + k] - d * code), 0.5001f * d + 1e-30f)
            << "m=" << m << " k=" << k;
      }
      ASSERT_EQ(q.sum(m, K, b), sum);
    }
}

TEST_P(QuantizedLinearTest, RoundedRowsAreTheCodesValues) {
  std::mt19937 rng(4);
  const int64_t M = 2, K = 64, ldx = 70;
  std::vector<float> x = randomValues(M * ldx, rng, 2.0f);
  QuantizedX q = quantize(x, ldx, M, K);
  std::vector<float> rounded(M * K, NAN);
  xfk_round_rows_int8(addr(x.data()), ldx, M, K, addr(rounded.data()));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      ASSERT_EQ(rounded[m * K + k], q.scale(m, K, k / 32) * q.code(m, k))
          << "m=" << m << " k=" << k;
}

void checkQuantized(const Encoding &e, int64_t M, int64_t N, int64_t K,
                    bool bias, int64_t n0, int64_t n1, unsigned seed) {
  SCOPED_TRACE(testing::Message() << e.name << " M=" << M << " N=" << N
                                  << " K=" << K << " bias=" << bias << " ["
                                  << n0 << ", " << n1 << ")");
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, randomValues(N * K, rng), N, K);
  std::vector<uint8_t> packed = packWeights(e, rows, N, K);
  ASSERT_FALSE(testing::Test::HasFailure());
  int64_t ldx = K + 7, ldy = (n1 - n0) + 3;
  std::vector<float> x = randomValues(M * ldx, rng, 3.0f),
                     b = randomValues(N, rng);
  QuantizedX q = quantize(x, ldx, M, K);
  std::vector<float> y(M * ldy, NAN);
  xfk_linear_q8(e.kind, addr(q.bytes.data()), addr(packed.data()),
                bias ? addr(b.data()) : 0, addr(y.data()), ldy, M, K, n0, n1);
  // The activations the kernel multiplies: the codes times their scale.
  expectLinearOutput(
      y, ldy, M, K, n0, n1,
      [&](int64_t m, int64_t k) {
        return double(q.scale(m, K, k / 32)) * q.code(m, k);
      },
      rows.decoded, bias ? b.data() : nullptr);
}

TEST_P(QuantizedLinearTest, BlockKindsAndTails) {
  unsigned seed = 20;
  for (const Encoding &e : kEncodings) {
    if (!isBlock(e.type))
      continue;
    for (int64_t M : {1, 2, 3, 4, 5, 9})
      for (int64_t N : {1, 15, 16, 17, 33, 40})
        for (int64_t K : {32, 64, 96})
          checkQuantized(e, M, N, K, (M + N) % 2 == 1, 0, N, seed++);
    checkQuantized(e, 6, 100, 2048, true, 48, 100, seed++);
    checkQuantized(e, 1, 64, 2048, false, 16, 33, seed++);
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, PackedLinearTest, allIsas(), isaName);
INSTANTIATE_TEST_SUITE_P(Isa, QuantizedLinearTest, allIsas(), isaName);

} // namespace
