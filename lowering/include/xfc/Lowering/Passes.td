//===- Passes.td - xf lowering passes ----------------------*- tablegen -*-===//

#ifndef XFC_LOWERING_PASSES_TD
#define XFC_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertXFToLinalg : Pass<"convert-xf-to-linalg"> {
  let summary = "Lower fine-grained xf ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites the fine-grained xf ops on tensors into upstream structured ops
    (`linalg.generic`, `linalg.transpose`, `tensor` reshapes and slices),
    keeping value semantics so that one-shot bufferization can follow.
    Dynamic token counts are carried with `tensor.dim`.

    Fused ops are expected to be expanded first (`xf-decompose-fused`) until
    their kernels land. Weights (`xf.weight`), quantized types and KV-cache
    ops are handled by later stages and are left in place.

    Example:

    ```mlir
    %y = xf.silu %x : tensor<?x64xf32>
    // becomes
    %e = tensor.empty(%n) : tensor<?x64xf32>
    %y = linalg.generic {... ["parallel", "parallel"]} ins(%x) outs(%e) {
      ^bb0(%a: f32, %out: f32): ... x / (1 + exp(-x)) ...
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::affine::AffineDialect"
  ];
}

#endif // XFC_LOWERING_PASSES_TD
