//===- AttentionKernel.h - The flash-attention kernel builder ---*- C++ -*-===//
//
// Builds the tiled online-softmax kernel that xf-lower-attention emits for
// xf.attention, on tensors (scf.forall, scf.for, vector), so that one-shot
// bufferization places it like any other tensor code.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_LOWERING_KERNELS_ATTENTIONKERNEL_H
#define XFC_LOWERING_KERNELS_ATTENTIONKERNEL_H

#include "mlir/IR/Builders.h"

namespace mlir::xf::kernels {

/// What the kernel reads. `query` is [tokens, heads, head_dim]; `key` and
/// `value` are [kv_tokens, kv_heads, head_dim] with at least `kvLength`
/// rows (a view of the KV cache, or the op's own operands). Element types
/// may be f16, bf16 or f32 and may differ between query and keys. Keys and
/// values may also be an i8 cache's stored rows ([kv_tokens, kv_heads,
/// head_dim + 4]: codes, then the f32 scale; see `!xf.kv_cache`).
struct AttentionKernelInputs {
  Value query, key, value;
  /// The number of keys (index).
  Value kvLength;
  /// The position of the first query (index): with `causal`, query `i`
  /// sees keys `[0, offset + i]`.
  Value offset;
  bool causal = false;
  float scale = 1.0f;
};

struct AttentionKernelOptions {
  /// Keys per parallel block in the one-token (decode) path.
  int64_t decodeKvBlock = 256;
  /// vector<16xf32> accumulators per block: query rows * ceil(head_dim/16).
  int64_t accumulatorVectors = 32;
};

/// The element types the kernel loads and stores.
bool isSupportedElementType(Type type);

/// Emits the kernel at the builder's insertion point and returns its
/// [tokens, heads, head_dim] result, of the query's type.
Value buildAttentionKernel(OpBuilder &b, Location loc,
                           const AttentionKernelInputs &inputs,
                           const AttentionKernelOptions &options);

} // namespace mlir::xf::kernels

#endif // XFC_LOWERING_KERNELS_ATTENTIONKERNEL_H
