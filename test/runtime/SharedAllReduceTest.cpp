//===- SharedAllReduceTest.cpp - The worker groups' all-reduce ------------===//
//
// Every group gets the exact sum of all groups' vectors (bit for bit, the
// same on each), for lengths around the chunk size, over many rounds that
// reuse the barrier; memory bound to a node is on that node. Also built
// with -fsanitize=thread (xfrt-thread-pool-tsan).
//
//===----------------------------------------------------------------------===//

#include "SharedAllReduce.h"
#include "Numa.h"
#include "xfrt/ThreadPool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

using xfrt::SharedAllReduce;

namespace {

/// A value that differs by group, index and round, with rounding in sums.
float value(int group, int64_t i, int round) {
  return static_cast<float>((group * 7919 + i * 31 + round * 13) % 1009) /
             97.0f -
         5.0f;
}

void checkSums(int groups, int64_t count, int rounds) {
  SharedAllReduce reduce(groups, std::vector<int>(groups, -1));
  std::vector<std::vector<float>> data(groups, std::vector<float>(count));
  std::vector<std::vector<float>> expected(rounds, std::vector<float>(count));
  for (int r = 0; r < rounds; ++r)
    for (int64_t i = 0; i < count; ++i) {
      float sum = value(0, i, r);
      for (int g = 1; g < groups; ++g)
        sum += value(g, i, r);
      expected[r][i] = sum;
    }
  std::vector<int> mismatches(groups, 0);
  std::vector<std::thread> threads;
  for (int g = 0; g < groups; ++g)
    threads.emplace_back([&, g] {
      for (int r = 0; r < rounds; ++r) {
        for (int64_t i = 0; i < count; ++i)
          data[g][i] = value(g, i, r);
        reduce.reduce(g, data[g].data(), count);
        if (count && std::memcmp(data[g].data(), expected[r].data(),
                                 count * sizeof(float)) != 0)
          ++mismatches[g];
      }
    });
  for (std::thread &t : threads)
    t.join();
  for (int g = 0; g < groups; ++g)
    EXPECT_EQ(mismatches[g], 0)
        << groups << " groups, " << count << " floats: group " << g;
}

TEST(SharedAllReduce, EveryGroupGetsTheExactSum) {
  const int64_t chunk = SharedAllReduce::kChunk;
  for (int groups : {2, 3, 4})
    for (int64_t count : {int64_t(0), int64_t(1), int64_t(17), int64_t(2048),
                          chunk, chunk + 1, 2 * chunk + 5})
      checkSums(groups, count, 3);
}

TEST(SharedAllReduce, ManyRoundsReuseTheBarrier) { checkSums(2, 64, 2000); }

TEST(SharedAllReduce, OneGroupKeepsItsValues) {
  SharedAllReduce reduce(1, {-1});
  std::vector<float> data = {1.5f, -2.0f, 3.25f};
  reduce.reduce(0, data.data(), 3);
  EXPECT_EQ(data, (std::vector<float>{1.5f, -2.0f, 3.25f}));
}

TEST(Numa, BoundMemoryIsOnItsNode) {
  if (!xfrt::numa::available())
    GTEST_SKIP() << "no NUMA placement here (kernel or seccomp)";
  int node = xfrt::numa::nodes() - 1;
  xfrt::numa::Memory memory(1 << 20, node);
  std::memset(memory.data, 1, memory.bytes); // first touch
  EXPECT_EQ(xfrt::numa::nodeOf(memory.data), node);
  EXPECT_EQ(
      xfrt::numa::nodeOf(static_cast<char *>(memory.data) + memory.bytes - 1),
      node);
  // Some core this process may use belongs to the node.
  EXPECT_FALSE(
      xfrt::numa::coresOf(node, xfrt::ThreadPool::allowedCores()).empty());
}

} // namespace
