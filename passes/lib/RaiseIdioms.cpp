//===- RaiseIdioms.cpp - Exported spellings of biases and GELU ------------===//
//
// An ONNX export spells nn.Linear's bias as an Add after the MatMul, GELU
// as arithmetic around Erf or Tanh, and (older exporters) LayerNorm as
// reductions and arithmetic. These patterns raise them to the xf ops the
// fusion and normalization passes match.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::xf {
#define GEN_PASS_DEF_XFRAISEIDIOMS
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// xf.add(xf.linear(x, W), b) with b : [out] to xf.linear(x, W, b).
struct FoldLinearBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [product, bias] : {std::pair(add.getLhs(), add.getRhs()),
                                 std::pair(add.getRhs(), add.getLhs())}) {
      auto linear = singleUseProducer<LinearOp>(product);
      auto biasType = dyn_cast<RankedTensorType>(bias.getType());
      // A bias is a weight: a value of the run (a residual) stays an add.
      if (!linear || linear.getBias() || linear.getType() != add.getType() ||
          !dependsOnlyOnWeights(bias) || !biasType || biasType.getRank() != 1 ||
          biasType.getElementType() != linear.getType().getElementType() ||
          biasType.getDimSize(0) != linear.getType().getShape().back() ||
          biasType.isDynamicDim(0))
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(
          add, add.getType(), linear.getInput(), linear.getWeight(), bias,
          linear.getComputeAttr(), linear.getBackendAttr());
      return success();
    }
    return rewriter.notifyMatchFailure(add, "not a projection plus a bias");
  }
};

/// The other operand of `op` (commutative) when one is a scalar constant
/// equal to `constant`; null otherwise.
template <typename OpT>
Value otherThanConstant(OpT op, double constant, double tolerance = 1e-6) {
  return splitOperands(
             op,
             [&](Value v) { return isScalarConstant(v, constant, tolerance); })
      .second;
}

/// Whether `value` is x^3: xf.pow(x, 3), or x * x * x grouped either way.
bool isCube(Value value, Value x) {
  if (!value)
    return false;
  if (auto pow = singleUseProducer<PowOp>(value))
    return pow.getLhs() == x && isScalarConstant(pow.getRhs(), 3.0, 0.0);
  auto mul = singleUseProducer<MulOp>(value);
  if (!mul)
    return false;
  for (auto [square, single] : {std::pair(mul.getLhs(), mul.getRhs()),
                                std::pair(mul.getRhs(), mul.getLhs())}) {
    auto sq = singleUseProducer<MulOp>(square);
    if (single == x && sq && sq.getLhs() == x && sq.getRhs() == x)
      return true;
  }
  return false;
}

/// Whether `value` is erf's argument in exact GELU: x / sqrt(2) or
/// x * (1 / sqrt(2)).
bool isErfArgument(Value value, Value x) {
  if (auto div = singleUseProducer<DivOp>(value))
    return div.getLhs() == x && isScalarConstant(div.getRhs(), std::sqrt(2.0));
  auto mul = singleUseProducer<MulOp>(value);
  return mul && otherThanConstant(mul, 1 / std::sqrt(2.0)) == x;
}

/// Whether `value` is tanh's argument in GPT-2's GELU:
/// sqrt(2 / pi) * (x + 0.044715 * x^3).
bool isTanhArgument(Value value, Value x) {
  auto scaled = singleUseProducer<MulOp>(value);
  Value inner =
      scaled ? otherThanConstant(scaled, std::sqrt(2 / M_PI)) : Value();
  auto sum = inner ? singleUseProducer<AddOp>(inner) : AddOp();
  if (!sum)
    return false;
  for (auto [lhs, rhs] : {std::pair(sum.getLhs(), sum.getRhs()),
                          std::pair(sum.getRhs(), sum.getLhs())}) {
    auto cubic = singleUseProducer<MulOp>(rhs);
    if (lhs == x && cubic && isCube(otherThanConstant(cubic, 0.044715), x))
      return true;
  }
  return false;
}

/// x * 0.5 * (1 + f(x)), f erf or tanh with their arguments, the three
/// factors in any order and grouping, to xf.gelu.
struct RaiseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    // The three factors: one of the root's operands is a product of two.
    SmallVector<Value, 3> factors;
    for (auto [pair, single] : {std::pair(root.getLhs(), root.getRhs()),
                                std::pair(root.getRhs(), root.getLhs())}) {
      if (auto inner = singleUseProducer<MulOp>(pair)) {
        factors = {inner.getLhs(), inner.getRhs(), single};
        if (succeeded(raise(root, factors, rewriter)))
          return success();
      }
    }
    return rewriter.notifyMatchFailure(root, "not a spelled-out GELU");
  }

  LogicalResult raise(MulOp root, ArrayRef<Value> factors,
                      PatternRewriter &rewriter) const {
    // Which factor is 0.5, which 1 + f(x), and which x.
    for (int half = 0; half < 3; ++half) {
      if (!isScalarConstant(factors[half], 0.5, 0.0))
        continue;
      for (int sum = 0; sum < 3; ++sum) {
        if (sum == half)
          continue;
        Value x = factors[3 - half - sum];
        auto onePlus = singleUseProducer<AddOp>(factors[sum]);
        Value f = onePlus ? otherThanConstant(onePlus, 1.0, 0.0) : Value();
        if (!f || x.getType() != root.getType())
          continue;
        std::optional<GeluApprox> approx;
        if (auto erf = singleUseProducer<ErfOp>(f);
            erf && isErfArgument(erf.getInput(), x))
          approx = GeluApprox::erf;
        else if (auto tanh = singleUseProducer<TanhOp>(f);
                 tanh && isTanhArgument(tanh.getInput(), x))
          approx = GeluApprox::tanh;
        if (!approx)
          continue;
        rewriter.replaceOpWithNewOp<GeluOp>(
            root, root.getType(),
            GeluApproxAttr::get(rewriter.getContext(), *approx), x);
        return success();
      }
    }
    return failure();
  }
};

/// LayerNorm over the last axis as older exporters spell it:
///   d = x - mean(x); v = mean(d^2); (d / sqrt(v + eps)) * gamma + beta
/// with d^2 as xf.pow(d, 2) or d * d, to xf.layer_norm.
struct RaiseLayerNorm : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp root,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(root.getType());
    int64_t axis = type.getRank() - 1;
    auto isAffine = [&](Value v) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      return t && t.getRank() == 1 &&
             t.getDimSize(0) == type.getDimSize(axis) &&
             t.getElementType() == type.getElementType() &&
             dependsOnlyOnWeights(v);
    };
    auto [beta, scaledValue] = splitOperands(root, isAffine);
    auto scaled = scaledValue ? singleUseProducer<MulOp>(scaledValue) : MulOp();
    auto [gamma, normalizedValue] =
        scaled ? splitOperands(scaled, isAffine) : std::pair<Value, Value>();
    auto normalized =
        normalizedValue ? singleUseProducer<DivOp>(normalizedValue) : DivOp();
    auto sqrt =
        normalized ? singleUseProducer<SqrtOp>(normalized.getRhs()) : SqrtOp();
    auto shifted = sqrt ? singleUseProducer<AddOp>(sqrt.getInput()) : AddOp();
    if (!shifted || normalized.getType() != type)
      return rewriter.notifyMatchFailure(root, "not a spelled-out LayerNorm");
    Value centered = normalized.getLhs();
    auto [eps, varianceValue] = splitOperands(
        shifted, [](Value v) { return scalarConstant(v).has_value(); });
    auto variance = varianceValue
                        ? singleUseProducer<ReduceMeanOp>(varianceValue)
                        : ReduceMeanOp();
    auto sub = centered.getDefiningOp<SubOp>();
    auto mean =
        sub ? singleUseProducer<ReduceMeanOp>(sub.getRhs()) : ReduceMeanOp();
    if (!variance || int64_t(variance.getAxis()) != axis || !mean ||
        int64_t(mean.getAxis()) != axis || mean.getInput() != sub.getLhs() ||
        sub.getType() != type)
      return rewriter.notifyMatchFailure(root, "no mean and variance");
    // The square of the centered values, which only it and the division
    // read.
    Operation *square = variance.getInput().getDefiningOp();
    bool squares = square && variance.getInput().hasOneUse() &&
                   ((isa<PowOp>(square) && square->getOperand(0) == centered &&
                     isScalarConstant(square->getOperand(1), 2.0, 0.0)) ||
                    (isa<MulOp>(square) && square->getOperand(0) == centered &&
                     square->getOperand(1) == centered));
    if (!squares || llvm::any_of(centered.getUsers(), [&](Operation *user) {
          return user != square && user != normalized;
        }))
      return rewriter.notifyMatchFailure(root, "no variance of x - mean(x)");
    double epsilon = *scalarConstant(eps);
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        root, type, sub.getLhs(), gamma, beta,
        rewriter.getF32FloatAttr(static_cast<float>(epsilon)));
    return success();
  }
};

struct XFRaiseIdiomsPass : xf::impl::XFRaiseIdiomsBase<XFRaiseIdiomsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldLinearBias, RaiseGelu, RaiseLayerNorm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
