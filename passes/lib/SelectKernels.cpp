//===- SelectKernels.cpp - The library that computes each GEMM ------------===//
//
// Marks GEMMs `backend onednn` (see the pass description for the cost
// model). The choice is an attribute, not a rewrite, so every other pass
// and the reference evaluator see the same op.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/CallUtils.h"
#include "xfc/Transforms/KernelBackend.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFSELECTKERNELS
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Which values are model weights: constant for the model's lifetime, as
/// the oneDNN glue, which caches a weight's layout by address, requires.
/// They are `xf.weight` loads, pure computations on weights, and arguments
/// that every call of a private function passes a weight (the importer's
/// shared layer function).
class ModelWeights {
public:
  explicit ModelWeights(ModuleOp module) : module(module) {}

  bool contains(Value value) {
    if (auto it = known.find(value); it != known.end())
      return it->second;
    known[value] = false; // while visiting: a cycle is no weight
    bool result = compute(value);
    known[value] = result;
    return result;
  }

private:
  bool compute(Value value) {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (!func || !arg.getOwner()->isEntryBlock())
        return false;
      std::optional<SmallVector<func::CallOp>> calls =
          onlyCallsOf(func, module);
      return calls && !calls->empty() &&
             llvm::all_of(*calls, [&](func::CallOp call) {
               return contains(call.getOperand(arg.getArgNumber()));
             });
    }
    Operation *def = value.getDefiningOp();
    if (isa<WeightOp>(def))
      return true;
    if (!isPure(def) || def->getNumRegions() != 0)
      return false;
    return llvm::all_of(def->getOperands(),
                        [&](Value operand) { return contains(operand); });
  }

  ModuleOp module;
  DenseMap<Value, bool> known;
};

/// The weights of a linear or an FFN.
SmallVector<Value> weightsOf(Operation *op) {
  if (auto linear = dyn_cast<LinearOp>(op))
    return {linear.getWeight()};
  return cast<FfnOp>(op).getWeights();
}

struct XFSelectKernelsPass
    : xf::impl::XFSelectKernelsBase<XFSelectKernelsPass> {
  using XFSelectKernelsBase::XFSelectKernelsBase;

  void runOnOperation() override {
    if (!llvm::is_contained({"generated", "onednn", "auto"}, kernels)) {
      getOperation()->emitError()
          << "xf-select-kernels: unknown kernels '" << kernels
          << "' (expected generated, onednn or auto)";
      return signalPassFailure();
    }
    if (kernels == "generated")
      return;
    ModelWeights modelWeights(getOperation());
    auto onednn = KernelBackendAttr::get(&getContext(), KernelBackend::onednn);
    getOperation()->walk([&](Operation *op) {
      if (!isa<LinearOp, FfnOp>(op) || op->hasAttr("backend"))
        return;
      std::string refusal = getOneDNNRefusal(op);
      if (refusal.empty() &&
          !llvm::all_of(weightsOf(op), [&](Value weight) {
            return modelWeights.contains(weight);
          }))
        refusal = "a weight is computed from activations";
      if (!refusal.empty()) {
        if (kernels == "onednn")
          op->emitRemark() << "xf-select-kernels: keeps the generated "
                              "kernels: "
                           << refusal;
        return;
      }
      if (kernels == "onednn" || prefersOneDNN(op))
        op->setAttr("backend", onednn);
    });
  }

  /// The cost model of `auto`, for an op oneDNN can compute: large f32
  /// weights, and f32 constants of the code, which the generated kernels
  /// read unpacked.
  bool prefersOneDNN(Operation *op) {
    return llvm::all_of(weightsOf(op), [&](Value weight) {
      auto type = cast<RankedTensorType>(weight.getType());
      return type.getElementType().isF32() &&
             (weight.getDefiningOp<arith::ConstantOp>() ||
              type.getNumElements() >= autoMinWeights);
    });
  }
};

} // namespace
