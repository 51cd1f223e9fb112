//===- RowAttention.h - Layer functions with one KV cache per row -*- C++
//-*-===//
//
// Entry points that run several sequences' tokens as the rows of one
// batch (SPEED stages, batched decode) call a variant of each layer
// function in which the attention is split per row: row r reads and
// writes its own KV cache at its own position, while every GEMM runs once
// on all rows.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TRANSFORMS_ROWATTENTION_H
#define XFC_TRANSFORMS_ROWATTENTION_H

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::xf {

/// The `xf.name` of `func`'s argument `index`, or "".
StringRef argName(func::FuncOp func, unsigned index);

/// Clones into a new function what values of @forward depend on (weights
/// and their expressions), mapping @forward's arguments by name.
class Materializer {
public:
  Materializer(OpBuilder &b, func::FuncOp forward,
               llvm::StringMap<Value> arguments, StringRef pass)
      : b(b), forward(forward), arguments(std::move(arguments)), pass(pass) {}

  IRMapping map;

  FailureOr<Value> get(Value value) {
    if (Value mapped = map.lookupOrNull(value))
      return mapped;
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      StringRef name = argName(forward, arg.getArgNumber());
      if (Value replacement = arguments.lookup(name)) {
        map.map(value, replacement);
        return replacement;
      }
      return emitError(arg.getLoc())
             << pass
             << ": the new entry point cannot read @forward's argument '"
             << name << "'";
    }
    Operation *def = value.getDefiningOp();
    if (def->getNumRegions() != 0)
      return def->emitError()
             << pass
             << ": cannot copy an op with regions into the new entry point";
    for (Value operand : def->getOperands())
      if (failed(get(operand)))
        return failure();
    b.clone(*def, map);
    return map.lookup(value);
  }

private:
  OpBuilder &b;
  func::FuncOp forward;
  llvm::StringMap<Value> arguments;
  StringRef pass;
};

/// The one cached attention of a layer function, reading its cache and
/// position straight from arguments that nothing else reads.
struct LayerAttention {
  AttentionOp op;
  unsigned cacheArg, positionArg;
};

/// The one cached attention of `layer`; errors are prefixed with `pass`.
FailureOr<LayerAttention> findAttention(func::FuncOp layer, StringRef pass);

/// @<layer>_rows<M>: `layer` with M caches and M positions (one per row) in
/// place of its cache and position arguments; built once per module.
func::FuncOp getRowsVariant(func::FuncOp layer, LayerAttention attn,
                            int64_t rows, SymbolTable &symbols);

/// Names `entry`'s arguments from `first` on `cache.<r>.<l>` for `rows`
/// rows of `layers` caches each, and marks each with its row
/// (`xf.cache_row = r`), which LowerKVCache merges into one memref per row.
void nameRowCaches(func::FuncOp entry, unsigned first, int64_t rows,
                   int64_t layers);

/// Each row's position, as an index, from a [rows] positions tensor.
SmallVector<Value> rowPositions(OpBuilder &b, Location loc, Value positions,
                                int64_t rows);

/// Calls `variant` (the rows variant of `call`'s layer function) in place
/// of `call`: residual `x`, the rows' positions and caches, and `call`'s
/// other operands copied by `copy`.
FailureOr<Value> callRowsVariant(OpBuilder &b, func::CallOp call,
                                 func::FuncOp variant, LayerAttention attn,
                                 Value x, ArrayRef<Value> positions,
                                 ArrayRef<Value> caches, Materializer &copy);

/// Runs `build`, which adds entry points to `module`. If it fails, what
/// it added is erased and its first error becomes a warning that the model
/// compiles without `what`: such entry points are an option, not a
/// requirement. Returns whether they were built.
bool buildOrWarn(ModuleOp module, StringRef what,
                 function_ref<LogicalResult()> build);

} // namespace mlir::xf

#endif // XFC_TRANSFORMS_ROWATTENTION_H
