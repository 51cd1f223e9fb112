//===- KVCacheRows.cpp - Convert rows at the KV cache's boundary ----------===//

#include "KVCacheRows.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr float kMaxCode = 127.0f;

Value f32Const(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// An empty [tokens, heads, inner] tensor (or [tokens, heads] for inner
/// -1), of `like`'s first two sizes.
Value emptyRows(OpBuilder &b, Location loc, Value like, int64_t inner,
                Type element) {
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, like, 0),
                                     tensor::getMixedSize(b, loc, like, 1)};
  if (inner >= 0)
    sizes.push_back(b.getIndexAttr(inner));
  return tensor::EmptyOp::create(b, loc, sizes, element);
}

/// Maps of the loop (t, h, d) to (t, h, last) for each `last`, or to
/// (t, h) for a null one.
SmallVector<AffineMap> rowMaps(MLIRContext *ctx, ArrayRef<AffineExpr> lasts) {
  SmallVector<AffineMap> maps;
  for (AffineExpr last : lasts) {
    SmallVector<AffineExpr> results = {getAffineDimExpr(0, ctx),
                                       getAffineDimExpr(1, ctx)};
    if (last)
      results.push_back(last);
    maps.push_back(AffineMap::get(3, 0, results, ctx));
  }
  return maps;
}

Value toF32(OpBuilder &b, Location loc, Value x) {
  return x.getType().isF32() ? x
                             : arith::ExtFOp::create(b, loc, b.getF32Type(), x);
}

} // namespace

QuantizedRows xf::quantizeCacheRows(OpBuilder &b, Location loc, Value rows) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(rows.getType());
  int64_t headDim = type.getDimSize(2);
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  AffineExpr d2 = getAffineDimExpr(2, ctx);
  auto parallel = utils::IteratorType::parallel;

  // max|x| per row.
  Value zero = f32Const(b, loc, 0.0f);
  Value init =
      linalg::FillOp::create(b, loc, zero, emptyRows(b, loc, rows, -1, f32))
          .getResult(0);
  Value amax =
      linalg::GenericOp::create(
          b, loc, init.getType(), rows, init, rowMaps(ctx, {d2, {}}),
          {parallel, parallel, utils::IteratorType::reduction},
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value x = math::AbsFOp::create(b, loc, toF32(b, loc, args[0]));
            linalg::YieldOp::create(
                b, loc, Value(arith::MaximumFOp::create(b, loc, args[1], x)));
          })
          .getResult(0);

  // code = round_half_even(x * (1 / scale)), scale = max / 127, as the
  // dynamic INT8 activations; 0 for a zero row.
  Value codes =
      linalg::GenericOp::create(
          b, loc, RankedTensorType::get(type.getShape(), i8), {rows, amax},
          emptyRows(b, loc, rows, headDim, i8), rowMaps(ctx, {d2, {}, d2}),
          {parallel, parallel, parallel},
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value scale = arith::DivFOp::create(b, loc, args[1],
                                                f32Const(b, loc, kMaxCode));
            Value nonzero = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::ONE, scale, f32Const(b, loc, 0));
            Value inverse = arith::SelectOp::create(
                b, loc, nonzero,
                arith::DivFOp::create(b, loc, f32Const(b, loc, 1.0f), scale),
                f32Const(b, loc, 0));
            Value scaled =
                arith::MulFOp::create(b, loc, toF32(b, loc, args[0]), inverse);
            Value code = math::RoundEvenOp::create(b, loc, scaled);
            code = arith::MinimumFOp::create(b, loc, code,
                                             f32Const(b, loc, kMaxCode));
            code = arith::MaximumFOp::create(b, loc, code,
                                             f32Const(b, loc, -kMaxCode));
            linalg::YieldOp::create(
                b, loc,
                Value(arith::FPToSIOp::create(b, loc, b.getI8Type(), code)));
          })
          .getResult(0);

  // Byte k of the f32 scale max / 127, little endian.
  Value scaleBytes =
      linalg::GenericOp::create(
          b, loc,
          RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), 4},
                                i8),
          amax, emptyRows(b, loc, rows, 4, i8), rowMaps(ctx, {{}, d2}),
          {parallel, parallel, parallel},
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value scale = arith::DivFOp::create(b, loc, args[0],
                                                f32Const(b, loc, kMaxCode));
            Value bits =
                arith::BitcastOp::create(b, loc, b.getI32Type(), scale);
            Value byte = arith::IndexCastOp::create(
                b, loc, b.getI32Type(), linalg::IndexOp::create(b, loc, 2));
            Value shift = arith::MulIOp::create(
                b, loc, byte,
                arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(8)));
            Value shifted = arith::ShRUIOp::create(b, loc, bits, shift);
            linalg::YieldOp::create(
                b, loc,
                Value(arith::TruncIOp::create(b, loc, b.getI8Type(), shifted)));
          })
          .getResult(0);
  return {codes, scaleBytes};
}

Value xf::dequantizeCacheRows(OpBuilder &b, Location loc, Value codes,
                              Value scaleBytes, Type element) {
  MLIRContext *ctx = b.getContext();
  auto resultType = cast<RankedTensorType>(codes.getType()).clone(element);
  auto parallel = utils::IteratorType::parallel;
  // The scale's four bytes are four inputs, so the body reads them as
  // scalars: maps (t, h, d) -> (t, h, k).
  SmallVector<Value> inputs = {codes};
  SmallVector<AffineExpr> lasts = {getAffineDimExpr(2, ctx)};
  for (int64_t k = 0; k < 4; ++k) {
    inputs.push_back(scaleBytes);
    lasts.push_back(getAffineConstantExpr(k, ctx));
  }
  lasts.push_back(getAffineDimExpr(2, ctx));
  Value out = emptyRows(b, loc, codes, resultType.getDimSize(2),
                        resultType.getElementType());
  return linalg::GenericOp::create(
             b, loc, resultType, inputs, out, rowMaps(ctx, lasts),
             {parallel, parallel, parallel},
             [&](OpBuilder &b, Location loc, ValueRange args) {
               Type i32 = b.getI32Type();
               Value bits;
               for (int64_t k = 0; k < 4; ++k) {
                 Value byte = arith::ExtUIOp::create(b, loc, i32, args[1 + k]);
                 if (k > 0)
                   byte = arith::ShLIOp::create(
                       b, loc, byte,
                       arith::ConstantOp::create(b, loc,
                                                 b.getI32IntegerAttr(8 * k)));
                 bits =
                     bits ? arith::OrIOp::create(b, loc, bits, byte).getResult()
                          : byte;
               }
               Value scale =
                   arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
               Value value = arith::MulFOp::create(
                   b, loc,
                   arith::SIToFPOp::create(b, loc, b.getF32Type(), args[0]),
                   scale);
               if (!resultType.getElementType().isF32())
                 value = arith::TruncFOp::create(
                     b, loc, resultType.getElementType(), value);
               linalg::YieldOp::create(b, loc, value);
             })
      .getResult(0);
}
