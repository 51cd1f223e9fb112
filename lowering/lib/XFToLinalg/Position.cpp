//===- Position.cpp - rope and causal_mask to linalg.generic --------------===//
//
// Both read the element's indices (linalg.index). RoPE reads the partner
// element of each rotated pair with tensor.extract.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"
#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::xf;
using namespace mlir::xf::lowering;

namespace {

struct RopeLowering : OpConversionPattern<RopeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RopeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    Type t = type.getElementType(), c = computeType(t);
    Value input = adaptor.getInput();
    int64_t rotary = op.getEffectiveRotaryDim(), half = rotary / 2;
    bool neox = op.getStyle() == RopeStyle::neox;
    double logTheta = std::log(op.getTheta().convertToDouble());
    Value init = createEmptyLike(rewriter, loc, input, t);
    SmallVector<AffineMap> maps = {
        identity(ctx, 3), AffineMap::get(3, 0, getAffineDimExpr(0, ctx), ctx),
        identity(ctx, 3)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{input, adaptor.getPositions()}, init,
        maps, iterators(3), [&](OpBuilder &b, Location l, ValueRange args) {
          auto idx = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          Value token = linalg::IndexOp::create(b, l, 0);
          Value head = linalg::IndexOp::create(b, l, 1);
          Value d = linalg::IndexOp::create(b, l, 2);
          // Pair index i, whether d is the pair's first element, partner.
          Value i, first, partner;
          if (neox) {
            first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, d,
                                          idx(half));
            i = arith::SelectOp::create(b, l, first, d,
                                        arith::SubIOp::create(b, l, d, idx(half)));
            partner = arith::SelectOp::create(
                b, l, first, arith::AddIOp::create(b, l, d, idx(half)),
                arith::SubIOp::create(b, l, d, idx(half)));
          } else {
            i = arith::DivUIOp::create(b, l, d, idx(2));
            first = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::eq,
                arith::RemUIOp::create(b, l, d, idx(2)), idx(0));
            partner = arith::SelectOp::create(
                b, l, first, arith::AddIOp::create(b, l, d, idx(1)),
                arith::SubIOp::create(b, l, d, idx(1)));
          }
          Value rotated = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                                d, idx(rotary));
          // Past the rotary dims the partner index is unused; clamp it so
          // the read stays in bounds.
          partner = arith::SelectOp::create(b, l, rotated, partner, d);
          // angle = position * theta^(-2i / rotary), in f32 for narrow
          // types: bf16 cannot even hold position 257.
          Value fi = arith::UIToFPOp::create(
              b, l, c, arith::IndexCastUIOp::create(b, l, b.getI64Type(), i));
          Value exponent = arith::MulFOp::create(
              b, l, fi, floatConst(b, l, c, -2.0 * logTheta / rotary));
          Value pos = arith::SIToFPOp::create(b, l, c, args[1]);
          Value freq = math::ExpOp::create(b, l, exponent);
          Value angle = arith::MulFOp::create(b, l, pos, freq);
          Value x = castFloat(b, l, args[0], c);
          Value other = castFloat(
              b, l,
              tensor::ExtractOp::create(b, l, input,
                                        ValueRange{token, head, partner}),
              c);
          // first: x cos - partner sin; second: x cos + partner sin.
          Value sin = math::SinOp::create(b, l, angle);
          Value signedSin = arith::SelectOp::create(
              b, l, first, arith::NegFOp::create(b, l, sin), sin);
          Value partnerTerm = arith::MulFOp::create(b, l, other, signedSin);
          Value cos = math::CosOp::create(b, l, angle);
          Value xTerm = arith::MulFOp::create(b, l, x, cos);
          Value out = castFloat(
              b, l, arith::AddFOp::create(b, l, xTerm, partnerTerm), t);
          // Elements past the rotary dims pass through unrounded.
          linalg::YieldOp::create(
              b, l, Value(arith::SelectOp::create(b, l, rotated, out, args[0])));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct CausalMaskLowering : OpConversionPattern<CausalMaskOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CausalMaskOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    unsigned rank = type.getRank();
    Value offset = adaptor.getOffset();
    Value init = createEmptyLike(rewriter, loc, adaptor.getInput(),
                                 type.getElementType());
    AffineMap map = identity(rewriter.getContext(), rank);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getInput(), init,
        ArrayRef<AffineMap>{map, map}, iterators(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Key j is in the future of query i when j > i + offset.
          Value i = linalg::IndexOp::create(b, l, rank - 2);
          Value j = linalg::IndexOp::create(b, l, rank - 1);
          Value future = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::ugt, j,
              arith::AddIOp::create(b, l, i, offset));
          Value ninf = floatConst(b, l, type.getElementType(),
                                  -std::numeric_limits<double>::infinity());
          linalg::YieldOp::create(
              b, l, Value(arith::SelectOp::create(b, l, future, ninf, args[0])));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void lowering::populatePositionPatterns(RewritePatternSet &patterns) {
  patterns.add<RopeLowering, CausalMaskLowering>(patterns.getContext());
}
