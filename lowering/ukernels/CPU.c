/*===- CPU.c - Which kernel paths this CPU can run ------------------------===*/

#include "xfk/Kernels.h"

#include <cpuid.h>

static int detect(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return XFK_ISA_GENERIC;
  int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
  if (!osxsave || !fma || !f16c)
    return XFK_ISA_GENERIC;
  /* The OS must save the opmask and ZMM state (XCR0 bits 1, 2, 5, 6, 7). */
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6) != 0xe6)
    return XFK_ISA_GENERIC;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
    return XFK_ISA_GENERIC;
  int avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1,
      avx512vl = (b >> 31) & 1, vnni = (c >> 11) & 1;
  if (!avx512f || !avx512bw || !avx512vl)
    return XFK_ISA_GENERIC;
  return vnni ? XFK_ISA_AVX512_VNNI : XFK_ISA_AVX512;
}

static int detected = -1, forced = -1;

int xfk_cpu_isa(void) {
  if (forced >= 0)
    return forced;
  if (detected < 0)
    detected = detect(); /* idempotent: a race stores the same value */
  return detected;
}

int xfk_force_isa(int isa) {
  if (isa < 0) {
    forced = -1;
    return 1;
  }
  forced = -1;
  if (isa > xfk_cpu_isa())
    return 0;
  forced = isa;
  return 1;
}
