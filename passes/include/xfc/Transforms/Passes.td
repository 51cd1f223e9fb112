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

def XFFoldAdapters : Pass<"xf-fold-adapters"> {
  let summary = "Fold adapter side branches into the weights they adapt";
  let description = [{
    An adapter that is not merged yet is a side branch next to the
    projection it adapts: the same input times the adapter's delta, added to
    the projection's output. `xfc compile --lora/--lokr` imports adapters in
    this form, with the delta as `xf.lora_delta` (`s B A`) or
    `xf.kron_delta` (`s (W1 ⊗ W2)`) on the adapter's factors, so that the
    unfolded model can be inspected and evaluated. This pass folds each
    branch into one projection by the sum of the weights:

    ```mlir
    %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %d = xf.lora_delta %b, %a scale 2.0
           : (tensor<32x4xf32>, tensor<4x64xf32>) -> tensor<32x64xf32>
    %e = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %r = xf.add %y, %e : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    // becomes
    %s = xf.add %w, %d : (tensor<32x64xf32>, tensor<32x64xf32>) -> tensor<32x64xf32>
    %r = xf.linear %x, %s : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    ```

    The sum is computed in f32 and kept in the base weight's type: an f16
    or bf16 base is converted back, and a quantized base (a Q4_0 model) is
    dequantized, summed and requantized in its own scheme, which adds a
    rounding error that `xfc compile` reports. The delta must be a float
    weight value of the base's shape (computed only from weights, so known
    at compile time), the branch GEMM must have no bias, and both GEMMs
    must read the same input and compute alike. Run it first: before
    `xf-fuse-qkv` concatenates the projections and before `xf-quantize`,
    so that a float base is quantized once, after folding.
    `xf-hoist-weight-expressions` then turns the sums into derived weights.
  }];
}

def XFLowerKronBranches : Pass<"xf-lower-kron-branches"> {
  let summary = "Compute each KronA^B branch factored or merged, by a cost model";
  let description = [{
    Rewrites every `xf.kron_linear` (a KronA^B side branch,
    `s x (A ⊗ B) + r x` with `A : [m1, n1]`, `B : [m2, n2]`) into GEMMs, in
    one of two forms:

    - **factored**: each token's row, viewed as `X : [m1, m2]`, becomes
      `A^T X B`, computed as two small `xf.linear`s with reshapes and
      transposes between them, in the cheaper order: `(A^T X) B` costs
      `n1 m1 m2 + n1 m2 n2` multiply-adds per token, `A^T (X B)` costs
      `m1 m2 n2 + n1 m1 n2`. `A ⊗ B` is never materialized.
    - **merged**: `M = s (A ⊗ B)`, an `[in, out]` matrix, is appended along
      K to the GEMM whose output the branch is added to (the FFN's second
      GEMM, when its weight is a float one), so one GEMM computes both:
      `[h, x] [W_down^T; M]`. Without such a GEMM, `M` gets a GEMM of its
      own. The residual `r x` is added element-wise rather than as `r I` in
      `M`, which would store `in * out` weights for `in` nonzeros.

    `strategy=auto` takes the form with the smaller modeled time for a step
    of `tokens` tokens (1: decode, which dominates generation):

    - factored: `tokens * F / small-gmacs + 2 * call-ns`, with `F` the
      cheaper order's multiply-adds per token: small GEMMs run far below
      peak and each is a kernel call;
    - merged: `max(in * out * e / bandwidth, tokens * in * out / gemm-gmacs)`,
      with `e` the bytes per weight: the appended rows of `M` are read once
      per step (decode is bound by memory bandwidth) and computed at the
      large GEMM's rate.

    The defaults were measured on a 2-core AVX2 machine (see
    docs/adapters.md); the choice is visible in `--emit=xf`. The factored
    form's GEMMs and a merged `M` of its own carry `xf.adapter_branch`: they
    multiply by the adapter's small factors, not by model weights, so
    `xf-quantize` leaves them in f32. Run it after `xf-sparsify` (which then
    prunes the FFN weight alone) and before `xf-fuse-ffn`.
  }];
  let options = [
    Option<"strategy", "strategy", "std::string", /*default=*/"\"auto\"",
           "factored, merged, or auto (the cost model)">,
    Option<"tokens", "tokens", "int64_t", /*default=*/"1",
           "Tokens per step that the cost model weighs (1: decode)">,
    Option<"bandwidth", "bandwidth-gbs", "double", /*default=*/"20.0",
           "Memory bandwidth in GB/s">,
    Option<"gemmRate", "gemm-gmacs", "double", /*default=*/"30.0",
           "Multiply-adds per ns of a large f32 GEMM">,
    Option<"smallRate", "small-gmacs", "double", /*default=*/"4.0",
           "Multiply-adds per ns of the factored form's small GEMMs">,
    Option<"callNs", "call-ns", "double", /*default=*/"2000.0",
           "Time of one GEMM call (dispatch, thread pool) in ns">
  ];
}

def XFRaiseIdioms : Pass<"xf-raise-idioms"> {
  let summary = "Raise exported spellings of biases and GELU to xf ops";
  let description = [{
    Exporters such as PyTorch's ONNX exporter spell some ops out of
    elementwise arithmetic. This pass recognizes them, so that the fusion
    passes that follow see the forms the importers of GGUF and HF produce:

    * `xf.add(xf.linear(x, W), b)`, `b : [out]`, becomes
      `xf.linear(x, W, b)` (either operand order);
    * `x * 0.5 * (1 + erf(x / sqrt(2)))` becomes `xf.gelu erf x`;
    * `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` becomes
      `xf.gelu tanh x`, with `x^3` as `xf.pow` by 3 or two products;
    * `(d / sqrt(mean(d^2) + eps)) * gamma + beta` with `d = x - mean(x)`
      over the last axis (`d^2` as `xf.pow` by 2 or `d * d`) becomes
      `xf.layer_norm x, gamma, beta eps`, for `gamma`, `beta : [dim]`
      weights or constants.

    The products and sums may take their operands in any order and group
    the three factors either way; the constants are scalars (rank 0 or
    splats) equal to the exact ones to 1e-6 relative. Every intermediate
    value must have no other use. The rewrites are exact up to f32
    rounding, which the reference evaluator checks before and after.
  }];
}

def XFFuseFfn : Pass<"xf-fuse-ffn"> {
  let summary = "Fuse feed-forward subgraphs into xf.ffn";
  let description = [{
    Recognizes the three feed-forward shapes and replaces each with one
    `xf.ffn`:

    * `down(silu(x Wg^T) * (x Wu^T))` becomes `xf.ffn swiglu`;
    * `down(gelu_tanh(x Wg^T) * (x Wu^T))` becomes `xf.ffn geglu`;
    * `down(gelu_tanh(x Wu^T + bu)) + bd` becomes `xf.ffn gelu`;
    * `down(gelu_erf(x Wu^T + bu)) + bd` becomes `xf.ffn gelu_erf`.

    The projections must read the same input, every intermediate value must
    have no other use, and the gated forms must have no gate bias (xf.ffn
    has none); otherwise the graph is left alone. The multiply may take its
    operands in either order. It is the inverse of `xf-decompose-fused` for
    FFNs, which the tests check with the reference evaluator.

    With `concat-gate-up` (the default), the gated forms take one `gate_up`
    weight, `xf.concat` of the gate and up weights, so that both
    projections are one GEMM with the activation and product in its
    epilogue; `xf-hoist-weight-expressions` turns the concatenation into a
    derived weight. Quantized gate and up weights of one type join along
    their packed rows.
  }];
  let options = [
    Option<"concatGateUp", "concat-gate-up", "bool", /*default=*/"true",
           "Join the gate and up weights of gated FFNs into one gate_up "
           "weight">
  ];
}

def XFFuseQkv : Pass<"xf-fuse-qkv"> {
  let summary = "Fuse sibling projections of one input into one GEMM";
  let description = [{
    Finds `xf.linear` ops that read the same input, such as the Q, K and V
    projections of attention (K/V narrower than Q under GQA), and replaces
    them with one `xf.linear` over the concatenated weights (and biases),
    followed by one `xf.slice` per original projection:

    ```mlir
    %q = xf.linear %x, %wq, %bq : ... -> tensor<?x64xf32>
    %k = xf.linear %x, %wk, %bk : ... -> tensor<?x16xf32>
    // becomes
    %w = xf.concat %wq, %wk [0] : (...) -> tensor<80x64xf32>
    %b = xf.concat %bq, %bk [0] : (...) -> tensor<80xf32>
    %y = xf.linear %x, %w, %b : ... -> tensor<?x80xf32>
    %q = xf.slice %y[1 : 0, 64] : tensor<?x80xf32> -> tensor<?x64xf32>
    %k = xf.slice %y[1 : 64, 16] : tensor<?x80xf32> -> tensor<?x16xf32>
    ```

    The projections must be in one block, have weights of one element type
    (quantized ones: one type but for the rows, so that their packed rows
    join as stored), and either all have a bias or none. The concatenations are weight
    computations: `xf-hoist-weight-expressions` turns them into derived
    weights, so nothing is concatenated at run time. Run it after
    `xf-fuse-ffn`, which wants the gate and up projections separate.
  }];
  let options = [
    Option<"minProjections", "min-projections", "unsigned", /*default=*/"2",
           "Fuse groups of at least this many sibling projections">
  ];
}

def XFHoistWeightExpressions : Pass<"xf-hoist-weight-expressions",
                                    "::mlir::ModuleOp"> {
  let summary = "Move computations on weights into derived weights";
  let description = [{
    Passes that rewrite weights (QKV and gate/up concatenation, norm
    folding, quantization) do so with ordinary xf ops on weight values.
    This pass moves each maximal computation that depends only on weights
    (`xf.weight` values and tensor constants) out of the code into a private
    `xf.global_weight` whose initializer region computes it, and loads that
    weight instead. The compiler evaluates initializers once, when it writes
    the weight blob, so no weight is transformed at run time.

    Weights often reach code as function arguments (the importer's shared
    layer functions take each layer's weights from `@forward`). When every
    call passes weights for an argument, computations on it are first moved
    into the callers, which pass the result as a new argument; arguments
    left unused are removed.

    A computation whose value would be stored wider than a weight it
    dequantizes or widens is not hoisted, since that would store the weight
    expanded; its operands are hoisted instead. One that narrows again
    (dequantize, fold an adapter, requantize) is hoisted whole. Identical
    computations share one derived weight.
  }];
}

def XFPreLayerNormToRmsNorm : Pass<"xf-prelayernorm-to-rmsnorm",
                                   "::mlir::ModuleOp"> {
  let summary = "Turn the LayerNorms of a Pre-LN transformer into RMSNorms";
  let description = [{
    In a Pre-LN transformer (GPT-2) the residual stream is read only by
    LayerNorms, which remove its mean, and by the next residual add. This
    pass centers every tensor written into the stream along the hidden
    dimension: the rows of embedding tables (token and learned positions),
    and the output dimension of the weights and biases of the projections
    that write into it (attention output, FFN down, or `xf.ffn`'s down
    weight). The stream is then zero-mean, each LayerNorm equals an RMSNorm
    with the same epsilon and unit scale, and its gamma and beta fold into
    the projections that read it: `W' = W diag(gamma)` and
    `b' = b + W beta` (a bias is added where there was none). When those
    weights are narrower than gamma (f16 weights, f32 norms), rounding
    gamma into them would lose precision, so gamma stays the RMSNorm's
    scale and only beta folds. The final LayerNorm folds into the LM head;
    a head tied to the token embedding keeps reading the original table
    while the lookup reads the centered one.

    ```mlir
    %h = xf.layer_norm %x, %g, %b eps = 1.0e-05 : ...
    %y = xf.linear %h, %w, %c : ...
    // becomes
    %one = arith.constant dense<1.0> : tensor<64xf32>
    %n = xf.rms_norm %x, %one eps = 1.0e-05 : ...
    %ws = xf.mul %w, %g : ...
    %cs = xf.linear %b, %w, %c : (tensor<64xf32>, ...) -> tensor<192xf32>
    %y = xf.linear %n, %ws, %cs : ...
    ```

    The stream is followed across calls: the importer's shared layer
    functions take it as an argument and return the next one, and the
    rewrite of a function serves all its calls. Weights are rewritten with
    ordinary xf ops (`xf.reduce_mean`, `xf.sub`, `xf.mul`, `xf.linear`);
    `xf-hoist-weight-expressions` turns them into derived weights.

    The pass changes nothing in a stream where the algebra does not hold,
    and says why with a remark: a value in the stream read by anything but
    a LayerNorm, a residual add, a call or a return (Post-LN blocks, for
    one); a writer other than an embedding or a projection with float
    weights; a LayerNorm read by anything but float projections or
    `xf.ffn gelu` (a gated FFN has no bias for beta); or a model without
    LayerNorms. Each refused stream gets one remark, on the op at fault.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
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
    MQA match. The scale is a product by a scalar or a division by one.

    It also matches attention as PyTorch's ONNX exporter spells it, with a
    batch dimension of one on `[1, tokens, heads, head_dim]` values:

    ```
    transpose[0,2,1,3](matmul(softmax([mask](scale(matmul(
        transpose[0,2,1,3](q), transpose[0,2,3,1](k)))),
        transpose[0,2,1,3](v)))
    ```

    (keys also as `transpose[0,1,3,2]` of the heads-major keys), with a
    causal mask as `xf.where(tril, s, fill)` or `s + mask` whose hidden
    entries are -1e9 or lower (exact unless a visible score is below
    -1e9 + 104); the batch is reshaped away around the fused op. The scale
    must be positive. Anything else, such as another mask, a batch above one, a missing
    softmax, or an intermediate value used elsewhere, is left untouched.
  }];
}

def XFSparsify : Pass<"xf-sparsify"> {
  let summary = "Prune GEMM weights by magnitude to a level and pattern";
  let description = [{
    Wraps each GEMM weight (of `xf.linear` and `xf.ffn`) in an `xf.prune`
    with the requested pattern and level, so the weight keeps only its
    largest values:

    - `pattern=unstructured level=0.7`: the 70% smallest magnitudes of each
      weight;
    - `pattern=2:4` (any `N:M`): N of every M consecutive values of a row;
      `level`, if given, must be `1 - N/M`;
    - `pattern=block:4x16 level=0.9`: the 90% of 4x16 blocks with the
      smallest norms.

    `layer-levels=attn_v=0.5,ffn_down=0.8` gives the weights whose names
    contain a substring their own level; `exclude=output.weight` leaves
    weights dense (the LM head, outlier-heavy layers). A quantized weight is
    dequantized, pruned and requantized in its scheme. The prunes are weight
    computations, which `xf-hoist-weight-expressions` turns into derived
    weights; run it before `xf-quantize`, so that a float weight is pruned,
    then quantized. A level no pattern can reach, or a pattern that does not
    divide a weight, is an error naming the weight.
  }];
  let options = [
    Option<"pattern", "pattern", "std::string", /*default=*/"\"unstructured\"",
           "unstructured, N:M (e.g. 2:4) or block:RxC (e.g. block:4x16)">,
    Option<"level", "level", "double", /*default=*/"0.0",
           "Fraction of each weight's values to zero, in [0, 1)">,
    ListOption<"layerLevels", "layer-levels", "std::string",
               "Levels for the weights whose names contain a substring: "
               "substring=level">,
    ListOption<"exclude", "exclude", "std::string",
               "Weights left dense: substrings of their names">
  ];
}

def XFQuantize : Pass<"xf-quantize"> {
  let summary = "Quantize GEMM weights and choose the GEMMs' arithmetic";
  let description = [{
    Two steps, each explicit in the IR so that the reference evaluator runs
    exactly what the compiled model computes.

    **Weights** (`weights=f16|bf16|int8|int4`; `keep`, the default, leaves
    them as they are). Each float weight an `xf.linear` or `xf.ffn` reads
    becomes `xf.convert` (f16, bf16) or `xf.quantize` (RTN with ggml's
    levels: int8 as Q8_0, int4 as Q4_0, or Q4_1 with `asym`) of it, at
    the use. `group-size` sets the values per scale: 32 (ggml's own
    blocks, the default), a larger multiple of 32 (64, 128, ...), or -1
    for one scale per output row (per channel). `scale-type` stores the
    scales (and minimums) as f16, as ggml does (the default), or f32, which
    keeps them as computed (they are then the only rounding). `method`
    names the quantization method that chooses each group's levels
    (`xf.quantize`'s `method`): `rtn` (the default), `mse`, or one a
    plugin registers (`xf::registerQuantizationMethod`). A weight whose rows are
    not whole groups is an error that names it (keep it with
    `keep-weights`, or choose another group size). `xf-hoist-weight-expressions` then moves these into derived
    weights, which the compiler writes quantized into the weight blob.
    Weights already quantized, or of another float type when converting,
    are left alone. A weight whose name contains one of the `keep-weights`
    substrings is kept: a use is named after the weights it is computed
    from, as loaded (`output.weight`) or as a layer function's argument
    (`xf.weight` argument attribute, e.g. `attn_q.weight`, so one pattern
    covers that weight in every layer).

    **Arithmetic** (`compute=int8`): every `xf.linear` and `xf.ffn` whose
    weights are all quantized gets `compute int8`: its activations are
    rounded to dynamic INT8 (per token, in the weights' groups along the
    reduction: the whole row for per-channel weights), so the integer
    kernels (`vpdpbusd`) can run it. GEMMs with
    float weights, or reduction sizes that are not multiples of 32, keep
    f32 activations, with a remark where a quantized weight is read.
    `compute=bf16` instead gives every GEMM whose weights are all bf16
    `compute bf16` (activations rounded to bf16, products summed in f32:
    `vdpbf16ps`, AMX-BF16). `compute=f32` (the default) leaves activations
    as they are.

    Run it after the fusion passes: they keep `compute` kinds but only fuse
    GEMMs that agree on them.

    Example (`weights=int4 compute=int8`):

    ```mlir
    %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> ...
    // becomes
    %q = xf.quantize %w : tensor<128x64xf32> -> !xf.qtensor<128x64xi4, ...>
    %y = xf.linear %x, %q compute int8 : (tensor<?x64xf32>, !xf.qtensor<...>) -> ...
    ```
  }];
  let options = [
    Option<"weights", "weights", "std::string", /*default=*/"\"keep\"",
           "GEMM weights: keep, f16, bf16, int8 or int4">,
    Option<"asym", "asym", "bool", /*default=*/"false",
           "int4 with a per-group minimum (Q4_1) instead of symmetric (Q4_0)">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"32",
           "Values per quantization group: a multiple of 32 (32 is ggml's "
           "Q8_0/Q4_0/Q4_1), or -1 for per channel">,
    Option<"scaleType", "scale-type", "std::string", /*default=*/"\"f16\"",
           "Type of the scales and minimums: f16 (ggml's) or f32">,
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "Quantization method choosing the levels (xf.quantize's method): "
           "rtn, mse, or one a plugin registers">,
    ListOption<"keepWeights", "keep-weights", "std::string",
               "Weights left unquantized: substrings of their names">,
    Option<"compute", "compute", "std::string", /*default=*/"\"f32\"",
           "GEMM arithmetic: f32, int8 (for quantized weights) or bf16 (for "
           "bf16 weights)">
  ];
}

def XFConvertKVCache : Pass<"xf-convert-kv-cache", "::mlir::ModuleOp"> {
  let summary = "Choose the element type the KV caches store";
  let description = [{
    Retypes every `!xf.kv_cache` argument of the module's functions (the
    entry point's, and the layer functions' that it calls) to store
    `element`: `f32`, `f16`, `bf16`, or `int8` (an `i8` cache with one f32
    scale per position and KV head; see `!xf.kv_cache`). `keep`, the
    default, leaves them as the frontend made them (f32).

    The ops that read and write a cache convert at its boundary
    (`xf.kv_append` rounds or quantizes, `xf.kv_read` widens), so nothing
    else changes, and the evaluator computes what the compiled model does.
    A smaller cache reads fewer bytes per decoded token at long contexts,
    at the cost of rounding every cached key and value.

    ```mlir
    func.func @forward(..., %c: !xf.kv_cache<2048x4x64xf32>)
    // element=int8
    func.func @forward(..., %c: !xf.kv_cache<2048x4x64xi8>)
    ```
  }];
  let options = [
    Option<"element", "element", "std::string", /*default=*/"\"keep\"",
           "What the caches store: keep, f32, f16, bf16 or int8">
  ];
}

def XFEarlyExits : Pass<"xf-early-exits", "::mlir::ModuleOp"> {
  let summary = "Apply the final norm and LM head after each repetition "
                "group of a parameter-shared model";
  let description = [{
    A model whose layers repeat a cycle (`xf.layer_cycle = [N, G]`, set by
    the importer when layer `l` has layer `l mod N`'s weights) can predict
    early: the final norm and LM head applied to the residual stream after
    any group of `N` layers. Speculative pipelined decoding (SPEED) starts
    the next token from such a prediction.

    The pass clones `@forward`'s tail (the ops after the last layer call
    that the logits depend on) onto the residual after each of the first
    `G - 1` groups, and returns those logits after the final ones:
    `@forward` returns `G` tensors, the final logits first, and gets
    `xf.early_exits = G - 1`. The clones read the same weights, so nothing
    is stored twice.

    ```mlir
    // module attributes {xf.layer_cycle = array<i64: 2, 2>}
    %x2 = call @layer(%x1, %w1) : ...   // the end of group 0
    %x4 = call @layer(%x3, %w1) : ...
    %n = xf.rms_norm %x4, %g eps = 1.0e-05 : tensor<?x64xf32>, tensor<64xf32>
    %l = xf.linear %n, %h : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
    return %l : tensor<?x512xf32>
    // gains, before the return, and returns %l, %e:
    %en = xf.rms_norm %x2, %g eps = 1.0e-05 : tensor<?x64xf32>, tensor<64xf32>
    %e = xf.linear %en, %h : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
    ```

    It is not part of `xf-optimize-graph`: the runtime's entry point
    returns one tensor. `xfc-eval --early-logits-out` runs it to measure
    how often early predictions agree with the final ones.
  }];
}

def XFSpeedStages : Pass<"xf-speed-stages", "::mlir::ModuleOp"> {
  let summary = "Entry points that run the shared layers of a layer-shared "
                "model on several in-flight tokens (SPEED)";
  let description = [{
    Speculative pipelined decoding (SPEED, brief §6) of a model whose layers
    repeat a cycle (`xf.layer_cycle = [N, G]`) runs the `N` distinct layers
    once on several tokens that sit at different repetition groups, so each
    shared weight is read once for all of them. This pass adds the entry
    points the runtime chains into such a pipeline:

    * `@speed_embed(tokens, positions)`: the residual stream a token enters
      with (`@forward`'s head);
    * `@speed_stage<M>(hidden, positions, caches)` for `M` in
      `[1, min(max-rows, G)]`: the `N` layers on `M` rows at once, then the
      final norm and LM head on every row. It returns the rows' residual
      stream and their logits: an early prediction, or the final one after
      group `G - 1`. Row `r` has its own position and the `N` caches
      `cache.<r>.<l>` (argument attribute `xf.cache_row = r`), which the
      runtime points at the caches of the row's repetition group.

    The projections and FFNs of a stage are one GEMM over the `M` rows. The
    attention is per row: each layer function gets a variant
    `@<layer>_rows<M>` whose attention is split into `M` one-row attentions,
    each appending to and reading its own cache at its own position.

    A module without `xf.layer_cycle`, or without `@forward` (a model split
    across sockets), is left alone. The module gets `xf.speed_rows`.
  }];
  let options = [
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"8",
           "The most tokens a stage runs at once (in flight); at most G "
           "stages are built">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect"];
}

def XFBatchDecode : Pass<"xf-batch-decode", "::mlir::ModuleOp"> {
  let summary = "Entry points that decode one token of each of several "
                "sequences at once (continuous batching)";
  let description = [{
    A server advances many sequences one token each per step. Run one at a
    time, every sequence reads every weight; run as the rows of one batch,
    the projections and FFNs are one GEMM with `M` rows and the weights are
    read once per step. This pass adds, for `M` in `[1, max-rows]`:

    * `@decode_batch<M>(tokens, positions, caches)`: `@forward` on `M`
      tokens that belong to `M` different sequences. Row `r` is at its own
      position `positions[r]` and has its own caches `cache.<r>.<l>` for
      the `L` layers (argument attribute `xf.cache_row = r`), which the
      runtime points at the KV-cache slot of the row's sequence. It returns
      the `[M, vocab]` logits.

    As in `xf-speed-stages` (which shares the per-row layer variants
    `@<layer>_rows<M>`), each layer's attention is split into `M` one-row
    attentions, each appending to and reading its own cache at its own
    position; everything else runs once on all rows.

    A module without `@forward` (split across sockets) is left alone; a
    model whose layers cannot be split per row compiles with a warning and
    without the entry points. The module gets `xf.batch_rows`.
  }];
  let options = [
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"4",
           "The most sequences one step decodes (0: no batch entry points)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect"];
}

def XFSplitSockets : Pass<"xf-split-sockets", "::mlir::ModuleOp"> {
  let summary = "Split attention and FFN blocks across sockets (tensor "
                "parallelism)";
  let description = [{
    Splits every attention and FFN block of the layer functions `@forward`
    calls `sockets` ways, as one program per shard (brief §2):

    * attention: the Q/K/V projections keep the shard's heads (whole KV
      heads and their query groups) and each cache the shard's KV heads;
      the output projection keeps the matching input columns, and the
      shards' partial sums meet in an `xf.all_reduce`;
    * FFN: up and gate (or the fused gate_up) keep the shard's hidden rows
      and down the matching columns, then one `xf.all_reduce`.

    A bias of a split GEMM's output is added once, after the all-reduce.
    Everything else (embedding, norms, the LM head) is replicated.

    Heads and hidden rows split evenly, so one layer function serves every
    shard. `@forward` becomes one entry point per shard,
    `@forward_shard<k>` (with `xf.shard = k`; the module gets
    `xf.shards`), which passes the layer function the shard's slices of the
    weights (`xf.slice`, and `xf.concat` for a fused projection: derived
    weights once xf-hoist-weight-expressions runs, so each shard's weights
    are stored and packed separately) and caches of its KV heads.

    Weights the model file stores quantized (ggml blocks) are sliced as
    their dequantized values and quantized again per shard
    (`xf.dequantize`, `xf.slice`, `xf.quantize`). Rows split whole, and
    columns only in whole groups, so every group keeps its values and
    round-to-nearest finds the file's scale and codes again. Float weights
    are split before `--weights` quantizes them (the pass is placed
    before xf-quantize, after a first xf-hoist-weight-expressions).

    Refused, with the op named: head or hidden counts that do not divide
    by `sockets` (every shard needs whole KV heads), quantized weights
    whose column split would cut a group, weights that are not arguments
    of the layer function, and attention whose KV cache is not an
    argument of its own.

    ```mlir
    // sockets=2: in the layer function
    %p = xf.linear %a, %wo : (tensor<?x32xf32>, tensor<64x32xf32>) -> tensor<?x64xf32>
    %o = xf.all_reduce %p over 2 shards : tensor<?x64xf32>
    ```
  }];
  let options = [
    Option<"sockets", "sockets", "int64_t", /*default=*/"1",
           "Shards (worker groups, one per socket or MPI rank); 1 leaves "
           "the model whole">
  ];
}

def XFSelectKernels : Pass<"xf-select-kernels", "::mlir::ModuleOp"> {
  let summary = "Choose the library that computes each GEMM";
  let description = [{
    Records on each `xf.linear` and `xf.ffn` which library computes it, as
    `backend onednn` (absent: the generated microkernels), so that
    `xfc compile --emit=xf` shows the choice and the lowering follows it.
    `kernels`:

    * `generated` (the default): no op is marked.
    * `onednn`: every op that oneDNN can compute is marked; the others keep
      the generated kernels, with a remark that says why.
    * `auto`: an op is marked when the cost model below expects oneDNN to
      be faster.

    oneDNN computes an op when its activations, result and biases are f32,
    its compute is f32, and every weight is a float tensor in plain rows
    that is a model weight: an `xf.weight` load, a pure computation on
    weights, or an argument that every call of a private function passes
    a weight (the glue caches each weight's oneDNN layout by address, so a
    weight must not change between calls). Quantized weights (Q8_0, Q4_0,
    Q4_1) and `compute int8` stay generated: oneDNN 2.6 reads no ggml
    blocks. Ops that already have a `backend` keep it.

    **Cost model of `auto`** (measured on the 2-core AVX-512 VNNI machine;
    figures in docs/design/kernels.md): oneDNN only for f32 weights of at
    least `auto-min-weights` elements. There oneDNN's GEMM is about 10%
    faster at 128 tokens (`xfc-kernel-bench`, K=2048: XFC/oneDNN 0.89 to
    0.91) and one token ties (both stream the weights at the bandwidth),
    which made prefill of a 2048-wide model 8-16% faster. Below 2^20
    weights a call's fixed cost (a few microseconds) is not repaid: a
    256-wide model decoded 20% slower with every GEMM on oneDNN. With f16
    or bf16 weights the generated kernels read half the bytes while oneDNN
    2.6 needs an f32 copy (and its bf16 GEMM, which would round the
    activations, is 1.4x slower than ours); quantized weights are not
    oneDNN's to read. The token count is not known when the op is
    compiled, so `auto` favours prefill: with 2 threads oneDNN's one-token
    GEMV reached less of the bandwidth than ours, which is why `generated`
    stays the default. A weight that is a constant of the code (an ONNX
    initializer), not an `xf.weight`, goes to oneDNN at any size: the
    packed layouts of the generated kernels are laid out in the weight
    blob, and their path for plain rows was 13x slower than oneDNN's on a
    256-wide encoder at 128 tokens.

    Run it after the fusion passes (they only fuse GEMMs with one backend)
    and `xf-quantize` (quantized weights are not oneDNN's).

    Example (`kernels=onednn`):

    ```mlir
    %y = xf.linear %x, %w : (tensor<?x2048xf32>, tensor<5632x2048xf32>) -> ...
    // becomes
    %y = xf.linear %x, %w backend onednn : (...) -> ...
    ```
  }];
  let options = [
    Option<"kernels", "kernels", "std::string", /*default=*/"\"generated\"",
           "Library of the GEMMs: generated, onednn or auto">,
    Option<"autoMinWeights", "auto-min-weights", "int64_t",
           /*default=*/"1048576",
           "With auto, the fewest weight elements of a GEMM that oneDNN "
           "computes (below, its call and threading overhead outweighs "
           "the gain)">
  ];
}

def XFSelectSparseKernels : Pass<"xf-select-sparse-kernels",
                                 "::mlir::ModuleOp"> {
  let summary = "Choose dense or sparse kernels for each GEMM weight";
  let description = [{
    Gives a GEMM weight whose zeros were measured (`sparsity =
    #xf.sparsity<...>` on its `xf.global_weight`, which `xfc compile` puts
    there after the graph passes) a sparse layout of the microkernels where
    a cost model predicts it is faster, as `packing = #xf.layout<sparse,
    ...>` on the global: for a float weight, the sparse panels
    (`tile = [64, 1]`, `xfk_linear_sparse`); for ggml blocks that INT8
    activations multiply, the tiles without their zero groups (`tile =
    [16, 32], vnni = 4`, `xfk_linear_q8_sparse`, which skips them) or, for
    Q8_0-style blocks, the tiles without their zero values (`tile = [16,
    4], vnni = 4`, `xfk_linear_q8_codes`, for unstructured zeros).
    `xf-pack-weights` then packs it so. The choice is visible in
    `--emit=xf`.

    **Cost model.** Decode reads each weight once per token and is bound by
    memory; the sparse kernel reads a 64-bit mask per 64 rows and k (1/8
    byte per value) and the nonzero values, and expands them into vectors
    at a cost that does not shrink with the zeros. Its predicted time, in
    bytes at the dense kernel's bandwidth, is `max(stream-overhead x (mask
    + value bytes), expand-bytes x values)` against the dense panels'
    bytes, and a weight is made sparse when the ratio is at least
    `min-speedup`. The defaults are measured (`xfc-kernel-bench
    --sparse=...`, docs/sparsity.md): the two streams and the expansion
    reach about 2/3 of the bandwidth the dense GEMV does, and expanding
    costs as long as reading 1.6 bytes per value at it, so f32 weights
    gain from about 55% zeros on (2.5x at 90%), and f16 ones, with half
    the bytes to save, not at all on the AVX2 machine the figures come
    from. These defaults are AVX2's; `xfc compile` for a target with
    AVX-512 (F/BW/VL) sets stream-overhead 1.1 and expand-bytes 1.2,
    measured with vexpandps on Sapphire Rapids, so f32 and f16 weights go
    sparse from about 40% zeros there (measured 1.76x and 1.64x at 50%). Prefill expands each panel block once per call into L1 and runs
    the dense tiles, which costs 0-20% at 128 tokens. Quantized tiles
    skip the groups they leave out, reading and multiplying nothing for
    them, so the ratio of their bytes is the prediction. Sparse codes
    expand every stored group back into dense tiles before the dot
    products: their bytes count `code-overhead` times. Of the two, the
    higher prediction is taken.

    Weights that a shared layer function takes as one argument are decided
    together, with the most value slots any of them needs, so that the
    function keeps one type. `mode=always` makes sparse every measured
    weight whose sparse panels are smaller than its dense ones;
    `mode=never` none.

    Example:

    ```mlir
    xf.global_weight @w : tensor<2048x2048xf32>
        {sparsity = #xf.sparsity<zeros = 0.7, slots = 39500>}
    // becomes
    xf.global_weight @w : tensor<2048x2048xf32>
        {packing = #xf.layout<sparse, tile = [64, 1], values = 39500>,
         sparsity = #xf.sparsity<zeros = 0.7, slots = 39500>}
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"auto\"",
           "auto (the cost model), always or never">,
    Option<"minSpeedup", "min-speedup", "double", /*default=*/"1.3",
           "With auto, the least predicted decode speedup that makes a "
           "weight sparse">,
    Option<"expandBytes", "expand-bytes", "double", /*default=*/"1.6",
           "What expanding one weight position costs the sparse GEMV, in "
           "bytes the dense GEMV reads in the same time">,
    Option<"streamOverhead", "stream-overhead", "double", /*default=*/"1.5",
           "How much longer the sparse GEMV takes to read its bytes than "
           "the dense one takes to read as many">,
    Option<"codeOverhead", "code-overhead", "double", /*default=*/"1.35",
           "How much longer the sparse-codes INT8 GEMV takes to read its "
           "bytes than the dense tiles' GEMV takes to read as many">,
    Option<"sparseCodes", "sparse-codes", "bool", /*default=*/"true",
           "Consider the sparse INT8 codes. Their decode kernel needs "
           "AVX512_VBMI2 (vpexpandb); `xfc compile` turns them off for a "
           "target without it, where expanding them is slower than "
           "reading the dense tiles">,
    Option<"emitRemarks", "emit-remarks", "bool", /*default=*/"false",
           "A remark per weight with its predicted speedup and choice">
  ];
}

#endif // XFC_TRANSFORMS_PASSES_TD
