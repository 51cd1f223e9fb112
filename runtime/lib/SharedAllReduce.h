//===- SharedAllReduce.h - All-reduce between worker groups -----*- C++ -*-===//
//
// The sum behind a split model's xf.all_reduce when its shards are worker
// groups of one process. Each group copies its partial sum into a slot of
// its own (on its node), the groups meet at a barrier, each sums its share
// of whole cache lines over all slots into a common buffer, they meet
// again, and each copies the total back. So a line is written by one group
// only (no false sharing), every group reads every slot once, and all
// groups get bit-identical sums (the same order of additions). Longer
// vectors go through in chunks that stay in L2.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_SHAREDALLREDUCE_H
#define XFRT_LIB_SHAREDALLREDUCE_H

#include "Numa.h"

#include <atomic>
#include <cstdint>
#include <vector>

namespace xfrt {

/// A reusable barrier for a fixed number of threads: spins briefly, then
/// sleeps on a futex.
class Barrier {
public:
  explicit Barrier(int parties) : parties(static_cast<uint32_t>(parties)) {}
  void wait();

private:
  const uint32_t parties;
  alignas(64) std::atomic<uint32_t> arrived{0};
  alignas(64) std::atomic<uint32_t> generation{0};
  std::atomic<uint32_t> sleepers{0};
};

class SharedAllReduce {
public:
  /// Floats per chunk: 64 KiB per slot.
  static constexpr int64_t kChunk = 16384;

  /// For `shards` groups; slot k is bound to nodes[k].
  SharedAllReduce(int shards, const std::vector<int> &nodes);

  /// Called by every group with its partial sum; returns with `data`
  /// holding the sum of all groups' `data`. All groups pass the same count.
  /// Returns the seconds this group waited for the last one to arrive.
  double reduce(int shard, float *data, int64_t count);

private:
  int shards;
  std::vector<numa::Memory> slots;
  numa::Memory total;
  Barrier barrier;
};

} // namespace xfrt

#endif // XFRT_LIB_SHAREDALLREDUCE_H
