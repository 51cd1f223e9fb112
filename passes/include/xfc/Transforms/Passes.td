//===- Passes.td - xf graph passes -------------------------*- tablegen -*-===//

#ifndef XFC_TRANSFORMS_PASSES_TD
#define XFC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def XFDecomposeFused : Pass<"xf-decompose-fused"> {
  let summary = "Expand xf.attention and xf.ffn into fine-grained xf ops";
  let description = [{
    Rewrites each fused op into the fine-grained graph it stands for: the
    inverse of the fusion passes. It gives a reference form of fused IR
    (and a fallback for targets without a fused kernel).

    `xf.attention` becomes KV-cache append/read (with a cache), GQA head
    repetition, `xf.matmul`, scaling, `xf.causal_mask` and `xf.softmax`.
    `xf.ffn` becomes its `xf.linear` projections and activation.

    Example:

    ```mlir
    %y = xf.ffn swiglu %x up %u gate %g down %d : (...) -> tensor<?x64xf32>
    // becomes
    %0 = xf.linear %x, %g : ...
    %1 = xf.linear %x, %u : ...
    %2 = xf.silu %0 : ...
    %3 = xf.mul %2, %1 : ...
    %y = xf.linear %3, %d : ...
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"decomposeAttention", "attention", "bool", /*default=*/"true",
           "Expand xf.attention">,
    Option<"decomposeFfn", "ffn", "bool", /*default=*/"true",
           "Expand xf.ffn">
  ];
}

def XFFuseFfn : Pass<"xf-fuse-ffn"> {
  let summary = "Fuse feed-forward subgraphs into xf.ffn";
  let description = [{
    Recognizes the three feed-forward shapes and replaces each with one
    `xf.ffn`:

    * `down(silu(x Wg^T) * (x Wu^T))` becomes `xf.ffn swiglu`;
    * `down(gelu_tanh(x Wg^T) * (x Wu^T))` becomes `xf.ffn geglu`;
    * `down(gelu_tanh(x Wu^T + bu)) + bd` becomes `xf.ffn gelu`.

    The projections must read the same input, every intermediate value must
    have no other use, and the gated forms must have no gate bias (xf.ffn
    has none); otherwise the graph is left alone. The multiply may take its
    operands in either order. It is the inverse of `xf-decompose-fused` for
    FFNs, which the tests check with the reference evaluator.
  }];
}

def XFFuseMha : Pass<"xf-fuse-mha"> {
  let summary = "Fuse scaled-dot-product attention subgraphs into xf.attention";
  let description = [{
    Recognizes attention as `xf-decompose-fused` and the importers spell
    it, and replaces it with one `xf.attention`:

    ```
    transpose(matmul(softmax([causal_mask](mul(
        matmul(transpose(q), transpose([repeat](k)), transpose_rhs),
        scale))), transpose([repeat](v))))
    ```

    where `k`, `v` are either plain tensors or the result of an
    `xf.kv_read` of `position + tokens` rows right after an
    `xf.kv_append` of the new keys and values at `position` (the append is
    absorbed into the fused op). MHA, GQA (with `xf.repeat_interleave`) and
    MQA match. Anything else, such as another mask, a missing softmax, or an
    intermediate value used elsewhere, is left untouched.
  }];
}

#endif // XFC_TRANSFORMS_PASSES_TD
