//===- KernelBackend.h - What oneDNN can compute ----------------*- C++ -*-===//
//
// One answer, for xf-select-kernels (which marks ops `backend onednn`) and
// the lowering (which calls runtime/onednn for them), to the question of
// which GEMMs the oneDNN glue computes.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TRANSFORMS_KERNELBACKEND_H
#define XFC_TRANSFORMS_KERNELBACKEND_H

#include "mlir/IR/Operation.h"

#include <string>

namespace mlir::xf {

/// Why the oneDNN glue cannot compute `op` (an xf.linear or xf.ffn), or ""
/// when it can: f32 activations, result and biases; f32 compute; every
/// weight a float tensor (f32, f16 or bf16) in plain rows. Quantized
/// weights stay with the generated kernels: oneDNN 2.6 reads no ggml
/// blocks. Whether the weights are constant is the caller's question.
std::string getOneDNNRefusal(Operation *op);

} // namespace mlir::xf

#endif // XFC_TRANSFORMS_KERNELBACKEND_H
