//===- LowerKVCache.cpp - KV-cache handles to in-place memrefs ------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFLOWERKVCACHE
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// memref<2 x C x H x D x T>: keys at [0], values at [1].
MemRefType cacheMemRef(KVCacheType type) {
  return MemRefType::get({2, type.getMaxContext(), type.getKvHeads(),
                          type.getHeadDim()},
                         type.getElementType());
}

/// One layer's cache as functions exchange it: keys and values of one
/// layer inside the memref of all layers (hence a dynamic offset).
MemRefType layerCacheType(KVCacheType type) {
  MemRefType plain = cacheMemRef(type);
  int64_t rowElems = type.getKvHeads() * type.getHeadDim();
  auto layout = StridedLayoutAttr::get(
      type.getContext(), ShapedType::kDynamic,
      {type.getMaxContext() * rowElems, rowElems, type.getHeadDim(), 1});
  return MemRefType::get(plain.getShape(), plain.getElementType(), layout);
}

/// The rows [start, start + count) of the keys (0) or values (1).
Value rows(OpBuilder &b, Location loc, Value cache, int64_t which,
           OpFoldResult start, OpFoldResult count) {
  auto type = cast<MemRefType>(cache.getType());
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(which), start,
                                       b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), count,
                                     b.getIndexAttr(type.getDimSize(2)),
                                     b.getIndexAttr(type.getDimSize(3))};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto resultType = memref::SubViewOp::inferRankReducedResultType(
      {ShapedType::kDynamic, type.getDimSize(2), type.getDimSize(3)}, type,
      offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, cast<MemRefType>(resultType), cache,
                                   offsets, sizes, strides);
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
        if (isa<KVAppendOp, KVReadOp>(op))
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
  /// function's signature does not depend on the layer count.
  LogicalResult mergeCaches(func::FuncOp func) {
    SmallVector<unsigned> indices;
    KVCacheType type;
    for (BlockArgument arg : func.getArguments())
      if (auto t = dyn_cast<KVCacheType>(arg.getType())) {
        if (type && t != type)
          return func.emitError() << "all KV caches of a function must have "
                                     "one type";
        type = t;
        indices.push_back(arg.getArgNumber());
      }
    if (indices.empty())
      return success();
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
    func.setArgAttr(first, "xf.name", StringAttr::get(&getContext(), "caches"));
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
    if (auto append = dyn_cast<KVAppendOp>(op)) {
      OpFoldResult count = tensor::getMixedSize(b, loc, append.getKeys(), 0);
      for (auto [which, data] :
           {std::pair{0, append.getKeys()}, {1, append.getValues()}}) {
        Value dest = rows(b, loc, cache, which, append.getPosition(), count);
        bufferization::MaterializeInDestinationOp::create(
            b, loc, Type(), data, dest, UnitAttr(), b.getUnitAttr());
      }
      append.erase();
      return success();
    }
    auto read = cast<KVReadOp>(op);
    if (read.getKeys().getType().getElementType() !=
        cast<MemRefType>(cache.getType()).getElementType())
      return read.emitOpError() << "converting cache elements on read is not "
                                   "supported yet";
    for (auto [which, result] :
         {std::pair{0, read.getKeys()}, {1, read.getValues()}}) {
      Value src = rows(b, loc, cache, which, b.getIndexAttr(0),
                       read.getLength());
      // Reads happen after this step's append and before the next write to
      // this layer's cache, so the view can be read in place.
      Value tensor = bufferization::ToTensorOp::create(
          b, loc, result.getType(), src, b.getUnitAttr(), UnitAttr());
      result.replaceAllUsesWith(tensor);
    }
    read.erase();
    return success();
  }
};

} // namespace
