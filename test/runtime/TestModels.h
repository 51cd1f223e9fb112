//===- TestModels.h - Compiled models shared by runtime test processes ----===//
//
// CTest runs each runtime test in a process of its own, and a suite's
// models would otherwise be generated and compiled again in every one.
// sharedModelDir builds them once per build tree instead.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TEST_RUNTIME_TESTMODELS_H
#define XFC_TEST_RUNTIME_TESTMODELS_H

#include "xfrt/xfrt.h"

#include <string>

namespace xfc::test {

/// The directory `<build>/test-models/<name>` holding what `script` writes:
/// it runs under `sh` in that directory, with `$XFC` the compiler. It runs
/// once, under a lock (parallel test processes wait for the first), and
/// again only when the script changes or xfc, the model stub or the oneDNN
/// glue is newer than its result. Tests only read the directory: a test writes
/// its own files to a scratchDir. Returns "" (and prints the script) on
/// failure.
std::string sharedModelDir(const std::string &name, const std::string &script);

/// The compiled model at `path`; null after a test failure naming the path
/// and the runtime's error.
xfrt_model *loadModel(const std::string &path);

/// A new empty directory for this process's own files, removed when the
/// process exits.
std::string scratchDir(const std::string &name);

} // namespace xfc::test

#endif // XFC_TEST_RUNTIME_TESTMODELS_H
