//===- BufferCalls.h - Calls of precompiled kernels on buffers --*- C++ -*-===//
//
// What xf-lower-to-microkernels and xf-lower-to-onednn share: a projection
// becomes calls of C functions on its operands' buffers. Operands enter
// through read-only `bufferization.to_buffer` and the result is a fresh
// buffer handed back with `bufferization.to_tensor restrict`, so one-shot
// bufferization treats the calls as opaque and still needs no copies.
// Addresses and sizes cross the calls as i64.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_LOWERING_LIB_MICROKERNELS_BUFFERCALLS_H
#define XFC_LOWERING_LIB_MICROKERNELS_BUFFERCALLS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::xf {

/// A memref type of `shape` with a fully dynamic strided layout: whatever
/// layout bufferization gives the tensor casts to it.
inline MemRefType anyLayout(ArrayRef<int64_t> shape, Type element) {
  SmallVector<int64_t> strides(shape.size(), ShapedType::kDynamic);
  return MemRefType::get(
      shape, element,
      StridedLayoutAttr::get(element.getContext(), ShapedType::kDynamic,
                             strides));
}

inline Value toI64(OpBuilder &b, Location loc, Value index) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
}

inline Value constI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

/// A buffer's first element's address and its outermost stride (elements).
inline std::pair<Value, Value> addressAndRowStride(OpBuilder &b, Location loc,
                                                   Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  int64_t bytes = type.getElementTypeBitWidth() / 8;
  Value offsetBytes = arith::MulIOp::create(
      b, loc, meta.getOffset(), arith::ConstantIndexOp::create(b, loc, bytes));
  Value address = arith::AddIOp::create(b, loc, base, offsetBytes);
  return {toI64(b, loc, address), toI64(b, loc, meta.getStrides().front())};
}

/// Read-only access to a tensor's buffer.
inline Value toBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, anyLayout(type.getShape(), type.getElementType()), tensor,
      /*read_only=*/true);
}

/// The address of `tensor`'s buffer, or 0 for no tensor (an absent bias).
inline Value addressOrNull(OpBuilder &b, Location loc, Value tensor) {
  if (!tensor)
    return constI64(b, loc, 0);
  return addressAndRowStride(b, loc, toBuffer(b, loc, tensor)).first;
}

/// A fresh `[m, n]` f32 buffer for a call's result, 64-byte aligned.
inline Value allocRows(OpBuilder &b, Location loc, Value m, int64_t n) {
  return memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, n}, b.getF32Type()),
      ValueRange{m}, b.getI64IntegerAttr(64));
}

/// The result buffer of the calls as a tensor: nothing else aliases it.
inline Value rowsTensor(OpBuilder &b, Location loc, Value buffer) {
  return bufferization::ToTensorOp::create(
      b, loc, memref::getTensorTypeFromMemRefType(buffer.getType()), buffer,
      /*restrict=*/b.getUnitAttr(), /*writable=*/b.getUnitAttr());
}

/// The private declaration of `void name(i64 x arguments)` in `module`.
inline func::FuncOp declareI64Function(ModuleOp module, StringRef name,
                                       unsigned arguments) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  SmallVector<Type> args(arguments, b.getI64Type());
  auto function = func::FuncOp::create(b, module.getLoc(), name,
                                       b.getFunctionType(args, {}));
  function.setPrivate();
  return function;
}

/// A projection's input as a matrix of rows, `[m, k]`: every leading
/// dimension collapsed into one (a vector is one row), and how to give its
/// `[m, n]` result the shape of the projection's.
struct RowMatrix {
  RowMatrix(OpBuilder &b, Location loc, Value input) : input(input) {
    auto type = cast<RankedTensorType>(input.getType());
    int64_t k = type.getShape().back();
    rows = input;
    if (type.getRank() == 1) {
      rows = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, k}, type.getElementType()), input,
          SmallVector<ReassociationIndices>{{0, 1}});
    } else if (type.getRank() > 2) {
      ReassociationIndices leading;
      for (int64_t i = 0; i + 1 < type.getRank(); ++i)
        leading.push_back(i);
      reassociation = {leading, {type.getRank() - 1}};
      rows = tensor::CollapseShapeOp::create(b, loc, input, reassociation);
    }
  }

  /// `result`, `[m, n]`, in the shape `outType` of the projection's result.
  Value restore(OpBuilder &b, Location loc, Value result,
                RankedTensorType outType) const {
    if (outType.getRank() == 1) {
      result = tensor::CollapseShapeOp::create(
          b, loc, result, SmallVector<ReassociationIndices>{{0, 1}});
    } else if (outType.getRank() > 2) {
      // Static leading sizes make a static row count, which expand_shape
      // requires of its source.
      auto matrix = cast<RankedTensorType>(result.getType());
      if (matrix.isDynamicDim(0) && outType.hasStaticShape()) {
        int64_t m = 1;
        for (int64_t d : outType.getShape().drop_back())
          m *= d;
        result = tensor::CastOp::create(
            b, loc, matrix.clone({m, matrix.getDimSize(1)}), result);
      }
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
      sizes.back() = b.getIndexAttr(outType.getShape().back());
      result = tensor::ExpandShapeOp::create(b, loc, outType, result,
                                             reassociation, sizes);
    }
    if (result.getType() != outType)
      result = tensor::CastOp::create(b, loc, outType, result);
    return result;
  }

  Value input, rows;
  SmallVector<ReassociationIndices> reassociation;
};

} // namespace mlir::xf

#endif // XFC_LOWERING_LIB_MICROKERNELS_BUFFERCALLS_H
