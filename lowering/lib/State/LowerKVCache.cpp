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
      // Retype cache arguments in place; every use is an xf KV op.
      for (BlockArgument arg : func.getArguments())
        if (auto type = dyn_cast<KVCacheType>(arg.getType()))
          arg.setType(cacheMemRef(type));
      func.setType(FunctionType::get(
          &getContext(), func.getBody().getArgumentTypes(),
          func.getFunctionType().getResults()));

      SmallVector<Operation *> kvOps;
      func.walk([&](Operation *op) {
        if (isa<KVAppendOp, KVReadOp>(op))
          kvOps.push_back(op);
      });
      for (Operation *op : kvOps) {
        OpBuilder b(op);
        Location loc = op->getLoc();
        if (auto append = dyn_cast<KVAppendOp>(op)) {
          Value cache = append.getCache();
          OpFoldResult count =
              tensor::getMixedSize(b, loc, append.getKeys(), 0);
          for (auto [which, data] :
               {std::pair{0, append.getKeys()}, {1, append.getValues()}}) {
            Value dest = rows(b, loc, cache, which, append.getPosition(), count);
            bufferization::MaterializeInDestinationOp::create(
                b, loc, Type(), data, dest, UnitAttr(), b.getUnitAttr());
          }
          append.erase();
          continue;
        }
        auto read = cast<KVReadOp>(op);
        if (read.getKeys().getType().getElementType() !=
            cast<MemRefType>(read.getCache().getType()).getElementType()) {
          read.emitOpError() << "converting cache elements on read is not "
                                "supported yet";
          return WalkResult::interrupt();
        }
        for (auto [which, result] :
             {std::pair{0, read.getKeys()}, {1, read.getValues()}}) {
          Value src = rows(b, loc, read.getCache(), which, b.getIndexAttr(0),
                           read.getLength());
          // Reads happen after this step's append and before the next
          // write to this layer's cache, so the view can be read in place.
          Value tensor = bufferization::ToTensorOp::create(
              b, loc, result.getType(), src, b.getUnitAttr(), UnitAttr());
          result.replaceAllUsesWith(tensor);
        }
        read.erase();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
