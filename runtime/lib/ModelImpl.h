//===- ModelImpl.h - A loaded model, as Model.cpp and Session.cpp see it --===//

#ifndef XFRT_LIB_MODELIMPL_H
#define XFRT_LIB_MODELIMPL_H

#include "xfrt/ModelABI.h"
#include "xfrt/xfrt.h"

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

struct xfrt_model {
  void *library = nullptr;
  // The file's weights as mapped (`mapping` is page aligned; `fileWeights`
  // points at the section inside it) and, once placed, the copy in
  // anonymous memory the model reads (`weights`).
  void *mapping = nullptr;
  size_t mappingBytes = 0;
  const uint8_t *fileWeights = nullptr;
  const uint8_t *weights = nullptr;
  const XfmModelInfo *info = nullptr;
  int (*forward)(const XfmForwardArgs *) = nullptr;
  int64_t vocab = 0, context = 0, layers = 0, kvHeads = 0;
  int64_t kvRowBytes = 0; // one position of one KV head, as stored
  int32_t shards = 1;
  // A split model's [begin, end) byte range of each shard's own weights;
  // the replicated weights come before the first.
  std::vector<std::pair<uint64_t, uint64_t>> shardWeights;

  // Weight placement (placeWeights): the anonymous region, and which parts
  // hold their weights yet.
  std::mutex placing;
  void *region = nullptr;
  size_t regionBytes = 0;
  uint8_t *placed = nullptr;
  bool replicatedPlaced = false;
  bool placementFailed = false;
  std::vector<bool> shardPlaced;
};

namespace xfrt {

/// Copies the weights shard `shards[i]` reads (its own, and the replicated
/// ones if not yet done) into memory backed by 2 MiB pages, its own bound to
/// nodes[i] and the replicated ones spread over `nodes`, unless
/// XFRT_WEIGHTS=map. A model that is not split has one shard, all of whose
/// weights are replicated. Keeps reading the file mapping if memory is
/// short.
void placeWeights(xfrt_model &model, const std::vector<int> &shards,
                  const std::vector<int> &nodes);

/// The bytes shard `shard` reads: its own weights and the replicated ones.
uint64_t shardWeightBytes(const xfrt_model &model, int shard);

} // namespace xfrt

#endif // XFRT_LIB_MODELIMPL_H
