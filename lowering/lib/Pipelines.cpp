//===- Pipelines.cpp - The named lowering pipelines -----------------------===//

#include "xfc/Lowering/Passes.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
constexpr StringLiteral kPackWeights = "xf-pack-weights";
constexpr StringLiteral kApproximateMath = "xf-approximate-math";
// Not a pass of its own: xf-lower-to-microkernels' fuse-activations.
constexpr StringLiteral kFuseActivations = "xf-fuse-activations";

struct LoweringPipelineOptions : PassPipelineOptions<LoweringPipelineOptions> {
  ListOption<std::string> disable{
      *this, "disable",
      llvm::cl::desc("Optional lowering passes to leave out (xf-pack-weights, "
                     "xf-approximate-math, xf-fuse-activations)")};
  Option<bool> resultsAsOutParams{
      *this, "results-as-out-params",
      llvm::cl::desc("Public functions write their results into buffers the "
                     "caller passes (the plain-graph ABI)"),
      llvm::cl::init(false)};
};
} // namespace

SmallVector<StringRef> xf::getOptionalLoweringPasses() {
  return {kPackWeights, kApproximateMath, kFuseActivations};
}

void xf::buildLowerToLinalgPipeline(OpPassManager &pm,
                                    ArrayRef<std::string> disabled) {
  // xf.attention has its kernel (which appends to the KV cache, so it runs
  // before xf-lower-kv-cache); xf.ffn, and any attention the kernel does not
  // cover, take the fine-grained path.
  pm.addPass(createXFLowerAttention());
  pm.addPass(createXFDecomposeFused());
  // The projections' weights (the FFN's too, once decomposed) take the
  // packed kernels' layouts before the blob is laid out.
  if (!llvm::is_contained(disabled, kPackWeights))
    pm.addPass(createXFPackWeights());
  pm.addPass(createXFBindWeights());
  pm.addPass(createXFLowerKVCache());
  pm.addPass(createXFLowerAllReduce());
  pm.addPass(createXFExportEntryPoints());
  // Projections marked for oneDNN first: the microkernels take the rest.
  pm.addPass(createXFLowerToOneDNN());
  XFLowerToMicrokernelsOptions microkernels;
  microkernels.fuseActivations =
      !llvm::is_contained(disabled, kFuseActivations);
  pm.addPass(createXFLowerToMicrokernels(microkernels));
  pm.addPass(createConvertXFToLinalg());
  if (!llvm::is_contained(disabled, kApproximateMath))
    pm.addPass(createXFApproximateMath());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void xf::buildLowerToLLVMPipeline(OpPassManager &pm,
                                  ArrayRef<std::string> disabled,
                                  bool resultsAsOutParams) {
  buildLowerToLinalgPipeline(pm, disabled);
  // Contractions become scf.forall tiles, run on the session's threads.
  pm.addNestedPass<func::FuncOp>(createXFParallelizeContractions());
  pm.addPass(createCanonicalizerPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // A tile written through tensor.extract_slice and put back with
  // tensor.parallel_insert_slice bufferizes to a copy between two equal
  // subviews: CSE makes them one value and the canonicalizer drops the copy.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  if (resultsAsOutParams) {
    // Each result is copied into the caller's buffer at the end. (Hoisting
    // the result's allocation into the caller's buffer would save the copy,
    // but upstream's hoisting erases an allocation returned twice while it
    // still reads it.)
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.modifyPublicFunctions = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  }
  pm.addPass(createConvertLinalgToLoopsPass());
  // Outermost foralls call the runtime's pool; nested ones become loops.
  pm.addPass(createXFForallToParallelFor());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // The attention kernel's horizontal sums may be reassociated (a tree
  // instead of 16 dependent additions).
  // bf16 conversions (bf16 KV caches) as integer rounding: without
  // AVX512_BF16, LLVM would call __truncsfbf2, which Debian 12's libgcc
  // lacks. One shift and add per value, on cache writes only.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // Buffers come from the session arena through the generic allocation
  // functions the model stub defines: no heap traffic per step.
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void xf::registerXFLoweringPipelines() {
  PassPipelineRegistration<>(
      "xf-lower-to-linalg", "Lower an imported xf graph to linalg on tensors",
      [](OpPassManager &pm) { buildLowerToLinalgPipeline(pm); });
  PassPipelineRegistration<LoweringPipelineOptions>(
      "xf-lower-to-llvm",
      "Lower an imported xf graph to the LLVM dialect; `disable=` leaves "
      "optional passes out",
      [](OpPassManager &pm, const LoweringPipelineOptions &options) {
        buildLowerToLLVMPipeline(
            pm,
            SmallVector<std::string>(options.disable.begin(),
                                     options.disable.end()),
            options.resultsAsOutParams);
      });
}
