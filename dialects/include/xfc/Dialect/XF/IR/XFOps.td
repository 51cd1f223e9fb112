//===- XFOps.td - xf operations ----------------------------*- tablegen -*-===//

#ifndef XFC_DIALECT_XF_IR_XFOPS_TD
#define XFC_DIALECT_XF_IR_XFOPS_TD

include "xfc/Dialect/XF/IR/XFTypes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Activations: float tensors without an encoding.
def XF_FloatTensor : RankedTensorOf<[AnyFloat],
    [CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">],
    "plain ranked tensor">;
def XF_IndexTensor : 1DTensorOf<[I32, I64]>;
// What data movement (reshape, transpose, slice, broadcast, gather) carries:
// float tensors, and the integer and boolean ones of graph importers
// (indices, masks).
def XF_DataTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger],
    [CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">],
    "plain ranked tensor of floats or integers">;
// A float weight packed for the kernels: its encoding is an #xf.layout,
// which verifies itself as a tensor encoding.
def XF_PackedFloatTensor : RankedTensorOf<[AnyFloat],
    [CPred<"::llvm::isa_and_nonnull<::mlir::xf::PackedLayoutAttr>("
           "::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding())">],
    "ranked tensor in an #xf.layout">;
// A weight operand: a float tensor (plain or packed) or a quantized tensor.
def XF_WeightTensor : AnyTypeOf<[XF_FloatTensor, XF_PackedFloatTensor,
                                 XF_QTensorType],
                                "float tensor or quantized weight">;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def XF_GlobalWeightOp : XF_Op<"global_weight",
    [Symbol, IsolatedFromAbove]> {
  let summary = "Declares a weight that lives in the weight store";
  let description = [{
    Declares a tensor with its static shape and its element or quantized
    type. The data itself is never part of the IR.

    An *external* weight (no region) is held by the weight store under the
    symbol's name: the model file the frontend read.

    A *derived* weight has an initializer region: a computation over other
    weights (concatenated projections, folded normalization parameters,
    quantized copies) that ends in `xf.yield`. Graph passes create derived
    weights instead of rewriting data, so every pass stays an IR-to-IR
    transformation that the reference evaluator can check. The compiler
    computes each derived weight once, when it writes the weight blob.

    Private weights that nothing loads are removed by `symbol-dce`.

    A float weight's type may carry the blocked `#xf.layout` as its
    encoding, and a quantized weight may be in any layout: `xf-pack-weights`
    moves the bytes of the weights the microkernels read into their tiles.
    The values stay the same, so a derived weight's initializer may yield a
    type that differs from the declared one in the layout only (the layout
    of the yielded value is that of the computation; the weight is packed
    when it is stored).

    ```mlir
    xf.global_weight @"blk.0.attn_q.weight" : tensor<4096x4096xf16>
    xf.global_weight private @"blk.0.ffn_up.weight"
        : !xf.qtensor<11008x4096xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
    xf.global_weight private @"blk.0.attn_qkv.weight" : tensor<96x32xf32> = {
      %q = xf.weight @"blk.0.attn_q.weight" : tensor<32x32xf32>
      %k = xf.weight @"blk.0.attn_k.weight" : tensor<32x32xf32>
      %v = xf.weight @"blk.0.attn_v.weight" : tensor<32x32xf32>
      %qkv = xf.concat %q, %k, %v [0] : (tensor<32x32xf32>, tensor<32x32xf32>,
                                         tensor<32x32xf32>) -> tensor<96x32xf32>
      xf.yield %qkv : tensor<96x32xf32>
    }
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    OptionalAttr<StrAttr>:$sym_visibility,
    TypeAttr:$type
  );
  let regions = (region AnyRegion:$initializer);
  let assemblyFormat = [{
    custom<SymbolVisibility>($sym_visibility) `` $sym_name `:` $type
    (`=` $initializer^)? attr-dict
  }];
  let hasRegionVerifier = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True for a weight computed by its initializer region.
    bool isDerived() { return !getInitializer().empty(); }
  }];
}

def XF_YieldOp : XF_Op<"yield",
    [Pure, Terminator, HasParent<"GlobalWeightOp">]> {
  let summary = "Ends a derived weight's initializer with its value";
  let arguments = (ins XF_WeightTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def XF_WeightOp : XF_Op<"weight",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Refers to a declared weight";
  let description = [{
    Produces the value of the weight declared by the `xf.global_weight` that
    `name` refers to. The result type must equal the declared type,
    including its layout.

    ```mlir
    %w = xf.weight @"blk.0.attn_q.weight" : tensor<4096x4096xf16>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs XF_WeightTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def XF_DequantizeOp : XF_Op<"dequantize", [Pure]> {
  let summary = "Expands a quantized weight to floats";
  let description = [{
    Computes the real values of a quantized weight, as its scheme defines.
    Lowering fuses this into the consuming GEMM's prologue, so the float
    tensor never reaches memory.

    ```mlir
    %f = xf.dequantize %q : !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
           -> tensor<64x64xf32>
    ```
  }];
  let arguments = (ins XF_QTensorType:$input);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($result)
  }];
  let hasVerifier = 1;
}

def XF_PruneOp : XF_Op<"prune", [Pure, SameOperandsAndResultType]> {
  let summary = "Zeros a weight's smallest values, in a pattern";
  let description = [{
    Magnitude pruning of an `[out, in]` float weight, the values compared
    as f32:

    - `unstructured level L`: the `floor(L * out * in)` values of smallest
      magnitude are zeroed (ties: the lower flat index first; the product
      is taken with a 1e-6 tolerance, so that 0.29 of 100 is 29);
    - `nm size [N, M]`: in each run of `M` values along a row, the `M - N` of
      smallest magnitude are zeroed (ties: the lower index first); `in` must
      be a multiple of `M`, and the level, if given, must be `1 - N / M`;
    - `block size [R, C] level L`: the `floor(L * blocks)` blocks of `R` rows by
      `C` columns with the smallest sum of squares are zeroed (ties: the
      lower block index first); `out` and `in` must be multiples of R and C.

    Over weights only, it is a weight computation that the compiler
    evaluates once; the kernels see the zeros (`xf-sparsify`).

    ```mlir
    %p = xf.prune %w unstructured level 7.0e-01 : tensor<64x64xf32>
    %q = xf.prune %w nm size [2, 4] : tensor<64x64xf32>
    %r = xf.prune %w block size [4, 16] level 9.0e-01 : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, XF_SparsityPattern:$pattern,
                       OptionalAttr<DenseI64ArrayAttr>:$block,
                       OptionalAttr<F64Attr>:$level);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input $pattern (`size` $block^)? (`level` $level^)? attr-dict `:`
    type($input)
  }];
  let hasVerifier = 1;
}

def XF_QuantizeOp : XF_Op<"quantize", [Pure]> {
  let summary = "Quantizes a float weight to a scheme's levels";
  let description = [{
    Quantizes an `[out, in]` float weight in the scheme's groups along `in`
    (a multiple of 32 values, or a whole row for `per_channel`), in f32
    arithmetic, with the scale (and minimum) stored as the scheme's scale
    type, f16 or f32 (`S(d)` below). The result is stored in the ggml
    layout as is; each value is `S(d) * q` (8 bits), `S(d) * (q - 8)` (4
    bits, symmetric) or `S(d) * q + S(min)` (4 bits, `min_offset`), with
    codes `q` in -127..127 or 0..15.

    `method` names the quantization method that chooses each group's
    levels (`d`, `min`, the codes); it is one registered with
    `xf::registerQuantizationMethod` (`QuantMethods.h`), so plugins can
    add methods. Without it, or with `"rtn"`, the levels are ggml's
    reference quantizers' (with groups of 32 and f16 scales the result is
    ggml's blocks exactly):

    * 8 bits, symmetric (Q8_0): `d = max|x| / 127`, `q = round(x / d)`
      (ties away from zero);
    * 4 bits, symmetric (Q4_0): `m` the value of largest magnitude (the
      first, if several), `d = m / -8`, `q = min(15, trunc(x / d + 8.5))`;
    * 4 bits, `min_offset` (Q4_1): `d = (max - min) / 15`,
      `q = min(15, trunc((x - min) / d + 0.5))`.

    Division by `d` is multiplication by `1 / d` (0 when `d` is 0); max,
    min and the value of largest magnitude are over the group. `"mse"`
    takes RTN's levels or those of a scale clipped by up to 25% (for
    `min_offset`, the range shrunk about its middle), whichever gives the
    group the smaller squared error with `S(d)`. Other schemes (integer
    zero points, bf16 scales) are rejected.

    ```mlir
    %q = xf.quantize %w : tensor<128x64xf32>
           -> !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
    %c = xf.quantize %w method "mse" : tensor<128x64xf32>
           -> !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 128, symmetric, scale = f32>, #xf.layout<ggml>>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, OptionalAttr<StrAttr>:$method);
  let results = (outs XF_QTensorType:$result);
  let assemblyFormat = [{
    $input (`method` $method^)? attr-dict `:` type($input) `->`
    qualified(type($result))
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$input), [{
      build($_builder, $_state, result, input, StringAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// The quantization method's name: `method`, or "rtn".
    ::llvm::StringRef getMethodName() {
      return getMethod() ? *getMethod() : "rtn";
    }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// What elementwise arithmetic computes on: floats, and the integers of
// graph importers (ONNX's integer Add, Div, Pow, ...). Booleans are not
// numbers here.
def XF_ArithTensor : RankedTensorOf<[AnyFloat, I8, I16, I32, I64],
    [CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">],
    "plain ranked tensor of floats or 8- to 64-bit integers">;

// What xf.convert converts between: floats, the integers arithmetic takes,
// and booleans.
def XF_ConvertibleTensor : RankedTensorOf<[AnyFloat, I1, I8, I16, I32, I64],
    [CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">],
    "plain ranked tensor of floats, booleans or 8- to 64-bit integers">;

class XF_BinaryOp<string mnemonic, string formula, string integers>
    : XF_Op<mnemonic, [Pure, ResultsBroadcastableShape]> {
  let summary = "Elementwise " # formula # " with NumPy broadcasting";
  let description = [{
    Applies the operation elementwise. Operands broadcast as in NumPy: shapes
    are aligned on the right and dimensions of size 1 stretch. All element
    types must be equal.

    On integers: }] # integers # [{
  }];
  let arguments = (ins XF_ArithTensor:$lhs, XF_ArithTensor:$rhs);
  let results = (outs XF_ArithTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

// Integer division and power depend on signedness, which MLIR's signless
// integers do not carry: `unsigned` reads both operands as unsigned (as
// arith.divui does), else they are two's-complement signed.
class XF_SignednessBinaryOp<string mnemonic, string formula, string integers>
    : XF_BinaryOp<mnemonic, formula, integers> {
  let arguments = (ins XF_ArithTensor:$lhs, XF_ArithTensor:$rhs,
                       UnitAttr:$is_unsigned);
  let assemblyFormat = [{
    (`unsigned` $is_unsigned^)? $lhs `,` $rhs attr-dict `:`
    functional-type(operands, results)
  }];
}

def XF_AddOp : XF_BinaryOp<"add", "`lhs + rhs`", "wraps around (two's "
                           "complement), as ONNX and NumPy do.">;
def XF_SubOp : XF_BinaryOp<"sub", "`lhs - rhs`", "wraps around.">;
def XF_MulOp : XF_BinaryOp<"mul", "`lhs * rhs`", "wraps around.">;
def XF_DivOp : XF_SignednessBinaryOp<"div", "`lhs / rhs`", [{
    rounds toward zero. Division by zero gives 0 and the signed
    `INT_MIN / -1` wraps to `INT_MIN`, so no input can trap (ONNX leaves
    both undefined).

    ```mlir
    %q = xf.div unsigned %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
    ```
}]>;
def XF_PowOp : XF_SignednessBinaryOp<"pow", "`lhs ^ rhs` (a negative base "
                                     "to a non-integer power is NaN)", [{
    exact, wrapping power by repeated squaring. A negative signed exponent
    gives `1 / lhs^-rhs` rounded toward zero: 1 for a base of 1, +-1 for
    -1, and 0 otherwise (also for a base of 0, where ONNX is undefined).
}]>;

// Elementwise functions of one float tensor, as graph importers (ONNX)
// spell them; the transformer importers never need them.
class XF_UnaryOp<string mnemonic, string formula>
    : XF_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = "Elementwise " # formula;
  let arguments = (ins XF_FloatTensor:$input);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}
def XF_SqrtOp : XF_UnaryOp<"sqrt", "`sqrt(x)`">;
def XF_ReciprocalOp : XF_UnaryOp<"reciprocal", "`1 / x`">;
def XF_ErfOp : XF_UnaryOp<"erf", "error function `erf(x)`">;
def XF_TanhOp : XF_UnaryOp<"tanh", "`tanh(x)`">;
def XF_SigmoidOp : XF_UnaryOp<"sigmoid", "`1 / (1 + exp(-x))`">;
def XF_ReluOp : XF_UnaryOp<"relu", "`max(x, 0)` (NaN stays NaN)">;

def XF_WhereOp : XF_Op<"where", [Pure, ResultsBroadcastableShape]> {
  let summary = "Elementwise choice by a boolean condition, broadcast";
  let description = [{
    `result = cond ? lhs : rhs`, elementwise. The three operands broadcast
    as in NumPy; `lhs`, `rhs` and the result share one element type, float
    or integer (a choice moves values without computing on them).

    ```mlir
    %y = xf.where %c, %a, %b : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$condition, XF_DataTensor:$lhs,
                       XF_DataTensor:$rhs);
  let results = (outs XF_DataTensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_BroadcastOp : XF_Op<"broadcast", [Pure]> {
  let summary = "Stretches a tensor to a larger shape (NumPy broadcasting)";
  let description = [{
    The input's shape, aligned on the right, must broadcast to the result's:
    each input dimension equals the result's or is 1. ONNX `Expand`.

    ```mlir
    %y = xf.broadcast %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
    ```
  }];
  let arguments = (ins XF_DataTensor:$input);
  let results = (outs XF_DataTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def XF_GatherOp : XF_Op<"gather", [Pure]> {
  let summary = "Takes the slices of one axis that integer indices name";
  let description = [{
    ONNX `Gather`: with `input : [d0, .., d(r-1)]` and `indices : [i0, ..]`,
    the result is `input.shape[:axis] + indices.shape + input.shape[axis+1:]`.
    A negative index counts from the end of the axis; an index outside
    `[-d(axis), d(axis))` is undefined behaviour (importers check constant
    indices).

    ```mlir
    %y = xf.gather %x[%i] {axis = 1 : i64} : (tensor<3x5xf32>, tensor<2x2xi64>) -> tensor<3x2x2xf32>
    ```
  }];
  let arguments = (ins XF_DataTensor:$input,
                       RankedTensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs XF_DataTensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_SiluOp : XF_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "SiLU (swish): `x * sigmoid(x)`";
  let arguments = (ins XF_FloatTensor:$input);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def XF_GeluOp : XF_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "GELU, exact (`erf`) or with GPT-2's `tanh` approximation";
  let description = [{
    ```mlir
    %y = xf.gelu tanh %x : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins XF_GeluApprox:$approximation, XF_FloatTensor:$input);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = "$approximation $input attr-dict `:` type($input)";
}

def XF_ConvertOp : XF_Op<"convert", [Pure, SameOperandsAndResultShape]> {
  let summary = "Converts elements to another float, integer or boolean type";
  let description = [{
    ONNX `Cast` at run time, and where the precision passes change a
    value's type:

    - float to float rounds to nearest even (or extends);
    - integer to float rounds to nearest even;
    - float to integer rounds toward zero and saturates at the type's
      bounds; NaN gives 0 (ONNX leaves these undefined);
    - integer to integer truncates, or extends by the source's signedness;
    - to `i1` is `x != 0`; from `i1` is 0 or 1.

    The integer side is two's-complement signed, or unsigned with
    `unsigned` (the source's when both are integers). `toward_zero`, only
    from f32 to bf16, drops the low bits instead of rounding (ONNX's Cast
    before opset 19).

    ```mlir
    %y = xf.convert %x : tensor<?x64xf16> to tensor<?x64xf32>
    %i = xf.convert unsigned %b : tensor<8xi8> to tensor<8xf32>
    ```
  }];
  let arguments = (ins XF_ConvertibleTensor:$input, UnitAttr:$is_unsigned,
                       UnitAttr:$toward_zero);
  let results = (outs XF_ConvertibleTensor:$result);
  let assemblyFormat = [{
    (`unsigned` $is_unsigned^)? (`toward_zero` $toward_zero^)? $input
    attr-dict `:` type($input) `to` type($result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def XF_ReduceMeanOp : XF_Op<"reduce_mean", [Pure]> {
  let summary = "Mean along one dimension, which is kept with size 1";
  let description = [{
    Averages `input` along dimension `axis`. The result has the input's
    rank and element type, with size 1 along `axis`, so it broadcasts back
    against the input (ONNX `ReduceMean` with `keepdims = 1` and one axis).
    Narrow element types accumulate in f32.

    The Pre-RMSNorm rewrite uses it to center weights:

    ```mlir
    %m = xf.reduce_mean %w [1] : tensor<512x64xf32> -> tensor<512x1xf32>
    %c = xf.sub %w, %m : (tensor<512x64xf32>, tensor<512x1xf32>)
           -> tensor<512x64xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, I64Attr:$axis);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `[` $axis `]` attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and softmax
//===----------------------------------------------------------------------===//

def XF_RmsNormOp : XF_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalization over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x^2) + epsilon) * weight`, over the last dimension.
    `weight` has that dimension's size.

    ```mlir
    %y = xf.rms_norm %x, %g eps = 1.0e-05 : tensor<?x2048xf32>, tensor<2048xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, XF_FloatTensor:$weight,
                       F32Attr:$epsilon);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `eps` `=` $epsilon attr-dict `:` type($input) `,`
    type($weight)
  }];
  let hasVerifier = 1;
}

def XF_LayerNormOp : XF_Op<"layer_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalization over the last dimension";
  let description = [{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * weight + bias`, over the
    last dimension (biased variance).

    ```mlir
    %y = xf.layer_norm %x, %g, %b eps = 1.0e-05
           : tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, XF_FloatTensor:$weight,
                       XF_FloatTensor:$bias, F32Attr:$epsilon);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `eps` `=` $epsilon attr-dict `:`
    type($input) `,` type($weight) `,` type($bias)
  }];
  let hasVerifier = 1;
}

def XF_SoftmaxOp : XF_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax over the last dimension";
  let description = [{
    Numerically stable softmax over the last dimension. Rows that are
    entirely `-inf` are undefined.
  }];
  let arguments = (ins XF_FloatTensor:$input);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Positions and masking
//===----------------------------------------------------------------------===//

def XF_RopeOp : XF_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding";
  let description = [{
    Rotates `input : [tokens, heads, head_dim]` by angles
    `position * theta^(-2i / rotary_dim)` for `i < rotary_dim / 2`, pairing
    elements as `style` says; elements past `rotary_dim` pass through.
    `positions : [tokens]` holds each token's absolute position.
    `rotary_dim` defaults to `head_dim`.

    ```mlir
    %q2 = xf.rope interleaved %q, %pos theta = 1.0e+04
            : tensor<?x32x64xf32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins XF_RopeStyle:$style, XF_FloatTensor:$input,
                       XF_IndexTensor:$positions, F32Attr:$theta,
                       OptionalAttr<I64Attr>:$rotary_dim);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $style $input `,` $positions `theta` `=` $theta
    (`dims` `=` $rotary_dim^)? attr-dict `:` type($input) `,` type($positions)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The number of leading head elements that rotate.
    int64_t getEffectiveRotaryDim();
  }];
}

def XF_CausalMaskOp : XF_Op<"causal_mask", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Masks attention scores of future keys with -inf";
  let description = [{
    For scores `[..., queries, keys]`, sets element `(i, j)` to `-inf` when
    `j > i + offset`, where `offset` is the number of cached positions
    before the first query.

    ```mlir
    %m = xf.causal_mask %s, %past : tensor<32x?x?xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, Index:$offset);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = "$input `,` $offset attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Contractions and lookups
//===----------------------------------------------------------------------===//

def XF_LinearOp : XF_Op<"linear", [Pure]> {
  let summary = "Fully connected layer: `y = x W^T + b`";
  let description = [{
    `input : [..., in]`, `weight : [out, in]` (float or quantized),
    optional `bias : [out]`; the result is `[..., out]`.

    `compute int8` makes the activations dynamic INT8, as the integer
    kernels (`vpdpbusd`) compute: before the product, each group of input
    values `x` of a token becomes `s * rint(x * (1 / s))` with
    `s = max|x| / 127`, all in f32 arithmetic (ties to even). The groups
    are the weight's quantization groups (a whole row for a per-channel
    weight), so each group's dot product is an integer one; 32 values for
    a float weight. `in` must be a multiple of 32.

    `compute bf16` rounds the activations to bf16 (to nearest even) and
    needs a bf16 weight: the products of bf16 values are exact in f32,
    where they are summed (`vdpbf16ps`, AMX-BF16). The default (no
    `compute`) uses the activations as they are.

    `backend onednn` computes the product with a oneDNN matmul instead of
    the generated microkernels (`xf-select-kernels` chooses it; absent means
    `generated`). It does not change what the op computes: a oneDNN op
    needs f32 compute and float weights, which the lowering reads as they
    are stored.

    ```mlir
    %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
    %z = xf.linear %x, %w, %b
           : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
    %q = xf.linear %x, %wq compute int8
           : (tensor<?x64xf32>, !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>)
             -> tensor<?x128xf32>
    %o = xf.linear %x, %w backend onednn
           : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, XF_WeightTensor:$weight,
                       Optional<XF_FloatTensor>:$bias,
                       OptionalAttr<XF_ComputeKind>:$compute,
                       OptionalAttr<XF_KernelBackend>:$backend);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`compute` $compute^)?
    (`backend` $backend^)? attr-dict `:` functional-type(operands, results)
  }];
  let builders = [
    // f32 compute, as frontends and fusions build it.
    OpBuilder<(ins "Type":$result, "Value":$input, "Value":$weight,
                   "Value":$bias), [{
      build($_builder, $_state, result, input, weight, bias,
            ComputeKindAttr(), KernelBackendAttr());
    }]>,
    // The generated kernels (no backend), as passes that predate the
    // backend choice build it.
    OpBuilder<(ins "Type":$result, "Value":$input, "Value":$weight,
                   "Value":$bias, "ComputeKindAttr":$compute), [{
      build($_builder, $_state, result, input, weight, bias, compute,
            KernelBackendAttr());
    }]>
  ];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Adapter deltas
//===----------------------------------------------------------------------===//

def XF_LoraDeltaOp : XF_Op<"lora_delta", [Pure]> {
  let summary = "A LoRA adapter's weight delta: `scale * B A`";
  let description = [{
    `b : [out, r]` times `a : [r, in]`, scaled: the `[out, in]` delta a
    LoRA adapter adds to a base weight (`xf.add` of the base and this), in
    f32. The scale is PEFT's (`lora_alpha / r`, `/ sqrt(r)` with rsLoRA)
    times the user's. Over weights only, it is a weight expression that the
    compiler folds into the adapted weight before quantization.

    ```mlir
    %d = xf.lora_delta %b, %a scale 2.0
           : (tensor<4096x16xf32>, tensor<16x4096xf32>) -> tensor<4096x4096xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$b, XF_FloatTensor:$a, F32Attr:$scale);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $b `,` $a `scale` $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_KronDeltaOp : XF_Op<"kron_delta", [Pure]> {
  let summary = "A KronA/LoKr adapter's weight delta: `scale * (W1 ⊗ W2)`";
  let description = [{
    The Kronecker product of `w1 : [a1, b1]` and `w2 : [a2, b2]`, scaled:
    the `[a1 * a2, b1 * b2]` delta a KronA (PEFT LoKr) adapter adds to a
    base weight, with element `[i * a2 + k, j * b2 + l] = scale * w1[i, j]
    * w2[k, l]`, in f32.

    ```mlir
    %d = xf.kron_delta %w1, %w2 scale 1.0
           : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<4096x4096xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$w1, XF_FloatTensor:$w2,
                       F32Attr:$scale);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $w1 `,` $w2 `scale` $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_KronLinearOp : XF_Op<"kron_linear", [Pure]> {
  let summary = "A KronA^B side branch: `scale * x (A ⊗ B) + residual * x`";
  let description = [{
    The unmergeable KronA^B adapter (KronA^B_res with a `residual`), which
    runs in parallel with a whole FFN block: `x : [..., m1 * m2]`,
    `a : [m1, n1]`, `b : [m2, n2]`, result `[..., n1 * n2]` with

    `y[t, j * n2 + l] = scale * sum_{i,k} x[t, i * m2 + k] a[i, j] b[k, l]
                        + residual * x[t, j * n2 + l]`

    (`(A ⊗ B)[i * m2 + k, j * n2 + l] = a[i, j] * b[k, l]`). A residual
    needs as many outputs as inputs. All in f32.

    `xf-lower-kron-branches` chooses how it is computed: factored, in the
    cheaper order of its two small products, or merged into one
    `[in, out]` matrix appended along K to the FFN's second GEMM.

    ```mlir
    %y = xf.kron_linear %x, %a, %b scale 1.0 residual 0.5
           : (tensor<?x768xf32>, tensor<32x24xf32>, tensor<24x32xf32>) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, XF_FloatTensor:$a,
                       XF_FloatTensor:$b, F32Attr:$scale,
                       OptionalAttr<F32Attr>:$residual);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $a `,` $b `scale` $scale (`residual` $residual^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_MatmulOp : XF_Op<"matmul", [Pure]> {
  let summary = "Batched matrix product of two activations";
  let description = [{
    `lhs : [B..., M, K]` times `rhs : [B..., K, N]`, or `rhs : [B..., N, K]`
    with `transpose_rhs`. Batch dimensions must be equal.

    ```mlir
    %s = xf.matmul %q, %k transpose_rhs
           : (tensor<32x?x64xf32>, tensor<32x?x64xf32>) -> tensor<32x?x?xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$lhs, XF_FloatTensor:$rhs,
                       UnitAttr:$transpose_rhs);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_rhs` $transpose_rhs^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def XF_EmbeddingOp : XF_Op<"embedding", [Pure]> {
  let summary = "Gathers rows of an embedding table";
  let description = [{
    `table : [vocab, dim]` (float or quantized), `ids : [tokens]`; the
    result is `[tokens, dim]`. Ids outside `[0, vocab)` are undefined
    behaviour here; the runtime checks them at its boundary.

    ```mlir
    %h = xf.embedding %tab[%ids] : (tensor<32000x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins XF_WeightTensor:$table, XF_IndexTensor:$ids);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def XF_ReshapeOp : XF_Op<"reshape", [Pure]> {
  let summary = "Reinterprets a tensor with a new shape";
  let description = [{
    Keeps the elements in row-major order. Static element counts must
    match; a dynamic dimension on each side stands for the same number of
    elements (for example `?x2048` to `?x32x64`).

    ```mlir
    %r = xf.reshape %x : tensor<?x2048xf32> -> tensor<?x32x64xf32>
    ```
  }];
  let arguments = (ins XF_DataTensor:$input);
  let results = (outs XF_DataTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def XF_TransposeOp : XF_Op<"transpose", [Pure]> {
  let summary = "Permutes dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    ```mlir
    %t = xf.transpose %x [1, 0, 2] : tensor<?x32x64xf32> -> tensor<32x?x64xf32>
    ```
  }];
  let arguments = (ins XF_DataTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs XF_DataTensor:$result);
  let assemblyFormat = [{
    $input $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def XF_SliceOp : XF_Op<"slice", [Pure]> {
  let summary = "Takes a contiguous range along one dimension";
  let description = [{
    Takes `size` elements starting at `offset` along dimension `axis`, for
    example the Q, K and V parts of a fused QKV projection.

    ```mlir
    %q = xf.slice %qkv [1 : 0, 768] : tensor<?x2304xf32> -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins XF_DataTensor:$input, I64Attr:$axis, I64Attr:$offset,
                       I64Attr:$size);
  let results = (outs XF_DataTensor:$result);
  let assemblyFormat = [{
    $input `[` $axis `:` $offset `,` $size `]` attr-dict `:` type($input)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def XF_ConcatOp : XF_Op<"concat", [Pure]> {
  let summary = "Joins tensors along one dimension";
  let description = [{
    Concatenates the inputs along dimension `axis`; all other dimensions and
    the element type must agree. Fusion passes use it to join weights (for
    example Q, K and V into one projection), which `xf-hoist-weight-
    expressions` then turns into one derived weight. Quantized weights of
    one type (scheme and layout) concatenate along their rows (axis 0),
    where each row's groups stay whole.

    ```mlir
    %w = xf.concat %wq, %wk [0] : (tensor<64x32xf32>, tensor<16x32xf32>)
           -> tensor<80x32xf32>
    ```
  }];
  let arguments = (ins Variadic<XF_WeightTensor>:$inputs, I64Attr:$axis);
  let results = (outs XF_WeightTensor:$result);
  let assemblyFormat = [{
    $inputs `[` $axis `]` attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def XF_RepeatInterleaveOp : XF_Op<"repeat_interleave", [Pure]> {
  let summary = "Repeats each slice along a dimension (GQA head sharing)";
  let description = [{
    Repeats each index along `axis` `repeats` times in place, so
    `[a, b]` becomes `[a, a, b, b]` for 2: the sharing of a KV head among
    the query heads of its group.

    ```mlir
    %k8 = xf.repeat_interleave %k [1 x 8] : tensor<?x4x64xf32> -> tensor<?x32x64xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, I64Attr:$axis, I64Attr:$repeats);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `[` $axis `x` $repeats `]` attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// KV cache
//===----------------------------------------------------------------------===//

def XF_KVAppendOp : XF_Op<"kv_append"> {
  let summary = "Writes new keys and values into the cache";
  let description = [{
    Stores `keys` and `values : [tokens, kv_heads, head_dim]` at positions
    `[position, position + tokens)` of the cache, in place. Earlier entries
    are neither moved nor copied. Writing past `max_context` is a runtime
    error reported by the generated code's caller.

    ```mlir
    xf.kv_append %cache[%pos], %k, %v
        : !xf.kv_cache<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x64xf32>
    ```
  }];
  let arguments = (ins Arg<XF_KVCacheType, "the cache", [MemWrite]>:$cache,
                       Index:$position, XF_FloatTensor:$keys,
                       XF_FloatTensor:$values);
  let assemblyFormat = [{
    $cache `[` $position `]` `,` $keys `,` $values attr-dict `:` qualified(type($cache))
    `,` type($keys) `,` type($values)
  }];
  let hasVerifier = 1;
}

def XF_KVReadOp : XF_Op<"kv_read"> {
  let summary = "Reads the first `length` cached keys and values";
  let description = [{
    Returns cached keys and values for positions `[0, length)`, as
    `[length, kv_heads, head_dim]` tensors of the result element type.

    ```mlir
    %k, %v = xf.kv_read %cache[%len]
        : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x64xf32>, tensor<?x4x64xf32>
    ```
  }];
  let arguments = (ins Arg<XF_KVCacheType, "the cache", [MemRead]>:$cache,
                       Index:$length);
  let results = (outs XF_FloatTensor:$keys, XF_FloatTensor:$values);
  let assemblyFormat = [{
    $cache `[` $length `]` attr-dict `:` qualified(type($cache)) `->` type($keys) `,`
    type($values)
  }];
  let hasVerifier = 1;
}

def XF_KVReadRawOp : XF_Op<"kv_read_raw"> {
  let summary = "Reads the stored rows of a quantized cache, in place";
  let description = [{
    Returns the rows of positions `[0, length)` of an `i8` cache as they
    are stored: `[length, kv_heads, head_dim + 4]`, each row's codes
    followed by its f32 scale's bytes (see `!xf.kv_cache`). Kernels that
    dequantize as they load read the cache through this op instead of
    `xf.kv_read`, which would widen the whole prefix first.

    ```mlir
    %k, %v = xf.kv_read_raw %cache[%len]
        : !xf.kv_cache<2048x4x64xi8> -> tensor<?x4x68xi8>, tensor<?x4x68xi8>
    ```
  }];
  let arguments = (ins Arg<XF_KVCacheType, "the cache", [MemRead]>:$cache,
                       Index:$length);
  let results = (outs RankedTensorOf<[I8]>:$keys,
                      RankedTensorOf<[I8]>:$values);
  let assemblyFormat = [{
    $cache `[` $length `]` attr-dict `:` qualified(type($cache)) `->` type($keys) `,`
    type($values)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

def XF_AttentionOp : XF_Op<"attention", [AttrSizedOperandSegments]> {
  let summary = "Fused scaled-dot-product attention with GQA and KV cache";
  let description = [{
    `query : [tokens, heads, head_dim]`, `key` and
    `value : [kv_tokens, kv_heads, head_dim]` with `heads` a multiple of
    `kv_heads` (grouped-query attention: query head `h` reads KV head
    `h / (heads / kv_heads)`). The result is `[tokens, heads, head_dim]`.

    Without a cache, queries attend to `key`/`value` directly. With
    `cache %c at %pos`, the new keys and values are first appended at
    `[pos, pos + tokens)` and the queries attend to cache positions
    `[0, pos + tokens)`. When `causal` is set, query `i` sees only keys at
    positions `<= pos + i` (`pos` is 0 without a cache).

    Scores are scaled by `scale`, which defaults to `1 / sqrt(head_dim)`.

    ```mlir
    %o = xf.attention %q, %k, %v cache %c at %pos causal
           : tensor<?x32x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>,
             !xf.kv_cache<2048x4x64xf16> -> tensor<?x32x64xf32>
    ```
  }];
  let arguments = (ins
    XF_FloatTensor:$query, XF_FloatTensor:$key, XF_FloatTensor:$value,
    Arg<Optional<XF_KVCacheType>, "the cache", [MemRead, MemWrite]>:$cache,
    Optional<Index>:$position,
    UnitAttr:$causal, OptionalAttr<F32Attr>:$scale
  );
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`cache` $cache^ `at` $position)?
    (`causal` $causal^)? (`scale` `=` $scale^)? attr-dict `:`
    type($query) `,` type($key) `,` type($value) (`,` qualified(type($cache))^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The score scale: the `scale` attribute or `1 / sqrt(head_dim)`.
    float getEffectiveScale();
  }];
}

def XF_FfnOp : XF_Op<"ffn", [Pure, AttrSizedOperandSegments]> {
  let summary = "Fused feed-forward block";
  let description = [{
    `input : [..., dim]`; `up` and `gate : [hidden, dim]`;
    `down : [dim, hidden]`; optional biases `up_bias : [hidden]` and
    `down_bias : [dim]`. Weights may be quantized.

    * `swiglu`: `down(silu(x gate^T) * (x up^T))` (Llama, Qwen2)
    * `geglu`:  `down(gelu_tanh(x gate^T) * (x up^T))` (Gemma)
    * `gelu`:   `down(gelu_tanh(x up^T + up_bias)) + down_bias` (GPT-2)
    * `gelu_erf`: `down(gelu_erf(x up^T + up_bias)) + down_bias` (BERT)

    The gated kinds take either `up` and `gate`, or one `gate_up : [2 *
    hidden, dim]` weight holding the gate rows and then the up rows, which
    makes gate and up one GEMM whose epilogue applies the activation and the
    product. `gelu` and `gelu_erf` take `up` only.

    `compute int8` quantizes the inputs of both GEMMs (`x`, and the hidden
    activations before `down`) to dynamic INT8, and `compute bf16` rounds
    them to bf16, as for `xf.linear`.

    `backend onednn` computes every GEMM of the block with oneDNN, as for
    `xf.linear` (decomposition gives each projection the attribute).

    ```mlir
    %y = xf.ffn swiglu %x up %wu gate %wg down %wd
           : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>,
              tensor<64x256xf32>) -> tensor<?x64xf32>
    %z = xf.ffn swiglu %x gate_up %wgu down %wd
           : (tensor<?x64xf32>, tensor<512x64xf32>, tensor<64x256xf32>)
             -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins
    XF_FfnKind:$kind, XF_FloatTensor:$input, Optional<XF_WeightTensor>:$up,
    Optional<XF_WeightTensor>:$gate, Optional<XF_WeightTensor>:$gate_up,
    XF_WeightTensor:$down,
    Optional<XF_FloatTensor>:$up_bias, Optional<XF_FloatTensor>:$down_bias,
    OptionalAttr<XF_ComputeKind>:$compute,
    OptionalAttr<XF_KernelBackend>:$backend
  );
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $input (`up` $up^)? (`gate` $gate^)? (`gate_up` $gate_up^)?
    `down` $down (`up_bias` $up_bias^)? (`down_bias` $down_bias^)?
    (`compute` $compute^)? (`backend` $backend^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "FfnKind":$kind, "Value":$input,
                   "Value":$up, "Value":$gate, "Value":$gate_up,
                   "Value":$down, "Value":$up_bias, "Value":$down_bias), [{
      build($_builder, $_state, result, kind, input, up, gate, gate_up, down,
            up_bias, down_bias, ComputeKindAttr(), KernelBackendAttr());
    }]>,
    OpBuilder<(ins "Type":$result, "FfnKind":$kind, "Value":$input,
                   "Value":$up, "Value":$gate, "Value":$gate_up,
                   "Value":$down, "Value":$up_bias, "Value":$down_bias,
                   "ComputeKindAttr":$compute), [{
      build($_builder, $_state, result, kind, input, up, gate, gate_up, down,
            up_bias, down_bias, compute, KernelBackendAttr());
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The hidden (intermediate) size.
    int64_t getHiddenSize();
    /// The weights present: up, gate, gate_up and down, in that order.
    SmallVector<Value> getWeights();
    /// The GELU of a kind with one up projection (gelu, gelu_erf); none for
    /// the gated kinds.
    static std::optional<GeluApprox> getUngatedGelu(FfnKind kind);
  }];
}

//===----------------------------------------------------------------------===//
// Tensor parallelism
//===----------------------------------------------------------------------===//

def XF_AllReduceOp : XF_Op<"all_reduce", [SameOperandsAndResultType]> {
  let summary = "Sums a value over the shards of a tensor-parallel model";
  let description = [{
    In a model split across `shards` worker groups (`xf-split-sockets`),
    every shard runs its own entry point on its part of the weights, and a
    GEMM split along its reduction leaves each shard a partial sum.
    `xf.all_reduce` returns, on every shard, the elementwise sum of all
    shards' `input`s. Every shard reaches the same `xf.all_reduce` ops in
    the same order with the same shape.

    It is not `Pure`: it synchronizes the shards, so it is never removed,
    merged or moved, even when its result is unused.

    ```mlir
    %sum = xf.all_reduce %partial over 2 shards : tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins XF_FloatTensor:$input, I64Attr:$shards);
  let results = (outs XF_FloatTensor:$result);
  let assemblyFormat = [{
    $input `over` $shards `shards` attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

#endif // XFC_DIALECT_XF_IR_XFOPS_TD
