//===- Utils.h - Helpers shared by the xf-to-linalg patterns ----*- C++ -*-===//

#ifndef XFC_LOWERING_XFTOLINALG_UTILS_H
#define XFC_LOWERING_XFTOLINALG_UTILS_H

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::xf::lowering {

/// Every dimension of `value` as an OpFoldResult: static sizes as
/// attributes, dynamic ones as `tensor.dim`.
SmallVector<OpFoldResult> getDims(OpBuilder &b, Location loc, Value value);

/// A `tensor.empty` of `type`, taking dynamic sizes from `dims` (one entry
/// per dimension of `type`).
Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<OpFoldResult> dims);

/// A `tensor.empty` shaped like `like` with the given element type.
Value createEmptyLike(OpBuilder &b, Location loc, Value like,
                      Type elementType);

/// `n` parallel iterators, optionally followed by one reduction.
SmallVector<utils::IteratorType> iterators(unsigned parallel,
                                           bool reduction = false);

/// A float constant of `type`.
Value floatConst(OpBuilder &b, Location loc, Type type, double value);

/// A tensor of `type` filled with `value`, dynamic sizes from `dims`.
Value createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<OpFoldResult> dims, double value);

/// `value` converted to the float type `to`. Equal widths (f16 <-> bf16)
/// have no direct arith cast and go through f32, which holds both exactly.
Value castFloat(OpBuilder &b, Location loc, Value value, Type to);

/// The type a float `type` computes and accumulates in: f32 for types
/// narrower than f32 (sums and angles lose too much in f16/bf16), otherwise
/// `type` itself.
Type computeType(Type type);

/// `input` with its elements converted to `elementType` by an elementwise
/// generic; `input` itself when the types already match.
Value convertElements(OpBuilder &b, Location loc, Value input,
                      Type elementType);

/// The elementwise map over `rank` dimensions.
inline AffineMap identity(MLIRContext *ctx, unsigned rank) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx);
}

/// The map dropping the last of `rank` dimensions ([..., n] -> [...]).
AffineMap dropLast(MLIRContext *ctx, unsigned rank);

/// The map keeping only the last of `rank` dimensions ([..., n] -> [n]).
AffineMap lastOnly(MLIRContext *ctx, unsigned rank);

} // namespace mlir::xf::lowering

#endif // XFC_LOWERING_XFTOLINALG_UTILS_H
