//===- KernelCoverage.h - What the microkernels compute ---------*- C++ -*-===//
//
// One answer, for xf-pack-weights (which packs the weights of these ops)
// and xf-lower-to-microkernels (which calls the kernels for them), to the
// question of what the kernels of lowering/ukernels compute.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_LOWERING_LIB_MICROKERNELS_KERNELCOVERAGE_H
#define XFC_LOWERING_LIB_MICROKERNELS_KERNELCOVERAGE_H

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfk/Kernels.h"

#include <optional>

namespace mlir::xf {

/// The kernels' encoding of a weight of `type` (xfk/Kernels.h): a static
/// 2-D f32, f16 or bf16 tensor (plain or in panels), or an `!xf.qtensor`
/// of a ggml block scheme in the ggml or blocked layout. nullopt for any
/// other type.
inline std::optional<XfkWeightKind> getKernelWeightKind(Type type) {
  if (auto q = dyn_cast<QTensorType>(type)) {
    LayoutKind layout = q.getLayout().getKind();
    if (layout != LayoutKind::ggml && layout != LayoutKind::blocked)
      return std::nullopt;
    QuantSchemeAttr scheme = q.getScheme();
    if (scheme.getBits() == 8)
      return XFK_W_Q8_0;
    return scheme.getMode() == QuantMode::min_offset ? XFK_W_Q4_1 : XFK_W_Q4_0;
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

/// Whether a weight of `type` is in a layout of the packed kernels: the
/// blocked tiles of a quantized weight, the panels (encoding) of a float
/// one.
inline bool isInPackedLayout(Type type) {
  if (auto q = dyn_cast<QTensorType>(type))
    return q.getLayout().getKind() == LayoutKind::blocked;
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa_and_nonnull<PackedLayoutAttr>(tensor.getEncoding());
}

/// Whether the microkernels compute `op`: f32 input and result, an f32
/// bias or none, and a weight of a kind they read.
inline bool isKernelLinear(LinearOp op) {
  return op.getInput().getType().getElementType().isF32() &&
         op.getType().getElementType().isF32() &&
         (!op.getBias() || op.getBias().getType().getElementType().isF32()) &&
         getKernelWeightKind(op.getWeight().getType());
}

} // namespace mlir::xf

#endif // XFC_LOWERING_LIB_MICROKERNELS_KERNELCOVERAGE_H
