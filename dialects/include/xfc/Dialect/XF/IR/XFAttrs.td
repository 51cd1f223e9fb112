//===- XFAttrs.td - xf enums and attributes ----------------*- tablegen -*-===//

#ifndef XFC_DIALECT_XF_IR_XFATTRS_TD
#define XFC_DIALECT_XF_IR_XFATTRS_TD

include "xfc/Dialect/XF/IR/XFBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/TensorEncoding.td"

//===----------------------------------------------------------------------===//
// Enums
//
// Op attributes of these enums print as bare keywords (`xf.ffn swiglu ...`).
//===----------------------------------------------------------------------===//

def XF_FfnKind : I32EnumAttr<"FfnKind", "feed-forward block variant", [
    I32EnumAttrCase<"swiglu", 0>,  // down(silu(x Wg^T) * (x Wu^T))
    I32EnumAttrCase<"geglu", 1>,   // down(gelu(x Wg^T) * (x Wu^T))
    I32EnumAttrCase<"gelu", 2>,    // down(gelu_tanh(x Wu^T + bu)) + bd
    I32EnumAttrCase<"gelu_erf", 3> // down(gelu_erf(x Wu^T + bu)) + bd
  ]> {
  let cppNamespace = "::mlir::xf";
}

def XF_RopeStyle : I32EnumAttr<"RopeStyle", "rotary embedding pairing", [
    // Rotates adjacent pairs (x[2i], x[2i+1]): GGUF `llama` convention.
    I32EnumAttrCase<"interleaved", 0>,
    // Rotates (x[i], x[i + d/2]): GPT-NeoX / HF rotate-half, GGUF `qwen2`.
    I32EnumAttrCase<"neox", 1>
  ]> {
  let cppNamespace = "::mlir::xf";
}

def XF_GeluApprox : I32EnumAttr<"GeluApprox", "GELU formulation", [
    I32EnumAttrCase<"erf", 0>,   // exact: x * Phi(x)
    I32EnumAttrCase<"tanh", 1>   // GPT-2's tanh approximation
  ]> {
  let cppNamespace = "::mlir::xf";
}

def XF_SparsityPattern : I32EnumAttr<"SparsityPattern", "which weights pruning may zero", [
    // Any weights: the smallest magnitudes of the whole tensor.
    I32EnumAttrCase<"unstructured", 0>,
    // N of every M consecutive weights of a row are kept (2:4).
    I32EnumAttrCase<"nm", 1>,
    // Whole R x C blocks, the ones of smallest squared norm.
    I32EnumAttrCase<"block", 2>
  ]> {
  let cppNamespace = "::mlir::xf";
}

def XF_QuantMode : I32EnumAttr<"QuantMode", "how quantized values map back to reals", [
    // w = scale * q, with q signed.
    I32EnumAttrCase<"symmetric", 0>,
    // w = scale * (q - zero_point), with an integer zero point per group.
    I32EnumAttrCase<"asymmetric", 1>,
    // w = scale * q + min, with a float minimum per group (GGUF Q4_1 style).
    I32EnumAttrCase<"min_offset", 2>
  ]> {
  let cppNamespace = "::mlir::xf";
}

def XF_ComputeKind : I32EnumAttr<"ComputeKind", "arithmetic of a GEMM's inputs", [
    // Activations as they are (f32); quantized weights are dequantized.
    I32EnumAttrCase<"f32", 0>,
    // Dynamic INT8 activations: each token's values, in groups along the
    // reduction, rounded to multiples of max|x| / 127 (see xf.linear).
    I32EnumAttrCase<"int8", 1>,
    // BF16 activations (rounded to nearest even) times BF16 weights, summed
    // in f32 (see xf.linear).
    I32EnumAttrCase<"bf16", 2>
  ]> {
  let cppNamespace = "::mlir::xf";
}

def XF_KernelBackend : I32EnumAttr<"KernelBackend", "library that computes a GEMM", [
    // The microkernels of lowering/ukernels, inlined into the model.
    I32EnumAttrCase<"generated", 0>,
    // A oneDNN matmul through runtime/onednn (linked only when used).
    I32EnumAttrCase<"onednn", 1>
  ]> {
  let cppNamespace = "::mlir::xf";
}

def XF_LayoutKind : I32EnumAttr<"LayoutKind", "physical layout of packed weights", [
    // [out, in] rows with the values of each group contiguous; scales apart.
    I32EnumAttrCase<"row_major", 0>,
    // GGUF/ggml blocks (scale and quants interleaved), exactly as on disk.
    I32EnumAttrCase<"ggml", 1>,
    // [out/n, in/k, n, k] tiles, each k run packed in VNNI groups.
    I32EnumAttrCase<"blocked", 2>,
    // Float panels with their zeros left out: per k a mask, then values.
    I32EnumAttrCase<"sparse", 3>
  ]> {
  let cppNamespace = "::mlir::xf";
}

//===----------------------------------------------------------------------===//
// Quantization attributes
//===----------------------------------------------------------------------===//

class XF_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<XF_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def XF_QuantSchemeAttr : XF_Attr<"QuantScheme", "quant"> {
  let summary = "How a weight tensor is quantized";
  let description = [{
    Describes group-wise integer quantization along the input (last)
    dimension of an `[out, in]` weight.

    * `bits`: 4 or 8.
    * `group`: the number of consecutive input elements sharing one scale,
      or `per_channel` for one scale per output row.
    * the mode: `symmetric`, `asymmetric` (integer zero point) or
      `min_offset` (float minimum, as GGUF `Q4_1`).
    * `scale`: the element type of scales (and minimums): f16, bf16 or f32.

    Example:

    ```mlir
    #xf.quant<bits = 4, group = 32, symmetric, scale = f16>
    #xf.quant<bits = 8, group = per_channel, asymmetric, scale = f32>
    ```
  }];
  let parameters = (ins
    "unsigned":$bits,
    "int64_t":$groupSize,
    "::mlir::xf::QuantMode":$mode,
    "::mlir::Type":$scaleType
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether one scale covers a whole output row.
    bool isPerChannel() const { return getGroupSize() == 0; }
    /// Number of groups in a row of `inputSize` elements.
    int64_t getGroupsPerRow(int64_t inputSize) const {
      return isPerChannel() ? 1 : inputSize / getGroupSize();
    }
    /// The values sharing one scale in a row of `inputSize` elements.
    int64_t getGroupValues(int64_t inputSize) const {
      return isPerChannel() ? inputSize : getGroupSize();
    }
    /// Whether blocks of this scheme have a byte format (the ggml layout):
    /// 8 bits symmetric or 4 bits symmetric or min_offset, as ggml's Q8_0,
    /// Q4_0 and Q4_1, in groups of a multiple of 32 values or per channel,
    /// with f16 scales (ggml's) or f32 ones.
    bool hasBlockEncoding() const;
    /// Whether ggml itself has blocks of this scheme: Q8_0, Q4_0 or Q4_1,
    /// a block encoding with groups of 32 and f16 scales.
    bool isGgmlBlockScheme() const;
    /// Bytes of one scale (and of one minimum).
    int64_t getScaleBytes() const;
  }];
}

def XF_PackedLayoutAttr : XF_Attr<"PackedLayout", "layout",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "Physical layout of a packed weight";
  let description = [{
    Says how a weight is laid out in the weight store: as the last parameter
    of an `!xf.qtensor`, or as the encoding of a float weight's `tensor`
    type. Only the bytes move: a weight has the same logical `[out, in]`
    shape and the same values in every layout.

    * `row_major`: plain `[out, in]` rows, scales in a separate array.
    * `ggml`: GGUF/ggml blocks exactly as they are stored on disk, so a
      weight can be mapped from the model file without repacking. Schemes
      with ggml's modes but larger groups (a multiple of 32, or per
      channel), or f32 scales, use the same form: per group, the scale
      (and minimum), then the codes in runs of 32 values stored as ggml
      stores a block's codes.
    * `blocked`: `[ceil(out/n), in/k, n, k]` tiles for the GEMM kernels,
      with each run of `k` packed in VNNI groups of `vnni` elements (4 for
      INT8 `vpdpbusd`, 2 for BF16 `vdpbf16ps`, 1 for none); rows past `out`
      in the last tile are zero. The tiles that exist are those the
      microkernels read (`lowering/ukernels/include/xfk/Kernels.h`, which
      defines their bytes), and `xf-pack-weights` chooses them:
      - `tile = [16, 32], vnni = 4` for quantized weights whose blocks
        have a byte format (ggml's modes, f16 or f32 scales, groups of a
        multiple of 32 or per channel): per 16 rows and group, the group's
        tiles of codes in runs of 4 consecutive `k` of each of the 16 rows,
        then 16 scales, then (min_offset) 16 minimums;
      - `tile = [64, 1]` as the encoding of an f32 or f16 weight
        `tensor<NxK>`: panels of 64 rows, stored `k`-major;
      - `tile = [64, 2], vnni = 2` as the encoding of a bf16 weight: the
        same panels over pairs of `k` (K rounded up to even, padded with
        zero), the operand layout of `vdpbf16ps` and AMX-BF16.
    * `sparse`, `tile = [64, 1]`, `values = C`: as the encoding of an f32,
      f16 or bf16 weight, the panels of 64 rows with their zeros left out
      (xfk/Kernels.h): per panel, a 64-bit mask per `k` of the rows whose
      value is stored, then `C` slots of values, the stored ones in order
      of `k` then row, zeros after. `C` is the most values any panel
      stores, so every panel takes the same bytes and the type gives the
      weight's size.
    * `sparse`, `tile = [16, 32]`, `vnni = 4`, `values = C`: for a
      quantized weight, the blocked tiles with the groups whose values are
      all zero left out: per 16 rows, a bit per group, then the `C` group
      slots (the stored groups' tiles and scales, zeros after).
    * `sparse`, `tile = [16, 4]`, `vnni = 4`, `values = C`: for a Q8_0-style
      weight (8-bit symmetric codes, groups of 32 to 256), the blocked
      tiles with every zero value left out, for unstructured sparsity: per
      16 rows, a 64-bit mask per VNNI run of 16 rows x 4 values, then every
      group's 16 scales, then `C` slots of the nonzero codes (the most any
      block of 16 rows holds).

    `xf-pack-weights` chooses the sparse layouts for the weights
    `xf-select-sparse-kernels` marked.

    ```mlir
    #xf.layout<row_major>
    !xf.qtensor<4096x4096xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>,
                #xf.layout<blocked, tile = [16, 32], vnni = 4>>
    tensor<4096x4096xf16, #xf.layout<blocked, tile = [64, 1]>>
    tensor<2048x2048xf32, #xf.layout<sparse, tile = [64, 1], values = 39322>>
    !xf.qtensor<2048x2048xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>,
                #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 9830>>
    ```
  }];
  let parameters = (ins
    "::mlir::xf::LayoutKind":$kind,
    OptionalArrayRefParameter<"int64_t">:$tile,
    "int64_t":$vnni,
    OptionalParameter<"std::optional<int64_t>">:$values
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::mlir::xf::LayoutKind":$kind), [{
      return $_get($_ctxt, kind, ::llvm::ArrayRef<int64_t>{}, 1,
                   std::nullopt);
    }]>,
    AttrBuilder<(ins "::mlir::xf::LayoutKind":$kind,
                     "::llvm::ArrayRef<int64_t>":$tile, "int64_t":$vnni), [{
      return $_get($_ctxt, kind, tile, vnni, std::nullopt);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The blocked layout of quantized weights the microkernels read:
    /// 16x32 tiles in VNNI groups of 4.
    static PackedLayoutAttr getQuantizedTiles(::mlir::MLIRContext *context);
    /// The blocked layout of float weights of `element` type the
    /// microkernels read: panels of 64 rows, over pairs of k for bf16.
    static PackedLayoutAttr getFloatPanels(::mlir::MLIRContext *context,
                                           ::mlir::Type element);
    /// The sparse layout of float weights whose panels store at most
    /// `values` values each.
    static PackedLayoutAttr getSparsePanels(::mlir::MLIRContext *context,
                                            int64_t values);
    /// The sparse layout of quantized weights whose blocks of 16 rows
    /// store at most `groups` groups each.
    static PackedLayoutAttr getSparseTiles(::mlir::MLIRContext *context,
                                           int64_t groups);
    /// The sparse layout of Q8_0-style weights whose blocks of 16 rows
    /// store at most `values` nonzero codes each.
    static PackedLayoutAttr getSparseCodes(::mlir::MLIRContext *context,
                                           int64_t values);
    /// Whether this is the sparse-codes layout.
    bool isSparseCodes() const;
    /// The rows of a whole number of tiles holding `rows` rows.
    int64_t getPaddedRows(int64_t rows) const;
  }];
}

def XF_SparsityAttr : XF_Attr<"Sparsity", "sparsity"> {
  let summary = "The zeros a weight was measured to have";
  let description = [{
    Put on an `xf.global_weight` by `xfc compile`, which computes every
    float or ggml-block weight (as stored, or pruned, or otherwise
    derived) before the lowering and counts its zeros; `xf-select-sparse-kernels` chooses
    the sparse kernels from it.

    * `zeros`: the fraction of the weight's values that are zero.
    * `slots`: the room the weight's sparse layout needs
      (`#xf.layout<sparse, ..., values = slots>`): for a float weight, the
      most nonzero values any panel of 64 rows holds; for a quantized one,
      the most groups with a nonzero value any block of 16 rows holds.
    * `codes` (optional, Q8_0-style weights): the room of the sparse-codes
      layout, the most nonzero codes any block of 16 rows holds.

    ```mlir
    xf.global_weight @w : tensor<2048x2048xf32>
        {sparsity = #xf.sparsity<zeros = 0.7, slots = 39322>}
    xf.global_weight @q : !xf.qtensor<...>
        {sparsity = #xf.sparsity<zeros = 0.7, slots = 64, codes = 9830>}
    ```
  }];
  let parameters = (ins APFloatParameter<"">:$zeros, "int64_t":$slots,
                        OptionalParameter<"std::optional<int64_t>">:$codes);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "double":$zeros, "int64_t":$slots,
                     CArg<"std::optional<int64_t>", "std::nullopt">:$codes), [{
      return $_get($_ctxt, ::llvm::APFloat(zeros), slots, codes);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The fraction of zeros, as a double.
    double getZeroFraction() const { return getZeros().convertToDouble(); }
  }];
}

#endif // XFC_DIALECT_XF_IR_XFATTRS_TD
