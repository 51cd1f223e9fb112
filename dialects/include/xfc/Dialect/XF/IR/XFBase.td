//===- XFBase.td - The xf dialect definition --------------*- tablegen -*-===//
//
// The `xf` dialect is XFC's graph-level IR for transformer models.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_DIALECT_XF_IR_XFBASE_TD
#define XFC_DIALECT_XF_IR_XFBASE_TD

include "mlir/IR/OpBase.td"

def XF_Dialect : Dialect {
  let name = "xf";
  let cppNamespace = "::mlir::xf";
  let summary = "Graph-level IR for transformer models on x86 CPUs";
  let description = [{
    The `xf` dialect describes a transformer model as a dataflow graph on
    value-semantic tensors. It has two layers:

    * a **fine-grained layer** that frontends import into: `xf.linear`,
      `xf.matmul`, elementwise math, `xf.rms_norm` and `xf.layer_norm`,
      `xf.softmax`, `xf.rope`, shape ops, `xf.embedding` and explicit
      KV-cache reads and appends;
    * a **fused layer** (`xf.attention`, `xf.ffn`) that graph passes form and
      that lowering maps onto hand-tuned kernels.

    Normalizations are kept as single ops rather than being decomposed into
    reductions: the Pre-LN to Pre-RMSNorm rewrite, norm/linear fusion and the
    kernels all want to see them whole.

    Weights are never inlined. A module declares each weight once with
    `xf.global_weight` (a symbol naming a tensor in the weight store, with its
    shape and element or quantized type) and functions refer to it with
    `xf.weight`. A 7B model's IR therefore stays a few hundred kilobytes, and
    passes can still rewrite weights through the store.

    Activations use builtin `tensor` types whose leading dimension is usually
    dynamic (the number of tokens in a step). Linear weights follow the GGUF
    and PyTorch convention `[out, in]`: `xf.linear` computes `y = x W^T + b`.
  }];
  // Scalars (arith.constant) and token counts (tensor.dim) appear in xf
  // graphs, so loading xf loads those dialects too.
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"
  ];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  // Folds of constant operands (an ONNX graph's initializers) become
  // arith.constant ops.
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
}

class XF_Op<string mnemonic, list<Trait> traits = []>
    : Op<XF_Dialect, mnemonic, traits>;

#endif // XFC_DIALECT_XF_IR_XFBASE_TD
