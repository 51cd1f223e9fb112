//===- XFOps.cpp - xf operations: verifiers and folders -------------------===//

#include "xfc/Dialect/XF/IR/QuantMethods.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <limits>
#include <tuple>

using namespace mlir;
using namespace mlir::xf;

//===----------------------------------------------------------------------===//
// Custom assembly directives
//===----------------------------------------------------------------------===//

/// `private`, `nested`, `public` or nothing before a symbol name.
static ParseResult parseSymbolVisibility(OpAsmParser &parser,
                                         StringAttr &visibility) {
  StringRef keyword;
  if (succeeded(parser.parseOptionalKeyword(&keyword,
                                            {"public", "private", "nested"})))
    visibility = parser.getBuilder().getStringAttr(keyword);
  return success();
}

static void printSymbolVisibility(OpAsmPrinter &printer, Operation *,
                                  StringAttr visibility) {
  if (visibility)
    printer << visibility.getValue() << " ";
}

#define GET_OP_CLASSES
XFC_BEGIN_GENERATED_CODE
#include "xfc/Dialect/XF/IR/XFOps.cpp.inc"
XFC_END_GENERATED_CODE

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

/// Two dimensions agree unless both are static and differ.
static bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Prints a dimension the way it appears in a type.
static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}

ArrayRef<int64_t> xf::getWeightShape(Type type) {
  if (auto q = dyn_cast<QTensorType>(type))
    return q.getShape();
  return cast<RankedTensorType>(type).getShape();
}

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Checks that `value` (named `name`) is a 1-D tensor of `expected` elements.
static LogicalResult verifyVector(Operation *op, Value value, StringRef name,
                                  int64_t expected) {
  RankedTensorType type = tensorType(value);
  if (type.getRank() != 1 || !dimsAgree(type.getDimSize(0), expected))
    return op->emitOpError() << name << " must be a 1-D tensor of "
                             << dimStr(expected) << " elements, got " << type;
  return success();
}

/// Checks that a 2-D weight has shape [rows, cols].
static LogicalResult verifyMatrix(Operation *op, Value weight, StringRef name,
                                  int64_t rows, int64_t cols) {
  ArrayRef<int64_t> shape = getWeightShape(weight.getType());
  if (shape.size() != 2 || !dimsAgree(shape[0], rows) ||
      !dimsAgree(shape[1], cols))
    return op->emitOpError() << name << " must have shape [" << dimStr(rows)
                             << ", " << dimStr(cols) << "], got "
                             << weight.getType();
  return success();
}

/// Checks that `axis` indexes a dimension of a rank-`rank` tensor.
static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op->emitOpError() << "axis " << axis
                             << " is out of range for rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// A weight type with its layout made the default one: the same values,
/// whatever the bytes.
static Type withDefaultLayout(Type type) {
  if (auto q = dyn_cast<QTensorType>(type))
    return QTensorType::get(
        type.getContext(), q.getShape(), q.getStorageType(), q.getScheme(),
        PackedLayoutAttr::get(type.getContext(), LayoutKind::row_major));
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.dropEncoding();
  return type;
}

LogicalResult GlobalWeightOp::verify() {
  Type type = getType();
  if (isa<QTensorType>(type))
    return success();
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !isa<FloatType>(tensor.getElementType()))
    return emitOpError() << "type must be a statically shaped float tensor "
                            "or a quantized tensor, got "
                         << type;
  if (tensor.getNumElements() == 0)
    return emitOpError() << "weight " << type << " has no elements";
  if (Attribute encoding = tensor.getEncoding()) {
    auto layout = dyn_cast<PackedLayoutAttr>(encoding);
    if (!layout)
      return emitOpError() << "a weight tensor's encoding must be an "
                              "#xf.layout, got "
                           << encoding;
    return layout.verifyEncoding(tensor.getShape(), tensor.getElementType(),
                                 [&] { return emitOpError(); });
  }
  return success();
}

LogicalResult GlobalWeightOp::verifyRegions() {
  if (!isDerived())
    return success();
  Region &body = getInitializer();
  if (!body.hasOneBlock() || body.front().getNumArguments() != 0)
    return emitOpError() << "initializer must be one block without arguments";
  auto yield = dyn_cast<YieldOp>(body.front().getTerminator());
  if (!yield)
    return emitOpError() << "initializer must end in xf.yield";
  Type yielded = yield.getValue().getType();
  if (withDefaultLayout(yielded) != withDefaultLayout(getType()))
    return emitOpError() << "initializer yields " << yielded
                         << " but the weight is declared as " << getType()
                         << " (only the layouts may differ)";
  return success();
}

LogicalResult WeightOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto global =
      symbolTable.lookupNearestSymbolFrom<GlobalWeightOp>(*this, getNameAttr());
  if (!global)
    return emitOpError() << "'" << getName()
                         << "' does not name an xf.global_weight";
  if (global->isAncestor(*this))
    return emitOpError() << "'" << getName()
                         << "' refers to itself in its own initializer";
  if (global.getType() != getType())
    return emitOpError() << "result type " << getType()
                         << " does not match the type " << global.getType()
                         << " declared for '" << getName() << "'";
  return success();
}

LogicalResult DequantizeOp::verify() {
  if (getInput().getType().getShape() != getType().getShape())
    return emitOpError() << "result shape must equal the quantized shape";
  return success();
}

LogicalResult QuantizeOp::verify() {
  RankedTensorType in = getInput().getType();
  QTensorType out = getType();
  if (in.getShape() != out.getShape() || in.getRank() != 2)
    return emitOpError() << "result must have the input's 2-D shape";
  if (!out.getBlockBytes())
    return emitOpError()
           << "quantizes to blocks of Q8_0, Q4_0 and Q4_1 values only (f16 or "
              "f32 "
              "scales, groups of a multiple of 32 or per channel, ggml "
              "layout), not "
           << out;
  if (!lookupQuantizationMethod(getMethodName()))
    return emitOpError() << "unknown quantization method '" << getMethodName()
                         << "' (registered: "
                         << llvm::join(getQuantizationMethodNames(), ", ")
                         << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Binary ops compute in one element type; shapes are checked by the
/// ResultsBroadcastableShape trait.
static LogicalResult verifyBinaryOp(Operation *op) {
  Type elt = tensorType(op->getResult(0)).getElementType();
  for (Value operand : op->getOperands())
    if (tensorType(operand).getElementType() != elt)
      return op->emitOpError()
             << "operands and result must have the same element type";
  return success();
}

LogicalResult AddOp::verify() { return verifyBinaryOp(*this); }
LogicalResult SubOp::verify() { return verifyBinaryOp(*this); }
LogicalResult MulOp::verify() { return verifyBinaryOp(*this); }

/// `unsigned` says how to read integers; on floats it would mean nothing.
template <typename OpTy> static LogicalResult verifySignedness(OpTy op) {
  if (op.getIsUnsigned() &&
      !isa<IntegerType>(getElementTypeOrSelf(op.getType())) &&
      !isa<IntegerType>(getElementTypeOrSelf(op->getOperand(0))))
    return op.emitOpError() << "is 'unsigned' but computes on no integers";
  return success();
}

LogicalResult DivOp::verify() {
  return failure(failed(verifyBinaryOp(*this)) ||
                 failed(verifySignedness(*this)));
}
LogicalResult PowOp::verify() {
  return failure(failed(verifyBinaryOp(*this)) ||
                 failed(verifySignedness(*this)));
}

LogicalResult WhereOp::verify() {
  Type elt = getType().getElementType();
  if (getLhs().getType().getElementType() != elt ||
      getRhs().getType().getElementType() != elt)
    return emitOpError()
           << "the chosen operands and the result must have the same "
              "element type";
  return success();
}

LogicalResult BroadcastOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "must keep the element type";
  if (in.getRank() > out.getRank())
    return emitOpError() << "cannot broadcast rank " << in.getRank()
                         << " to rank " << out.getRank();
  int64_t offset = out.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t d = in.getDimSize(i), r = out.getDimSize(offset + i);
    // A dynamic input dimension is never stretched: its size is the
    // result's, which must then be dynamic too.
    if (ShapedType::isDynamic(d) && !ShapedType::isDynamic(r))
      return emitOpError() << "dynamic input dimension " << i
                           << " must face a dynamic result dimension";
    if (d != 1 && d != r && !ShapedType::isDynamic(r))
      return emitOpError() << "input dimension " << i << " (" << d
                           << ") does not broadcast to " << r;
  }
  return success();
}

LogicalResult GatherOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  RankedTensorType indices = getIndices().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= in.getRank())
    return emitOpError() << "axis " << axis << " is not a dimension of rank "
                         << in.getRank();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "must keep the element type";
  SmallVector<int64_t> expected(in.getShape().take_front(axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, in.getShape().drop_front(axis + 1));
  if (failed(verifyCompatibleShape(expected, out.getShape())))
    return emitOpError() << "result shape must be the input's before axis "
                         << axis << ", the indices', then the input's after";
  return success();
}

LogicalResult ConvertOp::verify() {
  if (getTowardZero() && (!getInput().getType().getElementType().isF32() ||
                          !getType().getElementType().isBF16()))
    return emitOpError() << "rounds 'toward_zero' only from f32 to bf16";
  return verifySignedness(*this);
}

OpFoldResult ConvertOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceMeanOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  int64_t rank = in.getRank(), axis = getAxis();
  if (rank < 1)
    return emitOpError() << "input must have rank >= 1";
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank "
                         << rank;
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "input and result must have the same element type";
  if (out.getRank() != rank)
    return emitOpError() << "result must keep the input's rank " << rank;
  if (in.getDimSize(axis) == 0)
    return emitOpError() << "cannot average an empty dimension";
  for (int64_t i = 0; i < rank; ++i) {
    int64_t expected = i == axis ? 1 : in.getDimSize(i);
    if (i == axis ? out.getDimSize(i) != 1
                  : !dimsAgree(out.getDimSize(i), expected))
      return emitOpError() << "result dimension " << i << " must be "
                           << dimStr(expected) << ", got "
                           << dimStr(out.getDimSize(i));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// Norms take a per-feature parameter sized like the last input dimension.
static LogicalResult verifyNormParams(Operation *op, Value input,
                                      ValueRange params, float epsilon) {
  RankedTensorType type = tensorType(input);
  if (type.getRank() < 1)
    return op->emitOpError() << "input must have rank >= 1";
  if (!(epsilon >= 0.0f))
    return op->emitOpError() << "epsilon must be non-negative, got "
                             << epsilon;
  int64_t features = type.getShape().back();
  for (Value param : params) {
    if (failed(verifyVector(op, param, "norm parameter", features)))
      return failure();
    if (tensorType(param).getElementType() != type.getElementType())
      return op->emitOpError()
             << "norm parameters must have the input's element type";
  }
  return success();
}

LogicalResult RmsNormOp::verify() {
  return verifyNormParams(*this, getInput(), getWeight(),
                          getEpsilon().convertToFloat());
}

LogicalResult LayerNormOp::verify() {
  return verifyNormParams(*this, getInput(), {getWeight(), getBias()},
                          getEpsilon().convertToFloat());
}

//===----------------------------------------------------------------------===//
// Positions and masking
//===----------------------------------------------------------------------===//

int64_t RopeOp::getEffectiveRotaryDim() {
  if (std::optional<int64_t> dims = getRotaryDim())
    return *dims;
  return getInput().getType().getDimSize(2);
}

LogicalResult RopeOp::verify() {
  RankedTensorType type = getInput().getType();
  if (type.getRank() != 3)
    return emitOpError() << "input must be [tokens, heads, head_dim], got "
                         << type;
  int64_t headDim = type.getDimSize(2);
  if (ShapedType::isDynamic(headDim))
    return emitOpError() << "head_dim must be static";
  int64_t rotary = getEffectiveRotaryDim();
  if (rotary <= 0 || rotary > headDim || rotary % 2 != 0)
    return emitOpError() << "rotary dims must be even and in (0, " << headDim
                         << "], got " << rotary;
  if (!dimsAgree(getPositions().getType().getDimSize(0), type.getDimSize(0)))
    return emitOpError() << "has " << dimStr(type.getDimSize(0))
                         << " tokens but "
                         << dimStr(getPositions().getType().getDimSize(0))
                         << " positions";
  if (!(getTheta().convertToFloat() > 0.0f))
    return emitOpError() << "theta must be positive";
  return success();
}

LogicalResult CausalMaskOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError() << "scores must have rank >= 2 ([..., queries, keys])";
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions and lookups
//===----------------------------------------------------------------------===//

/// INT8 compute quantizes runs of 32 values along each GEMM's reduction
/// dimension, so every reduction size must be a known multiple of 32. BF16
/// compute multiplies bf16 values: the weights must be bf16.
static LogicalResult verifyCompute(Operation *op,
                                   std::optional<ComputeKind> compute,
                                   ArrayRef<int64_t> reductionSizes,
                                   ValueRange weights) {
  if (compute == ComputeKind::bf16) {
    for (Value weight : weights) {
      auto type = dyn_cast<RankedTensorType>(weight.getType());
      if (!type || !type.getElementType().isBF16())
        return op->emitOpError()
               << "compute bf16 needs bf16 weights, not " << weight.getType();
    }
    return success();
  }
  if (compute != ComputeKind::int8)
    return success();
  for (int64_t size : reductionSizes)
    if (ShapedType::isDynamic(size) || size % 32 != 0)
      return op->emitOpError()
             << "compute int8 needs reduction sizes that are multiples of "
                "32, not "
             << dimStr(size);
  return success();
}

LogicalResult LinearOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  if (in.getRank() < 1 || in.getRank() != out.getRank())
    return emitOpError() << "input and result must have the same rank >= 1";
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "input and result must have the same element type";
  int64_t inFeatures = in.getShape().back(), outFeatures = out.getShape().back();
  if (failed(verifyMatrix(*this, getWeight(), "weight", outFeatures,
                          inFeatures)))
    return failure();
  for (int64_t i = 0, e = in.getRank() - 1; i < e; ++i)
    if (!dimsAgree(in.getDimSize(i), out.getDimSize(i)))
      return emitOpError() << "result dimension " << i << " ("
                           << dimStr(out.getDimSize(i))
                           << ") does not match the input's ("
                           << dimStr(in.getDimSize(i)) << ")";
  if (Value bias = getBias()) {
    if (failed(verifyVector(*this, bias, "bias", outFeatures)))
      return failure();
    if (tensorType(bias).getElementType() != out.getElementType())
      return emitOpError() << "bias must have the result's element type";
  }
  return verifyCompute(*this, getCompute(), {inFeatures}, getWeight());
}

/// Whether `type` is a static f32 matrix.
static bool isF32Matrix(RankedTensorType type) {
  return type.getRank() == 2 && type.hasStaticShape() &&
         type.getElementType().isF32();
}

LogicalResult LoraDeltaOp::verify() {
  RankedTensorType b = getB().getType(), a = getA().getType(), out = getType();
  if (!isF32Matrix(b) || !isF32Matrix(a) || !isF32Matrix(out))
    return emitOpError() << "takes and gives static f32 matrices";
  if (b.getDimSize(1) != a.getDimSize(0))
    return emitOpError() << "B has rank " << b.getDimSize(1) << " but A rank "
                         << a.getDimSize(0);
  if (out.getDimSize(0) != b.getDimSize(0) ||
      out.getDimSize(1) != a.getDimSize(1))
    return emitOpError() << "result must be [" << b.getDimSize(0) << ", "
                         << a.getDimSize(1) << "] (B's rows, A's columns), not "
                         << out;
  return success();
}

LogicalResult KronDeltaOp::verify() {
  RankedTensorType w1 = getW1().getType(), w2 = getW2().getType(),
                   out = getType();
  if (!isF32Matrix(w1) || !isF32Matrix(w2) || !isF32Matrix(out))
    return emitOpError() << "takes and gives static f32 matrices";
  int64_t rows = w1.getDimSize(0) * w2.getDimSize(0),
          cols = w1.getDimSize(1) * w2.getDimSize(1);
  if (out.getDimSize(0) != rows || out.getDimSize(1) != cols)
    return emitOpError() << "result must be [" << rows << ", " << cols
                         << "] (the factors' shapes multiplied), not " << out;
  return success();
}

LogicalResult PruneOp::verify() {
  auto type = getInput().getType();
  if (type.getRank() != 2 || !type.hasStaticShape())
    return emitOpError() << "prunes static [out, in] weights";
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  std::optional<double> level =
      getLevel() ? std::optional<double>(getLevel()->convertToDouble())
                 : std::nullopt;
  if (level && !(*level >= 0.0 && *level < 1.0))
    return emitOpError() << "level " << *level << " is not in [0, 1)";
  std::optional<ArrayRef<int64_t>> block = getBlock();
  if (getPattern() == SparsityPattern::unstructured) {
    if (block)
      return emitOpError() << "unstructured pruning takes no block shape";
    if (!level)
      return emitOpError() << "unstructured pruning needs a level";
    return success();
  }
  if (!block || block->size() != 2 || (*block)[0] <= 0 || (*block)[1] <= 0)
    return emitOpError() << "needs two positive sizes: [N, M] or [R, C]";
  int64_t a = (*block)[0], b = (*block)[1];
  if (getPattern() == SparsityPattern::nm) {
    if (a > b)
      return emitOpError() << "keeps " << a << " of every " << b
                           << " values: N must not exceed M";
    if (cols % b != 0)
      return emitOpError() << "rows of " << cols
                           << " values are not whole runs of " << b;
    double implied = 1.0 - double(a) / double(b);
    if (level && std::abs(*level - implied) > 1e-9)
      return emitOpError() << a << ":" << b << " sparsity is " << implied
                           << ", not level " << *level;
    return success();
  }
  if (!level)
    return emitOpError() << "block pruning needs a level";
  if (rows % a != 0 || cols % b != 0)
    return emitOpError() << "[" << rows << ", " << cols << "] is not made of "
                         << a << "x" << b << " blocks";
  return success();
}

LogicalResult KronLinearOp::verify() {
  RankedTensorType a = getA().getType(), b = getB().getType();
  if (!isF32Matrix(a) || !isF32Matrix(b))
    return emitOpError() << "factors must be static f32 matrices";
  RankedTensorType input = getInput().getType(), out = getType();
  if (!input.getElementType().isF32() || !out.getElementType().isF32() ||
      input.getRank() != out.getRank())
    return emitOpError() << "input and result must be f32 of one rank";
  int64_t in = a.getDimSize(0) * b.getDimSize(0),
          outs = a.getDimSize(1) * b.getDimSize(1);
  if (input.getShape().back() != in)
    return emitOpError() << "input rows must hold " << in
                         << " values (the factors' rows multiplied), not "
                         << input.getShape().back();
  if (out.getShape().back() != outs)
    return emitOpError() << "result rows must hold " << outs
                         << " values (the factors' columns multiplied), not "
                         << out.getShape().back();
  for (int64_t i = 0; i + 1 < input.getRank(); ++i)
    if (!dimsAgree(input.getDimSize(i), out.getDimSize(i)))
      return emitOpError() << "dimension " << i << " differs";
  if (getResidual() && in != outs)
    return emitOpError() << "a residual needs as many outputs as inputs (" << in
                         << " in, " << outs << " out)";
  return success();
}

LogicalResult MatmulOp::verify() {
  ArrayRef<int64_t> lhs = getLhs().getType().getShape();
  ArrayRef<int64_t> rhs = getRhs().getType().getShape();
  ArrayRef<int64_t> res = getType().getShape();
  size_t rank = lhs.size();
  if (rank < 2 || rhs.size() != rank || res.size() != rank)
    return emitOpError() << "operands and result must have the same rank >= 2";
  Type elt = getType().getElementType();
  if (getLhs().getType().getElementType() != elt ||
      getRhs().getType().getElementType() != elt)
    return emitOpError()
           << "operands and result must have the same element type";
  for (size_t i = 0; i + 2 < rank; ++i)
    if (!dimsAgree(lhs[i], rhs[i]) || !dimsAgree(lhs[i], res[i]))
      return emitOpError() << "batch dimension " << i << " differs";
  int64_t m = lhs[rank - 2], k = lhs[rank - 1];
  int64_t rhsK = getTransposeRhs() ? rhs[rank - 1] : rhs[rank - 2];
  int64_t n = getTransposeRhs() ? rhs[rank - 2] : rhs[rank - 1];
  if (!dimsAgree(k, rhsK))
    return emitOpError() << "contraction sizes differ: " << dimStr(k)
                         << " vs " << dimStr(rhsK);
  if (!dimsAgree(res[rank - 2], m) || !dimsAgree(res[rank - 1], n))
    return emitOpError() << "result must be [..., " << dimStr(m) << ", "
                         << dimStr(n) << "]";
  return success();
}

LogicalResult EmbeddingOp::verify() {
  ArrayRef<int64_t> table = getWeightShape(getTable().getType());
  RankedTensorType res = getType();
  if (table.size() != 2)
    return emitOpError() << "table must be 2-D [vocab, dim]";
  if (res.getRank() != 2 || !dimsAgree(res.getDimSize(1), table[1]) ||
      !dimsAgree(res.getDimSize(0), getIds().getType().getDimSize(0)))
    return emitOpError() << "result must be [tokens, " << dimStr(table[1])
                         << "], got " << res;
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

/// The product of the static dimensions, and how many are dynamic.
static std::pair<int64_t, int64_t> staticProduct(ArrayRef<int64_t> shape) {
  int64_t product = 1, dynamic = 0;
  for (int64_t d : shape) {
    if (ShapedType::isDynamic(d))
      ++dynamic;
    else
      product *= d;
  }
  return {product, dynamic};
}

/// Why a reshape from `in` to `out` cannot hold the same elements, or an
/// empty string when it can. Shared by the verifier and the folder.
static std::string reshapeMismatch(RankedTensorType in, RankedTensorType out) {
  auto [inCount, inDyn] = staticProduct(in.getShape());
  auto [outCount, outDyn] = staticProduct(out.getShape());
  if (inDyn > 1 || outDyn > 1)
    return "at most one dynamic dimension per side is allowed";
  if (inDyn == 0 && outDyn == 0 && inCount != outCount)
    return "element counts differ: " + std::to_string(inCount) + " vs " +
           std::to_string(outCount);
  // A dynamic side's static part must divide the other side's count, and a
  // zero-sized static part only fits zero elements.
  auto fits = [](int64_t total, int64_t part) {
    return part == 0 ? total == 0 : total % part == 0;
  };
  if (inDyn == 0 && outDyn == 1 && !fits(inCount, outCount))
    return "cannot reshape " + std::to_string(inCount) +
           " elements into a multiple of " + std::to_string(outCount);
  if (inDyn == 1 && outDyn == 0 && !fits(outCount, inCount))
    return "cannot reshape a multiple of " + std::to_string(inCount) +
           " elements into " + std::to_string(outCount);
  if (inDyn == 1 && outDyn == 1 && (inCount == 0) != (outCount == 0))
    return "a zero-sized side cannot match a non-empty one";
  return "";
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "input and result must have the same element type";
  std::string mismatch = reshapeMismatch(in, out);
  if (!mismatch.empty())
    return emitOpError() << mismatch;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) -> reshape(x): only the final shape matters, as
  // long as the direct reshape is itself valid.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>();
      producer && reshapeMismatch(producer.getInput().getType(), getType())
                      .empty()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

LogicalResult TransposeOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  ArrayRef<int64_t> perm = getPermutation();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "input and result must have the same element type";
  if (static_cast<int64_t>(perm.size()) != in.getRank() ||
      out.getRank() != in.getRank())
    return emitOpError() << "permutation, input and result must have the "
                            "same rank";
  SmallVector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError() << "permutation is not a permutation of [0, "
                           << in.getRank() << ")";
    seen[p] = true;
  }
  for (size_t i = 0; i < perm.size(); ++i)
    if (!dimsAgree(out.getDimSize(i), in.getDimSize(perm[i])))
      return emitOpError() << "result dimension " << i << " must be input "
                           << "dimension " << perm[i] << " ("
                           << dimStr(in.getDimSize(perm[i])) << ")";
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i] != static_cast<int64_t>(i))
        return false;
    return true;
  };
  if (isIdentity(perm) && getInput().getType() == getType())
    return getInput();
  // transpose(transpose(x, p), q) -> transpose(x, p o q).
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> inner = producer.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner[p]);
    getInputMutable().assign(producer.getInput());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

LogicalResult SliceOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  int64_t axis = getAxis(), offset = getOffset(), size = getSize();
  if (failed(verifyAxis(*this, axis, in.getRank())))
    return failure();
  if (in.getRank() != out.getRank() ||
      in.getElementType() != out.getElementType())
    return emitOpError() << "result must have the input's rank and element "
                            "type";
  if (offset < 0 || size <= 0)
    return emitOpError() << "needs offset >= 0 and size > 0";
  int64_t extent = in.getDimSize(axis);
  // Written so that huge offsets cannot overflow.
  if (!ShapedType::isDynamic(extent) && (size > extent || offset > extent - size))
    return emitOpError() << "range of " << size << " at offset " << offset
                         << " exceeds dimension " << axis << " of size "
                         << extent;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t expected = i == axis ? size : in.getDimSize(i);
    if (!dimsAgree(out.getDimSize(i), expected))
      return emitOpError() << "result dimension " << i << " must be "
                           << dimStr(expected);
  }
  return success();
}

/// Quantized rows: inputs of the result's type but for their row count.
static LogicalResult verifyQuantizedConcat(ConcatOp op, QTensorType out) {
  if (op.getAxis() != 0)
    return op.emitOpError() << "quantized weights concatenate along axis 0 "
                               "only";
  int64_t rows = 0;
  for (Value input : op.getInputs()) {
    auto q = dyn_cast<QTensorType>(input.getType());
    if (!q || q.getRank() != out.getRank() ||
        q.getShape().drop_front() != out.getShape().drop_front() ||
        q.getStorageType() != out.getStorageType() ||
        q.getScheme() != out.getScheme() || q.getLayout() != out.getLayout())
      return op.emitOpError() << "quantized inputs must have the result's "
                                 "type but for their row count";
    rows += q.getShape()[0];
  }
  if (rows != out.getShape()[0])
    return op.emitOpError() << "result dimension 0 must be " << rows;
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  if (auto q = dyn_cast<QTensorType>(getType()))
    return verifyQuantizedConcat(*this, q);
  auto out = dyn_cast<RankedTensorType>(getType());
  if (!out)
    return emitOpError() << "result must be a tensor or a quantized weight";
  int64_t axis = getAxis();
  if (failed(verifyAxis(*this, axis, out.getRank())))
    return failure();
  int64_t total = 0;
  for (Value input : getInputs()) {
    auto type = dyn_cast<RankedTensorType>(input.getType());
    if (!type || type.getRank() != out.getRank() ||
        type.getElementType() != out.getElementType())
      return emitOpError() << "inputs must have the result's rank and element "
                              "type";
    for (int64_t i = 0; i < out.getRank(); ++i)
      if (i != axis && !dimsAgree(type.getDimSize(i), out.getDimSize(i)))
        return emitOpError() << "inputs differ from the result in dimension "
                             << i << ", which is not the concatenation axis";
    int64_t extent = type.getDimSize(axis);
    if (ShapedType::isDynamic(extent) || ShapedType::isDynamic(total))
      total = ShapedType::kDynamic;
    else if (extent > std::numeric_limits<int64_t>::max() - total)
      return emitOpError() << "concatenated dimension overflows";
    else
      total += extent;
  }
  if (!dimsAgree(out.getDimSize(axis), total))
    return emitOpError() << "result dimension " << axis << " must be "
                         << dimStr(total);
  return success();
}

/// The concatenation of constant inputs (an ONNX graph's Q, K and V
/// weights after xf-fuse-qkv), for byte-sized elements.
static Attribute concatConstants(ConcatOp op, ArrayRef<Attribute> inputs) {
  auto type = dyn_cast<RankedTensorType>(op.getType());
  if (!type || !type.hasStaticShape() || type.getEncoding() ||
      type.getElementTypeBitWidth() % 8)
    return {};
  size_t width = type.getElementTypeBitWidth() / 8;
  int64_t axis = op.getAxis(), outer = 1;
  for (int64_t d : type.getShape().take_front(axis))
    outer *= d;
  // Each input's bytes per outer index, as stored (a splat repeated).
  SmallVector<std::vector<char>> blocks;
  for (auto [value, input] : llvm::zip(inputs, op.getInputs())) {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(value);
    if (!dense || dense.getType() != input.getType())
      return {};
    ArrayRef<char> raw = dense.getRawData();
    std::vector<char> bytes;
    if (dense.isSplat()) {
      for (int64_t e = 0; e < dense.getNumElements(); ++e)
        bytes.insert(bytes.end(), raw.begin(), raw.begin() + width);
    } else {
      bytes.assign(raw.begin(), raw.end());
    }
    blocks.push_back(std::move(bytes));
  }
  std::vector<char> data;
  data.reserve(type.getNumElements() * width);
  for (int64_t o = 0; o < outer; ++o)
    for (const std::vector<char> &block : blocks) {
      size_t inner = block.size() / outer;
      data.insert(data.end(), block.begin() + o * inner,
                  block.begin() + (o + 1) * inner);
    }
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  return concatConstants(*this, adaptor.getInputs());
}

LogicalResult RepeatInterleaveOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  int64_t axis = getAxis(), repeats = getRepeats();
  if (failed(verifyAxis(*this, axis, in.getRank())))
    return failure();
  if (repeats < 1)
    return emitOpError() << "repeats must be >= 1, got " << repeats;
  int64_t extent = in.getDimSize(axis);
  if (!ShapedType::isDynamic(extent) &&
      extent > std::numeric_limits<int64_t>::max() / 2 / repeats)
    return emitOpError() << "repeating " << extent << " elements " << repeats
                         << " times overflows";
  if (in.getRank() != out.getRank() ||
      in.getElementType() != out.getElementType())
    return emitOpError() << "result must have the input's rank and element "
                            "type";
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t d = in.getDimSize(i);
    int64_t expected =
        i == axis && !ShapedType::isDynamic(d) ? d * repeats : d;
    if (!dimsAgree(out.getDimSize(i), expected))
      return emitOpError() << "result dimension " << i << " must be "
                           << dimStr(expected);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// KV cache
//===----------------------------------------------------------------------===//

/// Keys and values exchanged with a cache are [tokens, kv_heads, head_dim].
static LogicalResult verifyCacheRows(Operation *op, KVCacheType cache,
                                     Value keys, Value values) {
  RankedTensorType k = tensorType(keys), v = tensorType(values);
  for (RankedTensorType t : {k, v}) {
    if (t.getRank() != 3 || !dimsAgree(t.getDimSize(1), cache.getKvHeads()) ||
        !dimsAgree(t.getDimSize(2), cache.getHeadDim()))
      return op->emitOpError()
             << "keys and values must be [tokens, " << cache.getKvHeads()
             << ", " << cache.getHeadDim() << "] to match " << cache
             << ", got " << t;
  }
  if (k != v)
    return op->emitOpError() << "keys and values must have the same type";
  return success();
}

LogicalResult KVAppendOp::verify() {
  return verifyCacheRows(*this, getCache().getType(), getKeys(), getValues());
}

LogicalResult KVReadOp::verify() {
  return verifyCacheRows(*this, getCache().getType(), getKeys(), getValues());
}

LogicalResult KVReadRawOp::verify() {
  KVCacheType cache = getCache().getType();
  if (!cache.isQuantized())
    return emitOpError() << "reads the stored rows of an i8 cache, not of "
                         << cache;
  RankedTensorType k = getKeys().getType();
  if (k != getValues().getType())
    return emitOpError() << "keys and values must have the same type";
  if (k.getRank() != 3 || !dimsAgree(k.getDimSize(1), cache.getKvHeads()) ||
      !dimsAgree(k.getDimSize(2), cache.getRowElements()))
    return emitOpError() << "stored rows must be [tokens, "
                         << cache.getKvHeads() << ", " << cache.getRowElements()
                         << "] to match " << cache << ", got " << k;
  return success();
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

float AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToFloat();
  return 1.0f / std::sqrt(static_cast<float>(
                    getQuery().getType().getDimSize(2)));
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType(),
                   v = getValue().getType();
  if (q.getRank() != 3 || k.getRank() != 3 || v.getRank() != 3)
    return emitOpError() << "query, key and value must be "
                            "[tokens, heads, head_dim]";
  if (k != v)
    return emitOpError() << "key and value must have the same type";
  if (k.getElementType() != q.getElementType())
    return emitOpError() << "query, key and value must have the same element "
                            "type";
  int64_t heads = q.getDimSize(1), kvHeads = k.getDimSize(1);
  int64_t headDim = q.getDimSize(2);
  if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(kvHeads) ||
      ShapedType::isDynamic(headDim))
    return emitOpError() << "head counts and head_dim must be static";
  if (heads <= 0 || kvHeads <= 0 || headDim <= 0)
    return emitOpError() << "head counts and head_dim must be positive";
  if (k.getDimSize(2) != headDim)
    return emitOpError() << "query head_dim " << headDim
                         << " differs from key head_dim " << k.getDimSize(2);
  if (heads % kvHeads != 0)
    return emitOpError() << "query heads (" << heads
                         << ") must be a multiple of KV heads (" << kvHeads
                         << ")";
  if (getType() != q)
    return emitOpError() << "result type must equal the query type";
  if (static_cast<bool>(getCache()) != static_cast<bool>(getPosition()))
    return emitOpError() << "a cache needs a position and vice versa";
  if (Value cache = getCache()) {
    if (failed(verifyCacheRows(*this, cast<KVCacheType>(cache.getType()),
                               getKey(), getValue())))
      return failure();
    if (!dimsAgree(q.getDimSize(0), k.getDimSize(0)))
      return emitOpError() << "with a cache, key and value hold the new "
                              "tokens and must match the query's count";
  }
  if (std::optional<APFloat> scale = getScale())
    if (!(scale->convertToFloat() > 0.0f))
      return emitOpError() << "scale must be positive";
  return success();
}

int64_t FfnOp::getHiddenSize() {
  if (Value up = getUp())
    return getWeightShape(up.getType())[0];
  return getWeightShape(getGateUp().getType())[0] / 2;
}

SmallVector<Value> FfnOp::getWeights() {
  SmallVector<Value> weights;
  for (Value weight : {getUp(), getGate(), getGateUp(), getDown()})
    if (weight)
      weights.push_back(weight);
  return weights;
}

std::optional<GeluApprox> FfnOp::getUngatedGelu(FfnKind kind) {
  if (kind == FfnKind::gelu)
    return GeluApprox::tanh;
  if (kind == FfnKind::gelu_erf)
    return GeluApprox::erf;
  return std::nullopt;
}

LogicalResult FfnOp::verify() {
  RankedTensorType in = getInput().getType();
  if (in.getRank() < 1)
    return emitOpError() << "input must have rank >= 1";
  if (getType() != in)
    return emitOpError() << "result type must equal the input type";
  bool gated = !getUngatedGelu(getKind());
  StringRef kind = stringifyFfnKind(getKind());
  if (!gated && (getGate() || getGateUp()))
    return emitOpError() << "'" << kind << "' takes no gate weight";
  if (gated && !getGateUp() && !(getUp() && getGate()))
    return emitOpError() << "'" << kind
                         << "' needs a gate and an up weight, or gate_up";
  if (getGateUp() && (getUp() || getGate()))
    return emitOpError() << "gate_up replaces the gate and up weights";
  if (!gated && !getUp())
    return emitOpError() << "'gelu' needs an up weight";
  if (getGateUp() && getUpBias())
    return emitOpError() << "gate_up takes no up bias";
  int64_t dim = in.getShape().back();
  ArrayRef<int64_t> first =
      getWeightShape((getUp() ? getUp() : getGateUp()).getType());
  if (first.size() != 2)
    return emitOpError() << (getUp() ? "up" : "gate_up")
                         << " weight must be 2-D";
  if (getGateUp() && first[0] % 2 != 0)
    return emitOpError() << "gate_up weight must have an even number of "
                            "rows (gate rows, then up rows)";
  int64_t hidden = getHiddenSize();
  if (Value up = getUp())
    if (failed(verifyMatrix(*this, up, "up weight", hidden, dim)))
      return failure();
  if (Value gate = getGate())
    if (failed(verifyMatrix(*this, gate, "gate weight", hidden, dim)))
      return failure();
  if (Value gateUp = getGateUp())
    if (failed(verifyMatrix(*this, gateUp, "gate_up weight", 2 * hidden, dim)))
      return failure();
  if (failed(verifyMatrix(*this, getDown(), "down weight", dim, hidden)))
    return failure();
  for (auto [bias, name, size] :
       {std::tuple{getUpBias(), "up bias", hidden},
        std::tuple{getDownBias(), "down bias", dim}}) {
    if (!bias)
      continue;
    if (failed(verifyVector(*this, bias, name, size)))
      return failure();
    if (tensorType(bias).getElementType() != in.getElementType())
      return emitOpError() << name << " must have the input's element type";
  }
  SmallVector<Value> weights;
  for (Value w : {getUp(), getGate(), getGateUp(), getDown()})
    if (w)
      weights.push_back(w);
  return verifyCompute(*this, getCompute(), {dim, hidden}, weights);
}

//===----------------------------------------------------------------------===//
// Tensor parallelism
//===----------------------------------------------------------------------===//

LogicalResult AllReduceOp::verify() {
  if (getShards() < 2)
    return emitOpError() << "sums over 2 or more shards, got " << getShards();
  return success();
}
