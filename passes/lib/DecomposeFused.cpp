//===- DecomposeFused.cpp - Expand fused xf ops ---------------------------===//
//
// Rewrites xf.attention and xf.ffn into the fine-grained ops they are defined
// by. The fusion passes build the fused ops from exactly these graphs.
//
//===----------------------------------------------------------------------===//

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

/// A rank-0 float constant, which broadcasts against any tensor.
Value createScalar(PatternRewriter &rewriter, Location loc, Type elementType,
                   double value) {
  auto type = RankedTensorType::get({}, elementType);
  auto attr = DenseElementsAttr::get(
      type, ArrayRef<Attribute>{rewriter.getFloatAttr(elementType, value)});
  return arith::ConstantOp::create(rewriter, loc, attr);
}

/// Swaps the first two dimensions: [a, b, c] <-> [b, a, c].
Value swapLeadingDims(PatternRewriter &rewriter, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape = {type.getDimSize(1), type.getDimSize(0),
                                type.getDimSize(2)};
  return TransposeOp::create(
      rewriter, loc, RankedTensorType::get(shape, type.getElementType()),
      value, rewriter.getDenseI64ArrayAttr({1, 0, 2}));
}

/// Repeats each KV head `repeats` times along dimension 1.
Value repeatHeads(PatternRewriter &rewriter, Location loc, Value value,
                  int64_t repeats) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[1] *= repeats;
  return RepeatInterleaveOp::create(
      rewriter, loc, RankedTensorType::get(shape, type.getElementType()),
      value, rewriter.getI64IntegerAttr(1),
      rewriter.getI64IntegerAttr(repeats));
}

struct DecomposeAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType queryType = op.getQuery().getType();
    Type elementType = queryType.getElementType();
    int64_t heads = queryType.getDimSize(1);
    int64_t headDim = queryType.getDimSize(2);
    int64_t kvHeads = op.getKey().getType().getDimSize(1);

    Value keys = op.getKey(), values = op.getValue();
    // Position of the first query: earlier keys are visible to all queries.
    Value offset;
    if (Value cache = op.getCache()) {
      KVAppendOp::create(rewriter, loc, cache, op.getPosition(), keys, values);
      Value newTokens = tensor::DimOp::create(rewriter, loc, op.getQuery(), 0);
      Value length =
          arith::AddIOp::create(rewriter, loc, op.getPosition(), newTokens);
      auto rowsType = RankedTensorType::get(
          {ShapedType::kDynamic, kvHeads, headDim}, elementType);
      auto read = KVReadOp::create(rewriter, loc, rowsType, rowsType, cache,
                                   length);
      keys = read.getKeys();
      values = read.getValues();
      offset = op.getPosition();
    } else if (op.getCausal()) {
      offset = arith::ConstantIndexOp::create(rewriter, loc, 0);
    }

    if (kvHeads != heads) {
      keys = repeatHeads(rewriter, loc, keys, heads / kvHeads);
      values = repeatHeads(rewriter, loc, values, heads / kvHeads);
    }

    // Head-major [heads, tokens, head_dim] operands for batched matmuls.
    Value q = swapLeadingDims(rewriter, loc, op.getQuery());
    Value k = swapLeadingDims(rewriter, loc, keys);
    Value v = swapLeadingDims(rewriter, loc, values);

    int64_t kvTokens = cast<RankedTensorType>(keys.getType()).getDimSize(0);
    auto scoresType = RankedTensorType::get(
        {heads, queryType.getDimSize(0), kvTokens}, elementType);
    Value scores = MatmulOp::create(rewriter, loc, scoresType, q, k,
                                    rewriter.getUnitAttr());
    Value scale =
        createScalar(rewriter, loc, elementType, op.getEffectiveScale());
    scores = MulOp::create(rewriter, loc, scoresType, scores, scale);
    if (op.getCausal())
      scores = CausalMaskOp::create(rewriter, loc, scoresType, scores, offset);
    Value probs = SoftmaxOp::create(rewriter, loc, scoresType, scores);

    auto outType = RankedTensorType::get(
        {heads, queryType.getDimSize(0), headDim}, elementType);
    Value out = MatmulOp::create(rewriter, loc, outType, probs, v,
                                 /*transpose_rhs=*/UnitAttr());
    rewriter.replaceOp(op, swapLeadingDims(rewriter, loc, out));
    return success();
  }
};

struct DecomposeFfn : OpRewritePattern<FfnOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FfnOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    RankedTensorType inputType = op.getInput().getType();
    SmallVector<int64_t> hiddenShape(inputType.getShape());
    hiddenShape.back() = getWeightShape(op.getUp().getType())[0];
    auto hiddenType =
        RankedTensorType::get(hiddenShape, inputType.getElementType());
    auto tanh = GeluApproxAttr::get(rewriter.getContext(), GeluApprox::tanh);

    Value up = LinearOp::create(rewriter, loc, hiddenType, input, op.getUp(),
                                op.getUpBias());
    Value hidden;
    if (op.getKind() == FfnKind::gelu) {
      hidden = GeluOp::create(rewriter, loc, hiddenType, tanh, up);
    } else {
      Value gate = LinearOp::create(rewriter, loc, hiddenType, input,
                                    op.getGate(), /*bias=*/Value());
      Value activated =
          op.getKind() == FfnKind::swiglu
              ? Value(SiluOp::create(rewriter, loc, hiddenType, gate))
              : Value(GeluOp::create(rewriter, loc, hiddenType, tanh, gate));
      hidden = MulOp::create(rewriter, loc, hiddenType, activated, up);
    }
    rewriter.replaceOpWithNewOp<LinearOp>(op, inputType, hidden, op.getDown(),
                                          op.getDownBias());
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
