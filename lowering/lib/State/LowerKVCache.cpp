//===- LowerKVCache.cpp - KV-cache handles to in-place memrefs ------------===//

#include "KVCacheRows.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>

namespace mlir::xf {
#define GEN_PASS_DEF_XFLOWERKVCACHE
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// memref<2 x C x H x R x T>: keys at [0], values at [1]; R elements per
/// stored row (the head_dim values, and a quantized row's scale).
MemRefType cacheMemRef(KVCacheType type) {
  return MemRefType::get(
      {2, type.getMaxContext(), type.getKvHeads(), type.getRowElements()},
      type.getElementType());
}

/// One layer's cache as functions exchange it: keys and values of one
/// layer inside the memref of all layers (hence a dynamic offset).
MemRefType layerCacheType(KVCacheType type) {
  MemRefType plain = cacheMemRef(type);
  int64_t rowElems = type.getRowElements();
  int64_t positionElems = type.getKvHeads() * rowElems;
  auto layout = StridedLayoutAttr::get(
      type.getContext(), ShapedType::kDynamic,
      {type.getMaxContext() * positionElems, positionElems, rowElems, 1});
  return MemRefType::get(plain.getShape(), plain.getElementType(), layout);
}

/// Positions [start, start + count) of the keys (0) or values (1): elements
/// [first, first + size) of each stored row (all of it for size -1).
Value rows(OpBuilder &b, Location loc, Value cache, int64_t which,
           OpFoldResult start, OpFoldResult count, int64_t first = 0,
           int64_t size = -1) {
  auto type = cast<MemRefType>(cache.getType());
  if (size < 0)
    size = type.getDimSize(3);
  SmallVector<OpFoldResult> offsets = {
      b.getIndexAttr(which), start, b.getIndexAttr(0), b.getIndexAttr(first)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), count,
                                     b.getIndexAttr(type.getDimSize(2)),
                                     b.getIndexAttr(size)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  // A static count (a SPEED stage's one-row appends) keeps its size.
  int64_t positions = getConstantIntValue(count).value_or(ShapedType::kDynamic);
  auto resultType = memref::SubViewOp::inferRankReducedResultType(
      {positions, type.getDimSize(2), size}, type, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, cast<MemRefType>(resultType), cache,
                                   offsets, sizes, strides);
}

/// A view of the cache as a tensor, without a copy. Reads happen after this
/// step's append and before the next write to this layer's cache.
Value readInPlace(OpBuilder &b, Location loc, Value view) {
  auto type = cast<MemRefType>(view.getType());
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
      view, b.getUnitAttr(), UnitAttr());
}

void writeInPlace(OpBuilder &b, Location loc, Value data, Value view) {
  bufferization::MaterializeInDestinationOp::create(
      b, loc, Type(), data, view, UnitAttr(), b.getUnitAttr());
}

struct XFLowerKVCachePass
    : xf::impl::XFLowerKVCacheBase<XFLowerKVCachePass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](func::FuncOp func) {
      if (func.isExternal())
        return WalkResult::advance();
      if (failed(func.isPublic() ? mergeCaches(func) : retypeCaches(func)))
        return WalkResult::interrupt();
      SmallVector<Operation *> kvOps;
      func.walk([&](Operation *op) {
        if (isa<KVAppendOp, KVReadOp, KVReadRawOp>(op))
          kvOps.push_back(op);
      });
      for (Operation *op : kvOps)
        if (failed(lower(op)))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  /// A function called per layer (private) takes its layer's cache as the
  /// caller passes it: a view into the memref of all layers.
  LogicalResult retypeCaches(func::FuncOp func) {
    for (BlockArgument arg : func.getArguments())
      if (auto type = dyn_cast<KVCacheType>(arg.getType()))
        arg.setType(layerCacheType(type));
    func.setType(FunctionType::get(&getContext(),
                                   func.getBody().getArgumentTypes(),
                                   func.getFunctionType().getResults()));
    return success();
  }

  /// Replaces the cache arguments (all of one type, one per layer) by a
  /// single memref<L x 2 x C x H x D> whose layer l is a subview, so the
  /// function's signature does not depend on the layer count. Arguments
  /// with `xf.cache_row = r` (a SPEED stage's rows) make one memref per row
  /// instead, in row order: each row's caches are its own repetition
  /// group's layers.
  LogicalResult mergeCaches(func::FuncOp func) {
    std::map<int64_t, SmallVector<unsigned>> rows;
    KVCacheType type;
    for (BlockArgument arg : func.getArguments())
      if (auto t = dyn_cast<KVCacheType>(arg.getType())) {
        if (type && t != type)
          return func.emitError() << "all KV caches of a function must have "
                                     "one type";
        type = t;
        auto row = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                      "xf.cache_row");
        rows[row ? row.getInt() : 0].push_back(arg.getArgNumber());
      }
    // Merged from the last row on, so that the earlier rows' indices hold:
    // each row's arguments must follow the previous row's.
    int64_t last = -1;
    for (auto &[row, indices] : rows) {
      if (static_cast<int64_t>(indices.front()) < last)
        return func.emitError() << "the caches of row " << row
                                << " must follow those of the rows before";
      last = indices.back();
    }
    for (auto it = rows.rbegin(); it != rows.rend(); ++it)
      if (failed(mergeRow(func, type, it->second,
                          rows.size() > 1
                              ? "caches." + std::to_string(it->first)
                              : "caches")))
        return failure();
    return success();
  }

  LogicalResult mergeRow(func::FuncOp func, KVCacheType type,
                         ArrayRef<unsigned> indices, StringRef name) {
    int64_t layers = indices.size();
    MemRefType layer = cacheMemRef(type);
    SmallVector<int64_t> shape = {layers};
    shape.append(layer.getShape().begin(), layer.getShape().end());
    auto allType = MemRefType::get(shape, layer.getElementType());
    unsigned first = indices.front();
    if (failed(func.insertArgument(first, allType,
                                   DictionaryAttr::get(&getContext()),
                                   func.getLoc())))
      return failure();
    func.setArgAttr(first, "xf.name", StringAttr::get(&getContext(), name));
    Value all = func.getArgument(first);
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    BitVector erase(func.getNumArguments());
    for (auto [l, index] : llvm::enumerate(indices)) {
      BlockArgument old = func.getArgument(index + 1); // shifted by insert
      SmallVector<OpFoldResult> offsets(5, b.getIndexAttr(0));
      offsets[0] = b.getIndexAttr(l);
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
      for (int64_t d : layer.getShape())
        sizes.push_back(b.getIndexAttr(d));
      SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
      auto viewType = memref::SubViewOp::inferRankReducedResultType(
          layer.getShape(), allType, offsets, sizes, strides);
      Value view = memref::SubViewOp::create(
          b, func.getLoc(), cast<MemRefType>(viewType), all, offsets, sizes,
          strides);
      // One type for every layer, so a shared layer function can take it.
      view = memref::CastOp::create(b, func.getLoc(), layerCacheType(type),
                                    view);
      // Uses are KV ops only; they read the memref type of their operand.
      old.replaceAllUsesWith(view);
      erase.set(index + 1);
    }
    return func.eraseArguments(erase);
  }

  LogicalResult lower(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    // The cache operand is already a memref here, so it is read untyped:
    // the typed accessors would assert that it is still a !xf.kv_cache.
    Value cache = op->getOperand(0);
    Type element = cast<MemRefType>(cache.getType()).getElementType();
    bool quantized = element.isInteger(8);
    if (auto append = dyn_cast<KVAppendOp>(op)) {
      OpFoldResult start = append.getPosition();
      OpFoldResult count = tensor::getMixedSize(b, loc, append.getKeys(), 0);
      for (auto [which, data] :
           {std::pair{0, append.getKeys()}, {1, append.getValues()}}) {
        auto type = cast<RankedTensorType>(data.getType());
        if (quantized) {
          int64_t headDim = type.getDimSize(2);
          QuantizedRows q = quantizeCacheRows(b, loc, data);
          writeInPlace(b, loc, q.codes,
                       rows(b, loc, cache, which, start, count, 0, headDim));
          writeInPlace(b, loc, q.scaleBytes,
                       rows(b, loc, cache, which, start, count, headDim, 4));
          continue;
        }
        Value stored = data;
        if (type.getElementType() != element)
          stored = ConvertOp::create(b, loc, type.clone(element), data);
        writeInPlace(b, loc, stored, rows(b, loc, cache, which, start, count));
      }
      append.erase();
      return success();
    }
    OpFoldResult begin = b.getIndexAttr(0);
    if (auto raw = dyn_cast<KVReadRawOp>(op)) {
      for (auto [which, result] :
           {std::pair{0, raw.getKeys()}, {1, raw.getValues()}})
        result.replaceAllUsesWith(readInPlace(
            b, loc, rows(b, loc, cache, which, begin, raw.getLength())));
      raw.erase();
      return success();
    }
    auto read = cast<KVReadOp>(op);
    for (auto [which, result] :
         {std::pair{0, read.getKeys()}, {1, read.getValues()}}) {
      auto type = cast<RankedTensorType>(result.getType());
      Value value;
      if (quantized) {
        int64_t headDim = type.getDimSize(2);
        Value codes = readInPlace(
            b, loc,
            rows(b, loc, cache, which, begin, read.getLength(), 0, headDim));
        Value scales = readInPlace(
            b, loc,
            rows(b, loc, cache, which, begin, read.getLength(), headDim, 4));
        value =
            dequantizeCacheRows(b, loc, codes, scales, type.getElementType());
      } else {
        value = readInPlace(
            b, loc, rows(b, loc, cache, which, begin, read.getLength()));
        if (type.getElementType() != element)
          value = ConvertOp::create(b, loc,
                                    cast<RankedTensorType>(value.getType())
                                        .clone(type.getElementType()),
                                    value);
      }
      // The result type may have a static token count the view lacks.
      if (value.getType() != type)
        value = tensor::CastOp::create(b, loc, type, value);
      result.replaceAllUsesWith(value);
    }
    read.erase();
    return success();
  }
};

} // namespace
