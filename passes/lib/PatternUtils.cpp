//===- PatternUtils.cpp - Helpers for xf graph-matching patterns ----------===//

#include "PatternUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

bool xf::dependsOnlyOnWeights(Value value) {
  llvm::SetVector<Value> work;
  work.insert(value);
  for (size_t i = 0; i < work.size(); ++i) {
    Value v = work[i];
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (!func || !arg.getOwner()->isEntryBlock() ||
          !func.getArgAttr(arg.getArgNumber(), "xf.weight"))
        return false;
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (isa<WeightOp>(def))
      continue;
    if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
      if (!isa<RankedTensorType>(constant.getType()))
        return false;
      continue;
    }
    if (def->getNumRegions() != 0 || !isMemoryEffectFree(def))
      return false;
    for (Value operand : def->getOperands())
      work.insert(operand);
  }
  return true;
}
