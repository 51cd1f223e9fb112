//===- PendingCommands.cpp - Commands whose work has not landed -----------===//
//
// `bench` and `perplexity` are the rest of issue #4. They exist
// now so that `xfc --help` shows the whole interface, and say plainly that
// they are not implemented instead of pretending.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand benchCommand("bench",
                            "Measure prefill and decode tokens/s");
cl::SubCommand perplexityCommand(
    "perplexity", "Compute perplexity as llama-perplexity defines it");

// Accept any arguments so the message below is what users see.
cl::list<std::string> benchArgs(cl::Sink, cl::sub(benchCommand));
cl::list<std::string> perplexityArgs(cl::Sink, cl::sub(perplexityCommand));

template <const char *Name> int notImplemented() {
  return fail(std::string("'") + Name +
              "' is not implemented yet (it needs the end-to-end "
              "compilation of issue #4)");
}

constexpr char kBench[] = "bench", kPerplexity[] = "perplexity";
RegisterCommand registerBench(benchCommand, notImplemented<kBench>);
RegisterCommand registerPerplexity(perplexityCommand,
                                   notImplemented<kPerplexity>);

} // namespace
