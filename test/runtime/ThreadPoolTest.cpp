//===- ThreadPoolTest.cpp - The runtime's thread pool ---------------------===//
//
// Every index is visited exactly once, whatever n and the thread count;
// workers' writes are visible when parallelFor returns; nested and
// concurrent dispatches fall back to serial; sleeping workers wake (or the
// caller runs their chunks); pools shut down without leaving threads; a
// dispatch allocates nothing. Also built with -fsanitize=thread (test
// `thread-pool-tsan`).
//
//===----------------------------------------------------------------------===//

#include "AllocationCounter.h"

#include "xfrt/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <dirent.h>
#include <thread>
#include <vector>

using xfrt::ThreadPool;

namespace {

/// Counts visits per index; records empty or out-of-range chunks.
struct Visits {
  std::vector<std::atomic<int>> count;
  std::atomic<int> badChunks{0};
  explicit Visits(int64_t n) : count(n) {}

  static void body(void *self, int64_t begin, int64_t end) {
    auto *v = static_cast<Visits *>(self);
    if (begin >= end || begin < 0 || end > int64_t(v->count.size()))
      ++v->badChunks;
    for (int64_t i = begin; i < end; ++i)
      v->count[i].fetch_add(1, std::memory_order_relaxed);
  }
  void expectEachOnce(const char *what) {
    EXPECT_EQ(badChunks.load(), 0) << what;
    for (size_t i = 0; i < count.size(); ++i)
      ASSERT_EQ(count[i].load(), 1) << what << ": index " << i;
  }
};

std::chrono::milliseconds pastTheSpin() { return std::chrono::milliseconds(5); }

int threadsOfThisProcess() {
  int tasks = 0;
  if (DIR *dir = opendir("/proc/self/task")) {
    while (dirent *entry = readdir(dir))
      tasks += entry->d_name[0] != '.';
    closedir(dir);
  }
  return tasks;
}

/// The kernel wakes pthread_join when it clears the thread id, a moment
/// before the task leaves /proc/self/task; so give a joined thread up to a
/// second to disappear. A leaked worker never does.
int threadsAfterSettling(int expected) {
  int tasks = threadsOfThisProcess();
  for (int i = 0; i < 100 && tasks != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    tasks = threadsOfThisProcess();
  }
  return tasks;
}

TEST(ThreadPool, ChunksPartitionTheRange) {
  for (int parts = 1; parts <= 9; ++parts)
    for (int64_t n = 0; n <= 40; ++n) {
      int64_t next = 0, smallest = n, largest = 0;
      for (int p = 0; p < parts; ++p) {
        auto [begin, end] = ThreadPool::chunk(n, parts, p);
        ASSERT_EQ(begin, next) << n << " in " << parts;
        ASSERT_LE(begin, end);
        smallest = std::min(smallest, end - begin);
        largest = std::max(largest, end - begin);
        next = end;
      }
      EXPECT_EQ(next, n);
      EXPECT_LE(largest - smallest, 1);
    }
  // No overflow at the top of the range.
  int64_t huge = INT64_MAX;
  EXPECT_EQ(ThreadPool::chunk(huge, 3, 2).second, huge);
  EXPECT_EQ(ThreadPool::chunk(huge, 3, 1).first,
            ThreadPool::chunk(huge, 3, 0).second);
}

TEST(ThreadPool, EveryIndexOnce) {
  for (int threads : {1, 2, 3, 4, 7}) {
    ThreadPool pool(threads);
    ASSERT_EQ(pool.threads(), threads);
    EXPECT_LE(pool.pinnedWorkers(), threads - 1);
    for (int64_t n : {0, 1, 2, 3, 5, 6, 7, 8, 100, 1000, 12345}) {
      Visits visits(n);
      pool.parallelFor(n, Visits::body, &visits);
      std::string what = std::to_string(threads) + " threads, n " +
                         std::to_string(n);
      visits.expectEachOnce(what.c_str());
    }
  }
}

TEST(ThreadPool, DefaultIsOneThreadPerCore) {
  ThreadPool pool;
  EXPECT_EQ(pool.threads(), ThreadPool::availableCores());
  EXPECT_GE(pool.threads(), 1);
}

/// Plain (non-atomic) writes on workers must be visible to the caller once
/// parallelFor returns, dispatch after dispatch. The caller's chunk waits
/// (up to a second) for the workers to start theirs, so that they, not the
/// caller, run them.
TEST(ThreadPool, RepeatedDispatchesPublishResults) {
  constexpr int threads = 3;
  ThreadPool pool(threads);
  std::vector<int64_t> data(257);
  struct Step {
    std::vector<int64_t> *data;
    int64_t round;
    int workerChunks;
    std::atomic<int> started{0};
  } step{&data, 0, 0};
  auto body = [](void *s, int64_t begin, int64_t end) {
    auto *st = static_cast<Step *>(s);
    if (begin == 0) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (st->started.load() < st->workerChunks &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    } else {
      ++st->started;
    }
    for (int64_t i = begin; i < end; ++i)
      (*st->data)[i] += i + st->round;
  };
  int64_t rounds = 3000;
  for (step.round = 0; step.round < rounds; ++step.round) {
    // Vary n so that chunk boundaries move between dispatches.
    int64_t n = 1 + step.round % int64_t(data.size());
    step.workerChunks = static_cast<int>(std::min<int64_t>(n, threads)) - 1;
    step.started.store(0);
    pool.parallelFor(n, body, &step);
  }
  std::vector<int64_t> expected(data.size());
  for (int64_t r = 0; r < rounds; ++r)
    for (int64_t i = 0; i <= r % int64_t(data.size()); ++i)
      expected[i] += i + r;
  EXPECT_EQ(data, expected);
}

/// The caller runs chunk 0. Here it holds chunk 0 until chunk 2 has run,
/// so chunk 2 (and so the caller's claim on it) must be a worker's.
TEST(ThreadPool, WorkersRunTheOtherChunks) {
  ThreadPool pool(3);
  struct Run {
    std::thread::id ids[3];
    std::atomic<bool> lastDone{false};
  } run;
  auto body = [](void *p, int64_t begin, int64_t end) {
    auto *r = static_cast<Run *>(p);
    for (int64_t i = begin; i < end; ++i)
      r->ids[i] = std::this_thread::get_id();
    if (begin == 0) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!r->lastDone.load() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    }
    if (begin == 2)
      r->lastDone.store(true);
  };
  pool.parallelFor(3, body, &run);
  EXPECT_TRUE(run.lastDone.load());
  EXPECT_EQ(run.ids[0], std::this_thread::get_id()); // the caller's chunk
  EXPECT_NE(run.ids[2], std::this_thread::get_id());
}

/// A loop whose body dispatches an inner loop on the same pool.
struct Nest {
  static constexpr int64_t outer = 6, inner = 50;
  ThreadPool *pool;
  Visits visits{outer * inner};
  std::atomic<int> foreignThreads{0};

  struct Row {
    Nest *nest;
    int64_t row;
    std::thread::id owner;
  };
  static void innerBody(void *p, int64_t begin, int64_t end) {
    auto *r = static_cast<Row *>(p);
    if (std::this_thread::get_id() != r->owner)
      ++r->nest->foreignThreads;
    Visits::body(&r->nest->visits, r->row * inner + begin,
                 r->row * inner + end);
  }
  static void outerBody(void *p, int64_t begin, int64_t end) {
    auto *n = static_cast<Nest *>(p);
    for (int64_t row = begin; row < end; ++row) {
      Row r{n, row, std::this_thread::get_id()};
      n->pool->parallelFor(inner, innerBody, &r);
    }
  }
};

/// The inner loops run on the thread of their outer chunk.
TEST(ThreadPool, NestedLoopsRunSerially) {
  ThreadPool pool(3);
  Nest nest{&pool};
  pool.parallelFor(Nest::outer, Nest::outerBody, &nest);
  nest.visits.expectEachOnce("nested");
  EXPECT_EQ(nest.foreignThreads.load(), 0);
}

/// A loop on another pool, started inside a loop (a worker group's pool,
/// inside the loop that starts the groups), is dispatched in chunks rather
/// than run as one serial call.
TEST(ThreadPool, NestedLoopOnAnotherPoolIsDispatched) {
  ThreadPool outer(2);
  ThreadPool groups[2] = {ThreadPool(2), ThreadPool(2)};
  struct Run {
    ThreadPool *groups;
    std::atomic<int> innerCalls[2] = {{0}, {0}};
    static void inner(void *counter, int64_t, int64_t) {
      static_cast<std::atomic<int> *>(counter)->fetch_add(1);
    }
    static void body(void *self, int64_t begin, int64_t end) {
      auto *run = static_cast<Run *>(self);
      for (int64_t g = begin; g < end; ++g)
        run->groups[g].parallelFor(2, inner, &run->innerCalls[g]);
    }
  } run{groups};
  outer.parallelFor(2, Run::body, &run);
  EXPECT_EQ(run.innerCalls[0].load(), 2);
  EXPECT_EQ(run.innerCalls[1].load(), 2);
}

/// Two application threads sharing a pool: one dispatches, the other runs
/// serially meanwhile; both complete exactly.
TEST(ThreadPool, ConcurrentCallersAreSafe) {
  ThreadPool pool(3);
  auto caller = [&pool](int64_t n, int rounds, std::atomic<int> *failures) {
    for (int r = 0; r < rounds; ++r) {
      Visits visits(n);
      pool.parallelFor(n, Visits::body, &visits);
      if (visits.badChunks)
        ++*failures;
      for (auto &c : visits.count)
        if (c.load() != 1)
          ++*failures;
    }
  };
  std::atomic<int> failures{0};
  std::thread a(caller, 300, 2000, &failures), b(caller, 77, 2000, &failures);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

/// Workers idle past their spin sleep on the futex and must wake for the
/// next dispatch; a caller whose workers are slow sleeps and is woken.
TEST(ThreadPool, SleepingWorkersAndCallerWake) {
  ThreadPool pool(3);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(pastTheSpin());
    Visits visits(9);
    pool.parallelFor(9, Visits::body, &visits);
    visits.expectEachOnce("after idling");
  }
  auto slowWorkers = [](void *p, int64_t begin, int64_t end) {
    if (begin != 0)
      std::this_thread::sleep_for(pastTheSpin());
    Visits::body(p, begin, end);
  };
  for (int round = 0; round < 5; ++round) {
    Visits visits(3);
    pool.parallelFor(3, slowWorkers, &visits);
    visits.expectEachOnce("slow workers");
  }
}

/// Pools start and join their workers, busy or asleep, leaving no thread.
TEST(ThreadPool, ShutdownJoinsEveryWorker) {
  // A sanitizer runtime starts its own helper thread at the first thread
  // creation; count from after that, so only the pools' workers are measured.
  { ThreadPool warmUp(2); }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int before = threadsOfThisProcess();
  for (int i = 0; i < 50; ++i) {
    ThreadPool pool(1 + i % 4);
    if (i % 3 == 1) {
      Visits visits(10);
      pool.parallelFor(10, Visits::body, &visits);
    }
    if (i % 5 == 0)
      std::this_thread::sleep_for(pastTheSpin()); // workers asleep
  }
  EXPECT_EQ(threadsAfterSettling(before), before);
}

TEST(ThreadPool, DispatchAllocatesNothing) {
  if (!xfc::test::allocationCountingAvailable())
    GTEST_SKIP() << "the sanitizer owns malloc in this build";
  ThreadPool pool(3);
  Visits visits(1000);
  pool.parallelFor(1000, Visits::body, &visits); // warm-up
  long before = xfc::test::allocationCount();
  for (int i = 0; i < 1000; ++i)
    pool.parallelFor(1000, Visits::body, &visits);
  EXPECT_EQ(xfc::test::allocationCount() - before, 0);
}

} // namespace
