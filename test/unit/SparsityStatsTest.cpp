//===- SparsityStatsTest.cpp - Measuring a weight's zeros -----------------===//

#include "xfc/SparsityStats.h"

#include <gtest/gtest.h>

#include <vector>

using namespace xfc;

namespace {

constexpr int64_t kRows = 8, kCols = 32;

std::vector<float> ones() { return std::vector<float>(kRows * kCols, 1.0f); }

TEST(SparsityStats, DenseHasNoZeros) {
  SparsityStats s = measureSparsity(ones(), kRows, kCols);
  EXPECT_EQ(s.zeros, 0.0);
  EXPECT_FALSE(s.twoOfFour);
  EXPECT_EQ(s.zeroBlocks1x4, 0.0);
  EXPECT_EQ(s.zeroBlocks4x16, 0.0);
}

TEST(SparsityStats, TwoOfFourNeedsEveryRun) {
  std::vector<float> v = ones();
  for (size_t i = 0; i < v.size(); i += 4) // zeros at varying places
    v[i + (i / 4) % 4] = v[i + ((i / 4) + 1) % 4] = 0.0f;
  SparsityStats s = measureSparsity(v, kRows, kCols);
  EXPECT_TRUE(s.twoOfFour);
  EXPECT_DOUBLE_EQ(s.zeros, 0.5);
  EXPECT_EQ(s.zeroBlocks1x4, 0.0);
  v[4 + (1 % 4)] = 1.0f; // one run with a single zero
  EXPECT_FALSE(measureSparsity(v, kRows, kCols).twoOfFour);
}

TEST(SparsityStats, CountsWholeZeroBlocks) {
  std::vector<float> v = ones();
  // One 4x16 block (rows 4..7, columns 16..31), plus one lone 1x4 block.
  for (int64_t i = 4; i < 8; ++i)
    for (int64_t j = 16; j < 32; ++j)
      v[i * kCols + j] = 0.0f;
  for (int64_t j = 0; j < 4; ++j)
    v[j] = 0.0f;
  SparsityStats s = measureSparsity(v, kRows, kCols);
  EXPECT_DOUBLE_EQ(s.zeroBlocks4x16, 1.0 / 4);          // 1 of 2x2 blocks
  EXPECT_DOUBLE_EQ(s.zeroBlocks1x4, (16.0 + 1) / 64.0); // of 8 x 8 blocks
  EXPECT_DOUBLE_EQ(s.zeros, (64.0 + 4) / 256.0);
  // A shape the blocks do not tile has none.
  EXPECT_EQ(
      measureSparsity(std::vector<float>(6 * 6, 0.0f), 6, 6).zeroBlocks4x16,
      0.0);
}

} // namespace
