//===- KernelWeightKind.h - Weight types as kernels name them -*- C++ -*-===//
//
// The kernels' ABI (xfk/Kernels.h) names weight encodings with
// XfkWeightKind; the lowering (which calls the kernels) and the weight store
// (which packs weights with xfk_pack) map xf types to it with this.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_LOWERING_KERNELWEIGHTKIND_H
#define XFC_LOWERING_KERNELWEIGHTKIND_H

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfk/Kernels.h"

#include <optional>

namespace mlir::xf {

/// The kernels' encoding of a weight of `type` (xfk/Kernels.h): a static
/// 2-D f32, f16 or bf16 tensor (plain or in panels), or an `!xf.qtensor`
/// in the ggml or blocked layout (which the verifier allows only for
/// schemes with a block encoding). nullopt for any other type.
inline std::optional<XfkWeightKind> getKernelWeightKind(Type type) {
  if (auto q = dyn_cast<QTensorType>(type)) {
    LayoutKind layout = q.getLayout().getKind();
    if (layout != LayoutKind::ggml && layout != LayoutKind::blocked &&
        layout != LayoutKind::sparse)
      return std::nullopt;
    QuantSchemeAttr scheme = q.getScheme();
    int kind = scheme.getBits() == 8                       ? XFK_W_Q8_0
               : scheme.getMode() == QuantMode::min_offset ? XFK_W_Q4_1
                                                           : XFK_W_Q4_0;
    if (scheme.getScaleType().isF32())
      kind |= XFK_W_F32_SCALES;
    return static_cast<XfkWeightKind>(kind);
  }
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getRank() != 2 || !tensor.hasStaticShape())
    return std::nullopt;
  Type element = tensor.getElementType();
  if (element.isF32())
    return XFK_W_F32;
  if (element.isF16())
    return XFK_W_F16;
  if (element.isBF16())
    return XFK_W_BF16;
  return std::nullopt;
}

/// The group the kernels take with a weight of `type` (xfk/Kernels.h): the
/// values per scale of a quantized one (its row for per-channel), 0 for a
/// float one.
inline int64_t getKernelWeightGroup(Type type) {
  auto q = dyn_cast<QTensorType>(type);
  return q ? q.getScheme().getGroupValues(q.getShape()[1]) : 0;
}

/// The bytes the kernels pack a weight of `type` into: in `sparse` (sparse
/// panels for a float weight, sparse tiles or codes for a quantized one),
/// or in the dense blocked layout when `sparse` is null. 0 where the
/// kernels cannot pack it so.
inline int64_t getKernelPackedBytes(Type type, PackedLayoutAttr sparse) {
  std::optional<XfkWeightKind> kind = getKernelWeightKind(type);
  if (!kind)
    return 0;
  ArrayRef<int64_t> shape = getWeightShape(type);
  int64_t group = getKernelWeightGroup(type);
  if (!sparse)
    return xfk_packed_bytes(*kind, group, shape[0], shape[1]);
  int64_t slots = *sparse.getValues();
  if (sparse.isSparseCodes())
    return xfk_sparse_codes_bytes(*kind, group, shape[0], shape[1], slots);
  if (isa<QTensorType>(type))
    return xfk_sparse_tiles_bytes(*kind, group, shape[0], shape[1], slots);
  return xfk_sparse_packed_bytes(*kind, shape[0], shape[1], slots);
}

/// Packs `rows` (a weight of `type` as stored, `ldw` bytes a row) into
/// `out` (getKernelPackedBytes(type, sparse) bytes) as that function
/// sizes it; 0 where the kernels cannot (for a sparse layout: a block or
/// panel holds more than its slots).
inline int packKernelWeight(Type type, PackedLayoutAttr sparse,
                            const void *rows, int64_t ldw, void *out) {
  std::optional<XfkWeightKind> kind = getKernelWeightKind(type);
  if (!kind)
    return 0;
  ArrayRef<int64_t> shape = getWeightShape(type);
  int64_t group = getKernelWeightGroup(type);
  if (!sparse)
    return xfk_pack(*kind, group, rows, ldw, shape[0], shape[1], out);
  int64_t slots = *sparse.getValues();
  if (sparse.isSparseCodes())
    return xfk_pack_sparse_codes(*kind, group, rows, ldw, shape[0], shape[1],
                                 slots, out);
  if (isa<QTensorType>(type))
    return xfk_pack_sparse_tiles(*kind, group, rows, ldw, shape[0], shape[1],
                                 slots, out);
  return xfk_pack_sparse(*kind, rows, ldw, shape[0], shape[1], slots, out);
}

} // namespace mlir::xf

#endif // XFC_LOWERING_KERNELWEIGHTKIND_H
