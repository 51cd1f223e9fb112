//===- Numa.h - Sockets' cores and memory ------------------------*- C++
//-*-===//
//
// The little of libnuma the worker groups need: which cores a NUMA node has,
// binding a range of memory to a node before it is first touched, and
// asking the kernel where a page really is (get_mempolicy).
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_NUMA_H
#define XFRT_LIB_NUMA_H

#include <cstddef>
#include <vector>

namespace xfrt::numa {

/// Whether the kernel lets this process place memory (libnuma works, and
/// no seccomp profile blocks mbind/get_mempolicy).
bool available();

/// NUMA nodes with memory (1 when not available()).
int nodes();

/// The cores of `node` among `allowed` (all of `allowed` without NUMA).
std::vector<int> coresOf(int node, const std::vector<int> &allowed);

/// Makes the pages of [address, address + bytes) come from `node` while it
/// has memory, else from the others (MPOL_PREFERRED: placement, never an
/// out-of-memory kill), moving those already touched; the range is widened
/// to whole pages. Returns whether the kernel agreed.
bool bind(void *address, size_t bytes, int node);

/// Spreads the pages of the range over `nodes` (MPOL_INTERLEAVE).
bool interleave(void *address, size_t bytes, const std::vector<int> &nodes);

/// Gives the whole pages inside the range of anonymous memory back to the
/// system (MADV_DONTNEED): they read as zeros when touched again.
void discard(void *address, size_t bytes);

/// The node holding the (touched) page at `address`, or -1.
int nodeOf(const void *address);

/// Anonymous zeroed memory bound to `node` (any node when -1), released
/// with munmap(data, bytes) by ~Memory.
struct Memory {
  Memory() = default;
  Memory(size_t bytes, int node);
  Memory(Memory &&other) noexcept;
  Memory &operator=(Memory &&other) noexcept;
  ~Memory();
  /// Replaces the memory with `bytes` on `node`, as a model's scratch arena
  /// grows after a call that found it too small (the call completed from
  /// the heap). False, keeping the old memory, when there is none to have:
  /// calls then go on completing from the heap.
  bool grow(size_t bytes, int node);
  void *data = nullptr;
  size_t bytes = 0;
};

} // namespace xfrt::numa

#endif // XFRT_LIB_NUMA_H
