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
                                 int64_t N, int64_t K, int64_t group = 32) {
  int64_t bytes = xfk_packed_bytes(e.kind, group, N, K);
  EXPECT_GT(bytes, 0);
  std::vector<uint8_t> packed(bytes, 0xAB);
  EXPECT_EQ(xfk_pack(e.kind, group, rows.bytes.data(), rows.rowBytes, N, K,
                     packed.data()),
            1);
  return packed;
}

/// A residual for a kernel's epilogue (rows of N values, padded), on odd
/// seeds only, so both paths run.
struct Residual {
  std::vector<float> values;
  int64_t ld = 0;
  Residual(int64_t M, int64_t N, unsigned seed, std::mt19937 &rng) {
    if (seed % 2 == 0)
      return;
    ld = N + 3;
    values = randomValues(M * ld, rng);
  }
  const float *data() const { return values.empty() ? nullptr : values.data(); }
  intptr_t address() const { return addr(data()); }
};

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
    // BF16 panels hold pairs of k, K padded to even.
    int64_t pairs = e.kind == XFK_W_BF16 ? 2 : 1, Kp = (K + pairs - 1) / pairs * pairs;
    ASSERT_EQ(xfk_packed_k_pairs(e.kind), pairs);
    ASSERT_EQ(packed.size(), size_t(2 * 64 * Kp * elt));
    for (int64_t n = 0; n < 128; ++n)
      for (int64_t k = 0; k < Kp; ++k) {
        const uint8_t *at = &packed[((n / 64) * Kp * 64 + (k / pairs) * 64 * pairs +
                                     (n % 64) * pairs + k % pairs) *
                                    elt];
        std::vector<uint8_t> expected(elt, 0);
        if (n < N && k < K)
          std::memcpy(expected.data(), &rows.bytes[n * rows.rowBytes + k * elt],
                      elt);
        ASSERT_EQ(std::memcmp(at, expected.data(), elt), 0)
            << "n=" << n << " k=" << k;
      }
  }
}

/// The unsigned code of value j of row n, as the ABI documents it: in code
/// tile j % G / 32 of the tiles of rows n / 16 and group j / G.
unsigned documentedCode(GGMLType type, const uint8_t *groupTiles,
                        int64_t codeBytes, int64_t G, int64_t n, int64_t j) {
  const uint8_t *tile = groupTiles + j % G / 32 * codeBytes;
  int64_t v = j % 32, run = v / 4, lane = (n % 16) * 4 + v % 4;
  if (type == GGMLType::Q8_0)
    return tile[run * 64 + lane];
  uint8_t byte = tile[(run % 4) * 64 + lane];
  return run < 4 ? byte & 15 : byte >> 4;
}

TEST(PackTest, BlockTilesHoldTheStoredValuesExactly) {
  std::mt19937 rng(2);
  const int64_t N = 21, K = 128;
  for (const Encoding &e : kEncodings) {
    if (!isBlock(e.type))
      continue;
    for (int64_t G : {int64_t(32), int64_t(64), K}) {
      SCOPED_TRACE(testing::Message() << e.name << " group=" << G);
      PackedRows rows = pack(e, randomValues(N * K, rng), N, K, G);
      std::vector<uint8_t> packed = packWeights(e, rows, N, K, G);
      int64_t codeBytes = e.type == GGMLType::Q8_0 ? 512 : 256;
      int64_t scalesAt = G / 32 * codeBytes, sb = scaleBytes(e);
      int64_t groupBytes = scalesAt + 16 * headerBytes(e);
      ASSERT_EQ(packed.size(), size_t(2 * (K / G) * groupBytes));
      // Scale (or minimum) i of the 16 that follow a tile group's codes.
      auto scale = [&](const uint8_t *p) {
        if (e.f32Scales) {
          float f;
          std::memcpy(&f, p, 4);
          return f;
        }
        return halfToFloat(static_cast<uint16_t>(p[0] | p[1] << 8));
      };
      for (int64_t n = 0; n < 32; ++n)
        for (int64_t j = 0; j < K; ++j) {
          const uint8_t *tiles =
              &packed[((n / 16) * (K / G) + j / G) * groupBytes];
          float d = scale(tiles + scalesAt + sb * (n % 16));
          float min = e.type != GGMLType::Q4_1
                          ? 0.0f
                          : scale(tiles + scalesAt + sb * (16 + n % 16));
          int code = documentedCode(e.type, tiles, codeBytes, G, n, j);
          float value = e.type == GGMLType::Q8_0   ? d * (code - 128)
                        : e.type == GGMLType::Q4_0 ? d * (code - 8)
                                                   : d * code + min;
          float expected = n < N ? rows.decoded[n * K + j] : 0.0f;
          ASSERT_EQ(value, expected) << "n=" << n << " j=" << j;
        }
    }
  }
}

TEST(PackTest, UnpackableShapesAreRefused) {
  std::vector<uint8_t> src(64), dst(4096);
  for (XfkWeightKind kind : {XFK_W_Q8_0, XFK_W_Q4_0, XFK_W_Q4_1}) {
    // K not whole groups, groups not runs of 32, no group.
    EXPECT_EQ(xfk_packed_bytes(kind, 32, 4, 48), 0);
    EXPECT_EQ(xfk_packed_bytes(kind, 64, 4, 96), 0);
    EXPECT_EQ(xfk_packed_bytes(kind, 48, 4, 96), 0);
    EXPECT_EQ(xfk_packed_bytes(kind, 0, 4, 96), 0);
    EXPECT_EQ(xfk_pack(kind, 32, src.data(), 34, 1, 48, dst.data()), 0);
    EXPECT_EQ(xfk_packed_tile_rows(kind), 16);
  }
  EXPECT_EQ(xfk_packed_bytes(XFK_W_F32, 0, 0, 8), 0);
  EXPECT_EQ(xfk_packed_bytes(99, 32, 4, 32), 0);
  EXPECT_EQ(xfk_packed_tile_rows(XFK_W_F16), 64);
}

//===----------------------------------------------------------------------===//
// Packed float GEMM
//===----------------------------------------------------------------------===//

class PackedLinearTest : public IsaTest {};

void checkFloat(const Encoding &e, int64_t M, int64_t N, int64_t K, bool bias,
                int64_t n0, int64_t n1, unsigned seed,
                const Activation &a = {}) {
  SCOPED_TRACE(testing::Message() << e.name << " M=" << M << " N=" << N << " K="
                                  << K << " bias=" << bias << " [" << n0 << ", "
                                  << n1 << ") act=" << a.act << " up=" << a.up);
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, randomValues(N * K, rng), N, K);
  std::vector<uint8_t> packed = packWeights(e, rows, N, K);
  ASSERT_FALSE(testing::Test::HasFailure());
  int64_t ldx = K + 3, ldy = (n1 - n0) + 5;
  std::vector<float> x = randomValues(M * ldx, rng), b = randomValues(N, rng);
  std::vector<float> y(M * ldy, NAN);
  Residual r(M, N, seed, rng);
  xfk_linear_packed(e.kind, addr(x.data()), ldx, addr(packed.data()),
                    bias ? addr(b.data()) : 0, r.address(), r.ld, a.act, a.up,
                    addr(y.data()), ldy, M, K, n0, n1);
  expectLinearOutput(
      y, ldy, M, K, n0, n1,
      [&](int64_t m, int64_t k) { return double(x[m * ldx + k]); },
      rows.decoded, bias ? b.data() : nullptr, r.data(), r.ld, a);
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

// SiLU and GELU on the sums, alone and gated (N = 2F, gate then up rows);
// K over several K blocks, whose partial sums the epilogue must not see.
TEST_P(PackedLinearTest, ActivationEpilogue) {
  unsigned seed = 60;
  for (const Encoding &e : kEncodings) {
    if (isBlock(e.type))
      continue;
    for (XfkActivation act : {XFK_ACT_SILU, XFK_ACT_GELU}) {
      checkFloat(e, 7, 100, 17, true, 0, 100, seed++, {act, 0});
      checkFloat(e, 1, 256, 40, false, 64, 128, seed++, {act, 128});
      checkFloat(e, 35, 384, 1000, true, 0, 150, seed++, {act, 192});
    }
  }
}

//===----------------------------------------------------------------------===//
// INT8 activations
//===----------------------------------------------------------------------===//

class QuantizedLinearTest : public IsaTest {};

TEST_P(QuantizedLinearTest, ActivationsRoundToTheNearestStep) {
  std::mt19937 rng(3);
  const int64_t M = 3, K = 192, ldx = 200;
  std::vector<float> x = randomValues(M * ldx, rng, 4.0f);
  for (int64_t k = 64; k < 128; ++k) // a group of zeros
    x[ldx + k] = 0.0f;
  for (int64_t G : {int64_t(32), int64_t(64), K}) {
    SCOPED_TRACE(testing::Message() << "group=" << G);
    QuantizedX q = quantize(x, ldx, M, K, G);
    ASSERT_EQ(q.rowBytes, K + K / G * 8);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t b = 0; b < K / G; ++b) {
        float amax = 0.0f;
        for (int64_t k = G * b; k < G * b + G; ++k)
          amax = std::max(amax, std::fabs(x[m * ldx + k]));
        float d = q.scale(m, b);
        ASSERT_FLOAT_EQ(d, amax / 127.0f);
        int32_t sum = 0;
        for (int64_t k = G * b; k < G * b + G; ++k) {
          int code = q.code(m, k);
          sum += code;
          ASSERT_LE(std::abs(code), 127);
          ASSERT_LE(std::fabs(x[m * ldx + k] - d * code), 0.5001f * d + 1e-30f)
              << "m=" << m << " k=" << k;
        }
        ASSERT_EQ(q.sum(m, b), sum);
      }
  }
}

TEST_P(QuantizedLinearTest, RoundedRowsAreTheCodesValues) {
  std::mt19937 rng(4);
  const int64_t M = 2, K = 128, ldx = 130;
  std::vector<float> x = randomValues(M * ldx, rng, 2.0f);
  for (int64_t G : {int64_t(32), int64_t(64), K}) {
    QuantizedX q = quantize(x, ldx, M, K, G);
    std::vector<float> rounded(M * K, NAN);
    xfk_round_rows_int8(addr(x.data()), ldx, M, K, G, addr(rounded.data()));
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < K; ++k)
        ASSERT_EQ(rounded[m * K + k], q.scale(m, k / G) * q.code(m, k))
            << "m=" << m << " k=" << k << " group=" << G;
  }
}

void checkQuantized(const Encoding &e, int64_t M, int64_t N, int64_t K,
                    bool bias, int64_t n0, int64_t n1, unsigned seed,
                    int64_t group = 32, const Activation &a = {}) {
  SCOPED_TRACE(testing::Message()
               << e.name << " M=" << M << " N=" << N << " K=" << K
               << " group=" << group << " bias=" << bias << " [" << n0 << ", "
               << n1 << ") act=" << a.act << " up=" << a.up);
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, randomValues(N * K, rng), N, K, group);
  std::vector<uint8_t> packed = packWeights(e, rows, N, K, group);
  ASSERT_FALSE(testing::Test::HasFailure());
  int64_t ldx = K + 7, ldy = (n1 - n0) + 3;
  std::vector<float> x = randomValues(M * ldx, rng, 3.0f),
                     b = randomValues(N, rng);
  QuantizedX q = quantize(x, ldx, M, K, group);
  std::vector<float> y(M * ldy, NAN);
  Residual r(M, N, seed, rng);
  xfk_linear_q8(e.kind, group, addr(q.bytes.data()), addr(packed.data()),
                bias ? addr(b.data()) : 0, r.address(), r.ld, a.act, a.up,
                addr(y.data()), ldy, M, K, n0, n1);
  // The activations the kernel multiplies: the codes times their scale.
  expectLinearOutput(
      y, ldy, M, K, n0, n1, [&](int64_t m, int64_t k) { return q.value(m, k); },
      rows.decoded, bias ? b.data() : nullptr, r.data(), r.ld, a);
}

// SiLU and GELU on the sums, alone and gated: N = 2F rows, gate then up,
// outputs [n0, n1) of F; F a whole number of tiles, M past the activation
// epilogue's stack buffer and not a multiple of the register rows.
TEST_P(QuantizedLinearTest, ActivationEpilogue) {
  unsigned seed = 70;
  for (const Encoding &e : kEncodings) {
    if (!isBlock(e.type))
      continue;
    for (XfkActivation act : {XFK_ACT_SILU, XFK_ACT_GELU}) {
      checkQuantized(e, 5, 40, 64, true, 16, 40, seed++, 32, {act, 0});
      checkQuantized(e, 1, 192, 128, false, 0, 96, seed++, 64, {act, 96});
      checkQuantized(e, 37, 160, 64, true, 16, 80, seed++, 32, {act, 80});
    }
  }
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
    // From 16 rows (AMX): four output blocks per pass, a partial last pass
    // and a column range that starts inside a pass.
    checkQuantized(e, 16, 100, 64, false, 0, 100, seed++);
    checkQuantized(e, 33, 150, 96, true, 16, 150, seed++);
  }
}

// The largest products the integer paths can meet: every weight at an
// extreme code (Q4: 15 for +1 after a -1 sets the scale; Q8_0: -127 and
// 127) against activations all at +-127. The AVX2 path sums a Q4 tile's
// products in 16 bits; they must not overflow there.
TEST_P(QuantizedLinearTest, ExtremeCodesDoNotOverflow) {
  for (const Encoding &e : kEncodings) {
    if (!isBlock(e.type))
      continue;
    for (float sign : {1.0f, -1.0f}) {
      const int64_t M = 9, N = 33, K = 256, group = 128;
      SCOPED_TRACE(testing::Message() << e.name << " sign " << sign);
      std::vector<float> w(N * K);
      for (int64_t i = 0; i < N * K; ++i)
        w[i] = i % 32 == 0 ? -1.0f : 1.0f;
      PackedRows rows = pack(e, w, N, K, group);
      std::vector<uint8_t> packed = packWeights(e, rows, N, K, group);
      ASSERT_FALSE(testing::Test::HasFailure());
      std::vector<float> x(M * K, 3.0f * sign), y(M * N, NAN);
      QuantizedX q = quantize(x, K, M, K, group);
      xfk_linear_q8(e.kind, group, addr(q.bytes.data()), addr(packed.data()), 0,
                    0, 0, XFK_ACT_NONE, 0, addr(y.data()), N, M, K, 0, N);
      expectLinearOutput(y, N, M, K, 0, N,
                         [&](int64_t m, int64_t k) { return q.value(m, k); },
                         rows.decoded, nullptr, nullptr, 0, {});
    }
  }
}

// Groups of 64 and 128 values, and one per row (per channel): the integer
// dot products run over several code tiles before they are scaled.
TEST_P(QuantizedLinearTest, LargerGroupsAndPerChannel) {
  unsigned seed = 40;
  for (const Encoding &e : kEncodings) {
    if (!isBlock(e.type))
      continue;
    for (int64_t group : {64, 128})
      for (int64_t M : {1, 7, 17})
        checkQuantized(e, M, 33, 256, M % 2 == 1, 0, 33, seed++, group);
    checkQuantized(e, 5, 40, 96, true, 16, 40, seed++, /*group=*/96);
    checkQuantized(e, 18, 20, 2048, false, 0, 20, seed++, /*group=*/2048);
    checkQuantized(e, 16, 90, 192, true, 16, 90, seed++, /*group=*/96);
    checkQuantized(e, 1, 64, 2048, true, 16, 64, seed++, /*group=*/128);
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, PackedLinearTest, allIsas(), isaName);
INSTANTIATE_TEST_SUITE_P(Isa, QuantizedLinearTest, allIsas(), isaName);

} // namespace

namespace {

//===----------------------------------------------------------------------===//
// BF16 compute
//===----------------------------------------------------------------------===//

float bf16Value(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &wide, 4);
  return f;
}

class Bf16LinearTest : public IsaTest {};

TEST_P(Bf16LinearTest, ActivationsRoundToNearestEven) {
  // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to even (1);
  // 1 + 3 * 2^-8 goes up to 1 + 2^-6.
  std::vector<float> x = {1.0f + 0x1p-8f, 1.0f + 0x3p-8f, -2.5f, 0.0f, 1e-3f};
  const int64_t K = 5;
  std::vector<uint16_t> rounded(xfk_bf16_row_bytes(K) / 2, 0xffff);
  ASSERT_EQ(rounded.size(), 6u);
  xfk_round_rows_bf16(addr(x.data()), K, 1, K, addr(rounded.data()));
  EXPECT_EQ(bf16Value(rounded[0]), 1.0f);
  EXPECT_EQ(bf16Value(rounded[1]), 1.0f + 0x1p-6f);
  EXPECT_EQ(bf16Value(rounded[2]), -2.5f);
  EXPECT_EQ(rounded[5], 0); // padding to a whole pair
  std::vector<float> asF32(K);
  xfk_round_rows_bf16_f32(addr(x.data()), K, 1, K, addr(asF32.data()));
  for (int64_t k = 0; k < K; ++k)
    EXPECT_EQ(asF32[k], bf16Value(rounded[k])) << "k=" << k;
}

void checkBf16(int64_t M, int64_t N, int64_t K, bool bias, int64_t n0,
               int64_t n1, unsigned seed, const Activation &a = {}) {
  SCOPED_TRACE(testing::Message() << "M=" << M << " N=" << N << " K=" << K
                                  << " bias=" << bias << " [" << n0 << ", "
                                  << n1 << ") act=" << a.act << " up=" << a.up);
  const Encoding &e = kEncodings[2];
  ASSERT_EQ(e.kind, XFK_W_BF16);
  std::mt19937 rng(seed);
  PackedRows rows = pack(e, randomValues(N * K, rng), N, K);
  std::vector<uint8_t> packed = packWeights(e, rows, N, K);
  ASSERT_FALSE(testing::Test::HasFailure());
  int64_t ldx = K + 3, ldy = (n1 - n0) + 5;
  std::vector<float> x = randomValues(M * ldx, rng), b = randomValues(N, rng);
  int64_t ldb = xfk_bf16_row_bytes(K) / 2;
  std::vector<uint16_t> xb(M * ldb);
  xfk_round_rows_bf16(addr(x.data()), ldx, M, K, addr(xb.data()));
  std::vector<float> y(M * ldy, NAN);
  Residual r(M, N, seed, rng);
  xfk_linear_bf16(addr(xb.data()), addr(packed.data()),
                  bias ? addr(b.data()) : 0, r.address(), r.ld, a.act, a.up,
                  addr(y.data()), ldy, M, K, n0, n1);
  // The activations the kernel multiplies: x rounded to bf16.
  expectLinearOutput(
      y, ldy, M, K, n0, n1,
      [&](int64_t m, int64_t k) { return double(bf16Value(xb[m * ldb + k])); },
      rows.decoded, bias ? b.data() : nullptr, r.data(), r.ld, a);
}

TEST_P(Bf16LinearTest, ActivationEpilogue) {
  unsigned seed = 80;
  for (XfkActivation act : {XFK_ACT_SILU, XFK_ACT_GELU}) {
    checkBf16(3, 100, 33, true, 0, 100, seed++, {act, 0});
    checkBf16(1, 256, 64, false, 0, 128, seed++, {act, 128});
    checkBf16(40, 256, 300, true, 64, 128, seed++, {act, 128});
  }
}

TEST_P(Bf16LinearTest, ShapesAndTails) {
  unsigned seed = 50;
  for (int64_t M : {1, 2, 6, 7, 17})
    for (int64_t N : {1, 17, 64, 65, 130})
      for (int64_t K : {1, 2, 31, 32, 64, 97})
        checkBf16(M, N, K, (M + N + K) % 2 == 0, 0, N, seed++);
  // Column ranges at panel starts; K over several K blocks with a tail
  // past the AMX tiles' 32 values.
  checkBf16(3, 200, 40, true, 64, 200, seed++);
  checkBf16(20, 200, 70, true, 64, 200, seed++); // AMX, a partial pass
  checkBf16(18, 150, 1000, false, 128, 150, seed++);
  checkBf16(1, 64, 2048, true, 0, 64, seed++);
}

INSTANTIATE_TEST_SUITE_P(Isa, Bf16LinearTest, allIsas(), isaName);

} // namespace
