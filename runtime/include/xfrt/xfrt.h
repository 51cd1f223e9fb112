/*===- xfrt.h - XFC runtime C API ----------------------------------*- C -*-===*
 *
 * The runtime that loads and runs models compiled by XFC. It depends on no
 * MLIR or LLVM library. This header grows into the full model/session API
 * (load, prefill, decode, KV-cache control) with the end-to-end work.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFRT_XFRT_H
#define XFRT_XFRT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the layout of a compiled model's metadata, weights or entry
 * points changes; a model built for another ABI version is refused. */
#define XFRT_ABI_VERSION 1

/* The runtime's version string, for example "0.1.0". */
const char *xfrt_version(void);

/* The ABI version this runtime was built with (XFRT_ABI_VERSION). */
uint32_t xfrt_abi_version(void);

/* Non-zero when a model built for `abi` can be loaded by this runtime. */
int xfrt_abi_compatible(uint32_t abi);

#ifdef __cplusplus
}
#endif

#endif /* XFRT_XFRT_H */
