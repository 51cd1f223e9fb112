/*===- CPU.c - Which kernel paths this CPU can run ------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall() */
#endif

#include "xfk/Kernels.h"

#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux's arch_prctl request for an extended state component (asm/prctl.h,
 * which not every libc's headers include). */
#ifndef ARCH_REQ_XCOMP_PERM
#define ARCH_REQ_XCOMP_PERM 0x1023
#endif
enum { XFEATURE_XTILEDATA = 18 };

static int detect(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return XFK_ISA_GENERIC;
  int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
  if (!osxsave || !fma || !f16c)
    return XFK_ISA_GENERIC;
  /* The OS must save the YMM state (XCR0 bits 1, 2), and for AVX-512 the
   * opmask and ZMM state too (bits 5, 6, 7). */
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0x6) != 0x6 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
    return XFK_ISA_GENERIC;
  int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1,
      avx512vl = (b >> 31) & 1, vnni = (c >> 11) & 1;
  int amxTile = (d >> 24) & 1, amxInt8 = (d >> 25) & 1,
      amxBf16 = (d >> 22) & 1;
  if (!avx2)
    return XFK_ISA_GENERIC;
  if (!avx512f || !avx512bw || !avx512vl || (lo & 0xe6) != 0xe6)
    return XFK_ISA_AVX2;
  if (!vnni)
    return XFK_ISA_AVX512;
  unsigned a1 = 0, b1, c1, d1;
  int bf16 = __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && ((a1 >> 5) & 1);
  if (!bf16)
    return XFK_ISA_AVX512_VNNI;
  /* AMX: the tile state in XCR0 (bits 17, 18), and Linux's permission to
   * use it in this process; without either, the AVX-512 kernels run. */
  if (amxTile && amxInt8 && amxBf16 && (lo & 0x60000) == 0x60000 &&
      syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0)
    return XFK_ISA_AMX;
  return XFK_ISA_AVX512_BF16;
}

static const char *const names[] = {"generic",     "avx2",        "avx512",
                                    "avx512_vnni", "avx512_bf16", "amx"};

const char *xfk_isa_name(int isa) {
  return isa >= 0 && isa <= XFK_ISA_AMX ? names[isa] : 0;
}

int xfk_isa_from_name(const char *name) {
  for (int isa = 0; isa <= XFK_ISA_AMX; ++isa)
    if (name && strcmp(name, names[isa]) == 0)
      return isa;
  return -1;
}

static int detected = -1, chosen = -1, forced = -1;

int xfk_detected_isa(void) {
  if (detected < 0)
    detected = detect(); /* idempotent: a race stores the same value */
  return detected;
}

int xfk_cpu_isa(void) {
  if (forced >= 0)
    return forced;
  if (chosen < 0) {
    /* A level the CPU lacks is not taken (xfc run --isa refuses it). */
    int requested = xfk_isa_from_name(getenv("XFC_CPU_ISA"));
    chosen = requested >= 0 && requested <= xfk_detected_isa()
                 ? requested
                 : xfk_detected_isa();
  }
  return chosen;
}

int xfk_force_isa(int isa) {
  if (isa < 0) {
    forced = -1;
    return 1;
  }
  forced = -1;
  if (isa > xfk_detected_isa())
    return 0;
  forced = isa;
  return 1;
}
