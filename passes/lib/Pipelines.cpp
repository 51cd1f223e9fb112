//===- Pipelines.cpp - Named xf pass pipelines ----------------------------===//

#include "xfc/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace {

struct GraphPass {
  StringRef name;
  std::unique_ptr<Pass> (*create)();
};

/// The default graph passes, in order: fusion first (xf-fuse-qkv after
/// xf-fuse-ffn, which wants gate and up separate), then the LayerNorm
/// rewrite, then the weight computations the fusions and the rewrite
/// created move out of the code.
const GraphPass kGraphPasses[] = {
    {"xf-fuse-ffn", [] { return xf::createXFFuseFfn(); }},
    {"xf-fuse-mha", [] { return xf::createXFFuseMha(); }},
    {"xf-fuse-qkv", [] { return xf::createXFFuseQkv(); }},
    {"xf-prelayernorm-to-rmsnorm",
     [] { return xf::createXFPreLayerNormToRmsNorm(); }},
    {"xf-hoist-weight-expressions",
     [] { return xf::createXFHoistWeightExpressions(); }},
};

struct GraphPipelineOptions : PassPipelineOptions<GraphPipelineOptions> {
  ListOption<std::string> disable{
      *this, "disable",
      llvm::cl::desc("Graph passes to leave out (xf-optimize-graph's pass "
                     "names)")};
};

void addGraphCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSymbolDCEPass());
}

} // namespace

SmallVector<StringRef> xf::getGraphPipelinePasses() {
  SmallVector<StringRef> names;
  for (const GraphPass &pass : kGraphPasses)
    names.push_back(pass.name);
  return names;
}

LogicalResult xf::buildGraphPipeline(OpPassManager &pm,
                                     ArrayRef<std::string> disabled,
                                     std::string &error) {
  for (const std::string &name : disabled)
    if (!llvm::is_contained(getGraphPipelinePasses(), name)) {
      error = "'" + name + "' is not a pass of the graph pipeline (" +
              llvm::join(getGraphPipelinePasses(), ", ") + ")";
      return failure();
    }
  for (const GraphPass &pass : kGraphPasses)
    if (!llvm::is_contained(disabled, pass.name))
      pm.addPass(pass.create());
  addGraphCleanup(pm);
  return success();
}

void xf::registerXFPipelines() {
  // Registered directly so that a bad `disable=` is a parse error, not a
  // crash.
  registerPassPipeline(
      "xf-optimize-graph",
      "XFC's default graph passes (fusion, then weight hoisting) and a "
      "cleanup; `disable=` leaves passes out",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        GraphPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        std::string error;
        SmallVector<std::string> disabled(options.disable.begin(),
                                          options.disable.end());
        if (failed(buildGraphPipeline(pm, disabled, error)))
          return errorHandler(error);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(GraphPipelineOptions());
      });
  PassPipelineRegistration<>(
      "xf-graph-cleanup",
      "Fold and simplify an xf graph, then drop weights nothing reads: "
      "canonicalize, cse, symbol-dce",
      addGraphCleanup);
}
