//===- Speed.h - A test seam of SPEED decoding ----------------*- C++ -*-===//

#ifndef XFRT_LIB_SPEED_H
#define XFRT_LIB_SPEED_H

#include <cstdint>

namespace xfrt {

/// Called right after each invalidation has rolled its tokens back: the
/// first position rolled back, and the end of the positions every group
/// has run (the tokens finished so far). For tests; one for the process.
using SpeedInvalidationHook = void (*)(void *context, int64_t rolledBackFrom,
                                       int64_t finishedEnd);
void setSpeedInvalidationHook(SpeedInvalidationHook hook, void *context);

} // namespace xfrt

#endif // XFRT_LIB_SPEED_H
