//===- ShardRendezvous.h - xf.all_reduce between evaluator threads --------===//
//
// xfc-eval evaluates a model split by xf-split-sockets with one thread per
// shard; each xf.all_reduce meets here. The last shard to arrive adds the
// partial sums up and wakes the others, which all return the sum.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TOOLS_XFC_EVAL_SHARDRENDEZVOUS_H
#define XFC_TOOLS_XFC_EVAL_SHARDRENDEZVOUS_H

#include "xfc/Dialect/XF/Eval/Evaluator.h"

#include <condition_variable>
#include <mutex>

namespace xfc {

class ShardRendezvous {
public:
  explicit ShardRendezvous(int64_t shards) : shards(shards) {}

  /// Adds `partial` to this round's sum, waits for every shard, and returns
  /// the sum; fails when the shards' shapes disagree or one gave up.
  mlir::FailureOr<mlir::xf::eval::Tensor>
  allReduce(const mlir::xf::eval::Tensor &partial) {
    std::unique_lock<std::mutex> lock(mutex);
    if (aborted)
      return mlir::failure();
    uint64_t round = rounds;
    if (arrived == 0)
      sum = partial;
    else if (sum.shape != partial.shape)
      mismatch = true;
    else
      for (size_t i = 0; i < sum.data.size(); ++i)
        sum.data[i] += partial.data[i];
    if (++arrived == shards) {
      // `result` changes only when every shard has arrived again, after
      // each has read this round's.
      result = std::move(sum);
      resultValid = !mismatch;
      arrived = 0, mismatch = false, ++rounds;
      changed.notify_all();
    } else {
      changed.wait(lock, [&] { return rounds != round || aborted; });
      if (rounds == round)
        return mlir::failure();
    }
    if (!resultValid)
      return mlir::failure();
    return result;
  }

  /// A shard failed: the others stop waiting for it.
  void abort() {
    std::lock_guard<std::mutex> lock(mutex);
    aborted = true;
    changed.notify_all();
  }

private:
  std::mutex mutex;
  std::condition_variable changed;
  int64_t shards, arrived = 0;
  uint64_t rounds = 0;
  bool aborted = false, mismatch = false, resultValid = false;
  mlir::xf::eval::Tensor sum, result;
};

} // namespace xfc

#endif // XFC_TOOLS_XFC_EVAL_SHARDRENDEZVOUS_H
