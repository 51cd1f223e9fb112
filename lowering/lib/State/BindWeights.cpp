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

/// The tensor a weight is read as: a weight with a packed form as its bytes
/// (quantized, or a float weight in the kernels' panels), others as they
/// are.
RankedTensorType storageTensor(Type type) {
  if (std::optional<int64_t> packed = getPackedBytes(type))
    return RankedTensorType::get({*packed},
                                 IntegerType::get(type.getContext(), 8));
  return cast<RankedTensorType>(type);
}

/// `value` (of its storage tensor type) as a value of `declared` type: a
/// packed weight's bytes are cast back to the type that the ops using it
/// expect, until the kernels take the bytes.
Value asDeclared(OpBuilder &b, Location loc, Value value, Type declared) {
  if (value.getType() == declared)
    return value;
  return UnrealizedConversionCastOp::create(b, loc, declared, value)
      .getResult(0);
}

/// Packed weights cross function boundaries as their bytes: the layer
/// functions take them as arguments, and bufferization knows only plain
/// tensors.
void passPackedAsBytes(ModuleOp module) {
  llvm::DenseMap<StringAttr, SmallVector<unsigned>> changed;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    SmallVector<Type> inputs(func.getArgumentTypes());
    OpBuilder b = OpBuilder::atBlockBegin(&func.front());
    for (BlockArgument arg : func.getArguments()) {
      Type declared = arg.getType();
      if (!getPackedBytes(declared))
        continue;
      arg.setType(storageTensor(declared));
      inputs[arg.getArgNumber()] = arg.getType();
      auto cast =
          UnrealizedConversionCastOp::create(b, arg.getLoc(), declared, arg);
      arg.replaceAllUsesExcept(cast.getResult(0), cast);
      changed[func.getSymNameAttr()].push_back(arg.getArgNumber());
    }
    func.setType(FunctionType::get(module.getContext(), inputs,
                                   func.getResultTypes()));
  }
  module.walk([&](func::CallOp call) {
    auto it = changed.find(call.getCalleeAttr().getAttr());
    if (it == changed.end())
      return;
    OpBuilder b(call);
    for (unsigned i : it->second) {
      Value operand = call.getOperand(i);
      RankedTensorType bytes = storageTensor(operand.getType());
      // The operand is usually a cast of the same bytes: take them.
      auto cast = operand.getDefiningOp<UnrealizedConversionCastOp>();
      Value replacement =
          cast && cast.getOperand(0).getType() == bytes
              ? cast.getOperand(0)
              : UnrealizedConversionCastOp::create(b, call.getLoc(), bytes,
                                                   operand)
                    .getResult(0);
      call.setOperand(i, replacement);
      if (cast && cast->use_empty())
        cast->erase();
    }
  });
}

/// Where each shard's weights start in a split model's blob: a page, so
/// that the runtime can bind them to their socket's memory.
constexpr int64_t kShardAlignment = 4096;

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
    // A split model's weights by shard: those only one shard's entry point
    // loads (its slices) after those several read (replicated), so that
    // the runtime can place each shard's on its socket's memory.
    int64_t shards = 1;
    if (auto attr = module->getAttrOfType<IntegerAttr>("xf.shards"))
      shards = attr.getInt();
    llvm::StringMap<int64_t> owner; // -1: replicated
    for (auto func : module.getOps<func::FuncOp>()) {
      auto shard = func->getAttrOfType<IntegerAttr>("xf.shard");
      int64_t k = shard ? shard.getInt() : -1;
      func.walk([&](WeightOp op) {
        auto [it, inserted] = owner.try_emplace(op.getName(), k);
        if (!inserted && it->second != k)
          it->second = -1;
      });
    }
    // Offsets, in declaration order within each region.
    llvm::StringMap<int64_t> offsets;
    SmallVector<Attribute> layout;
    SmallVector<Attribute> shardRanges;
    int64_t end = 0;
    SmallVector<GlobalWeightOp> globals(module.getOps<GlobalWeightOp>());
    for (int64_t region = -1; region < shards; ++region) {
      if (region >= 0 && shards > 1)
        end = (end + kShardAlignment - 1) / kShardAlignment * kShardAlignment;
      int64_t begin = end;
      if (failed(placeRegion(globals, owner, region, loaded, offsets, layout,
                             end)))
        return signalPassFailure();
      if (region >= 0 && shards > 1)
        shardRanges.push_back(
            DenseI64ArrayAttr::get(&getContext(), {begin, end}));
    }
    if (!shardRanges.empty())
      module->setAttr("xf.weight_shards",
                      ArrayAttr::get(&getContext(), shardRanges));

    auto blobType = MemRefType::get({ShapedType::kDynamic},
                                    IntegerType::get(&getContext(), 8));
    if (failed(bindLoads(module, blobType, offsets)))
      return signalPassFailure();
    for (GlobalWeightOp global : globals)
      global.erase();
    passPackedAsBytes(module);
    module->setAttr("xf.weight_layout", ArrayAttr::get(&getContext(), layout));
    module->setAttr("xf.weight_bytes",
                    IntegerAttr::get(IntegerType::get(&getContext(), 64), end));
  }

  /// Lays out the weights `owner` assigns to `region` from `end` on.
  LogicalResult placeRegion(ArrayRef<GlobalWeightOp> globals,
                            const llvm::StringMap<int64_t> &owner,
                            int64_t region, const llvm::StringSet<> &loaded,
                            llvm::StringMap<int64_t> &offsets,
                            SmallVector<Attribute> &layout, int64_t &end) {
    for (GlobalWeightOp global : globals) {
      if (!loaded.contains(global.getSymName()) ||
          owner.lookup(global.getSymName()) != region)
        continue;
      Type type = global.getType();
      std::optional<int64_t> bytes = getStoredBytes(type);
      if (!bytes) {
        global.emitOpError() << "quantized weights in the "
                             << stringifyLayoutKind(cast<QTensorType>(type)
                                                        .getLayout()
                                                        .getKind())
                             << " layout cannot be placed yet (only ggml "
                                "blocks and the blocked tiles have a byte "
                                "format)";
        return failure();
      }
      int64_t offset = (end + alignment - 1) / alignment * alignment;
      offsets[global.getSymName()] = offset;
      end = offset + *bytes;
      Builder b(&getContext());
      layout.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", global.getSymNameAttr()),
           b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
           b.getNamedAttr("type", TypeAttr::get(type))}));
    }
    return success();
  }

  /// Replaces each function's weight loads by views of a new blob argument.
  LogicalResult bindLoads(ModuleOp module, MemRefType blobType,
                          const llvm::StringMap<int64_t> &offsets) {
    for (auto func : module.getOps<func::FuncOp>()) {
      SmallVector<WeightOp> loads;
      func.walk([&](WeightOp op) { loads.push_back(op); });
      if (loads.empty() || func.isExternal())
        continue;
      unsigned index = func.getNumArguments();
      if (failed(func.insertArgument(index, blobType,
                                     DictionaryAttr::get(&getContext()),
                                     func.getLoc())))
        return failure();
      func.setArgAttr(index, "xf.name",
                      StringAttr::get(&getContext(), "weights"));
      Value blob = func.getArgument(index);
      for (WeightOp op : loads) {
        OpBuilder b(op);
        RankedTensorType type = storageTensor(op.getType());
        Value shift = arith::ConstantIndexOp::create(
            b, op.getLoc(), offsets.lookup(op.getName()));
        auto view = memref::ViewOp::create(
            b, op.getLoc(),
            MemRefType::get(type.getShape(), type.getElementType()), blob,
            shift, ValueRange{});
        // Weights are read-only and never alias a written buffer.
        Value tensor = bufferization::ToTensorOp::create(
            b, op.getLoc(), type, view, b.getUnitAttr(), UnitAttr());
        op.replaceAllUsesWith(asDeclared(b, op.getLoc(), tensor, op.getType()));
        op.erase();
      }
    }
    return success();
  }
};

} // namespace
