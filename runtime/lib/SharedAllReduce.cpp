//===- SharedAllReduce.cpp - All-reduce between worker groups -------------===//

#include "SharedAllReduce.h"

#include "SpinWait.h"
#include "xfrt/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstring>

using namespace xfrt;

void Barrier::wait() {
  uint32_t seen = generation.load(std::memory_order_acquire);
  if (arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == parties) {
    // The last to arrive resets the count before it releases the others,
    // who cannot arrive again until they see the new generation.
    arrived.store(0, std::memory_order_relaxed);
    generation.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers.load(std::memory_order_seq_cst))
      futexWakeAll(generation);
    return;
  }
  auto released = [&] {
    return generation.load(std::memory_order_acquire) != seen;
  };
  if (spinUntil(released))
    return;
  sleepers.fetch_add(1, std::memory_order_seq_cst);
  while (generation.load(std::memory_order_seq_cst) == seen)
    futexWait(generation, seen);
  sleepers.fetch_sub(1, std::memory_order_relaxed);
}

SharedAllReduce::SharedAllReduce(int shards, const std::vector<int> &nodes)
    : shards(shards), total(kChunk * sizeof(float), -1), barrier(shards) {
  for (int k = 0; k < shards; ++k)
    slots.emplace_back(kChunk * sizeof(float),
                       k < static_cast<int>(nodes.size()) ? nodes[k] : -1);
}

double SharedAllReduce::reduce(int shard, float *data, int64_t count) {
  using Clock = std::chrono::steady_clock;
  constexpr int64_t kLine = 64 / sizeof(float);
  auto *sum = static_cast<float *>(total.data);
  Clock::duration waited{};
  for (int64_t offset = 0; offset < count; offset += kChunk) {
    int64_t size = std::min(kChunk, count - offset);
    std::memcpy(slots[shard].data, data + offset, size * sizeof(float));
    auto arrived = Clock::now();
    barrier.wait();
    if (offset == 0)
      waited = Clock::now() - arrived;
    // This group's share of the chunk's cache lines.
    auto [first, last] =
        ThreadPool::chunk((size + kLine - 1) / kLine, shards, shard);
    int64_t begin = first * kLine, end = std::min(last * kLine, size);
    const auto *slot0 = static_cast<const float *>(slots[0].data);
    for (int64_t i = begin; i < end; ++i)
      sum[i] = slot0[i];
    for (int k = 1; k < shards; ++k) {
      const auto *slot = static_cast<const float *>(slots[k].data);
      for (int64_t i = begin; i < end; ++i)
        sum[i] += slot[i];
    }
    barrier.wait();
    std::memcpy(data + offset, sum, size * sizeof(float));
  }
  return std::chrono::duration<double>(waited).count();
}
