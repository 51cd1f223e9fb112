//===- Version.cpp - Runtime version and ABI checks -----------------------===//

#include "xfrt/xfrt.h"

extern "C" const char *xfrt_version(void) { return XFRT_VERSION_STRING; }

extern "C" uint32_t xfrt_abi_version(void) { return XFRT_ABI_VERSION; }

extern "C" int xfrt_abi_compatible(uint32_t abi) {
  // No compatibility across ABI versions yet: every change is breaking.
  return abi == XFRT_ABI_VERSION;
}
