//===- ModelImpl.h - A loaded model, as Model.cpp and Session.cpp see it --===//

#ifndef XFRT_LIB_MODELIMPL_H
#define XFRT_LIB_MODELIMPL_H

#include "xfrt/ModelABI.h"
#include "xfrt/xfrt.h"

#include <cstdint>
#include <mutex>
#include <string>
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
  int (*stage)(const XfmForwardArgs *, const XfmStageArgs *) = nullptr;
  // Batch decode (metadata batch_rows > 0): the entry and its most rows.
  int (*decodeBatch)(const XfmForwardArgs *, const XfmBatchArgs *) = nullptr;
  int64_t batchRows = 0;
  int64_t vocab = 0, context = 0, layers = 0, kvHeads = 0;
  int64_t kvRowBytes = 0; // one position of one KV head, as stored
  int32_t shards = 1;
  // SPEED stages (metadata speed_rows > 0): the most rows of a stage, the
  // layer cycle (N distinct layers repeated G times), the residual width,
  // and the weight bytes a stage reads, of which the N layers'.
  int64_t speedRows = 0, cycleLayers = 0, cycleGroups = 0, hiddenDim = 0;
  uint64_t stageBytes = 0, layerBytes = 0;
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

/// dlopen's a compiled model or graph and checks its ABI version; on
/// failure `error` names the file and `library` is closed.
xfrt_status openCompiled(const char *path, void *&library,
                         const XfmModelInfo *&info, std::string &error);

/// Writes `message` to `error` (up to `size` bytes, if not null) and
/// returns `status`: how a load reports failure.
xfrt_status failLoad(char *error, size_t size, xfrt_status status,
                     const std::string &message);

/// The value of the metadata line `key=value` ("" when there is none).
std::string metadataString(const char *metadata, const char *key);

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

/// The stored rows of every KV head at `position` of the keys (kv 0) or
/// values (1) of `layer`, in caches laid out as ModelABI.h says:
/// kvRowsBytes(model) bytes.
inline size_t kvRowsBytes(const xfrt_model &m) {
  return static_cast<size_t>(m.kvHeads * m.kvRowBytes);
}
inline uint8_t *kvRows(const xfrt_model &m, uint8_t *caches, int64_t layer,
                       int64_t kv, int64_t position) {
  return caches + ((layer * 2 + kv) * m.context + position) * kvRowsBytes(m);
}

/// What SPEED (Speed.cpp) needs of a session that is not split: its
/// model, KV caches (ModelABI.h's layout), context limit and position.
xfrt_model &sessionModel(xfrt_session &s);
uint8_t *sessionCaches(xfrt_session &s);
int64_t sessionContext(const xfrt_session &s);
void setSessionPosition(xfrt_session &s, int64_t position);
void setSessionError(xfrt_session &s, std::string message);
/// Runs one stage on the session's threads (growing its arena when needed);
/// an XFM_* status.
int runStage(xfrt_session &s, const XfmStageArgs &stage);
/// Grows the session's arena, once, to what the largest stage needs, so
/// that no stage allocates after; an XFM_* status.
int sizeArenaForStages(xfrt_session &s);

} // namespace xfrt

#endif // XFRT_LIB_MODELIMPL_H
