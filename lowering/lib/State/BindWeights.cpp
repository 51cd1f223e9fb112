//===- BindWeights.cpp - Weights as views of one blob ---------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFBINDWEIGHTS
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

struct XFBindWeightsPass : xf::impl::XFBindWeightsBase<XFBindWeightsPass> {
  using XFBindWeightsBase::XFBindWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (alignment <= 0 || (alignment & (alignment - 1))) {
      module.emitError() << "weight alignment must be a power of two";
      return signalPassFailure();
    }
    // Only weights the code loads get space: those that only derived
    // weights read were consumed when the derived ones were computed.
    llvm::StringSet<> loaded;
    for (auto func : module.getOps<func::FuncOp>())
      func.walk([&](WeightOp op) { loaded.insert(op.getName()); });
    // Offsets, in declaration order.
    llvm::StringMap<int64_t> offsets;
    SmallVector<Attribute> layout;
    int64_t end = 0;
    SmallVector<GlobalWeightOp> globals(module.getOps<GlobalWeightOp>());
    for (GlobalWeightOp global : globals) {
      if (!loaded.contains(global.getSymName()))
        continue;
      auto type = dyn_cast<RankedTensorType>(global.getType());
      if (!type) {
        global.emitOpError() << "quantized weights cannot be placed yet "
                                "(they need the quantized kernels)";
        return signalPassFailure();
      }
      int64_t bytes =
          type.getNumElements() * type.getElementTypeBitWidth() / 8;
      int64_t offset = (end + alignment - 1) / alignment * alignment;
      offsets[global.getSymName()] = offset;
      end = offset + bytes;
      Builder b(&getContext());
      layout.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", global.getSymNameAttr()),
           b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
           b.getNamedAttr("type", TypeAttr::get(type))}));
    }

    auto blobType = MemRefType::get({ShapedType::kDynamic},
                                    IntegerType::get(&getContext(), 8));
    for (auto func : module.getOps<func::FuncOp>()) {
      SmallVector<WeightOp> loads;
      func.walk([&](WeightOp op) { loads.push_back(op); });
      if (loads.empty() || func.isExternal())
        continue;
      unsigned index = func.getNumArguments();
      if (failed(func.insertArgument(index, blobType,
                                     DictionaryAttr::get(&getContext()),
                                     func.getLoc())))
        return signalPassFailure();
      func.setArgAttr(index, "xf.name",
                      StringAttr::get(&getContext(), "weights"));
      Value blob = func.getArgument(index);
      for (WeightOp op : loads) {
        OpBuilder b(op);
        auto type = cast<RankedTensorType>(op.getType());
        Value shift = arith::ConstantIndexOp::create(
            b, op.getLoc(), offsets.lookup(op.getName()));
        auto view = memref::ViewOp::create(
            b, op.getLoc(),
            MemRefType::get(type.getShape(), type.getElementType()), blob,
            shift, ValueRange{});
        // Weights are read-only and never alias a written buffer.
        Value tensor = bufferization::ToTensorOp::create(
            b, op.getLoc(), type, view, b.getUnitAttr(), UnitAttr());
        op.replaceAllUsesWith(tensor);
        op.erase();
      }
    }
    for (GlobalWeightOp global : globals)
      global.erase();
    module->setAttr("xf.weight_layout",
                    ArrayAttr::get(&getContext(), layout));
    module->setAttr("xf.weight_bytes",
                    IntegerAttr::get(IntegerType::get(&getContext(), 64), end));
  }
};

} // namespace
