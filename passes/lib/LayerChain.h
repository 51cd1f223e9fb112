//===- LayerChain.h - @forward's repeated layer calls ----------*- C++ -*-===//
//
// A model whose layers repeat a cycle (xf.layer_cycle = [N, G]) has a
// @forward made of a head (the embedding), a chain of N * G layer calls,
// each reading the residual the previous one returned, and a tail (the
// final norm and LM head). The passes that read a layer-shared model
// (xf-early-exits, xf-speed-stages) take it apart with this.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TRANSFORMS_LAYERCHAIN_H
#define XFC_TRANSFORMS_LAYERCHAIN_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::xf {

struct LayerChain {
  int64_t distinct = 0, groups = 0; // xf.layer_cycle
  func::FuncOp forward;
  SmallVector<func::CallOp> layers;
  /// The ops between the last layer call and the return that the first
  /// result depends on, in order.
  SmallVector<Operation *> tail;
};

/// `forward`'s layer calls in order (each takes the residual as operand 0
/// and returns the next), or an error prefixed with `pass`.
FailureOr<SmallVector<func::CallOp>> findLayerCalls(func::FuncOp forward,
                                                    StringRef pass);

/// The cycle of `module`'s @forward, or an error prefixed with `pass`.
FailureOr<LayerChain> analyzeLayerChain(ModuleOp module, StringRef pass);

/// The ops in `block` that `roots` depend on, not crossing `stop` (nor
/// anything before it when given), in block order.
SmallVector<Operation *> backwardSliceInBlock(ValueRange roots, Block *block,
                                              Operation *stop = nullptr);

} // namespace mlir::xf

#endif // XFC_TRANSFORMS_LAYERCHAIN_H
