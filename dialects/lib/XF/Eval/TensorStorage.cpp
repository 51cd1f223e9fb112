//===- TensorStorage.cpp - Reused blocks for large evaluator tensors ------===//

#include "xfc/Dialect/XF/Eval/Evaluator.h"

#include <map>
#include <mutex>
#include <new>

namespace {

// Blocks at least this large are kept after use, up to kMaxKept in all.
constexpr size_t kMinKept = size_t(8) << 20;
constexpr size_t kMaxKept = size_t(2) << 30;

struct BlockCache {
  std::mutex mutex;
  std::multimap<size_t, void *> free;
  size_t kept = 0;
};

BlockCache &cache() {
  static BlockCache *instance = new BlockCache; // outlives static tensors
  return *instance;
}

} // namespace

void *mlir::xf::eval::detail::allocateBlock(size_t bytes) {
  if (bytes >= kMinKept) {
    BlockCache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (auto it = c.free.find(bytes); it != c.free.end()) {
      void *block = it->second;
      c.free.erase(it);
      c.kept -= bytes;
      return block;
    }
  }
  return ::operator new(bytes);
}

void mlir::xf::eval::detail::releaseBlock(void *block, size_t bytes) {
  if (bytes >= kMinKept) {
    BlockCache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.kept + bytes <= kMaxKept) {
      c.free.emplace(bytes, block);
      c.kept += bytes;
      return;
    }
  }
  ::operator delete(block);
}

void mlir::xf::eval::releaseCachedBlocks() {
  BlockCache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto &[bytes, block] : c.free)
    ::operator delete(block);
  c.free.clear();
  c.kept = 0;
}
