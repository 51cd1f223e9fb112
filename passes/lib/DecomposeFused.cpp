//===- DecomposeFused.cpp - Expand fused xf ops ---------------------------===//
//
// Rewrites xf.attention and xf.ffn into the fine-grained ops they are defined
// by (see XFBuilders.h, shared with the importers and fusion).
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFBuilders.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFDECOMPOSEFUSED
#include "xfc/Transforms/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

struct DecomposeAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    AttentionInputs inputs;
    inputs.query = op.getQuery();
    inputs.key = op.getKey();
    inputs.value = op.getValue();
    inputs.cache = op.getCache();
    inputs.position = op.getPosition();
    inputs.causal = op.getCausal();
    inputs.scale = op.getEffectiveScale();
    rewriter.replaceOp(op, buildAttention(rewriter, op.getLoc(), inputs));
    return success();
  }
};

struct DecomposeFfn : OpRewritePattern<FfnOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FfnOp op,
                                PatternRewriter &rewriter) const override {
    FfnInputs inputs;
    inputs.kind = op.getKind();
    inputs.input = op.getInput();
    inputs.up = op.getUp();
    inputs.gate = op.getGate();
    inputs.gateUp = op.getGateUp();
    inputs.down = op.getDown();
    inputs.upBias = op.getUpBias();
    inputs.downBias = op.getDownBias();
    inputs.compute = op.getComputeAttr();
    inputs.backend = op.getBackendAttr();
    rewriter.replaceOp(op, buildFfn(rewriter, op.getLoc(), inputs));
    return success();
  }
};

struct XFDecomposeFusedPass
    : xf::impl::XFDecomposeFusedBase<XFDecomposeFusedPass> {
  using XFDecomposeFusedBase::XFDecomposeFusedBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (decomposeAttention)
      populateDecomposeAttentionPatterns(patterns);
    if (decomposeFfn)
      populateDecomposeFfnPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void xf::populateDecomposeAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeAttention>(patterns.getContext());
}

void xf::populateDecomposeFfnPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeFfn>(patterns.getContext());
}
