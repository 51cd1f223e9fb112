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

def XFBindWeights : Pass<"xf-bind-weights", "::mlir::ModuleOp"> {
  let summary = "Place weights in one blob and read them through its address";
  let description = [{
    Gives every `xf.global_weight` that code loads an offset in a single
    weight blob (each tensor aligned to `alignment` bytes; weights that only
    derived weights read get none), appends a `memref<?xi8>` argument
    for the blob to each function that loads weights, and replaces each
    `xf.weight` with a `memref.view` of the blob at that offset, read as a
    tensor (`bufferization.to_tensor restrict`). The declarations are then
    removed; their placement is recorded as the module attribute
    `xf.weight_layout`, an array of `{name, offset, type}` that the blob
    writer follows.

    Quantized weights are not placed yet (their packed layouts come with
    the quantized kernels) and make the pass fail, naming the weight.
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of each weight in the blob">
  ];
}

def XFLowerKVCache : Pass<"xf-lower-kv-cache", "::mlir::ModuleOp"> {
  let summary = "Turn KV-cache handles into memrefs written in place";
  let description = [{
    Replaces the `!xf.kv_cache<CxHxDxT>` arguments of a function (one per
    layer, all of one type) with a single `memref<Lx2xCxHxDxT>` (layer,
    then keys at index 0 and values at 1) that the runtime allocates once
    per session, so the signature does not depend on the layer count. `xf.kv_append` becomes a copy of the new
    rows into a subview at the position (`bufferization.
    materialize_in_destination`); `xf.kv_read` reads the first rows in
    place (`bufferization.to_tensor restrict` of a subview): earlier tokens
    are never copied.
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def XFExportEntryPoints : Pass<"xf-export-entry-points", "::mlir::ModuleOp"> {
  let summary = "Give public functions the C interface the runtime calls";
  let description = [{
    Marks every public function with a body `llvm.emit_c_interface`, so
    that lowering emits `_mlir_ciface_<name>` taking memref descriptors by
    pointer: the entry point the model stub calls. Private functions (such
    as the shared layer function) get internal linkage: they are called
    from inside the model and are not symbols of the `.so`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // XFC_LOWERING_PASSES_TD
