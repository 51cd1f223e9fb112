//===- PackWeights.cpp - Weights in the tiles the microkernels read -------===//
//
// Decides, across calls, which weights only the microkernels read and gives
// them the kernels' blocked layouts. Only types change here: the weight
// store moves the bytes (xfk_pack) when it writes the blob.
//
//===----------------------------------------------------------------------===//

#include "KernelCoverage.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/CallUtils.h"
#include "xfk/Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Debug.h"

#include <string>

#define DEBUG_TYPE "xf-pack-weights"

namespace mlir::xf {
#define GEN_PASS_DEF_XFPACKWEIGHTS
XFC_BEGIN_GENERATED_CODE
#include "xfc/Lowering/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The global weight attribute with xf-select-sparse-kernels' choice.
constexpr StringLiteral kPackingAttr = "packing";

/// Why a load is left as it is when another load of its weight is.
constexpr StringLiteral kOtherLoad = "another load of the weight stays";

/// The type a weight of `type` takes packed, or why it cannot be packed:
/// `sparse` (xf-select-sparse-kernels' choice) for a float weight, else
/// the blocked layout of its kind.
FailureOr<Type> packedTypeOf(Type type, PackedLayoutAttr sparse,
                             std::string &why) {
  llvm::raw_string_ostream os(why);
  std::optional<XfkWeightKind> kind = getKernelWeightKind(type);
  if (!kind) {
    os << "no microkernel reads " << type;
    return failure();
  }
  if (isInPackedLayout(type)) {
    os << "it is packed already";
    return failure();
  }
  MLIRContext *context = type.getContext();
  ArrayRef<int64_t> shape = getWeightShape(type);
  if (getKernelPackedBytes(type, PackedLayoutAttr()) == 0) {
    os << "the kernels cannot pack " << type;
    return failure();
  }
  if (sparse && getKernelPackedBytes(type, sparse) == 0) {
    os << "the kernels cannot pack " << type << " as " << sparse;
    return failure();
  }
  if (auto q = dyn_cast<QTensorType>(type); q && sparse)
    return Type(QTensorType::get(context, shape, q.getStorageType(),
                                 q.getScheme(), sparse));
  if (sparse)
    return Type(RankedTensorType::get(
        shape, cast<RankedTensorType>(type).getElementType(), sparse));
  if (auto q = dyn_cast<QTensorType>(type))
    return Type(QTensorType::get(context, shape, q.getStorageType(),
                                 q.getScheme(),
                                 PackedLayoutAttr::getQuantizedTiles(context)));
  return Type(RankedTensorType::get(
      shape, cast<RankedTensorType>(type).getElementType(),
      PackedLayoutAttr::getFloatPanels(
          context, cast<RankedTensorType>(type).getElementType())));
}

/// The weight values of a module that may be packed: `xf.weight` results
/// and the arguments of functions that only calls use. The analysis starts
/// from every candidate whose type has a packed form and removes those
/// with a use other than a kernel's weight operand, until none changes.
class PackingAnalysis {
public:
  explicit PackingAnalysis(ModuleOp module) {
    SymbolTable symbols(module);
    module.walk([&](WeightOp op) {
      loads[op.getNameAttr().getAttr()].push_back(op);
      auto global = symbols.lookup<GlobalWeightOp>(op.getName());
      auto packing = global
                         ? global->getAttrOfType<PackedLayoutAttr>(kPackingAttr)
                         : PackedLayoutAttr();
      consider(op.getResult(),
               packing && packing.getKind() == LayoutKind::sparse
                   ? packing
                   : PackedLayoutAttr());
    });
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      std::optional<SmallVector<func::CallOp>> calls =
          onlyCallsOf(func, module);
      for (BlockArgument arg : func.getArguments()) {
        if (calls)
          consider(arg);
        else
          why[arg] = ("@" + func.getSymName() +
                      " has uses other than calls, or is public")
                         .str();
      }
      if (calls)
        callsOf.insert({func, std::move(*calls)});
    }
    while (prune()) {
    }
  }

  /// The weights by symbol, with every load of each.
  const llvm::MapVector<StringAttr, SmallVector<WeightOp>> &getLoads() const {
    return loads;
  }

  /// The functions whose arguments may change, with their calls.
  const llvm::MapVector<func::FuncOp, SmallVector<func::CallOp>> &
  getCallees() const {
    return callsOf;
  }

  /// `value`'s packed type, or null when it keeps its type.
  Type getPackedType(Value value) const { return packed.lookup(value); }

  /// Why `value` keeps its type.
  StringRef getReason(Value value) const {
    auto it = why.find(value);
    return it == why.end() ? StringRef() : StringRef(it->second);
  }

private:
  void consider(Value value, PackedLayoutAttr sparse = {}) {
    std::string reason;
    FailureOr<Type> type = packedTypeOf(value.getType(), sparse, reason);
    if (succeeded(type))
      packed.insert({value, *type});
    else
      why[value] = std::move(reason);
  }

  void drop(Value value, std::string reason) {
    packed.erase(value);
    why[value] = std::move(reason);
  }

  /// Why `value` has a use the packed kernels do not cover, if it has.
  std::optional<std::string> blockingUse(Value value) const {
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (auto linear = dyn_cast<LinearOp>(user)) {
        if (&use == &linear.getWeightMutable() &&
            getLinearKernel(linear, packed.lookup(value)))
          continue;
        return std::string("it is read by an xf.linear that no packed "
                           "microkernel computes");
      }
      if (auto call = dyn_cast<func::CallOp>(user)) {
        auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
            call, call.getCalleeAttr());
        if (!callee || callee.isExternal())
          return ("it is passed to @" + call.getCallee() +
                  ", which has no body")
              .str();
        BlockArgument arg = callee.getArgument(use.getOperandNumber());
        if (packed.count(arg))
          continue;
        return ("it is passed to @" + call.getCallee() + " (argument #" +
                Twine(arg.getArgNumber()) + "): " + getReason(arg))
            .str();
      }
      return ("it is used by " + user->getName().getStringRef()).str();
    }
    return std::nullopt;
  }

  /// Removes the candidates that cannot be packed given the others; true
  /// if any was removed.
  bool prune() {
    bool changed = false;
    for (Value value : llvm::to_vector(llvm::make_first_range(packed)))
      if (std::optional<std::string> reason = blockingUse(value)) {
        drop(value, std::move(*reason));
        changed = true;
      }
    // An argument is packed only if every call passes a packed value, and
    // takes their layout (sparse panels, where they are) if they agree.
    for (auto &[func, calls] : callsOf)
      for (BlockArgument arg : func.getArguments()) {
        if (!packed.count(arg) || calls.empty())
          continue;
        Type common =
            packed.lookup(calls.front().getOperand(arg.getArgNumber()));
        for (func::CallOp call : calls) {
          Type operand = packed.lookup(call.getOperand(arg.getArgNumber()));
          if (!operand) {
            drop(arg, ("a call of @" + func.getSymName() +
                       " passes an unpacked value")
                          .str());
            changed = true;
            break;
          }
          if (operand != common) {
            drop(arg, ("calls of @" + func.getSymName() +
                       " pass weights in different layouts")
                          .str());
            changed = true;
            break;
          }
        }
        if (packed.count(arg) && packed.lookup(arg) != common) {
          packed[arg] = common;
          changed = true;
        }
      }
    // A weight is packed for all its loads or for none.
    for (auto &[name, ops] : loads)
      if (llvm::any_of(ops, [&](WeightOp op) { return !packed.count(op); }))
        for (WeightOp op : ops)
          if (packed.count(op)) {
            drop(op, kOtherLoad.str());
            changed = true;
          }
    return changed;
  }

  llvm::MapVector<StringAttr, SmallVector<WeightOp>> loads;
  llvm::MapVector<func::FuncOp, SmallVector<func::CallOp>> callsOf;
  llvm::MapVector<Value, Type> packed;
  DenseMap<Value, std::string> why;
};

struct XFPackWeightsPass : xf::impl::XFPackWeightsBase<XFPackWeightsPass> {
  using XFPackWeightsBase::XFPackWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    PackingAnalysis analysis(module);
    SymbolTable symbols(module);
    for (auto &[name, ops] : analysis.getLoads()) {
      auto global = symbols.lookup<GlobalWeightOp>(name);
      if (!global)
        continue;
      auto unpacked = llvm::find_if(ops, [&](WeightOp op) {
        return !analysis.getPackedType(op) &&
               analysis.getReason(op) != kOtherLoad;
      });
      if (unpacked != ops.end()) {
        StringRef reason = analysis.getReason(WeightOp(*unpacked));
        LLVM_DEBUG(llvm::dbgs() << "@" << name.getValue()
                                << " keeps its layout: " << reason << "\n");
        if (emitRemarks)
          global.emitRemark() << "keeps its layout: " << reason;
        continue;
      }
      Type type = analysis.getPackedType(WeightOp(ops.front()));
      LLVM_DEBUG(llvm::dbgs()
                 << "@" << name.getValue() << " packed as " << type << "\n");
      global.setType(type);
      for (WeightOp op : ops)
        op.getResult().setType(type);
    }
    for (func::FuncOp func : llvm::make_first_range(analysis.getCallees())) {
      for (BlockArgument arg : func.getArguments())
        if (Type type = analysis.getPackedType(arg))
          arg.setType(type);
      func.setType(FunctionType::get(&getContext(),
                                     func.front().getArgumentTypes(),
                                     func.getResultTypes()));
    }
  }
};

} // namespace
