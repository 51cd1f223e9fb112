//===- Utils.cpp - Helpers shared by the xf-to-linalg patterns ------------===//

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::xf;

SmallVector<OpFoldResult> lowering::getDims(OpBuilder &b, Location loc,
                                            Value value) {
  return tensor::getMixedSizes(b, loc, value);
}

Value lowering::createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                            ArrayRef<OpFoldResult> dims) {
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamic.push_back(getValueOrCreateConstantIndexOp(b, loc, dims[i]));
  return tensor::EmptyOp::create(b, loc, type, dynamic);
}

Value lowering::createEmptyLike(OpBuilder &b, Location loc, Value like,
                                Type elementType) {
  auto type = cast<RankedTensorType>(like.getType());
  return createEmpty(b, loc, type.clone(elementType), getDims(b, loc, like));
}

SmallVector<utils::IteratorType> lowering::iterators(unsigned parallel,
                                                     bool reduction) {
  SmallVector<utils::IteratorType> result(parallel,
                                          utils::IteratorType::parallel);
  if (reduction)
    result.push_back(utils::IteratorType::reduction);
  return result;
}

Value lowering::floatConst(OpBuilder &b, Location loc, Type type,
                           double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value lowering::createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                             ArrayRef<OpFoldResult> dims, double value) {
  Value empty = createEmpty(b, loc, type, dims);
  Value scalar = floatConst(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value lowering::castFloat(OpBuilder &b, Location loc, Value value, Type to) {
  auto from = cast<FloatType>(value.getType());
  auto target = cast<FloatType>(to);
  if (from == target)
    return value;
  if (from.getWidth() < target.getWidth())
    return arith::ExtFOp::create(b, loc, target, value);
  if (from.getWidth() > target.getWidth())
    return arith::TruncFOp::create(b, loc, target, value);
  assert(from.getWidth() < 32 && "no two distinct float types this wide");
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  return arith::TruncFOp::create(b, loc, target, wide);
}

Type lowering::computeType(Type type) {
  auto floatType = cast<FloatType>(type);
  if (floatType.getWidth() < 32)
    return Float32Type::get(type.getContext());
  return type;
}

Value lowering::convertElements(OpBuilder &b, Location loc, Value input,
                                Type elementType) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getElementType() == elementType)
    return input;
  Value init = createEmptyLike(b, loc, input, elementType);
  AffineMap map = identity(b.getContext(), type.getRank());
  return linalg::GenericOp::create(
             b, loc, init.getType(), input, init,
             ArrayRef<AffineMap>{map, map}, iterators(type.getRank()),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l, castFloat(nb, l, args[0], elementType));
             })
      .getResult(0);
}

AffineMap lowering::dropLast(MLIRContext *ctx, unsigned rank) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i + 1 < rank; ++i)
    exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

AffineMap lowering::lastOnly(MLIRContext *ctx, unsigned rank) {
  return AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx), ctx);
}
