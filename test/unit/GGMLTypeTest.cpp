//===- GGMLTypeTest.cpp - ggml block codecs -------------------------------===//

#include "xfc/Frontends/GGUF/GGMLType.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace xfc::gguf;

namespace {

TEST(GGMLType, HalfConversionsRoundTripEveryValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = halfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    ASSERT_EQ(floatToHalf(f), h) << "half 0x" << std::hex << h;
  }
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);              // rounds to inf
  EXPECT_EQ(floatToHalf(1.0f + 1.0f / 4096), 0x3c00);    // ties to even
}

TEST(GGMLType, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(bf16ToFloat(floatToBF16(1.0f)), 1.0f);
  EXPECT_EQ(floatToBF16(1.0f + 1.0f / 256), 0x3f80); // tie, stays even
  EXPECT_EQ(floatToBF16(1.0f + 3.0f / 256), 0x3f82); // tie, rounds up to even
}

/// Quantized types reconstruct within half a quantization step per block.
class QuantCodec : public ::testing::TestWithParam<GGMLType> {};

TEST_P(QuantCodec, DecodeInvertsEncode) {
  GGMLType type = GetParam();
  GGMLTypeInfo info = *getTypeInfo(static_cast<uint32_t>(type));
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> x(256), y(256);
  for (float &v : x)
    v = normal(rng);
  std::vector<uint8_t> blocks(256 / info.blockSize * info.blockBytes);
  ASSERT_TRUE(encodeFromF32(type, x.data(), x.size(), blocks.data()));
  ASSERT_TRUE(decodeToF32(type, blocks.data(), y.size(), y.data()));
  for (size_t b = 0; b < 256; b += 32) {
    float lo = x[b], hi = x[b], amax = 0;
    for (size_t j = b; j < b + 32; ++j) {
      lo = std::min(lo, x[j]), hi = std::max(hi, x[j]);
      amax = std::max(amax, std::fabs(x[j]));
    }
    // Round-to-nearest gives half a step; Q4_0 clamps the extreme opposite
    // its scale's sign to 7 (a whole step, as ggml's reference does). The
    // f16 scales add a relative 2^-11.
    float bound = 0;
    switch (type) {
    case GGMLType::Q8_0: bound = amax / 127 * 0.5f + amax * 0x1p-10f; break;
    case GGMLType::Q4_0: bound = amax / 8 + amax * 0x1p-9f; break;
    case GGMLType::Q4_1:
      bound = (hi - lo) / 15 * 0.5f + (std::fabs(lo) + hi - lo) * 0x1p-10f;
      break;
    case GGMLType::F16: bound = amax * 0x1p-11f; break;
    default: bound = amax * 0x1p-8f; break; // BF16
    }
    for (size_t j = b; j < b + 32; ++j)
      EXPECT_NEAR(y[j], x[j], bound) << "element " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, QuantCodec,
                         ::testing::Values(GGMLType::Q8_0, GGMLType::Q4_0,
                                           GGMLType::Q4_1, GGMLType::F16,
                                           GGMLType::BF16));

/// K-quant decoders on blocks built by hand, with known values.
TEST(GGMLType, DecodesQ4KBlock) {
  std::vector<uint8_t> b(144, 0);
  uint16_t one = floatToHalf(1.0f), half = floatToHalf(0.5f);
  std::memcpy(&b[0], &one, 2);  // d
  std::memcpy(&b[2], &half, 2); // dmin
  // Sub-blocks 0..3: scale 2, min 1 (6-bit fields in bytes 0-7).
  for (int j = 0; j < 4; ++j)
    b[4 + j] = 2, b[8 + j] = 1;
  // Sub-blocks 4..7: scale 3, min 2 (low nibbles in bytes 8-11).
  for (int j = 0; j < 4; ++j)
    b[12 + j] = 3 | (2 << 4);
  for (int l = 0; l < 128; ++l)
    b[16 + l] = static_cast<uint8_t>(l % 16 | ((15 - l % 16) << 4));
  std::vector<float> y(256);
  ASSERT_TRUE(decodeToF32(GGMLType::Q4_K, b.data(), 256, y.data()));
  // Element 0: sub-block 0, low nibble 0 -> 1*2*0 - 0.5*1.
  EXPECT_FLOAT_EQ(y[0], -0.5f);
  // Element 33: sub-block 1 (high nibbles of bytes 0..31), q = 15 - 1.
  EXPECT_FLOAT_EQ(y[33], 2.0f * 14 - 0.5f);
  // Element 200: sub-block 6 (low nibbles of bytes 96..127), q = 8.
  EXPECT_FLOAT_EQ(y[200], 3.0f * 8 - 0.5f * 2);
}

TEST(GGMLType, DecodesQ6KBlock) {
  std::vector<uint8_t> b(210, 0);
  uint16_t d = floatToHalf(0.25f);
  std::memcpy(&b[208], &d, 2);
  for (int i = 0; i < 16; ++i)
    b[192 + i] = static_cast<uint8_t>(static_cast<int8_t>(i - 8));
  b[0] = 0x0f;     // element 0: low 4 bits 15, high bits 0 -> q = 15 - 32
  b[128] = 0x03 << 2; // element 32: high bits 3 -> q = (3 << 4) - 32
  std::vector<float> y(256);
  ASSERT_TRUE(decodeToF32(GGMLType::Q6_K, b.data(), 256, y.data()));
  EXPECT_FLOAT_EQ(y[0], 0.25f * -8 * (15 - 32));
  EXPECT_FLOAT_EQ(y[32], 0.25f * -6 * (48 - 32));
  EXPECT_FLOAT_EQ(y[1], 0.25f * -8 * -32);
}

TEST(GGMLType, UnsupportedTypesHaveNoDecoder) {
  std::vector<uint8_t> b(84, 0);
  std::vector<float> y(256);
  EXPECT_FALSE(decodeToF32(GGMLType::Q2_K, b.data(), 256, y.data()));
  EXPECT_EQ(getTypeInfo(static_cast<uint32_t>(GGMLType::Q2_K))->import,
            ImportKind::Unsupported);
  EXPECT_FALSE(getTypeInfo(4)); // removed from ggml
  EXPECT_EQ(typeName(4), "type 4");
}

} // namespace
