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
    "::mlir::affine::AffineDialect", "::mlir::scf::SCFDialect",
    "::mlir::func::FuncDialect"
  ];
}

def XFApproximateMath : Pass<"xf-approximate-math"> {
  let summary = "Evaluate f32 exponentials with a polynomial, not libm calls";
  let description = [{
    Replaces every f32 `math.exp` (SiLU, softmax, RoPE frequencies: the
    elementwise code `convert-xf-to-linalg` emits) with upstream's
    polynomial approximation, in plain `arith` operations. A libm call per
    element keeps LLVM from vectorizing the loop around it; the arithmetic
    vectorizes, and its error (a few ulp in f32) is far below what the
    models' checks allow (1e-4). The attention kernel's exponentials (on
    `vector<16xf32>`) are approximated here too. It is an optional lowering
    pass: `xfc compile --disable-pass=xf-approximate-math`, or
    `xf-lower-to-llvm{disable=xf-approximate-math}`, keeps libm's calls.

    ```mlir
    %e = math.exp %x : f32
    // becomes a range reduction, a polynomial and an exponent insertion
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def XFLowerAttention : Pass<"xf-lower-attention"> {
  let summary = "Lower xf.attention to a flash-attention kernel";
  let description = [{
    Rewrites each `xf.attention` into a tiled kernel on tensors that never
    materializes the `[heads, tokens, kv_tokens]` score matrix: keys are
    visited in blocks of 16 with an online softmax (a running maximum and
    sum per query row, the accumulator rescaled when the maximum grows), so
    memory stays linear in the sequence length. Arithmetic is in f32 with
    `head_dim` along `vector<16xf32>` lanes (a masked tail for head_dim not
    a multiple of 16); f16/bf16 operands are widened on load.

    The queries that share a KV head (grouped-query attention) form the
    rows of one block, so each key and value row is loaded once per block;
    `accumulator-vectors` bounds the rows. Two paths:

    * prefill (several tokens): an `scf.forall` over (head groups, token
      blocks) writes disjoint tiles of the result;
    * decode (one token): an `scf.forall` over (head groups, KV blocks of
      `decode-kv-block` keys) computes partial (max, sum, accumulator)
      triples, which a second `scf.forall` over heads combines
      (split-K, "flash decoding").

    A dynamic token count chooses between them with an `scf.if`; both
    write one result buffer created before it, so nothing is copied.

    With `cache %c at %pos`, the new rows are appended with `xf.kv_append`
    (converted to the cache's element type first) and the kernel reads the
    cache through `xf.kv_read` in the cache's element type, which
    `xf-lower-kv-cache` turns into an in-place view: nothing is copied.
    Run it before `xf-lower-kv-cache` and `convert-xf-to-linalg`. Element
    types other than f16, bf16 and f32 keep the op (for
    `xf-decompose-fused`).

    Example:

    ```mlir
    %o = xf.attention %q, %k, %v causal
           : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>
             -> tensor<?x8x64xf32>
    // becomes (schematically)
    %out = tensor.empty(%tokens) : tensor<?x8x64xf32>
    %one = arith.cmpi eq, %tokens, %c1 : index
    %o = scf.if %one -> (tensor<?x8x64xf32>) {
      %part:2 = scf.forall (%g, %b) in (2, %kv_blocks) shared_outs(...) {
        scf.for %j = %begin to %end step %c16
            iter_args(%max = ..., %sum = ..., %acc0 = ...) -> (f32, f32, ...)
        ...
      }
      %d = scf.forall (%h) in (8) shared_outs(%r = %out) { combine }
      scf.yield %d : tensor<?x8x64xf32>
    } else {
      %p = scf.forall (%g, %t) in (2, %token_blocks) shared_outs(%r = %out) {
        scf.for %j = %c0 to %end step %c16 iter_args(...) { ... }
        ...
      }
      scf.yield %p : tensor<?x8x64xf32>
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"decodeKvBlock", "decode-kv-block", "int64_t", /*default=*/"256",
           "Keys per parallel block of the decode (one-token) path">,
    Option<"accumulatorVectors", "accumulator-vectors", "int64_t",
           /*default=*/"32",
           "Budget of vector<16xf32> accumulators per block (query rows "
           "times head_dim / 16); sets how many query rows share each key "
           "load">
  ];
}

def XFPackWeights : Pass<"xf-pack-weights", "::mlir::ModuleOp"> {
  let summary = "Give the weights the microkernels read their packed layouts";
  let description = [{
    The packed kernels (`lowering/ukernels/include/xfk/Kernels.h`) read
    weights in tiles: float weights (f32, f16, bf16) in K-major panels of 64
    rows, ggml blocks (Q8_0, Q4_0, Q4_1) in 16x32 tiles of VNNI groups. This
    pass changes the types of the weights that only those kernels read:

    * `tensor<NxKxT>` becomes `tensor<NxKxT, #xf.layout<blocked, tile =
      [64, 1]>>`;
    * `!xf.qtensor<NxKxiB, #xf.quant<...>, #xf.layout<ggml>>` becomes
      `!xf.qtensor<NxKxiB, #xf.quant<...>, #xf.layout<blocked, tile = [16,
      32], vnni = 4>>`.

    Shapes and values stay the same; the weight store moves the bytes when
    it writes the blob (`xfk_pack`), so the code never repacks.

    A weight is packed when every use of every `xf.weight` loading it is the
    weight of an `xf.linear` that a packed microkernel computes (f32 input
    and result, f32 bias or none; float panels with f32 activations, the
    quantized tiles with `compute int8`: with f32 activations, ggml blocks
    stay rows that `xfk_linear` decodes), directly or through calls: the
    importer's shared layer function takes weights as arguments. The decision is made on
    values, to a fixed point: an `xf.weight` result or an argument of a
    private function that only calls use is packable when each of its uses
    is such a linear's weight or a call operand whose callee argument is
    packable, and an argument only when every call passes packable values.
    The global weight, its loads, and the arguments and signatures of the
    functions they reach then take the packed types. A derived weight keeps
    its initializer, which yields the plain value.

    Weights with another use (a tied embedding table also read by
    `xf.embedding`, a weight that a derived weight's initializer reads), of
    a kind no kernel reads, or of a shape the kernels cannot pack stay as
    they are; `-debug-only=xf-pack-weights`, or `emit-remarks`, says why.

    Run it after `xf-decompose-fused` and before `xf-bind-weights`.

    Example:

    ```mlir
    xf.global_weight @w : tensor<96x64xf16>
    func.func private @layer(%x: tensor<?x64xf32>, %w: tensor<96x64xf16>)
        -> tensor<?x96xf32> {
      %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<96x64xf16>)
             -> tensor<?x96xf32>
      return %y : tensor<?x96xf32>
    }
    // becomes
    xf.global_weight @w : tensor<96x64xf16, #xf.layout<blocked, tile = [64, 1]>>
    func.func private @layer(%x: tensor<?x64xf32>,
        %w: tensor<96x64xf16, #xf.layout<blocked, tile = [64, 1]>>) ...
    ```
  }];
  let options = [
    Option<"emitRemarks", "emit-remarks", "bool", /*default=*/"false",
           "Emit a remark on each weight left unpacked, saying why">
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

    Weights whose type has a packed byte form (`xf::getPackedBytes`:
    quantized weights in the ggml or blocked layout, float weights whose
    encoding is the kernels' `#xf.layout<blocked, tile = [64, 1]>`) are
    placed as those bytes, read as `tensor<Bxi8>`; loads become
    `unrealized_conversion_cast`s of the bytes to the declared type, and
    functions take and pass such arguments as bytes, for the kernels to
    read. Quantized weights in the row_major layout are refused until its
    byte format is defined.
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
    layer, all of one type) with a single `memref<Lx2xCxHxRxT>` (layer,
    then keys at index 0 and values at 1; `R` elements per stored row:
    `D`, and 4 more for an `i8` cache's scale) that the runtime allocates
    once per session, so the signature does not depend on the layer count.

    `xf.kv_append` becomes a copy of the new rows into a subview at the
    position (`bufferization.materialize_in_destination`), after rounding
    them to a float cache's type (`xf.convert`) or quantizing them for an
    `i8` cache (codes and scale bytes, computed by `linalg.generic`).
    `xf.kv_read` and `xf.kv_read_raw` read the first rows in place
    (`bufferization.to_tensor restrict` of a subview): earlier tokens are
    never copied. An `xf.kv_read` of another element type than the cache's
    converts (or dequantizes) what it reads into a new tensor.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def XFLowerAllReduce : Pass<"xf-lower-all-reduce", "::mlir::ModuleOp"> {
  let summary = "Turn xf.all_reduce into a call of the runtime's all-reduce";
  let description = [{
    A tensor-parallel model (`xf-split-sockets`) sums partial results across
    its shards with `xf.all_reduce`. How depends on where the shards run,
    which the runtime decides: worker groups of one process reduce in shared
    memory, MPI ranks with `MPI_Allreduce`. So each `xf.all_reduce` becomes
    a call of `xfm_all_reduce(input, input_row_stride, output, rows,
    columns)` (addresses and sizes as `i64`), which the model stub forwards
    to the runtime's reduction. The input is read in place; the sum goes to
    a fresh `[rows, columns]` buffer that is returned as the result, so
    bufferization needs no copy.

    Example:

    ```mlir
    %s = xf.all_reduce %p over 2 shards : tensor<?x64xf32>
    ```

    becomes a `memref.alloc`, the call, and a `bufferization.to_tensor
    restrict` of the buffer. Only `f32` tensors with a static last
    dimension are supported; others are an error naming the op.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
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

def XFParallelizeContractions
    : Pass<"xf-parallelize-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile the parallel dimensions of contractions with scf.forall";
  let description = [{
    Tiles each large `linalg` contraction on tensors (the `linalg.generic`s
    that `convert-xf-to-linalg` makes of `xf.linear` and `xf.matmul`: loops
    whose indexing maps are a contraction, as `linalg::inferContractionDims`
    sees them) into an `scf.forall` whose iterations can run on different
    threads: batch dimensions with tiles of 1, the output-feature (`n`)
    dimension into chunks, and neither rows (`m`) nor the reduction (`k`),
    so every tile reads its own slice of the weights. The producer of the
    accumulator (the zero fill or the bias broadcast) is fused into the
    loop, so each tile also initializes its own part of the result.

    The number of `n` chunks aims at `chunks` tiles per contraction, with
    tiles of a multiple of `min-tile` elements; the thread pool splits the
    tiles statically over its threads. Contractions of fewer than
    `min-work` multiply-adds (dynamic sizes counted as 1), those with a
    dynamic `n` and no batch dimension, and those already inside an
    `scf.forall` are left alone.

    Example (`n` = 256, `chunks` = 64, `min-tile` = 16):

    ```mlir
    %r = linalg.generic {... ["parallel", "parallel", "reduction"]}
           ins(%x, %w : tensor<?x512xf32>, tensor<256x512xf32>)
           outs(%fill : tensor<?x256xf32>)
    // becomes
    %r = scf.forall (%j) = (0) to (256) step (16)
           shared_outs(%o = %empty) -> (tensor<?x256xf32>) {
      %ws = tensor.extract_slice %w[%j, 0] [16, 512] [1, 1]
      %os = tensor.extract_slice %o[0, %j] [%m, 16] [1, 1]
      %f = linalg.fill ins(%zero : f32) outs(%os : tensor<?x16xf32>)
      %t = linalg.generic ... ins(%x, %ws) outs(%f)
      scf.forall.in_parallel {
        tensor.parallel_insert_slice %t into %o[0, %j] [%m, 16] [1, 1]
      }
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"chunks", "chunks", "int64_t", /*default=*/"64",
           "Tiles to aim for per contraction (the pool splits them over "
           "its threads)">,
    Option<"minTile", "min-tile", "int64_t", /*default=*/"16",
           "Tiles along n are a multiple of this many elements (a vector "
           "width)">,
    Option<"minWork", "min-work", "int64_t", /*default=*/"4096",
           "Contractions with fewer multiply-adds stay serial: a dispatch "
           "would cost more than it saves">
  ];
}

def XFForallToParallelFor
    : Pass<"xf-forall-to-parallel-for", "::mlir::ModuleOp"> {
  let summary = "Run the outermost scf.forall loops on the runtime's threads";
  let description = [{
    Replaces every outermost `scf.forall` (bufferized: no results) with a
    call of the model stub's

    ```c
    void xfm_parallel_for(int64_t n,
                          void (*body)(void *ctx, int64_t begin, int64_t end),
                          void *ctx);
    ```

    which runs `body` over chunks of [0, n) on the session's thread pool
    (`runtime/include/xfrt/ModelABI.h`). `n` is the product of the loop's
    trip counts. The loop body is outlined into a private function
    `<parent>_forall<i>(!llvm.ptr, i64, i64)` that walks its chunk of the
    linearized iteration space, recovering each induction variable by
    division and remainder. The values the body uses from above (memrefs
    as their LLVM descriptors, scalars, dynamic bounds and steps) are
    stored into a stack struct in the caller, whose address is `ctx`;
    constants are cloned into the body instead. Foralls nested inside an
    outlined body become serial `scf.for` nests: only the outermost loop is
    parallel.

    Memref values cross into and out of the context struct through
    `builtin.unrealized_conversion_cast`s to their LLVM descriptor types
    (computed with the same `LLVMTypeConverter` options as the memref
    lowering), which `reconcile-unrealized-casts` removes at the end of the
    LLVM conversion.

    Example:

    ```mlir
    func.func @f(%a: memref<?xf32>, %n: index) {
      scf.forall (%i) in (%n) {
        memref.store %c, %a[%i] : memref<?xf32>
      }
      return
    }
    // becomes
    func.func @f(%a: memref<?xf32>, %n: index) {
      %ctx = llvm.alloca ... x !llvm.struct<(struct<(ptr, ptr, i64, ...)>, i64)>
      ... llvm.insertvalue / llvm.store of %a and %n
      %body = constant @f_forall0 : (!llvm.ptr, i64, i64) -> ()
      call @xfm_parallel_for(%count, %body, %ctx)
      return
    }
    func.func private @f_forall0(%ctx: !llvm.ptr, %begin: i64, %end: i64) {
      ... llvm.load %ctx, llvm.extractvalue, unrealized casts back ...
      scf.for %i = %b to %e step %c1 { memref.store %c, %a[%i] }
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"callee", "callee", "std::string", /*default=*/"\"xfm_parallel_for\"",
           "The runtime function that runs an outlined body over [0, n)">
  ];
}

def XFLowerToMicrokernels : Pass<"xf-lower-to-microkernels",
                                 "::mlir::ModuleOp"> {
  let summary = "Compute projections and embedding lookups with microkernels";
  let description = [{
    Replaces each `xf.linear` that a microkernel covers (f32 activations;
    f32, f16 or bf16 weights `[N, K]`, or quantized weights in blocks of
    Q8_0/Q4_0/Q4_1 values; optional f32 bias) with calls of the kernels of
    lowering/ukernels on the operands' buffers, by the weight's layout:

    * plain float rows, or blocks: `xfk_linear` (f32 activations; for
      `compute int8` or `bf16` rounded first, by `xfk_round_rows_int8` or
      `xfk_round_rows_bf16_f32`);
    * float panels (`#xf.layout<blocked, tile = [64, 1]>`), f32 compute:
      `xfk_linear_packed`; bf16 panels of pairs (`tile = [64, 2], vnni =
      2`) the same, or for `compute bf16` `xfk_round_rows_bf16` once, then
      `xfk_linear_bf16`;
    * quantized 16x32 tiles (`#xf.layout<blocked, tile = [16, 32], vnni =
      4>`), `compute int8`: the rows of X are quantized to INT8 once, in
      the weight's groups, with `xfk_quantize_rows` into a buffer of
      `M * xfk_quantized_row_bytes(K, group)` bytes, then `xfk_linear_q8`
      computes with integer dot products.

    A residual connection, an `xf.add` that is the projection's only user
    and adds a value of the result's type available before it, is folded
    into the kernel's epilogue (`residual` argument): the sum is written
    once, with no pass of its own.

    With `fuse-activations`, the FFN's activation is folded into the
    kernel's epilogue too (`act`, `up` arguments), so the hidden layer is
    written once, by the first GEMM:
    * an `xf.silu`, or an `xf.gelu tanh`, that is a projection's only user;
    * a gated one (SwiGLU, GeGLU): a projection `[2F, K]` whose only users
      are the slices of its first and last F features, gate and up, where
      the gate's only user is `xf.silu` or `xf.gelu tanh`, whose only user
      is an `xf.mul` by the up slice (its only user). The kernel computes
      `act(gate) * up` directly. Packed weights need F a whole number of
      tiles or panels.

    Weights with a packed byte form are read as the bytes `xf-bind-weights`
    exposes (cast back to their declared type). Each `xf.embedding` over a
    table of rows (not packed) becomes `xfk_embedding`. The output features
    are split into chunks of an `scf.forall`, which the parallel lowering
    spreads over the runtime's threads; each chunk is one kernel call, and
    for packed weights a chunk holds whole tiles or panels
    (`xfk_packed_tile_rows`). The kernel library is linked into the model as
    bitcode when the object is emitted, so the calls are specialized and
    inlined.

    Operands are read through `bufferization.to_buffer` (read-only) and the
    result is a fresh buffer returned with `bufferization.to_tensor
    restrict`, so bufferization needs no knowledge of the call. Other
    `xf.linear` ops are left to `convert-xf-to-linalg`.
  }];
  let options = [
    Option<"fuseActivations", "fuse-activations", "bool", /*default=*/"true",
           "Fold SiLU/GELU activations, gated or not, into the kernels' "
           "epilogue">,
    Option<"minChunk", "min-chunk", "int64_t", /*default=*/"64",
           "Fewest output features per parallel chunk">,
    Option<"maxChunks", "max-chunks", "int64_t", /*default=*/"16",
           "Most parallel chunks per call">
  ];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect", "::mlir::func::FuncDialect",
    "::mlir::bufferization::BufferizationDialect", "::mlir::scf::SCFDialect",
    "::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"
  ];
}

def XFLowerToOneDNN : Pass<"xf-lower-to-onednn", "::mlir::ModuleOp"> {
  let summary = "Compute the projections marked `backend onednn` with oneDNN";
  let description = [{
    Replaces each `xf.linear ... backend onednn` (`xf-select-kernels`; an
    `xf.ffn` passes the mark to its projections when decomposed) with one
    call of the oneDNN glue of `runtime/onednn`:

    ```c
    void xfo_linear(int64_t weight_type, int64_t x, int64_t ldx, int64_t w,
                    int64_t bias, int64_t y, int64_t m, int64_t n, int64_t k);
    ```

    on the operands' buffers, the leading dimensions of the input collapsed
    into `m` rows. The call covers the whole output: oneDNN runs it on the
    session's threads itself, so it is not in an `scf.forall`. The weight
    (f32, f16 or bf16 in plain `[n, k]` rows: `xf-pack-weights` leaves the
    weights of these ops unpacked) is passed by address; the glue reorders
    it into oneDNN's layout at the first call and caches the copy, so it
    must be a model weight, as `xf-select-kernels` checks. A marked op
    oneDNN cannot compute (quantized weights, `compute int8`, non-f32
    activations) is an error. The model is linked with the glue and
    libdnnl only when it calls `xfo_linear`.

    Run it after `xf-bind-weights` and before `xf-lower-to-microkernels`.

    ```mlir
    %y = xf.linear %x, %w backend onednn
           : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
    // becomes
    %y0 = memref.alloc(%m) {alignment = 64 : i64} : memref<?x128xf32>
    call @xfo_linear(%c0, %xaddr, %ldx, %waddr, %c0, %yaddr, %m, %c128, %c64)
      : (i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
    %y = bufferization.to_tensor %y0 restrict writable : ...
    ```
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect", "::mlir::func::FuncDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // XFC_LOWERING_PASSES_TD
