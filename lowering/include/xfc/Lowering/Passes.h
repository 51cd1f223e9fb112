//===- Passes.h - xf lowering passes ----------------------------*- C++ -*-===//

#ifndef XFC_LOWERING_PASSES_H
#define XFC_LOWERING_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

#include <string>

namespace mlir::xf {

#define GEN_PASS_DECL
#include "xfc/Lowering/Passes.h.inc"

/// Patterns lowering fine-grained xf ops to linalg/tensor/arith/math.
void populateXFToLinalgPatterns(RewritePatternSet &patterns);

/// The pattern lowering xf.attention to the flash-attention kernel
/// (xf-lower-attention, with its options).
void populateLowerAttentionPatterns(RewritePatternSet &patterns,
                                    const XFLowerAttentionOptions &options);

/// The lowering passes that may be left out (`xfc compile --disable-pass`,
/// `xf-lower-to-llvm{disable=...}`): they change how fast the code runs,
/// not what it computes (beyond the few ulp of xf-approximate-math's
/// polynomial). xf-fuse-activations names xf-lower-to-microkernels'
/// fuse-activations.
SmallVector<StringRef> getOptionalLoweringPasses();

/// The lowering stages, as named pipelines:
///   xf-lower-to-linalg: decompose xf.ffn, lower xf.attention to its kernel,
///                       pack and bind weights, lower KV caches, convert xf
///                       to linalg (the `--emit=linalg` stage);
///   xf-lower-to-llvm:   all of the above, then bufferize and lower to the
///                       LLVM dialect (the `--emit=llvm-mlir` stage).
/// Passes of getOptionalLoweringPasses() named in `disabled` are left out.
/// With `resultsAsOutParams` (the plain-graph ABI, ModelABI.h), public
/// functions write their results into buffers their caller passes, after
/// their arguments.
void buildLowerToLinalgPipeline(OpPassManager &pm,
                                ArrayRef<std::string> disabled = {});
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              ArrayRef<std::string> disabled = {},
                              bool resultsAsOutParams = false);
void registerXFLoweringPipelines();

#define GEN_PASS_REGISTRATION
#include "xfc/Lowering/Passes.h.inc"

} // namespace mlir::xf

#endif // XFC_LOWERING_PASSES_H
