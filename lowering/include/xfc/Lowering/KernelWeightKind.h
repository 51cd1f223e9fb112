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

} // namespace mlir::xf

#endif // XFC_LOWERING_KERNELWEIGHTKIND_H
