//===- AllocationCounter.cpp - Count heap allocations in this process -----===//
//
// Interposes glibc's allocation functions so a test can assert that a code
// path allocates nothing. Each wrapper forwards to the __libc_* original.
//
//===----------------------------------------------------------------------===//

#include "AllocationCounter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>

// The sanitizers own malloc in sanitized builds; counting is off there.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

static std::atomic<long> allocations{0};

long xfc::test::allocationCount() { return allocations.load(); }
bool xfc::test::allocationCountingAvailable() { return true; }

extern "C" {
void *malloc(size_t n) {
  ++allocations;
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t size) {
  ++allocations;
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n) {
  ++allocations;
  return __libc_realloc(p, n);
}
void *aligned_alloc(size_t alignment, size_t n) {
  ++allocations;
  return __libc_memalign(alignment, n);
}
void *memalign(size_t alignment, size_t n) {
  ++allocations;
  return __libc_memalign(alignment, n);
}
int posix_memalign(void **out, size_t alignment, size_t n) {
  ++allocations;
  *out = __libc_memalign(alignment, n);
  return *out ? 0 : ENOMEM;
}
void free(void *p) { __libc_free(p); }
}
#else
long xfc::test::allocationCount() { return 0; }
bool xfc::test::allocationCountingAvailable() { return false; }
#endif
