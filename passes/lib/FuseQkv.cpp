//===- FuseQkv.cpp - Sibling projections to one GEMM ----------------------===//
//
// Projections that read the same input (Q, K and V; any group of sibling
// linears) become one xf.linear over concatenated weights followed by a
// slice per projection: one pass over the activations and one wide GEMM
// instead of several narrow ones. The concatenations are weight
// computations, which xf-hoist-weight-expressions turns into derived
// weights.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "xf-fuse-qkv"

namespace mlir::xf {
#define GEN_PASS_DEF_XFFUSEQKV
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Whether `v` is available at `point`, or can be made so by moving its
/// defining op there: a weight load, which depends on nothing.
bool availableAt(Value v, Operation *point) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return cast<BlockArgument>(v).getParentRegion()->isAncestor(
        point->getParentRegion());
  if (def->getBlock() != point->getBlock())
    return def->getBlock()->getParentOp()->isAncestor(point);
  return def->isBeforeInBlock(point) || isa<WeightOp>(def);
}

void makeAvailableAt(Value v, Operation *point) {
  Operation *def = v.getDefiningOp();
  if (def && def->getBlock() == point->getBlock() &&
      !def->isBeforeInBlock(point))
    def->moveBefore(point);
}

/// Whether `linear` can join a group led by `lead`: weights of one element
/// type (or, quantized, one type but for the rows, so that the packed rows
/// concatenate as they are), the same result element type, compute kind and
/// backend (one GEMM runs in one library), and a bias exactly when the lead
/// has one.
bool compatible(LinearOp lead, LinearOp linear) {
  Type weight = linear.getWeight().getType(),
       leadWeight = lead.getWeight().getType();
  bool sameWeights;
  if (auto q = dyn_cast<QTensorType>(weight)) {
    auto leadQ = dyn_cast<QTensorType>(leadWeight);
    sameWeights = leadQ && q.getShape()[1] == leadQ.getShape()[1] &&
                  q.getStorageType() == leadQ.getStorageType() &&
                  q.getScheme() == leadQ.getScheme() &&
                  q.getLayout() == leadQ.getLayout();
  } else {
    auto t = cast<RankedTensorType>(weight);
    auto leadT = dyn_cast<RankedTensorType>(leadWeight);
    sameWeights = leadT && t.getElementType() == leadT.getElementType();
  }
  return sameWeights && linear.getComputeAttr() == lead.getComputeAttr() &&
         linear.getBackendAttr() == lead.getBackendAttr() &&
         linear.getType().getElementType() ==
             lead.getType().getElementType() &&
         static_cast<bool>(linear.getBias()) ==
             static_cast<bool>(lead.getBias()) &&
         (!lead.getBias() || linear.getBias().getType().getElementType() ==
                                 lead.getBias().getType().getElementType());
}

struct FuseSiblingLinears : OpRewritePattern<LinearOp> {
  FuseSiblingLinears(MLIRContext *context, unsigned minProjections)
      : OpRewritePattern(context), minProjections(minProjections) {}

  LogicalResult matchAndRewrite(LinearOp lead,
                                PatternRewriter &rewriter) const override {
    // The group: linears over the same input in the same block, led by the
    // first of them, so the fused GEMM is placed before every user.
    SmallVector<LinearOp> group;
    for (Operation *user : lead.getInput().getUsers()) {
      auto linear = dyn_cast<LinearOp>(user);
      if (!linear || linear.getInput() != lead.getInput() ||
          linear->getBlock() != lead->getBlock() ||
          !compatible(lead, linear))
        continue;
      if (linear->isBeforeInBlock(lead))
        return rewriter.notifyMatchFailure(lead, "not the first projection");
      group.push_back(linear);
    }
    llvm::sort(group, [](LinearOp a, LinearOp b) {
      return a->isBeforeInBlock(b);
    });
    llvm::erase_if(group, [&](LinearOp linear) {
      bool ok = availableAt(linear.getWeight(), lead) &&
                (!linear.getBias() || availableAt(linear.getBias(), lead));
      LLVM_DEBUG(if (!ok) llvm::dbgs()
                 << "skipping a projection whose weights are computed after "
                    "the first: "
                 << linear << "\n");
      return !ok;
    });
    if (group.size() < minProjections)
      return rewriter.notifyMatchFailure(lead, "too few sibling projections");

    Location loc = lead.getLoc();
    SmallVector<Value> weights, biases;
    SmallVector<int64_t> widths;
    int64_t total = 0;
    for (LinearOp linear : group) {
      makeAvailableAt(linear.getWeight(), lead);
      weights.push_back(linear.getWeight());
      if (Value bias = linear.getBias()) {
        makeAvailableAt(bias, lead);
        biases.push_back(bias);
      }
      widths.push_back(linear.getType().getShape().back());
      total += widths.back();
    }
    rewriter.setInsertionPoint(lead);
    Value weight =
        ConcatOp::create(rewriter, loc, withRows(lead.getWeight().getType(), total),
                         weights, /*axis=*/0);
    Value bias;
    if (!biases.empty())
      bias = ConcatOp::create(
          rewriter, loc,
          lead.getBias().getType().clone({total}), biases, /*axis=*/0);
    RankedTensorType leadType = lead.getType();
    SmallVector<int64_t> shape(leadType.getShape());
    shape.back() = total;
    int64_t axis = leadType.getRank() - 1;
    Value fused = LinearOp::create(rewriter, loc, leadType.clone(shape),
                                   lead.getInput(), weight, bias,
                                   lead.getComputeAttr(),
                                   lead.getBackendAttr());
    int64_t offset = 0;
    for (auto [linear, width] : llvm::zip(group, widths)) {
      rewriter.replaceOpWithNewOp<SliceOp>(linear, linear.getType(), fused,
                                           axis, offset, width);
      offset += width;
    }
    return success();
  }

  unsigned minProjections;
};

struct XFFuseQkvPass : xf::impl::XFFuseQkvBase<XFFuseQkvPass> {
  using XFFuseQkvBase::XFFuseQkvBase;

  void runOnOperation() override {
    if (minProjections < 2) {
      getOperation()->emitError() << "min-projections must be at least 2";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSiblingLinears>(&getContext(), minProjections);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
