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
#include <type_traits>

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

Value intConst(OpBuilder &b, Location loc, Type type, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, type, v);
}
Value equal(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
}

/// One element of xf.convert where a side is an integer (float to float
/// is convertElements'): see the op's description for the semantics.
Value convertScalar(OpBuilder &b, Location loc, Value x, Type to,
                    bool isUnsigned) {
  Type from = x.getType();
  auto fromInt = dyn_cast<IntegerType>(from);
  auto toInt = dyn_cast<IntegerType>(to);
  if (toInt && toInt.getWidth() == 1) {
    if (fromInt)
      return arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ne, x,
          arith::ConstantIntOp::create(b, loc, from, 0));
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                 floatConst(b, loc, from, 0.0));
  }
  // A boolean is 0 or 1, never -1.
  isUnsigned |= fromInt && fromInt.getWidth() == 1;
  if (fromInt && toInt) {
    if (toInt.getWidth() < fromInt.getWidth())
      return arith::TruncIOp::create(b, loc, to, x);
    if (toInt.getWidth() == fromInt.getWidth())
      return x;
    if (isUnsigned)
      return arith::ExtUIOp::create(b, loc, to, x);
    return arith::ExtSIOp::create(b, loc, to, x);
  }
  if (fromInt) {
    // Narrower floats go through f32, whose truncf the pipeline expands
    // (bf16 has no direct conversion from integers on every target).
    Type via = to.getIntOrFloatBitWidth() < 32 ? b.getF32Type() : to;
    Value f = isUnsigned ? Value(arith::UIToFPOp::create(b, loc, via, x))
                         : Value(arith::SIToFPOp::create(b, loc, via, x));
    return castFloat(b, loc, f, to);
  }
  // From f16 or bf16, exactly in f32.
  if (from.getIntOrFloatBitWidth() < 32) {
    x = castFloat(b, loc, x, b.getF32Type());
    from = x.getType();
  }
  // Float to integer: fptosi/fptoui are poison out of range, so the bounds
  // and NaN are chosen first. 2^k is exact in every float type, or
  // infinity where the type is too narrow, which still compares right.
  unsigned width = toInt.getWidth();
  double lo = isUnsigned ? 0.0 : -std::ldexp(1.0, width - 1);
  double hi = std::ldexp(1.0, isUnsigned ? width : width - 1);
  APInt minValue =
      isUnsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width);
  APInt maxValue =
      isUnsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width);
  Value converted = isUnsigned ? Value(arith::FPToUIOp::create(b, loc, to, x))
                               : Value(arith::FPToSIOp::create(b, loc, to, x));
  auto intConst = [&](const APInt &v) {
    return arith::ConstantOp::create(b, loc, to, b.getIntegerAttr(to, v));
  };
  auto cmp = [&](arith::CmpFPredicate p, double bound) {
    return arith::CmpFOp::create(b, loc, p, x, floatConst(b, loc, from, bound));
  };
  Value r = arith::SelectOp::create(b, loc, cmp(arith::CmpFPredicate::OLE, lo),
                                    intConst(minValue), converted);
  r = arith::SelectOp::create(b, loc, cmp(arith::CmpFPredicate::OGE, hi),
                              intConst(maxValue), r);
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  return arith::SelectOp::create(b, loc, isNaN, intConst(APInt(width, 0)), r);
}

/// f32 to bf16 by dropping the low 16 bits; NaN stays NaN (a payload only
/// in those bits would otherwise turn into infinity).
Value bf16TowardZero(OpBuilder &b, Location loc, Value x) {
  Type i32 = b.getI32Type(), i16 = b.getI16Type(), bf16 = b.getBF16Type();
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  Value high = arith::ShRUIOp::create(b, loc, bits, intConst(b, loc, i32, 16));
  Value truncated = arith::BitcastOp::create(
      b, loc, bf16, arith::TruncIOp::create(b, loc, i16, high));
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  Value nan = arith::ConstantOp::create(
      b, loc, bf16, b.getFloatAttr(bf16, APFloat::getQNaN(APFloat::BFloat())));
  return arith::SelectOp::create(b, loc, isNaN, nan, truncated);
}

struct ConvertLowering : OpConversionPattern<ConvertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    if (op.getTowardZero()) {
      lowerUnary(rewriter, op, adaptor.getInput(), bf16TowardZero);
      return success();
    }
    if (isa<FloatType>(to) &&
        isa<FloatType>(op.getInput().getType().getElementType())) {
      rewriter.replaceOp(
          op, convertElements(rewriter, op.getLoc(), adaptor.getInput(), to));
      return success();
    }
    bool isUnsigned = op.getIsUnsigned();
    lowerUnary(rewriter, op, adaptor.getInput(),
               [&](OpBuilder &b, Location loc, Value x) {
                 return convertScalar(b, loc, x, to, isUnsigned);
               });
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

/// The scalar bodies of the binary ops, on floats or on integers (see
/// the ops' descriptions for the integer semantics).
using BinaryBody = Value (*)(OpBuilder &, Location, Value, Value, bool);

template <typename FloatOp, typename IntOp>
Value plainBinary(OpBuilder &b, Location loc, Value x, Value y, bool) {
  if (isa<FloatType>(x.getType()))
    return FloatOp::create(b, loc, x, y);
  return IntOp::create(b, loc, x, y);
}

Value divOf(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return arith::DivFOp::create(b, loc, x, y);
  // x86's divide traps on a zero divisor and on INT_MIN / -1: neither
  // reaches it.
  Type t = x.getType();
  Value zero = intConst(b, loc, t, 0), one = intConst(b, loc, t, 1);
  Value byZero = equal(b, loc, y, zero);
  if (isUnsigned) {
    Value safe = arith::SelectOp::create(b, loc, byZero, one, y);
    Value q = arith::DivUIOp::create(b, loc, x, safe);
    return arith::SelectOp::create(b, loc, byZero, zero, q);
  }
  Value byMinusOne = equal(b, loc, y, intConst(b, loc, t, -1));
  Value special = arith::OrIOp::create(b, loc, byZero, byMinusOne);
  Value safe = arith::SelectOp::create(b, loc, special, one, y);
  Value q = arith::DivSIOp::create(b, loc, x, safe);
  Value negated = arith::SubIOp::create(b, loc, zero, x);
  q = arith::SelectOp::create(b, loc, byMinusOne, negated, q);
  return arith::SelectOp::create(b, loc, byZero, zero, q);
}

Value powOf(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return math::PowFOp::create(b, loc, x, y);
  // Square-and-multiply over every bit of the exponent, unrolled and
  // without branches; products wrap.
  Type t = x.getType();
  unsigned width = t.getIntOrFloatBitWidth();
  Value zero = intConst(b, loc, t, 0), one = intConst(b, loc, t, 1);
  Value result = one, square = x;
  for (unsigned bit = 0; bit < width; ++bit) {
    Value set = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne,
        arith::AndIOp::create(
            b, loc, y,
            arith::ConstantOp::create(
                b, loc, t,
                b.getIntegerAttr(t, APInt::getOneBitSet(width, bit)))),
        zero);
    result = arith::SelectOp::create(
        b, loc, set, arith::MulIOp::create(b, loc, result, square), result);
    if (bit + 1 < width)
      square = arith::MulIOp::create(b, loc, square, square);
  }
  if (isUnsigned)
    return result;
  // A negative exponent: 1 / x^-y rounded toward zero.
  Value odd =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                            arith::AndIOp::create(b, loc, y, one), zero);
  Value minusOne = intConst(b, loc, t, -1);
  Value ofMinusOne = arith::SelectOp::create(b, loc, odd, minusOne, one);
  Value reciprocal = arith::SelectOp::create(
      b, loc, equal(b, loc, x, one), one,
      arith::SelectOp::create(b, loc, equal(b, loc, x, minusOne), ofMinusOne,
                              zero));
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
  return arith::SelectOp::create(b, loc, negative, reciprocal, result);
}

template <typename XFOp> bool isUnsignedOp(XFOp op) {
  if constexpr (std::is_same_v<XFOp, DivOp> || std::is_same_v<XFOp, PowOp>)
    return op.getIsUnsigned();
  return false;
}

template <typename XFOp, BinaryBody Body>
struct BinaryLowering : OpConversionPattern<XFOp> {
  using OpConversionPattern<XFOp>::OpConversionPattern;
  using OpAdaptor = typename XFOp::Adaptor;

  LogicalResult
  matchAndRewrite(XFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool isUnsigned = isUnsignedOp(op);
    return lowerBroadcast(
        rewriter, op, ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        op.getType(), [&](OpBuilder &b, Location l, ValueRange args) {
          return Body(b, l, args[0], args[1], isUnsigned);
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
  patterns
      .add<SiluLowering, GeluLowering, ConvertLowering,
           BinaryLowering<AddOp, plainBinary<arith::AddFOp, arith::AddIOp>>,
           BinaryLowering<SubOp, plainBinary<arith::SubFOp, arith::SubIOp>>,
           BinaryLowering<MulOp, plainBinary<arith::MulFOp, arith::MulIOp>>,
           BinaryLowering<DivOp, divOf>, BinaryLowering<PowOp, powOf>,
           WhereLowering, BroadcastLowering, UnaryLowering<SqrtOp, sqrtOf>,
           UnaryLowering<ReciprocalOp, reciprocalOf>,
           UnaryLowering<ErfOp, erfOf>, UnaryLowering<TanhOp, tanhOf>,
           UnaryLowering<SigmoidOp, sigmoidOf>, UnaryLowering<ReluOp, reluOf>>(
          patterns.getContext());
}
