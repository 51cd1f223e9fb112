//===- AllocationCounter.h - Count heap allocations -------------*- C++ -*-===//

#ifndef XFC_TEST_RUNTIME_ALLOCATIONCOUNTER_H
#define XFC_TEST_RUNTIME_ALLOCATIONCOUNTER_H

namespace xfc::test {
/// Heap allocations (malloc, calloc, realloc, aligned variants, and so
/// operator new) made by this process so far.
long allocationCount();
/// False in sanitizer builds, where the sanitizer owns malloc.
bool allocationCountingAvailable();
} // namespace xfc::test

#endif
