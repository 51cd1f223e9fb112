//===- CompileCommand.cpp - xfc compile -----------------------------------===//
//
// Imports a model and compiles it to the stage --emit names.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Compiler.h"



using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("compile", "Compile a model to a native .so");
cl::opt<std::string> input(cl::Positional, cl::desc("<model.gguf>"),
                           cl::Required, cl::sub(command));
cl::opt<std::string> output("o", cl::desc("Output file ('-' for stdout)"),
                            cl::value_desc("file"), cl::sub(command));
cl::opt<std::string> emit("emit",
                          cl::desc("Stage to emit: import (as imported), xf "
                                   "(after the graph passes), linalg, "
                                   "llvm-mlir, llvm-ir, asm, obj, so"),
                          cl::init("so"), cl::sub(command));
cl::opt<std::string> target("target",
                            cl::desc("CPU: native, x86-64-v3, x86-64-v4, "
                                     "sapphirerapids"),
                            cl::init("native"), cl::sub(command));
cl::opt<unsigned> optLevel("O", cl::desc("Optimization level (0-3)"),
                           cl::Prefix, cl::init(2), cl::sub(command));
cl::opt<bool> printAfterAll("print-ir-after-all",
                            cl::desc("Print the IR after every pass"),
                            cl::sub(command));
cl::list<std::string> printAfter("print-ir-after",
                                 cl::desc("Print the IR after this pass"),
                                 cl::value_desc("pass-arg"),
                                 cl::sub(command));
cl::opt<bool> timing("mlir-timing", cl::desc("Report the time of each pass"),
                     cl::sub(command));
cl::opt<int64_t> context("ctx",
                         cl::desc("KV-cache length (default: the model's "
                                  "context_length)"),
                         cl::init(0), cl::sub(command));

cl::opt<std::string> weights(
    "weights",
    cl::desc("Where the weights go: section (in the .so) or sidecar "
             "(<output>.weights)"),
    cl::init("section"), cl::sub(command));

cl::list<std::string> disablePass(
    "disable-pass",
    cl::desc("Leave a pass of the graph pipeline, or an optional lowering "
             "pass, out (repeatable, or comma-separated), e.g. xf-fuse-mha "
             "or xf-pack-weights"),
    cl::value_desc("pass"), cl::CommaSeparated, cl::sub(command));

int run() {
  if (weights != "section" && weights != "sidecar")
    return fail("unknown --weights '" + weights +
                "' (expected section or sidecar)");
  CompileRequest request;
  request.sidecarWeights = weights == "sidecar";
  request.input = input;
  request.output = output;
  request.emit = emit;
  request.target = target;
  request.optLevel = optLevel;
  request.printAfterAll = printAfterAll;
  request.printAfter.assign(printAfter.begin(), printAfter.end());
  request.timing = timing;
  request.context = context;
  request.disabledPasses.assign(disablePass.begin(), disablePass.end());
  return compileModel(request);
}

RegisterCommand registration(command, run);

} // namespace
