//===- Elementwise.cpp - xf elementwise ops to linalg.generic -------------===//
//
// Unary ops become an identity-mapped generic; binary ops, where and
// broadcast map each operand with NumPy broadcasting (right-aligned; size-1
// dimensions read index 0).
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"
#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::xf;
using namespace mlir::xf::lowering;

namespace {

/// Replaces `op` by a generic applying `body` to each element of `input`.
void lowerUnary(ConversionPatternRewriter &rewriter, Operation *op,
                Value input,
                function_ref<Value(OpBuilder &, Location, Value)> body) {
  Location loc = op->getLoc();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  Value init =
      createEmptyLike(rewriter, loc, input, resultType.getElementType());
  AffineMap map = identity(rewriter.getContext(), resultType.getRank());
  auto generic = linalg::GenericOp::create(
      rewriter, loc, resultType, input, init, ArrayRef<AffineMap>{map, map},
      iterators(resultType.getRank()),
      [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, body(b, l, args[0]));
      });
  rewriter.replaceOp(op, generic.getResult(0));
}

Value siluOf(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value one = floatConst(b, loc, t, 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, x, arith::AddFOp::create(b, loc, one, e));
}

Value geluOf(OpBuilder &b, Location loc, Value x, GeluApprox approx) {
  Type t = x.getType();
  auto c = [&](double v) { return floatConst(b, loc, t, v); };
  Value inner;
  if (approx == GeluApprox::erf) {
    // 0.5 x (1 + erf(x / sqrt 2))
    inner = math::ErfOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, c(1.0 / std::sqrt(2.0))));
  } else {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 = arith::MulFOp::create(b, loc, x,
                                     arith::MulFOp::create(b, loc, x, x));
    Value poly = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, c(0.044715), x3));
    inner = math::TanhOp::create(
        b, loc, arith::MulFOp::create(b, loc, c(std::sqrt(2.0 / M_PI)), poly));
  }
  Value half = arith::MulFOp::create(b, loc, c(0.5), x);
  return arith::MulFOp::create(b, loc, half,
                               arith::AddFOp::create(b, loc, c(1.0), inner));
}

struct SiluLowering : OpConversionPattern<SiluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SiluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    lowerUnary(rewriter, op, adaptor.getInput(), siluOf);
    return success();
  }
};

struct GeluLowering : OpConversionPattern<GeluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GeluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GeluApprox approx = op.getApproximation();
    lowerUnary(rewriter, op, adaptor.getInput(),
               [&](OpBuilder &b, Location loc, Value x) {
                 return geluOf(b, loc, x, approx);
               });
    return success();
  }
};

struct ConvertLowering : OpConversionPattern<ConvertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, convertElements(rewriter, op.getLoc(),
                                           adaptor.getInput(),
                                           op.getType().getElementType()));
    return success();
  }
};

/// The indexing map of a broadcast operand of `shape` into `resultShape`:
/// stretched (size-1) dimensions read index 0.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape,
                       ArrayRef<int64_t> resultShape) {
  unsigned rank = resultShape.size(), offset = rank - shape.size();
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < shape.size(); ++i) {
    bool stretched = shape[i] == 1 && resultShape[offset + i] != 1;
    exprs.push_back(stretched ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// Replaces `op` by a generic over its result `type` that applies `body`
/// to `operands` broadcast NumPy-style. Fails if a dynamic result dimension
/// has no operand to take its size from.
LogicalResult
lowerBroadcast(ConversionPatternRewriter &rewriter, Operation *op,
               ValueRange operands, RankedTensorType type,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Location loc = op->getLoc();
  // Each dynamic result dimension comes from an operand that has it
  // unstretched: right-aligned, an operand dimension other than 1. When
  // every operand has 1 there (or lacks the dimension), it is 1 unless the
  // result says otherwise.
  SmallVector<OpFoldResult> dims;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (!type.isDynamicDim(i)) {
      dims.push_back(rewriter.getIndexAttr(type.getDimSize(i)));
      continue;
    }
    Value source;
    for (Value value : operands) {
      auto t = cast<RankedTensorType>(value.getType());
      int64_t j = i - (type.getRank() - t.getRank());
      if (!source && j >= 0 && t.getDimSize(j) != 1)
        source = tensor::DimOp::create(rewriter, loc, value, j);
    }
    if (!source && isa<BroadcastOp>(op))
      return rewriter.notifyMatchFailure(op, "a dynamic result dimension "
                                             "the input does not have");
    dims.push_back(source ? OpFoldResult(source)
                          : OpFoldResult(rewriter.getIndexAttr(1)));
  }
  Value init = createEmpty(rewriter, loc, type, dims);
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<AffineMap> maps;
  for (Value value : operands)
    maps.push_back(
        broadcastMap(ctx, cast<RankedTensorType>(value.getType()).getShape(),
                     type.getShape()));
  maps.push_back(identity(ctx, type.getRank()));
  auto generic = linalg::GenericOp::create(
      rewriter, loc, type, operands, init, maps, iterators(type.getRank()),
      [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, body(b, l, args.drop_back()));
      });
  rewriter.replaceOp(op, generic.getResult(0));
  return success();
}

template <typename XFOp, typename ArithOp>
struct BinaryLowering : OpConversionPattern<XFOp> {
  using OpConversionPattern<XFOp>::OpConversionPattern;
  using OpAdaptor = typename XFOp::Adaptor;

  LogicalResult
  matchAndRewrite(XFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerBroadcast(
        rewriter, op, ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        op.getType(), [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return ArithOp::create(b, l, args[0], args[1]);
        });
  }
};

struct WhereLowering : OpConversionPattern<WhereOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerBroadcast(
        rewriter, op,
        ValueRange{adaptor.getCondition(), adaptor.getLhs(), adaptor.getRhs()},
        op.getType(), [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::SelectOp::create(b, l, args[0], args[1], args[2]);
        });
  }
};

struct BroadcastLowering : OpConversionPattern<BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerBroadcast(
        rewriter, op, adaptor.getInput(), op.getType(),
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  }
};

/// The elementwise functions of the ONNX importer.
Value sqrtOf(OpBuilder &b, Location loc, Value x) {
  return math::SqrtOp::create(b, loc, x);
}
Value reciprocalOf(OpBuilder &b, Location loc, Value x) {
  return arith::DivFOp::create(b, loc, floatConst(b, loc, x.getType(), 1.0), x);
}
Value erfOf(OpBuilder &b, Location loc, Value x) {
  return math::ErfOp::create(b, loc, x);
}
Value tanhOf(OpBuilder &b, Location loc, Value x) {
  return math::TanhOp::create(b, loc, x);
}
Value sigmoidOf(OpBuilder &b, Location loc, Value x) {
  Value one = floatConst(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}
Value reluOf(OpBuilder &b, Location loc, Value x) {
  // maximumf keeps NaN, as ONNX's Relu does.
  return arith::MaximumFOp::create(b, loc, x,
                                   floatConst(b, loc, x.getType(), 0.0));
}

template <typename XFOp, Value (*Body)(OpBuilder &, Location, Value)>
struct UnaryLowering : OpConversionPattern<XFOp> {
  using OpConversionPattern<XFOp>::OpConversionPattern;
  using OpAdaptor = typename XFOp::Adaptor;
  LogicalResult
  matchAndRewrite(XFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    lowerUnary(rewriter, op, adaptor.getInput(), Body);
    return success();
  }
};

} // namespace

void lowering::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<
      SiluLowering, GeluLowering, ConvertLowering,
      BinaryLowering<AddOp, arith::AddFOp>,
      BinaryLowering<SubOp, arith::SubFOp>,
      BinaryLowering<MulOp, arith::MulFOp>,
      BinaryLowering<DivOp, arith::DivFOp>, BinaryLowering<PowOp, math::PowFOp>,
      WhereLowering, BroadcastLowering, UnaryLowering<SqrtOp, sqrtOf>,
      UnaryLowering<ReciprocalOp, reciprocalOf>, UnaryLowering<ErfOp, erfOf>,
      UnaryLowering<TanhOp, tanhOf>, UnaryLowering<SigmoidOp, sigmoidOf>,
      UnaryLowering<ReluOp, reluOf>>(patterns.getContext());
}
