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
#include "xfc/Lowering/KernelWeightKind.h"

#include <optional>

namespace mlir::xf {

/// Whether a weight of `type` is in a layout of the packed kernels: the
/// blocked tiles of a quantized weight, the panels (encoding) of a float
/// one.
inline bool isInPackedLayout(Type type) {
  if (auto q = dyn_cast<QTensorType>(type))
    return q.getLayout().getKind() == LayoutKind::blocked ||
           q.getLayout().getKind() == LayoutKind::sparse;
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa_and_nonnull<PackedLayoutAttr>(tensor.getEncoding());
}

/// The microkernels that compute an xf.linear, by its weight's layout.
enum class LinearKernel {
  /// xfk_linear: float rows or ggml blocks, f32 activations (rounded to
  /// INT8 values first, by xfk_round_rows_int8, for `compute int8`, or to
  /// bf16 values, by xfk_round_rows_bf16_f32, for `compute bf16`).
  Rows,
  /// xfk_linear_packed: float panels, f32 activations.
  FloatPanels,
  /// xfk_quantize_rows, then xfk_linear_q8: quantized tiles, INT8
  /// activations.
  QuantizedTiles,
  /// xfk_round_rows_bf16, then xfk_linear_bf16: bf16 panels (pairs of k),
  /// bf16 activations.
  Bf16Panels,
  /// xfk_linear_sparse: sparse float panels, f32 activations.
  SparsePanels,
  /// xfk_quantize_rows, then xfk_linear_q8_sparse: quantized tiles without
  /// their zero groups, INT8 activations.
  SparseTiles,
  /// xfk_quantize_rows, then xfk_linear_q8_codes: Q8_0 tiles without their
  /// zero values, INT8 activations.
  SparseCodes,
};

/// The kernel that computes `op` with a weight of `weightType` (its own,
/// or the packed type it would take): f32 input, result and bias, a weight
/// of a kind the kernels read, and arithmetic the kernel does. Panels take
/// f32 compute or (bf16 panels) `compute bf16`, sparse panels f32, tiles
/// `compute int8`. Rows
/// take any: for `compute int8` or `bf16` the f32 kernel reads the INT8 or
/// bf16 values of the activations (a tied head, whose table the embedding
/// reads as rows, takes this path).
inline std::optional<LinearKernel> getLinearKernel(LinearOp op,
                                                   Type weightType) {
  // oneDNN's ops read their weights as stored (xf-lower-to-onednn).
  if (op.getBackend() == KernelBackend::onednn ||
      !op.getInput().getType().getElementType().isF32() ||
      !op.getType().getElementType().isF32() ||
      (op.getBias() && !op.getBias().getType().getElementType().isF32()) ||
      !getKernelWeightKind(weightType))
    return std::nullopt;
  if (!isInPackedLayout(weightType))
    return LinearKernel::Rows;
  ComputeKind compute = op.getCompute().value_or(ComputeKind::f32);
  if (auto q = dyn_cast<QTensorType>(weightType)) {
    if (compute != ComputeKind::int8)
      return std::nullopt;
    if (q.getLayout().isSparseCodes())
      return LinearKernel::SparseCodes;
    return getSparseSlots(weightType) ? LinearKernel::SparseTiles
                                      : LinearKernel::QuantizedTiles;
  }
  if (getSparseSlots(weightType))
    return compute == ComputeKind::f32
               ? std::optional(LinearKernel::SparsePanels)
               : std::nullopt;
  if (compute == ComputeKind::bf16)
    return LinearKernel::Bf16Panels; // the verifier wants bf16 weights
  return compute == ComputeKind::f32 ? std::optional(LinearKernel::FloatPanels)
                                     : std::nullopt;
}

} // namespace mlir::xf

#endif // XFC_LOWERING_LIB_MICROKERNELS_KERNELCOVERAGE_H
