//===- CallUtils.h - Following values across xf graph calls -----*- C++ -*-===//
//
// The importer shares one private function between layers, so passes that
// rewrite what flows into it must see every call.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TRANSFORMS_CALLUTILS_H
#define XFC_TRANSFORMS_CALLUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

#include <optional>

namespace mlir::xf {

/// The calls of the private function `func` within `symbolTableOp` when
/// they are its only uses (so every caller can be followed), else nothing.
inline std::optional<SmallVector<func::CallOp>>
onlyCallsOf(func::FuncOp func, Operation *symbolTableOp) {
  if (!func.isPrivate() || func.isExternal())
    return std::nullopt;
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, symbolTableOp);
  if (!uses)
    return std::nullopt;
  SmallVector<func::CallOp> calls;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return std::nullopt;
    calls.push_back(call);
  }
  return calls;
}

} // namespace mlir::xf

#endif // XFC_TRANSFORMS_CALLUTILS_H
