//===- Compiler.h - Import, lower and package a model -----------*- C++ -*-===//

#ifndef XFC_TOOLS_XFC_COMPILER_H
#define XFC_TOOLS_XFC_COMPILER_H

#include "xfc/Frontends/AdapterImporter.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xfc::driver {

struct CompileRequest {
  std::string input;  // .gguf, an HF checkpoint directory, or .onnx
  std::string output; // "" or "-": stdout (not for "so")
  std::string emit = "so";
  std::string target = "native";
  unsigned optLevel = 2;
  bool printAfterAll = false;
  std::vector<std::string> printAfter;
  bool timing = false;
  int64_t context = 0; // 0: the model's context_length
  bool sidecarWeights = false; // weights in <output>.weights
  // Graph passes and optional lowering passes to leave out.
  std::vector<std::string> disabledPasses;
  // The graph pipeline's options (xf-quantize's); its disabled passes come
  // from disabledPasses.
  mlir::xf::GraphPipelineConfig graph;
  // Adapters (--lora, --lokr), imported as side branches that the graph
  // pipeline folds.
  std::vector<xfc::AdapterSpec> adapters;
  // ONNX graphs: shapes of inputs with symbolic dimensions, "name=2x3".
  std::vector<std::string> inputShapes;
};

/// Compiles as `xfc compile` does; returns the exit code, having printed
/// any error.
int compileModel(const CompileRequest &request);

/// Compiles an imported plain graph (importONNX's module) as
/// compileModel compiles `request.input`, which only names it in messages.
int compileGraph(mlir::ModuleOp module, const CompileRequest &request);

/// The compiled model to load for `path`: `path` itself, or for a GGUF
/// file or an HF checkpoint directory a .so compiled into the cache
/// (~/.cache/xfc, or $XFC_CACHE_DIR), reused while the files, their sizes
/// and times, and the compiler version stay the same. `batchRows` >= 0
/// compiles with that many batch decode rows (xfc compile --batch-rows)
/// instead of the default. Returns "" after printing an error.
std::string resolveModel(const std::string &path, int64_t batchRows = -1);

} // namespace xfc::driver

#endif // XFC_TOOLS_XFC_COMPILER_H
