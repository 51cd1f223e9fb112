//===- PatternUtils.h - Helpers for xf graph-matching patterns --*- C++ -*-===//

#ifndef XFC_PASSES_LIB_PATTERNUTILS_H
#define XFC_PASSES_LIB_PATTERNUTILS_H

#include "mlir/IR/Value.h"

namespace mlir::xf {

/// The producer of `value` when it is an OpT and `value` has no other use:
/// the condition for folding a producer into a fused op.
template <typename OpT> OpT singleUseProducer(Value value) {
  return value.hasOneUse() ? value.getDefiningOp<OpT>() : OpT();
}

} // namespace mlir::xf

#endif // XFC_PASSES_LIB_PATTERNUTILS_H
