//===- XFTypes.cpp - xf types ---------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::xf;

#define GET_TYPEDEF_CLASSES
XFC_BEGIN_GENERATED_CODE
#include "xfc/Dialect/XF/IR/XFTypes.cpp.inc"
XFC_END_GENERATED_CODE

void XFDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "xfc/Dialect/XF/IR/XFTypes.cpp.inc"
      >();
}

/// Parses `DxDx...xT` with static dimensions.
static ParseResult parseStaticShapeAndType(AsmParser &parser,
                                           SmallVectorImpl<int64_t> &shape,
                                           Type &elementType) {
  if (parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/true) ||
      parser.parseType(elementType))
    return failure();
  return success();
}

static void printShapeAndType(AsmPrinter &printer, ArrayRef<int64_t> shape,
                              Type elementType) {
  for (int64_t dim : shape)
    printer << dim << "x";
  printer << elementType;
}

//===----------------------------------------------------------------------===//
// QTensorType
//===----------------------------------------------------------------------===//

// !xf.qtensor<64x64xi4, #xf.quant<...>[, #xf.layout<...>]>
Type QTensorType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  Type storage;
  QuantSchemeAttr scheme;
  PackedLayoutAttr layout;
  if (parser.parseLess() || parseStaticShapeAndType(parser, shape, storage) ||
      parser.parseComma() || parser.parseAttribute(scheme))
    return {};
  if (succeeded(parser.parseOptionalComma()) && parser.parseAttribute(layout))
    return {};
  if (parser.parseGreater())
    return {};
  auto storageInt = dyn_cast<IntegerType>(storage);
  if (!storageInt)
    return parser.emitError(loc) << "quantized storage type must be an "
                                    "integer type, got "
                                 << storage,
           Type();
  if (!layout)
    layout = PackedLayoutAttr::get(parser.getContext(), LayoutKind::row_major);
  return QTensorType::getChecked([&] { return parser.emitError(loc); },
                                 parser.getContext(), shape, storageInt,
                                 scheme, layout);
}

void QTensorType::print(AsmPrinter &printer) const {
  printer << "<";
  printShapeAndType(printer, getShape(), getStorageType());
  printer << ", " << getScheme();
  if (getLayout().getKind() != LayoutKind::row_major || !getLayout().getTile().empty())
    printer << ", " << getLayout();
  printer << ">";
}

int64_t QTensorType::getNumElements() const {
  int64_t n = 1;
  for (int64_t dim : getShape())
    n *= dim;
  return n;
}

std::optional<int64_t> QTensorType::getBlockBytes() const {
  if (getLayout().getKind() != LayoutKind::ggml)
    return std::nullopt;
  QuantSchemeAttr scheme = getScheme();
  // One scale (and a minimum for min_offset), then the codes.
  int64_t header = (scheme.getMode() == QuantMode::min_offset ? 2 : 1) *
                   scheme.getScaleBytes();
  return header + scheme.getGroupValues(getShape()[1]) *
                      static_cast<int64_t>(scheme.getBits()) / 8;
}

std::optional<int64_t> QTensorType::getPackedBytes() const {
  PackedLayoutAttr layout = getLayout();
  QuantSchemeAttr scheme = getScheme();
  int64_t rows = getShape()[0], cols = getShape()[1];
  int64_t groups = scheme.getGroupsPerRow(cols);
  if (std::optional<int64_t> block = getBlockBytes())
    return rows * groups * *block;
  if (layout.getKind() != LayoutKind::blocked &&
      layout.getKind() != LayoutKind::sparse)
    return std::nullopt;
  // Per tile of rows and group: the codes, then a scale per row (and a
  // minimum).
  int64_t tileRows = layout.getTile()[0];
  int64_t perRow = (scheme.getMode() == QuantMode::min_offset ? 2 : 1) *
                   scheme.getScaleBytes();
  int64_t groupBytes =
      tileRows * scheme.getGroupValues(cols) * scheme.getBits() / 8 +
      tileRows * perRow;
  int64_t blocks = layout.getPaddedRows(rows) / tileRows;
  if (layout.isSparseCodes()) {
    // Per block, a 64-bit mask per run of 4 values, every group's scales,
    // the stored codes, to a whole cache line; then a cache line of zeros.
    return blocks * llvm::alignTo(cols / 4 * 8 + groups * tileRows * perRow +
                                      *layout.getValues(),
                                  64) +
           64;
  }
  if (layout.getKind() == LayoutKind::sparse) {
    // Per block, a bit per group in 8-byte words, then the stored groups,
    // to a whole cache line.
    int64_t maskBytes = (groups + 63) / 64 * 8;
    return blocks *
           llvm::alignTo(maskBytes + *layout.getValues() * groupBytes, 64);
  }
  return blocks * groups * groupBytes;
}

PackedLayoutAttr xf::getSparseLayout(Type weightType) {
  PackedLayoutAttr layout;
  if (auto q = dyn_cast<QTensorType>(weightType))
    layout = q.getLayout();
  else if (auto tensor = dyn_cast<RankedTensorType>(weightType))
    layout = dyn_cast_or_null<PackedLayoutAttr>(tensor.getEncoding());
  return layout && layout.getKind() == LayoutKind::sparse ? layout
                                                          : PackedLayoutAttr();
}

std::optional<int64_t> xf::getSparseSlots(Type weightType) {
  PackedLayoutAttr layout = getSparseLayout(weightType);
  return layout ? layout.getValues() : std::nullopt;
}

std::optional<int64_t> xf::getPackedBytes(Type weightType) {
  if (auto q = dyn_cast<QTensorType>(weightType))
    return q.getPackedBytes();
  auto tensor = dyn_cast<RankedTensorType>(weightType);
  auto layout = tensor
                    ? dyn_cast_or_null<PackedLayoutAttr>(tensor.getEncoding())
                    : PackedLayoutAttr();
  if (!layout)
    return std::nullopt;
  int64_t elementBytes = tensor.getElementTypeBitWidth() / 8;
  if (layout.getKind() == LayoutKind::sparse) {
    // Per panel a mask per k, then the value slots, to a whole cache line;
    // then a cache line of zeros that vector loads may read.
    int64_t panelBytes = llvm::alignTo(
        tensor.getDimSize(1) * 8 + *layout.getValues() * elementBytes, 64);
    return layout.getPaddedRows(tensor.getDimSize(0)) / 64 * panelBytes + 64;
  }
  // K is padded to whole element groups (bf16 pairs).
  int64_t k = tensor.getDimSize(1), vnni = layout.getVnni();
  return layout.getPaddedRows(tensor.getDimSize(0)) *
         ((k + vnni - 1) / vnni * vnni) * elementBytes;
}

int64_t xf::getInt8ActivationGroup(Type weightType) {
  if (auto q = dyn_cast<QTensorType>(weightType))
    return q.getScheme().getGroupValues(q.getShape()[1]);
  return 32;
}

std::optional<int64_t> xf::getStoredBytes(Type weightType) {
  if (std::optional<int64_t> packed = getPackedBytes(weightType))
    return packed;
  if (isa<QTensorType>(weightType))
    return std::nullopt;
  auto tensor = cast<RankedTensorType>(weightType);
  return tensor.getNumElements() * tensor.getElementTypeBitWidth() / 8;
}

LogicalResult QTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape,
                                  IntegerType storageType,
                                  QuantSchemeAttr scheme,
                                  PackedLayoutAttr layout) {
  if (shape.size() != 2)
    return emitError() << "quantized weights must be 2-D [out, in], got rank "
                       << shape.size();
  if (llvm::any_of(shape, [](int64_t d) { return d <= 0; }))
    return emitError() << "quantized weight dimensions must be positive";
  if (storageType.getWidth() != scheme.getBits())
    return emitError() << "storage type " << storageType
                       << " does not match the scheme's " << scheme.getBits()
                       << " bits";
  int64_t in = shape[1];
  if (!scheme.isPerChannel() && in % scheme.getGroupSize() != 0)
    return emitError() << "input dimension " << in
                       << " is not a multiple of the group size "
                       << scheme.getGroupSize();
  bool blocks = scheme.hasBlockEncoding() && in % 32 == 0;
  if (layout.isSparseCodes()) {
    int64_t group = scheme.getGroupValues(in);
    if (layout != PackedLayoutAttr::getSparseCodes(layout.getContext(),
                                                   *layout.getValues()) ||
        !blocks || scheme.getBits() != 8 || group > 256 ||
        *layout.getValues() > 16 * in)
      return emitError() << "the sparse-codes layout " << layout
                         << " holds 8-bit symmetric codes in groups of 32 "
                            "to 256, at most 16 x "
                         << in << " values per block, not " << scheme;
    return success();
  }
  if (layout.getKind() == LayoutKind::sparse) {
    PackedLayoutAttr tiles = PackedLayoutAttr::getSparseTiles(
        layout.getContext(), layout.getValues().value_or(0));
    if (layout != tiles || !blocks ||
        *layout.getValues() > scheme.getGroupsPerRow(in))
      return emitError() << "the sparse layout of quantized weights is "
                            "tile = [16, 32], vnni = 4 of Q8_0, Q4_0 or "
                            "Q4_1 values with at most the groups of a row, "
                            "not "
                         << layout << " of " << scheme << " over rows of "
                         << in;
  }
  if (layout.getKind() == LayoutKind::ggml && !blocks)
    return emitError() << "the ggml layout holds only blocks of Q8_0, Q4_0 "
                          "and Q4_1 values (f16 or f32 scales, groups of a "
                          "multiple of 32 or per channel), not "
                       << scheme << " over rows of " << in;
  if (layout.getKind() == LayoutKind::blocked) {
    PackedLayoutAttr tiles = PackedLayoutAttr::getQuantizedTiles(
        layout.getContext());
    if (layout != tiles || !blocks)
      return emitError() << "the blocked layout of quantized weights is "
                         << tiles
                         << " of Q8_0, Q4_0 or Q4_1 values (f16 or f32 "
                            "scales, groups of a multiple of 32 or per "
                            "channel), not "
                         << layout << " of " << scheme << " over rows of "
                         << in;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

// !xf.kv_cache<2048x4x64xf16>
Type KVCacheType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  Type elementType;
  if (parser.parseLess() ||
      parseStaticShapeAndType(parser, shape, elementType) ||
      parser.parseGreater())
    return {};
  if (shape.size() != 3)
    return parser.emitError(loc)
               << "expected max_context x kv_heads x head_dim, got "
               << shape.size() << " dimensions",
           Type();
  return KVCacheType::getChecked([&] { return parser.emitError(loc); },
                                 parser.getContext(), shape[0], shape[1],
                                 shape[2], elementType);
}

void KVCacheType::print(AsmPrinter &printer) const {
  printer << "<";
  printShapeAndType(printer, {getMaxContext(), getKvHeads(), getHeadDim()},
                    getElementType());
  printer << ">";
}

int64_t KVCacheType::getRowBytes() const {
  return getRowElements() *
         static_cast<int64_t>(getElementType().getIntOrFloatBitWidth() / 8);
}

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t maxContext, int64_t kvHeads,
                                  int64_t headDim, Type elementType) {
  if (maxContext <= 0 || kvHeads <= 0 || headDim <= 0)
    return emitError() << "KV cache dimensions must be positive";
  if (!isa<FloatType>(elementType) && !elementType.isInteger(8))
    return emitError() << "KV cache element type must be a float type or i8, "
                          "got "
                       << elementType;
  return success();
}
