//===- PatternUtils.h - Helpers for xf graph-matching patterns --*- C++ -*-===//

#ifndef XFC_PASSES_LIB_PATTERNUTILS_H
#define XFC_PASSES_LIB_PATTERNUTILS_H

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/IR/Value.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <utility>

namespace mlir::xf {

/// Marks a GEMM over an adapter branch's own factors, not a model weight:
/// xf-quantize leaves it in f32 (small factors make no whole groups).
inline constexpr llvm::StringLiteral kAdapterBranchAttr = "xf.adapter_branch";

/// The producer of `value` when it is an OpT and `value` has no other use:
/// the condition for folding a producer into a fused op.
template <typename OpT> OpT singleUseProducer(Value value) {
  return value.hasOneUse() ? value.getDefiningOp<OpT>() : OpT();
}

/// The value of a float splat constant (rank 0, or every element equal).
std::optional<double> scalarConstant(Value value);

/// Whether `value` is a float splat constant equal to `expected` to
/// `tolerance` relative (1e-6: irrational constants exported as f32; 0 for
/// exactly representable ones).
bool isScalarConstant(Value value, double expected, double tolerance = 1e-6);

/// The operands of `op`, a commutative binary op, as (the one `pred`
/// accepts, the other), the right-hand one tried first; null values if
/// `pred` accepts neither.
template <typename OpT>
std::pair<Value, Value> splitOperands(OpT op,
                                      llvm::function_ref<bool(Value)> pred) {
  if (pred(op.getRhs()))
    return {op.getRhs(), op.getLhs()};
  if (pred(op.getLhs()))
    return {op.getLhs(), op.getRhs()};
  return {};
}

/// Bits per stored element of a weight type: the codes of a quantized one.
inline unsigned storedBits(Type type) {
  if (auto q = dyn_cast<QTensorType>(type))
    return q.getStorageType().getIntOrFloatBitWidth();
  return cast<RankedTensorType>(type).getElementTypeBitWidth();
}

/// `weight`'s type (a float tensor or a quantized weight) with `rows` rows:
/// the type of weights concatenated along their rows.
inline Type withRows(Type weight, int64_t rows) {
  if (auto q = dyn_cast<QTensorType>(weight)) {
    SmallVector<int64_t> shape(q.getShape());
    shape[0] = rows;
    return QTensorType::get(q.getContext(), shape, q.getStorageType(),
                            q.getScheme(), q.getLayout());
  }
  auto t = cast<RankedTensorType>(weight);
  return t.clone({rows, t.getDimSize(1)});
}

/// The weight operands of a linear or an FFN, and its reduction sizes.
struct Gemms {
  SmallVector<OpOperand *> weights;
  SmallVector<int64_t> reductions;
};
Gemms gemmsOf(Operation *op);

/// The names of the weights `value` is computed from: `xf.weight` loads
/// and layer-function arguments that carry an `xf.weight` name.
SmallVector<StringRef> weightNames(Value value);

/// Whether `value` is computed, by side-effect-free ops, from weights only:
/// `xf.weight` loads, tensor constants, and the arguments of a function
/// that the importer marks as weights (`xf.weight`). Such a value is known
/// at compile time.
bool dependsOnlyOnWeights(Value value);

} // namespace mlir::xf

#endif // XFC_PASSES_LIB_PATTERNUTILS_H
