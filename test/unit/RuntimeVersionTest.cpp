//===- RuntimeVersionTest.cpp - libxfrt version and ABI checks ------------===//

#include "xfrt/xfrt.h"

#include <gtest/gtest.h>

#include <cstring>

TEST(RuntimeVersion, ReportsItsAbi) {
  EXPECT_EQ(xfrt_abi_version(), static_cast<uint32_t>(XFRT_ABI_VERSION));
  EXPECT_GT(std::strlen(xfrt_version()), 0u);
}

TEST(RuntimeVersion, RefusesOtherAbis) {
  EXPECT_TRUE(xfrt_abi_compatible(XFRT_ABI_VERSION));
  EXPECT_FALSE(xfrt_abi_compatible(XFRT_ABI_VERSION + 1));
  EXPECT_FALSE(xfrt_abi_compatible(0));
}
