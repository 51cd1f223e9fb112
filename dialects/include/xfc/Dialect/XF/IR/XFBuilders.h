//===- XFBuilders.h - Build fine-grained xf subgraphs -----------*- C++ -*-===//
//
// The fine-grained graphs that xf.attention and xf.ffn stand for, built in
// one place: importers emit them, xf-decompose-fused expands fused ops into
// them, and the fusion passes match them.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_DIALECT_XF_IR_XFBUILDERS_H
#define XFC_DIALECT_XF_IR_XFBUILDERS_H

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/IR/Builders.h"

namespace mlir::xf {

/// Operands of an attention block, as xf.attention takes them.
struct AttentionInputs {
  Value query; // [tokens, heads, head_dim]
  Value key;   // [kv_tokens, kv_heads, head_dim]
  Value value; // like key
  Value cache;    // optional !xf.kv_cache
  Value position; // index; required with a cache
  bool causal = true;
  float scale = 0; // 0: 1 / sqrt(head_dim)
};

/// Emits append/read (with a cache), GQA head repetition, scaled scores,
/// causal mask and softmax, and the weighted sum of values. Returns the
/// `[tokens, heads, head_dim]` result.
Value buildAttention(OpBuilder &builder, Location loc,
                     const AttentionInputs &inputs);

/// Operands of a feed-forward block, as xf.ffn takes them.
struct FfnInputs {
  FfnKind kind = FfnKind::swiglu;
  Value input;
  Value up, gate, down; // gate only for the gated kinds
  Value gateUp;         // replaces gate and up: [gate rows; up rows]
  Value upBias, downBias;
  ComputeKindAttr compute; // of every projection; null: f32
  KernelBackendAttr backend; // of every projection; null: generated
};

/// Emits the projections and activation of a feed-forward block.
Value buildFfn(OpBuilder &builder, Location loc, const FfnInputs &inputs);

/// A rank-0 float constant of `elementType`, which broadcasts against any
/// tensor in xf.add/xf.mul.
Value buildScalar(OpBuilder &builder, Location loc, Type elementType,
                  double value);

} // namespace mlir::xf

#endif // XFC_DIALECT_XF_IR_XFBUILDERS_H
