//===- ThreadPool.cpp - Persistent workers for compiled parallel loops ----===//
//
// The chunks are static (chunk t is always the same range of [0, n)), but
// not their threads: worker t runs chunk t if it claims it first; the caller,
// done with chunk 0, claims and runs the chunks no worker has claimed yet.
// So a worker that is slow to wake (a busy or oversubscribed machine) costs
// nothing but its share of the work, instead of stalling every loop.
//
// Synchronization, and why it is race-free (ThreadSanitizer sees only the
// atomics below; the futex calls are never relied on for ordering):
//
// * Dispatch. The caller writes the job (n, body, context) and `pending`
//   with plain/relaxed stores, then sets the ticket of each other non-empty
//   chunk (release) and increments `generation` (seq_cst) to wake workers.
//   Whoever takes a ticket (exchange, acquire) sees the job. Only a thread
//   holding a ticket reads the job, and the job is not written again until
//   every chunk has been run: the next dispatch starts only once `pending`
//   is zero. A worker that wakes late finds no ticket and waits again.
// * Completion. Whoever runs a chunk decrements `pending` afterwards
//   (seq_cst, at least release); the caller waits until it loads zero
//   (acquire), so every chunk's writes happen before parallelFor returns.
// * Sleeping. Waiters spin on their atomic for a short time, then sleep on
//   it with futex(FUTEX_WAIT, expected value), which returns at once if the
//   value already changed. To skip the wake-up system call when nobody
//   sleeps, a waiter announces itself (`sleepingWorkers`, `callerSleeping`)
//   before re-checking the value, and the writer checks the announcement
//   after changing it. All four accesses are seq_cst, so either the writer
//   sees the announcement and wakes, or the waiter sees the new value and
//   does not sleep.
//
//===----------------------------------------------------------------------===//

#include "xfrt/ThreadPool.h"

#include "SpinWait.h"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sched.h>

using namespace xfrt;

namespace {

/// The pool whose loop this thread runs: set on workers for their whole
/// life and on a caller during a dispatch. A parallel loop started there on
/// the same pool runs serially; on another pool (a worker group's, inside
/// a loop over the groups) it is dispatched.
thread_local const void *insideParallelLoop = nullptr;

} // namespace

struct ThreadPool::State {
  int threads = 1;
  int pinned = 0;
  std::vector<std::thread> workers;

  // The job, published by the tickets.
  int64_t n = 0;
  ParallelBody body = nullptr;
  void *context = nullptr;
  std::atomic<bool> stop{false};
  // tickets[t] is 1 while chunk t of the current job is unclaimed.
  std::unique_ptr<std::atomic<uint32_t>[]> tickets;

  // Written by the caller, polled by every worker: its own cache line.
  alignas(64) std::atomic<uint32_t> generation{0};
  std::atomic<uint32_t> sleepingWorkers{0};
  // Written by every worker, polled by the caller.
  alignas(64) std::atomic<uint32_t> pending{0};
  std::atomic<uint32_t> callerSleeping{0};
  // Held by the thread dispatching, so that two callers cannot mix jobs.
  alignas(64) std::atomic<bool> busy{false};

  void workerLoop(int index);
  /// Runs chunk `index` if nobody claimed it yet; returns whether it did.
  bool tryRun(int index) {
    if (tickets[index].exchange(0, std::memory_order_acquire) == 0)
      return false;
    auto [begin, end] = chunk(n, threads, index);
    body(context, begin, end);
    return true;
  }
};

void ThreadPool::State::workerLoop(int index) {
  insideParallelLoop = this;
  uint32_t seen = 0;
  for (;;) {
    uint32_t now = 0;
    auto changed = [&] {
      now = generation.load(std::memory_order_acquire);
      return now != seen;
    };
    if (!spinUntil(changed)) {
      sleepingWorkers.fetch_add(1, std::memory_order_seq_cst);
      while ((now = generation.load(std::memory_order_seq_cst)) == seen)
        futexWait(generation, seen);
      sleepingWorkers.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = now;
    if (stop.load(std::memory_order_acquire))
      return;
    if (!tryRun(index))
      continue; // the caller ran it, or the wake-up was for a past job
    if (pending.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        callerSleeping.load(std::memory_order_seq_cst))
      futexWakeAll(pending);
  }
}

ThreadPool::ThreadPool(int threads, bool pin)
    : ThreadPool(threads, pin ? allowedCores() : std::vector<int>()) {}

ThreadPool::ThreadPool(int threads, const std::vector<int> &cores)
    : state(new State) {
  state->threads = threads > 0 ? threads : availableCores();
  state->tickets.reset(new std::atomic<uint32_t>[state->threads]);
  for (int i = 0; i < state->threads; ++i)
    state->tickets[i].store(0, std::memory_order_relaxed);
  state->workers.reserve(state->threads - 1);
  for (int i = 1; i < state->threads; ++i) {
    try {
      state->workers.emplace_back(&State::workerLoop, state.get(), i);
    } catch (const std::system_error &) {
      // Out of threads: run with those we have (chunks follow `threads`).
      state->threads = i;
      break;
    }
    if (cores.empty())
      continue;
    // Worker i on the i-th allowed core; the caller keeps core 0's place.
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cores[i % cores.size()], &one);
    if (pthread_setaffinity_np(state->workers.back().native_handle(),
                               sizeof(one), &one) == 0)
      ++state->pinned;
  }
}

ThreadPool::~ThreadPool() {
  state->stop.store(true, std::memory_order_relaxed);
  state->generation.fetch_add(1, std::memory_order_seq_cst);
  futexWakeAll(state->generation);
  for (std::thread &worker : state->workers)
    worker.join();
}

int ThreadPool::threads() const { return state->threads; }

int ThreadPool::pinnedWorkers() const { return state->pinned; }

void ThreadPool::parallelFor(int64_t n, ParallelBody body, void *context) {
  if (n <= 0)
    return;
  State &s = *state;
  if (s.threads == 1 || n == 1 || insideParallelLoop == &s ||
      s.busy.exchange(true, std::memory_order_acquire)) {
    body(context, 0, n);
    return;
  }
  const void *outer = insideParallelLoop;
  insideParallelLoop = &s;
  s.n = n;
  s.body = body;
  s.context = context;
  // Chunks 1 .. parts - 1 go to other threads; with n < threads the last
  // ones are empty and nobody runs them.
  int parts = static_cast<int>(std::min<int64_t>(n, s.threads));
  s.pending.store(static_cast<uint32_t>(parts - 1), std::memory_order_relaxed);
  for (int t = 1; t < parts; ++t)
    s.tickets[t].store(1, std::memory_order_release);
  s.generation.fetch_add(1, std::memory_order_seq_cst);
  if (s.sleepingWorkers.load(std::memory_order_seq_cst) != 0)
    futexWakeAll(s.generation);

  auto [begin, end] = chunk(n, s.threads, 0);
  body(context, begin, end);
  // Chunks whose workers have not woken up yet: run them here, last first
  // (workers wake in order).
  uint32_t ranHere = 0;
  for (int t = parts - 1; t >= 1; --t)
    ranHere += s.tryRun(t);
  if (ranHere)
    s.pending.fetch_sub(ranHere, std::memory_order_seq_cst);

  uint32_t left = 0;
  auto done = [&] {
    left = s.pending.load(std::memory_order_acquire);
    return left == 0;
  };
  if (!spinUntil(done)) {
    s.callerSleeping.store(1, std::memory_order_seq_cst);
    while ((left = s.pending.load(std::memory_order_seq_cst)) != 0)
      futexWait(s.pending, left);
    s.callerSleeping.store(0, std::memory_order_relaxed);
  }
  insideParallelLoop = outer;
  s.busy.store(false, std::memory_order_release);
}

std::pair<int64_t, int64_t> ThreadPool::chunk(int64_t n, int parts,
                                              int index) {
  // Without n * index, which could overflow.
  int64_t size = n / parts, rest = n % parts;
  int64_t begin = index * size + std::min<int64_t>(index, rest);
  return {begin, begin + size + (index < rest ? 1 : 0)};
}

std::vector<int> ThreadPool::allowedCores() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> cores;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed))
        cores.push_back(cpu);
  return cores;
}

int ThreadPool::availableCores() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
    return std::max(1, CPU_COUNT(&allowed));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

extern "C" void xfrt_pool_parallel_for(void *pool, int64_t n,
                                       ParallelBody body, void *context) {
  static_cast<ThreadPool *>(pool)->parallelFor(n, body, context);
}
