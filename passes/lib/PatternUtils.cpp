//===- PatternUtils.cpp - Helpers for xf graph-matching patterns ----------===//

#include "PatternUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

using namespace mlir;
using namespace mlir::xf;

std::optional<double> xf::scalarConstant(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

bool xf::isScalarConstant(Value value, double expected, double tolerance) {
  std::optional<double> v = scalarConstant(value);
  return v && std::abs(*v - expected) <= tolerance * std::abs(expected);
}

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

xf::Gemms xf::gemmsOf(Operation *op) {
  Gemms g;
  if (auto linear = dyn_cast<LinearOp>(op)) {
    g.weights = {&linear.getWeightMutable()};
    g.reductions = {linear.getInput().getType().getShape().back()};
    return g;
  }
  auto ffn = cast<FfnOp>(op);
  for (MutableOperandRange range :
       {ffn.getUpMutable(), ffn.getGateMutable(), ffn.getGateUpMutable(),
        MutableOperandRange(ffn.getDownMutable())})
    for (OpOperand &operand : range) // optional weights: empty when absent
      g.weights.push_back(&operand);
  g.reductions = {ffn.getInput().getType().getShape().back(),
                  ffn.getHiddenSize()};
  return g;
}

SmallVector<StringRef> xf::weightNames(Value value) {
  SmallVector<StringRef> names;
  SetVector<Value> work;
  work.insert(value);
  for (size_t i = 0; i < work.size(); ++i) {
    Value v = work[i];
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (func && arg.getOwner()->isEntryBlock())
        if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                          "xf.weight"))
          names.push_back(name.getValue());
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (auto load = dyn_cast<WeightOp>(def)) {
      names.push_back(load.getName());
      continue;
    }
    for (Value operand : def->getOperands())
      work.insert(operand);
  }
  return names;
}
