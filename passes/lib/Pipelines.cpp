//===- Pipelines.cpp - Named xf pass pipelines ----------------------------===//

#include "xfc/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void xf::registerXFPipelines() {
  PassPipelineRegistration<>(
      "xf-graph-cleanup",
      "Fold and simplify an xf graph, then drop weights nothing reads: "
      "canonicalize, cse, symbol-dce",
      [](OpPassManager &pm) {
        pm.addPass(createCanonicalizerPass());
        pm.addPass(createCSEPass());
        pm.addPass(createSymbolDCEPass());
      });
}
