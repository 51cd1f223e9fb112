//===- ThreadPool.h - Persistent workers for compiled parallel loops -*- C++ -*-===//
//
// A session's thread pool. The generated code outlines each parallel loop
// into a body over an iteration range [begin, end) and asks the pool to run
// [0, n) (ModelABI.h, xfm_parallel_for). The pool splits the range statically
// into one contiguous chunk per thread; the calling thread runs chunk 0 and
// the persistent workers the others, so a dispatch costs a counter bump and
// a barrier, never an allocation or a thread start.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_THREADPOOL_H
#define XFRT_THREADPOOL_H

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace xfrt {

/// Runs the iterations [begin, end) of a parallel loop.
using ParallelBody = void (*)(void *context, int64_t begin, int64_t end);

class ThreadPool {
public:
  /// A pool of `threads` threads counting the caller, so `threads - 1`
  /// workers are started (0: one per available core). With `pin`, worker i
  /// is bound to the i-th core the process may run on; where that is not
  /// allowed (containers), it runs unbound.
  explicit ThreadPool(int threads = 0, bool pin = true);
  /// A pool whose worker i is bound to cores[i % cores.size()] (cores[0] is
  /// the caller's place): a worker group on one socket's cores. Empty
  /// `cores`: unbound.
  ThreadPool(int threads, const std::vector<int> &cores);
  /// Stops and joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Threads taking part in a dispatch, the caller included.
  int threads() const;
  /// Workers that were bound to a core.
  int pinnedWorkers() const;

  /// Calls `body` on the chunks of [0, n) (chunk(n, threads(), t) for each
  /// thread t with a non-empty chunk) and returns when all have returned.
  /// Called from inside a body, or while another thread dispatches on this
  /// pool, it runs body(context, 0, n) on the calling thread instead.
  void parallelFor(int64_t n, ParallelBody body, void *context);

  /// The contiguous range of part `index` when [0, n) is split into `parts`
  /// parts whose sizes differ by at most one.
  static std::pair<int64_t, int64_t> chunk(int64_t n, int parts, int index);

  /// Cores this process may run on (its affinity mask), at least 1.
  static int availableCores();
  /// Their ids, ascending (empty if the mask cannot be read).
  static std::vector<int> allowedCores();

private:
  struct State;
  std::unique_ptr<State> state;
};

} // namespace xfrt

extern "C" {
/// ModelABI's XfmParallelFor over a ThreadPool: `pool` is an
/// xfrt::ThreadPool.
void xfrt_pool_parallel_for(void *pool, int64_t n, xfrt::ParallelBody body,
                            void *context);
}

#endif // XFRT_THREADPOOL_H
