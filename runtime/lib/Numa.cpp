//===- Numa.cpp - Sockets' cores and memory -------------------------------===//

#include "Numa.h"

#include <algorithm>
#include <cstdint>
#include <new>
#include <utility>

#include <numa.h>
#include <numaif.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace xfrt;

namespace {

/// [address, address + bytes) widened to whole pages.
std::pair<void *, size_t> pages(void *address, size_t bytes) {
  auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<uintptr_t>(address) / page * page;
  uintptr_t end =
      (reinterpret_cast<uintptr_t>(address) + bytes + page - 1) / page * page;
  return {reinterpret_cast<void *>(begin), end - begin};
}

bool setPolicy(void *address, size_t bytes, int mode,
               const std::vector<int> &nodes) {
  if (!numa::available() || bytes == 0)
    return false;
  unsigned long mask[16] = {};
  const unsigned long bitsPerWord = 8 * sizeof(unsigned long);
  for (int node : nodes) {
    if (node < 0 || static_cast<unsigned long>(node) >= 16 * bitsPerWord)
      return false;
    mask[node / bitsPerWord] |= 1ul << (node % bitsPerWord);
  }
  auto [begin, size] = pages(address, bytes);
  return mbind(begin, size, mode, mask, 16 * bitsPerWord, MPOL_MF_MOVE) == 0;
}

} // namespace

bool numa::available() {
  // numa_available() only asks get_mempolicy, which a container's seccomp
  // profile may refuse while libnuma still loads.
  static const bool works = numa_available() >= 0 &&
                            get_mempolicy(nullptr, nullptr, 0, nullptr, 0) == 0;
  return works;
}

int numa::nodes() {
  if (!available())
    return 1;
  return std::max(1, numa_num_configured_nodes());
}

std::vector<int> numa::coresOf(int node, const std::vector<int> &allowed) {
  if (!available() || nodes() == 1)
    return allowed;
  std::vector<int> cores;
  for (int cpu : allowed)
    if (numa_node_of_cpu(cpu) == node)
      cores.push_back(cpu);
  return cores;
}

bool numa::bind(void *address, size_t bytes, int node) {
  return setPolicy(address, bytes, MPOL_PREFERRED, {node});
}

bool numa::interleave(void *address, size_t bytes,
                      const std::vector<int> &nodes) {
  return setPolicy(address, bytes, MPOL_INTERLEAVE, nodes);
}

void numa::discard(void *address, size_t bytes) {
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(address) + page - 1) / page;
  uintptr_t end = (reinterpret_cast<uintptr_t>(address) + bytes) / page;
  if (begin < end)
    madvise(reinterpret_cast<void *>(begin * page), (end - begin) * page,
            MADV_DONTNEED);
}

int numa::nodeOf(const void *address) {
  if (!available())
    return -1;
  int node = -1;
  if (get_mempolicy(&node, nullptr, 0, const_cast<void *>(address),
                    MPOL_F_NODE | MPOL_F_ADDR) != 0)
    return -1;
  return node;
}

numa::Memory::Memory(size_t size, int node) {
  void *p = mmap(nullptr, size ? size : 1, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::bad_alloc();
  data = p;
  bytes = size ? size : 1;
  if (node >= 0)
    bind(data, bytes, node); // best effort: unbound memory still works
}

numa::Memory::Memory(Memory &&other) noexcept
    : data(std::exchange(other.data, nullptr)),
      bytes(std::exchange(other.bytes, 0)) {}

numa::Memory &numa::Memory::operator=(Memory &&other) noexcept {
  std::swap(data, other.data);
  std::swap(bytes, other.bytes);
  return *this;
}

numa::Memory::~Memory() {
  if (data)
    munmap(data, bytes);
}

bool numa::Memory::grow(size_t size, int node) {
  try {
    *this = Memory(size, node);
    return true;
  } catch (const std::bad_alloc &) {
    return false;
  }
}
