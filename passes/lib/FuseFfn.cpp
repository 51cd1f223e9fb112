//===- FuseFfn.cpp - Feed-forward subgraphs to xf.ffn ---------------------===//
//
// Matches from the down projection backwards: the shapes xf.ffn is defined
// by (see XFBuilders.h), in the forms importers produce them.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFFUSEFFN
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// xf.ffn has one compute kind and one backend for all its GEMMs: linears
/// that differ stay apart rather than lose a choice made for one of them.
bool sameCompute(std::initializer_list<LinearOp> linears) {
  return llvm::all_equal(llvm::map_range(linears, [](LinearOp op) {
    return std::pair(op.getComputeAttr(), op.getBackendAttr());
  }));
}

struct FuseFfn : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp down,
                                PatternRewriter &rewriter) const override {
    Value hidden = down.getInput();
    if (auto mul = singleUseProducer<MulOp>(hidden))
      return matchGated(down, mul, rewriter);
    if (auto gelu = singleUseProducer<GeluOp>(hidden))
      return matchGeluMlp(down, gelu, rewriter);
    return rewriter.notifyMatchFailure(down, "input is not an FFN hidden");
  }

  /// down(act(x Wg^T) * (x Wu^T)), the multiply in either order.
  LogicalResult matchGated(LinearOp down, MulOp mul,
                           PatternRewriter &rewriter) const {
    if (mul.getLhs().getType() != mul.getRhs().getType())
      return rewriter.notifyMatchFailure(mul, "broadcasting multiply");
    for (auto [actValue, upValue] : {std::pair{mul.getLhs(), mul.getRhs()},
                                     {mul.getRhs(), mul.getLhs()}}) {
      auto up = singleUseProducer<LinearOp>(upValue);
      if (!up || up.getBias())
        continue;
      Operation *act = actValue.hasOneUse() ? actValue.getDefiningOp() : nullptr;
      FfnKind kind;
      Value gateValue;
      if (auto silu = dyn_cast_or_null<SiluOp>(act)) {
        kind = FfnKind::swiglu, gateValue = silu.getInput();
      } else if (auto gelu = dyn_cast_or_null<GeluOp>(act);
                 gelu && gelu.getApproximation() == GeluApprox::tanh) {
        kind = FfnKind::geglu, gateValue = gelu.getInput();
      } else {
        continue;
      }
      auto gate = singleUseProducer<LinearOp>(gateValue);
      if (!gate || gate.getBias() || gate.getInput() != up.getInput() ||
          !sameCompute({down, up, gate}))
        continue;
      rewriter.replaceOpWithNewOp<FfnOp>(
          down, down.getType(), kind, up.getInput(), up.getWeight(),
          gate.getWeight(), /*gate_up=*/Value(), down.getWeight(), /*up_bias=*/Value(),
          down.getBias(), down.getComputeAttr(), down.getBackendAttr());
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "not gate/up projections of one "
                                            "input");
  }

  /// down(gelu(x Wu^T + bu)) + bd, GELU in either form (GPT-2's tanh,
  /// BERT's erf).
  LogicalResult matchGeluMlp(LinearOp down, GeluOp gelu,
                             PatternRewriter &rewriter) const {
    auto up = singleUseProducer<LinearOp>(gelu.getInput());
    if (!up)
      return rewriter.notifyMatchFailure(gelu, "input is not a projection");
    if (!sameCompute({down, up}))
      return rewriter.notifyMatchFailure(gelu, "projections compute unalike");
    FfnKind kind = gelu.getApproximation() == GeluApprox::tanh
                       ? FfnKind::gelu
                       : FfnKind::gelu_erf;
    rewriter.replaceOpWithNewOp<FfnOp>(
        down, down.getType(), kind, up.getInput(), up.getWeight(),
        /*gate=*/Value(), /*gate_up=*/Value(), down.getWeight(), up.getBias(),
        down.getBias(), down.getComputeAttr(), down.getBackendAttr());
    return success();
  }
};

/// Separate gate and up weights of a gated xf.ffn to one gate_up weight.
struct ConcatGateUp : OpRewritePattern<FfnOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FfnOp op,
                                PatternRewriter &rewriter) const override {
    Value gate = op.getGate(), up = op.getUp();
    if (!gate)
      return rewriter.notifyMatchFailure(op, "no separate gate weight");
    // Equal types: float, or quantized alike (packed rows then join as is).
    Type type = gate.getType();
    if (up.getType() != type)
      return rewriter.notifyMatchFailure(op, "gate and up weights differ");
    Value gateUp = ConcatOp::create(
        rewriter, op.getLoc(), withRows(type, 2 * getWeightShape(type)[0]),
        ValueRange{gate, up}, /*axis=*/0);
    rewriter.replaceOpWithNewOp<FfnOp>(
        op, op.getType(), op.getKind(), op.getInput(), /*up=*/Value(),
        /*gate=*/Value(), gateUp, op.getDown(), /*up_bias=*/Value(),
        op.getDownBias(), op.getComputeAttr(), op.getBackendAttr());
    return success();
  }
};

struct XFFuseFfnPass : xf::impl::XFFuseFfnBase<XFFuseFfnPass> {
  using XFFuseFfnBase::XFFuseFfnBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseFfnPatterns(patterns);
    if (concatGateUp)
      patterns.add<ConcatGateUp>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void xf::populateFuseFfnPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseFfn>(patterns.getContext());
}
