//===- SpinWait.h - Waiting on an atomic: spin, then futex ------*- C++ -*-===//
//
// What the thread pool and the worker groups' barrier share: a waiter polls
// its atomic for a short time, then sleeps on it with futex.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_SPINWAIT_H
#define XFRT_LIB_SPINWAIT_H

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <thread>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace xfrt {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "futex needs a plain 32-bit atomic");

/// How long a waiter polls before it sleeps: long enough to bridge the gap
/// between the parallel loops of one decode step, short enough not to burn
/// a core while the application does something else.
constexpr std::chrono::microseconds kSpinTime(200);

inline void futexWait(std::atomic<uint32_t> &word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAIT_PRIVATE,
          expected, nullptr, nullptr, 0);
}

inline void futexWakeAll(std::atomic<uint32_t> &word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAKE_PRIVATE,
          INT_MAX, nullptr, nullptr, 0);
}

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Polls until `ready()` or kSpinTime passed; returns whether it is ready.
template <typename Ready> inline bool spinUntil(Ready ready) {
  auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready())
        return true;
      cpuRelax();
    }
    if (std::chrono::steady_clock::now() > deadline)
      return false;
  }
}

} // namespace xfrt

#endif // XFRT_LIB_SPINWAIT_H
