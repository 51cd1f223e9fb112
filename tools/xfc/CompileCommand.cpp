//===- CompileCommand.cpp - xfc compile -----------------------------------===//
//
// Imports a model and compiles it. The stages after `xf` arrive with the
// lowering (issue #4); asking for them says so.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfc/Frontends/GGUFImporter.h"
#include "xfc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("compile", "Compile a model to a native .so");
cl::opt<std::string> input(cl::Positional, cl::desc("<model.gguf>"),
                           cl::Required, cl::sub(command));
cl::opt<std::string> output("o", cl::desc("Output file ('-' for stdout)"),
                            cl::value_desc("file"), cl::init("-"),
                            cl::sub(command));
cl::opt<std::string> emit("emit",
                          cl::desc("Stage to emit: xf, linalg, llvm-mlir, "
                                   "llvm-ir, asm, obj, so"),
                          cl::init("so"), cl::sub(command));
cl::opt<int64_t> context("ctx",
                         cl::desc("KV-cache length (default: the model's "
                                  "context_length)"),
                         cl::init(0), cl::sub(command));

int run() {
  static const StringRef kStages[] = {"xf",      "linalg", "llvm-mlir",
                                      "llvm-ir", "asm",    "obj", "so"};
  if (!llvm::is_contained(kStages, StringRef(emit)))
    return fail("unknown --emit stage '" + emit +
                "' (expected xf, linalg, llvm-mlir, llvm-ir, asm, obj or so)");
  if (emit != "xf")
    return fail("--emit=" + emit +
                " is not implemented yet (lowering arrives with issue #4); "
                "--emit=xf works");
  if (context < 0)
    return fail("--ctx must be positive");

  std::string error;
  std::unique_ptr<xfc::gguf::File> file = xfc::gguf::File::open(input, error);
  if (!file)
    return fail(error);
  mlir::DialectRegistry registry;
  xfc::registerAllDialects(registry);
  mlir::MLIRContext mlirContext(registry);
  std::vector<std::string> warnings;
  xfc::ImportOptions options;
  options.maxContext = context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      xfc::importGGUF(*file, mlirContext, options, error, warnings);
  for (const std::string &w : warnings)
    warn(w);
  if (!module)
    return fail(error);

  std::error_code ec;
  ToolOutputFile out(output, ec, sys::fs::OF_Text);
  if (ec)
    return fail(output + ": " + ec.message());
  module->print(out.os());
  out.keep();
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
