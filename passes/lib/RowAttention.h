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

/// What @forward returns first: its logits.
Value forwardLogits(func::FuncOp forward);

/// Clones into a new function what values of @forward depend on (weights
/// and their expressions), mapping @forward's arguments by name.
class Materializer {
public:
  Materializer(OpBuilder &b, func::FuncOp forward,
               llvm::StringMap<Value> arguments, StringRef pass)
      : b(b), forward(forward), arguments(std::move(arguments)), pass(pass) {}

  IRMapping map;

  /// @forward's logits computed from `x` in place of what its layer call
  /// `last` returns: the classifier copied after the rows' layers.
  FailureOr<Value> logitsAfter(func::CallOp last, Value x) {
    map.map(last.getResult(0), x);
    return get(forwardLogits(forward));
  }

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

/// An entry point that runs layers on rows, each with its own caches and
/// position: `name`(first, positions, cache.<r>.<l> for each row r and
/// layer l) -> results.
struct RowEntry {
  func::FuncOp func;
  Block *body = nullptr;
  int64_t rows = 0, layers = 0;
  SmallVector<Value> positions; // each row's, as an index

  Value first() const { return body->getArgument(0); }
  Value positionsArg() const { return body->getArgument(1); }
  /// Layer l's caches, one per row.
  SmallVector<Value> caches(int64_t l) const;
};

/// Appends a RowEntry to `module`, its body begun, with `b` at its start.
/// Layer l's cache type is callees[l]'s cache argument's (attentions[l]).
/// The caches are named `cache.<r>.<l>` and marked with their row
/// (`xf.cache_row = r`), which LowerKVCache merges into one memref per row:
/// one sequence's slot.
RowEntry createRowEntry(OpBuilder &b, ModuleOp module, Location loc,
                        const Twine &name, StringRef firstName, Type first,
                        Type positions, ArrayRef<func::FuncOp> callees,
                        ArrayRef<LayerAttention> attentions, int64_t rows,
                        TypeRange results);

/// Calls, from residual `x`, each layer call's rows variant (calls[l] of
/// callees[l], whose attention is attentions[l]) on `entry`'s rows; the
/// calls' other operands are copied by `copy`. Returns the last residual.
FailureOr<Value> callLayersOnRows(OpBuilder &b, const RowEntry &entry,
                                  ArrayRef<func::CallOp> calls,
                                  ArrayRef<func::FuncOp> callees,
                                  ArrayRef<LayerAttention> attentions, Value x,
                                  Materializer &copy, SymbolTable &symbols);

/// Runs `build`, which adds entry points to `module`. If it fails, what
/// it added is erased and its first error becomes a warning that the model
/// compiles without `what`: such entry points are an option, not a
/// requirement. Returns whether they were built.
bool buildOrWarn(ModuleOp module, StringRef what,
                 function_ref<LogicalResult()> build);

} // namespace mlir::xf

#endif // XFC_TRANSFORMS_ROWATTENTION_H
