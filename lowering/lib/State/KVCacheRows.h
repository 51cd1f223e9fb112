//===- KVCacheRows.h - Convert rows at the KV cache's boundary --*- C++ -*-===//
//
// What xf-lower-kv-cache computes when the rows it writes or reads are not
// of the cache's type: rounding to a float cache, and the per-row INT8
// quantization of an i8 cache (`!xf.kv_cache`), as linalg on tensors.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_LOWERING_STATE_KVCACHEROWS_H
#define XFC_LOWERING_STATE_KVCACHEROWS_H

#include "mlir/IR/Builders.h"

namespace mlir::xf {

/// The codes and scales of `rows : [tokens, heads, head_dim]` (any float
/// type): codes `[tokens, heads, head_dim] i8`, and each row's f32 scale as
/// its 4 little-endian bytes, `[tokens, heads, 4] i8`.
struct QuantizedRows {
  Value codes, scaleBytes;
};
QuantizedRows quantizeCacheRows(OpBuilder &b, Location loc, Value rows);

/// `codes * scale`, shaped as `codes`, of the float type `element`, from
/// the tensors quantizeCacheRows produces (or views of a cache holding
/// them).
Value dequantizeCacheRows(OpBuilder &b, Location loc, Value codes,
                          Value scaleBytes, Type element);

} // namespace mlir::xf

#endif // XFC_LOWERING_STATE_KVCACHEROWS_H
