//===- XFAttrs.cpp - xf attributes and enums ------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::xf;

XFC_BEGIN_GENERATED_CODE
#include "xfc/Dialect/XF/IR/XFEnums.cpp.inc"
XFC_END_GENERATED_CODE

#define GET_ATTRDEF_CLASSES
XFC_BEGIN_GENERATED_CODE
#include "xfc/Dialect/XF/IR/XFAttrs.cpp.inc"
XFC_END_GENERATED_CODE

void XFDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "xfc/Dialect/XF/IR/XFAttrs.cpp.inc"
      >();
}

/// Parses `keyword` as a value of enum `E` with `symbolize`, reporting the
/// allowed spellings on failure.
template <typename E>
static FailureOr<E> parseEnumKeyword(AsmParser &parser, StringRef what,
                                     std::optional<E> (*symbolize)(StringRef)) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  if (std::optional<E> value = symbolize(keyword))
    return *value;
  return parser.emitError(loc) << "unknown " << what << " '" << keyword << "'";
}

//===----------------------------------------------------------------------===//
// QuantSchemeAttr
//===----------------------------------------------------------------------===//

// #xf.quant<bits = 4, group = 32, symmetric, scale = f16>
Attribute QuantSchemeAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  unsigned bits = 0;
  int64_t groupSize = 0;
  Type scaleType;
  if (parser.parseLess() || parser.parseKeyword("bits") ||
      parser.parseEqual() || parser.parseInteger(bits) ||
      parser.parseComma() || parser.parseKeyword("group") ||
      parser.parseEqual())
    return {};
  if (failed(parser.parseOptionalKeyword("per_channel"))) {
    SMLoc groupLoc = parser.getCurrentLocation();
    if (parser.parseInteger(groupSize))
      return {};
    // 0 is how per_channel is stored; spelled as a number it is a mistake.
    if (groupSize == 0)
      return parser.emitError(groupLoc, "quantization group size must be "
                                        "positive or per_channel"),
             Attribute();
  }
  if (parser.parseComma())
    return {};
  FailureOr<QuantMode> mode =
      parseEnumKeyword<QuantMode>(parser, "quantization mode", symbolizeQuantMode);
  if (failed(mode) || parser.parseComma() || parser.parseKeyword("scale") ||
      parser.parseEqual() || parser.parseType(scaleType) ||
      parser.parseGreater())
    return {};
  return QuantSchemeAttr::getChecked(
      [&] { return parser.emitError(loc); }, parser.getContext(), bits,
      groupSize, *mode, scaleType);
}

void QuantSchemeAttr::print(AsmPrinter &printer) const {
  printer << "<bits = " << getBits() << ", group = ";
  if (isPerChannel())
    printer << "per_channel";
  else
    printer << getGroupSize();
  printer << ", " << stringifyQuantMode(getMode())
          << ", scale = " << getScaleType() << ">";
}

LogicalResult
QuantSchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        unsigned bits, int64_t groupSize, QuantMode,
                        Type scaleType) {
  if (bits != 4 && bits != 8)
    return emitError() << "quantization bits must be 4 or 8, got " << bits;
  if (groupSize < 0)
    return emitError() << "quantization group size must be positive or "
                          "per_channel, got "
                       << groupSize;
  if (!scaleType.isF16() && !scaleType.isBF16() && !scaleType.isF32())
    return emitError() << "quantization scale type must be f16, bf16 or f32, "
                          "got "
                       << scaleType;
  return success();
}

bool QuantSchemeAttr::hasBlockEncoding() const {
  bool q8 = getBits() == 8 && getMode() == QuantMode::symmetric;
  bool q4 = getBits() == 4 && (getMode() == QuantMode::symmetric ||
                               getMode() == QuantMode::min_offset);
  return (isPerChannel() || getGroupSize() % 32 == 0) &&
         (getScaleType().isF16() || getScaleType().isF32()) && (q8 || q4);
}

bool QuantSchemeAttr::isGgmlBlockScheme() const {
  return hasBlockEncoding() && getGroupSize() == 32 && getScaleType().isF16();
}

int64_t QuantSchemeAttr::getScaleBytes() const {
  return getScaleType().getIntOrFloatBitWidth() / 8;
}

//===----------------------------------------------------------------------===//
// PackedLayoutAttr
//===----------------------------------------------------------------------===//

// #xf.layout<row_major> | #xf.layout<blocked, tile = [16, 64], vnni = 4>
// | #xf.layout<sparse, tile = [64, 1], values = 1234>
Attribute PackedLayoutAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  FailureOr<LayoutKind> kind =
      parseEnumKeyword<LayoutKind>(parser, "layout", symbolizeLayoutKind);
  if (failed(kind))
    return {};
  SmallVector<int64_t> tile;
  int64_t vnni = 1;
  std::optional<int64_t> values;
  llvm::StringSet<> seen;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    if (!seen.insert(key).second)
      return parser.emitError(keyLoc, "layout parameter '")
                 << key << "' given twice",
             Attribute();
    if (key == "tile") {
      if (parser.parseCommaSeparatedList(
              AsmParser::Delimiter::Square,
              [&] { return parser.parseInteger(tile.emplace_back()); }))
        return {};
    } else if (key == "vnni") {
      if (parser.parseInteger(vnni))
        return {};
    } else if (key == "values") {
      if (parser.parseInteger(values.emplace()))
        return {};
    } else {
      return parser.emitError(loc) << "unknown layout parameter '" << key
                                   << "', expected 'tile', 'vnni' or 'values'",
             Attribute();
    }
  }
  if (parser.parseGreater())
    return {};
  return PackedLayoutAttr::getChecked([&] { return parser.emitError(loc); },
                                      parser.getContext(), *kind, tile, vnni,
                                      values);
}

void PackedLayoutAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyLayoutKind(getKind());
  if (!getTile().empty()) {
    printer << ", tile = [";
    llvm::interleaveComma(getTile(), printer);
    printer << "]";
  }
  if (getVnni() != 1)
    printer << ", vnni = " << getVnni();
  if (getValues())
    printer << ", values = " << *getValues();
  printer << ">";
}

LogicalResult
PackedLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         LayoutKind kind, ArrayRef<int64_t> tile, int64_t vnni,
                         std::optional<int64_t> values) {
  if (kind == LayoutKind::sparse) {
    if (!(tile == ArrayRef<int64_t>{64, 1} && vnni == 1) &&
        !(tile == ArrayRef<int64_t>{16, 32} && vnni == 4) &&
        !(tile == ArrayRef<int64_t>{16, 4} && vnni == 4))
      return emitError() << "'sparse' layout needs tile = [64, 1] (float "
                            "panels), tile = [16, 32], vnni = 4 (quantized "
                            "tiles) or tile = [16, 4], vnni = 4 (INT8 "
                            "codes)";
    if (!values || *values < 0)
      return emitError() << "'sparse' layout needs values = C >= 0, the "
                            "most values a panel stores";
    return success();
  }
  if (values)
    return emitError() << "only the 'sparse' layout takes a values "
                          "parameter";
  if (kind != LayoutKind::blocked) {
    if (!tile.empty() || vnni != 1)
      return emitError() << "only the 'blocked' layout takes tile and vnni "
                            "parameters";
    return success();
  }
  if (tile.size() != 2 || tile[0] <= 0 || tile[1] <= 0)
    return emitError() << "'blocked' layout needs tile = [n, k] with "
                          "positive sizes";
  if (vnni != 1 && vnni != 2 && vnni != 4)
    return emitError() << "vnni group must be 1, 2 or 4, got " << vnni;
  if (tile[1] % vnni != 0)
    return emitError() << "tile k (" << tile[1]
                       << ") must be a multiple of the vnni group (" << vnni
                       << ")";
  return success();
}

PackedLayoutAttr PackedLayoutAttr::getQuantizedTiles(MLIRContext *context) {
  return get(context, LayoutKind::blocked, {16, 32}, 4);
}

PackedLayoutAttr PackedLayoutAttr::getFloatPanels(MLIRContext *context,
                                                  Type element) {
  if (element.isBF16())
    return get(context, LayoutKind::blocked, {64, 2}, 2);
  return get(context, LayoutKind::blocked, {64, 1}, 1);
}

PackedLayoutAttr PackedLayoutAttr::getSparsePanels(MLIRContext *context,
                                                   int64_t values) {
  return get(context, LayoutKind::sparse, {64, 1}, 1, values);
}

PackedLayoutAttr PackedLayoutAttr::getSparseTiles(MLIRContext *context,
                                                  int64_t groups) {
  return get(context, LayoutKind::sparse, {16, 32}, 4, groups);
}

PackedLayoutAttr PackedLayoutAttr::getSparseCodes(MLIRContext *context,
                                                  int64_t values) {
  return get(context, LayoutKind::sparse, {16, 4}, 4, values);
}

bool PackedLayoutAttr::isSparseCodes() const {
  return getKind() == LayoutKind::sparse &&
         getTile() == ArrayRef<int64_t>{16, 4};
}

int64_t PackedLayoutAttr::getPaddedRows(int64_t rows) const {
  if (getKind() != LayoutKind::blocked && getKind() != LayoutKind::sparse)
    return rows;
  int64_t tileRows = getTile()[0];
  return (rows + tileRows - 1) / tileRows * tileRows;
}

// As a tensor encoding, the layout is that of a float weight in panels.
LogicalResult PackedLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16())
    return emitError() << "a tensor in " << *this
                       << " must have f32, f16 or bf16 elements, got "
                       << elementType;
  PackedLayoutAttr panels = getFloatPanels(getContext(), elementType);
  if (getKind() == LayoutKind::sparse) {
    if (getTile()[0] == 64 && shape.size() == 2 &&
        !ShapedType::isDynamicShape(shape) && *getValues() <= 64 * shape[1])
      return success();
    return emitError() << "a tensor in " << *this
                       << " must be a static 2-D [out, in] weight whose "
                          "panels of 64 rows have room for the values";
  }
  if (*this != panels)
    return emitError() << "a " << elementType << " weight's layout must be "
                       << panels << " (the panels the kernels read), got "
                       << *this;
  if (shape.size() != 2 || ShapedType::isDynamicShape(shape) ||
      llvm::any_of(shape, [](int64_t d) { return d <= 0; }))
    return emitError() << "a tensor in " << panels
                       << " must be a static 2-D [out, in] weight";
  return success();
}

//===----------------------------------------------------------------------===//
// SparsityAttr
//===----------------------------------------------------------------------===//

// #xf.sparsity<zeros = 0.7, slots = 1234[, codes = 5678]>
Attribute SparsityAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  double zeros = 0;
  int64_t slots = 0;
  std::optional<int64_t> codes;
  if (parser.parseLess() || parser.parseKeyword("zeros") ||
      parser.parseEqual() || parser.parseFloat(zeros) || parser.parseComma() ||
      parser.parseKeyword("slots") || parser.parseEqual() ||
      parser.parseInteger(slots))
    return {};
  if (succeeded(parser.parseOptionalComma()) &&
      (parser.parseKeyword("codes") || parser.parseEqual() ||
       parser.parseInteger(codes.emplace())))
    return {};
  if (parser.parseGreater())
    return {};
  return SparsityAttr::getChecked([&] { return parser.emitError(loc); },
                                  parser.getContext(), APFloat(zeros), slots,
                                  codes);
}

void SparsityAttr::print(AsmPrinter &printer) const {
  // Four decimals, always with a point, so that it parses as a float.
  printer << "<zeros = " << llvm::format("%.4f", getZeroFraction())
          << ", slots = " << getSlots();
  if (getCodes())
    printer << ", codes = " << *getCodes();
  printer << ">";
}

LogicalResult SparsityAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   APFloat zeros, int64_t slots,
                                   std::optional<int64_t> codes) {
  if (codes && *codes < 0)
    return emitError() << "sparsity codes must be >= 0, got " << *codes;
  double fraction = zeros.convertToDouble();
  if (!(fraction >= 0.0 && fraction <= 1.0))
    return emitError() << "sparsity zeros must be a fraction in [0, 1], got "
                       << fraction;
  if (slots < 0)
    return emitError() << "sparsity slots must be >= 0, got " << slots;
  return success();
}
