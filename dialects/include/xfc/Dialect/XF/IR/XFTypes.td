//===- XFTypes.td - xf types -------------------------------*- tablegen -*-===//

#ifndef XFC_DIALECT_XF_IR_XFTYPES_TD
#define XFC_DIALECT_XF_IR_XFTYPES_TD

include "xfc/Dialect/XF/IR/XFAttrs.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

class XF_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<XF_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def XF_QTensorType : XF_Type<"QTensor", "qtensor"> {
  let summary = "A statically shaped, quantized weight tensor";
  let description = [{
    A weight stored as `bits`-wide integers with group-wise scales, as the
    quantization scheme says, in the given packed layout. The shape is the
    logical `[out, in]` shape; the storage element type (`i4` or `i8`) must
    match the scheme's bit width. The layout defaults to `row_major` and is
    then omitted from the printed form. The `ggml` layout holds the ggml
    block schemes only (Q8_0, Q4_0, Q4_1: group 32, f16 scales), and so
    does the `blocked` one, in the kernels' tiles `tile = [16, 32],
    vnni = 4` (see `#xf.layout`); `out` need not be a multiple of 16.

    ```mlir
    !xf.qtensor<4096x4096xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
    !xf.qtensor<4096x11008xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>,
                #xf.layout<blocked, tile = [16, 32], vnni = 4>>
    ```
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$shape,
    "::mlir::IntegerType":$storageType,
    "::mlir::xf::QuantSchemeAttr":$scheme,
    "::mlir::xf::PackedLayoutAttr":$layout
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    int64_t getNumElements() const;
    /// Bytes of one block (one group of a row: its scale, minimum and
    /// codes), for the ggml layout; nullopt for other layouts.
    std::optional<int64_t> getBlockBytes() const;
    /// Bytes the packed data takes, for layouts whose byte format is
    /// defined (ggml, and blocked: per 16 rows and group, group/32 tiles
    /// of 16 x 32 codes, 16 f16 scales and, for min_offset, 16 f16
    /// minimums); nullopt otherwise.
    std::optional<int64_t> getPackedBytes() const;
  }];
}

def XF_KVCacheType : XF_Type<"KVCache", "kv_cache"> {
  let summary = "One layer's pre-allocated key/value cache";
  let description = [{
    A handle to the keys and values of one attention layer, allocated once
    for `max_context` positions of `kv_heads x head_dim` each. Ops read and
    append through the handle; the memory itself belongs to the runtime.

    ```mlir
    !xf.kv_cache<2048x4x64xf16>   // max_context x kv_heads x head_dim x elt
    !xf.kv_cache<2048x4x64xi8>    // quantized: codes and per-row scales
    ```

    A float cache stores each element in its type. An `i8` cache is
    quantized symmetrically per row, where a row is one position of one
    KV head, for keys and values separately, as dynamic INT8 activations
    are per group: `scale = max|x| / 127`, `code = round_half_even(x *
    (1 / scale))`, and reads give `code * scale` (all in f32; a zero row
    has scale 0 and codes 0). Each row is stored
    as `head_dim` codes followed by the f32 scale's 4 bytes (little
    endian), so a reader loads a row and its scale together.
  }];
  let parameters = (ins
    "int64_t":$maxContext,
    "int64_t":$kvHeads,
    "int64_t":$headDim,
    "::mlir::Type":$elementType
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether elements are i8 codes with a per-row scale.
    bool isQuantized() const { return getElementType().isInteger(8); }
    /// Elements of the element type per stored (position, head) row:
    /// head_dim, plus 4 bytes for the scale of a quantized row.
    int64_t getRowElements() const {
      return getHeadDim() + (isQuantized() ? 4 : 0);
    }
    /// Bytes per stored row.
    int64_t getRowBytes() const;
  }];
}

#endif // XFC_DIALECT_XF_IR_XFTYPES_TD
