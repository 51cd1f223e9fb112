//===- FoldAdapters.cpp - Adapter side branches into their weights --------===//
//
// An unmerged adapter is a side branch: the base projection plus the same
// input times the adapter's delta, `x W^T + x D^T`. When D is a weight value
// (LoRA's s B A, KronA's s (W1 ⊗ W2), or any computation over weights),
// the branch folds into one projection by `W + D`, computed in f32 and
// stored in W's type: the adapter then costs nothing at inference. The
// sums are weight computations, which xf-hoist-weight-expressions turns
// into derived weights, so the compiler evaluates them once.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFFOLDADAPTERS
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// `base + delta` in f32, returned in `base`'s type: converted back for a
/// narrow float weight, requantized in its scheme for a quantized one
/// (round to nearest, as the model file's blocks were made).
Value addInBaseType(PatternRewriter &rewriter, Location loc, Value base,
                    Value delta) {
  Type baseType = base.getType();
  auto f32Type =
      RankedTensorType::get(getWeightShape(baseType), rewriter.getF32Type());
  auto toF32 = [&](Value v) -> Value {
    if (v.getType() == f32Type)
      return v;
    if (isa<QTensorType>(v.getType()))
      return DequantizeOp::create(rewriter, loc, f32Type, v);
    return ConvertOp::create(rewriter, loc, f32Type, v);
  };
  Value sum = AddOp::create(rewriter, loc, f32Type, toF32(base), toF32(delta));
  if (baseType == f32Type)
    return sum;
  if (isa<QTensorType>(baseType))
    return QuantizeOp::create(rewriter, loc, baseType, sum, StringAttr());
  return ConvertOp::create(rewriter, loc, baseType, sum);
}

/// add(linear(x, W [, b]), linear(x, D)) -> linear(x, W + D [, b]), in
/// either operand order, where W and D are weight values, D a float one of
/// W's shape, and both GEMMs compute alike.
struct FoldLinearSideBranch : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    // Either operand may be the base; when both could, the base is the one
    // stored narrower (the delta is f32), so the sum keeps its storage.
    LinearOp base, branch;
    for (auto [baseValue, branchValue] :
         {std::pair(add.getLhs(), add.getRhs()),
          std::pair(add.getRhs(), add.getLhs())}) {
      auto b = singleUseProducer<LinearOp>(baseValue);
      auto e = singleUseProducer<LinearOp>(branchValue);
      if (!b || !e || b == e || failed(matchBranch(b, e, add, rewriter)))
        continue;
      if (!base || storedBits(b.getWeight().getType()) <
                       storedBits(base.getWeight().getType()))
        base = b, branch = e;
    }
    if (base) {
      // Built after the later GEMM, where W, D, x and the bias all dominate.
      rewriter.setInsertionPointAfter(base->isBeforeInBlock(branch)
                                          ? branch.getOperation()
                                          : base.getOperation());
      Value weight = addInBaseType(rewriter, add.getLoc(), base.getWeight(),
                                   branch.getWeight());
      Value folded = LinearOp::create(
          rewriter, base.getLoc(), base.getType(), base.getInput(), weight,
          base.getBias(), base.getComputeAttr(), base.getBackendAttr());
      rewriter.replaceOp(add, folded);
      rewriter.eraseOp(branch);
      rewriter.eraseOp(base);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "not a linear side branch");
  }

  LogicalResult matchBranch(LinearOp base, LinearOp branch, AddOp add,
                            PatternRewriter &rewriter) const {
    if (base.getInput() != branch.getInput())
      return rewriter.notifyMatchFailure(add, "the GEMMs read other inputs");
    if (base->getBlock() != branch->getBlock())
      return rewriter.notifyMatchFailure(add, "the GEMMs are in two blocks");
    if (branch.getBias())
      return rewriter.notifyMatchFailure(add, "the branch has a bias");
    if (base.getComputeAttr() != branch.getComputeAttr() ||
        base.getBackendAttr() != branch.getBackendAttr())
      return rewriter.notifyMatchFailure(add, "the GEMMs compute differently");
    if (add.getType() != base.getType())
      return rewriter.notifyMatchFailure(add, "the sum broadcasts");
    auto delta = dyn_cast<RankedTensorType>(branch.getWeight().getType());
    if (!delta ||
        delta.getShape() != getWeightShape(base.getWeight().getType()))
      return rewriter.notifyMatchFailure(add, "the branch is not a float "
                                              "weight of the base's shape");
    if (auto q = dyn_cast<QTensorType>(base.getWeight().getType());
        q && !q.getBlockBytes())
      return rewriter.notifyMatchFailure(add, "the base is quantized in a "
                                              "layout xf.quantize cannot make");
    if (!dependsOnlyOnWeights(base.getWeight()) ||
        !dependsOnlyOnWeights(branch.getWeight()))
      return rewriter.notifyMatchFailure(add, "a weight is computed at run "
                                              "time");
    return success();
  }
};

struct XFFoldAdaptersPass : xf::impl::XFFoldAdaptersBase<XFFoldAdaptersPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldLinearSideBranch>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
