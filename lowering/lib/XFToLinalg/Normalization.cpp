//===- Normalization.cpp - Norms and softmax to linalg reductions ---------===//
//
// Each op normalizes over the last dimension: one reduction generic per
// statistic (into a tensor of rank - 1), then one elementwise generic.
// Narrow element types accumulate and compute in f32 (computeType) and
// round once, when the result is stored.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"
#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::xf;
using namespace mlir::xf::lowering;

namespace {

/// Reduces the last dimension of `input` into a row tensor of `accType`:
/// acc = combine(acc, element), starting from `init`. `element` may read the
/// reduced input together with per-row values in `rowInputs` (tensors of
/// rank - 1); all of them reach `combine` converted to `accType`.
Value reduceRows(OpBuilder &b, Location loc, Value input, ValueRange rowInputs,
                 Type accType, double init,
                 function_ref<Value(OpBuilder &, Location, ValueRange, Value)>
                     combine) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> dims = getDims(b, loc, input);
  dims.pop_back();
  auto rowType = RankedTensorType::get(type.getShape().drop_back(), accType);
  Value acc = createFilled(b, loc, rowType, dims, init);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {identity(ctx, rank)};
  SmallVector<Value> inputs = {input};
  for (Value row : rowInputs) {
    maps.push_back(dropLast(ctx, rank));
    inputs.push_back(row);
  }
  maps.push_back(dropLast(ctx, rank));
  return linalg::GenericOp::create(
             b, loc, rowType, inputs, acc, maps, iterators(rank - 1, true),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> in;
               for (Value arg : args.drop_back())
                 in.push_back(castFloat(nb, l, arg, accType));
               Value result = combine(nb, l, in, args.back());
               linalg::YieldOp::create(nb, l, result);
             })
      .getResult(0);
}

/// out[..., j] = body(x[..., j], rows[...]..., params[j]...), with the
/// body's arguments converted to `computeT` and its result rounded to the
/// input's element type.
Value mapRows(OpBuilder &b, Location loc, Value input, ValueRange rows,
              ValueRange params, Type computeT,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {identity(ctx, rank)};
  SmallVector<Value> inputs = {input};
  for (Value row : rows) {
    maps.push_back(dropLast(ctx, rank));
    inputs.push_back(row);
  }
  for (Value param : params) {
    maps.push_back(lastOnly(ctx, rank));
    inputs.push_back(param);
  }
  maps.push_back(identity(ctx, rank));
  Value init = createEmptyLike(b, loc, input, type.getElementType());
  return linalg::GenericOp::create(
             b, loc, type, inputs, init, maps, iterators(rank),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> in;
               for (Value arg : args.drop_back())
                 in.push_back(castFloat(nb, l, arg, computeT));
               linalg::YieldOp::create(
                   nb, l,
                   castFloat(nb, l, body(nb, l, in), type.getElementType()));
             })
      .getResult(0);
}

/// The last dimension as a float, which must be static.
FailureOr<double> featureCount(Value input) {
  int64_t n = cast<RankedTensorType>(input.getType()).getShape().back();
  if (ShapedType::isDynamic(n))
    return failure();
  return static_cast<double>(n);
}

struct RmsNormLowering : OpConversionPattern<RmsNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RmsNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<double> n = featureCount(adaptor.getInput());
    if (failed(n))
      return rewriter.notifyMatchFailure(op, "normalized dim must be static");
    Location loc = op.getLoc();
    Type t = computeType(op.getType().getElementType());
    Value squares = reduceRows(
        rewriter, loc, adaptor.getInput(), {}, t, 0.0,
        [](OpBuilder &b, Location l, ValueRange in, Value acc) -> Value {
          return arith::AddFOp::create(
              b, l, acc, arith::MulFOp::create(b, l, in[0], in[0]));
        });
    double eps = op.getEpsilon().convertToDouble();
    Value out = mapRows(
        rewriter, loc, adaptor.getInput(), squares, adaptor.getWeight(), t,
        [&](OpBuilder &b, Location l, ValueRange in) -> Value {
          // x * rsqrt(sum(x^2) / n + eps) * w
          Value mean =
              arith::DivFOp::create(b, l, in[1], floatConst(b, l, t, *n));
          Value inv = math::RsqrtOp::create(
              b, l, arith::AddFOp::create(b, l, mean, floatConst(b, l, t, eps)));
          return arith::MulFOp::create(
              b, l, arith::MulFOp::create(b, l, in[0], inv), in[2]);
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<double> n = featureCount(adaptor.getInput());
    if (failed(n))
      return rewriter.notifyMatchFailure(op, "normalized dim must be static");
    Location loc = op.getLoc();
    Type t = computeType(op.getType().getElementType());
    Value x = adaptor.getInput();
    Value sum = reduceRows(
        rewriter, loc, x, {}, t, 0.0,
        [](OpBuilder &b, Location l, ValueRange in, Value acc) -> Value {
          return arith::AddFOp::create(b, l, acc, in[0]);
        });
    // Centered second moment: sum((x - sum / n)^2).
    Value centered = reduceRows(
        rewriter, loc, x, sum, t, 0.0,
        [&](OpBuilder &b, Location l, ValueRange in, Value acc) -> Value {
          Value mean = arith::DivFOp::create(b, l, in[1], floatConst(b, l, t, *n));
          Value d = arith::SubFOp::create(b, l, in[0], mean);
          return arith::AddFOp::create(b, l, acc,
                                       arith::MulFOp::create(b, l, d, d));
        });
    double eps = op.getEpsilon().convertToDouble();
    Value out = mapRows(
        rewriter, loc, x, ValueRange{sum, centered},
        ValueRange{adaptor.getWeight(), adaptor.getBias()}, t,
        [&](OpBuilder &b, Location l, ValueRange in) -> Value {
          Value count = floatConst(b, l, t, *n);
          Value mean = arith::DivFOp::create(b, l, in[1], count);
          Value var = arith::DivFOp::create(b, l, in[2], count);
          Value inv = math::RsqrtOp::create(
              b, l, arith::AddFOp::create(b, l, var, floatConst(b, l, t, eps)));
          Value norm = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, in[0], mean), inv);
          return arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, norm, in[3]), in[4]);
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Type elt = op.getType().getElementType(), t = computeType(elt);
    // The maximum rounds nothing, so it stays in the element type.
    Value max = reduceRows(
        rewriter, loc, x, {}, elt, -std::numeric_limits<double>::infinity(),
        [](OpBuilder &b, Location l, ValueRange in, Value acc) -> Value {
          return arith::MaximumFOp::create(b, l, acc, in[0]);
        });
    Value sum = reduceRows(
        rewriter, loc, x, max, t, 0.0,
        [](OpBuilder &b, Location l, ValueRange in, Value acc) -> Value {
          Value e = math::ExpOp::create(b, l,
                                        arith::SubFOp::create(b, l, in[0], in[1]));
          return arith::AddFOp::create(b, l, acc, e);
        });
    Value out = mapRows(
        rewriter, loc, x, ValueRange{max, sum}, {}, t,
        [](OpBuilder &b, Location l, ValueRange in) -> Value {
          Value e = math::ExpOp::create(b, l,
                                        arith::SubFOp::create(b, l, in[0], in[1]));
          return arith::DivFOp::create(b, l, e, in[2]);
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void lowering::populateNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<RmsNormLowering, LayerNormLowering, SoftmaxLowering>(
      patterns.getContext());
}
