//===- ONNXImporter.cpp - ONNX graphs to fine-grained xf IR ---------------===//
//
// Walks the graph in order (ONNXModel checked it is topological). Each value
// is either a runtime tensor (an SSA value of @main) or a constant; an op
// whose inputs are all constants is folded, so shape computations never
// reach the IR. Runtime arithmetic is floating-point; constants join it in
// the runtime operand's element type.
//
//===----------------------------------------------------------------------===//

#include "xfc/Frontends/ONNXImporter.h"

#include "ONNX/Constant.h"

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/Eval/IntegerValues.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>
#include <unordered_map>

using namespace mlir;
using namespace xfc;
namespace eval = mlir::xf::eval;
using onnxfile::ElementType;
using onnximport::Constant;

namespace {

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t product(ArrayRef<int64_t> dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// Folding allocates the values; a hostile shape must not make it allocate
/// without bound.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// A value of the graph: a runtime tensor or a constant.
struct Entry {
  Value value;
  std::optional<Constant> constant;
  /// A run-time value's ONNX element type: its MLIR type does not say
  /// whether an integer is unsigned. 0 until `define` infers it.
  int32_t type = 0;

  int32_t elementType() const { return constant ? constant->type : type; }

  std::vector<int64_t> shape() const {
    if (constant)
      return constant->shape;
    auto t = cast<RankedTensorType>(value.getType());
    return std::vector<int64_t>(t.getShape().begin(), t.getShape().end());
  }
};

/// Each op's handler; returns false with the error set.
class Importer;
using Handler = bool (Importer::*)();

class Importer {
public:
  Importer(const onnxfile::Model &model, MLIRContext &ctx,
           const ONNXImportOptions &options, std::string &error)
      : model(model), ctx(ctx), b(&ctx), options(options), error(error),
        fileLoc(FileLineColLoc::get(&ctx, model.path(), 0, 0)) {}

  OwningOpRef<ModuleOp> run();
  static const std::unordered_map<std::string, Handler> &handlers();

private:
  // Messages.
  bool fail(const std::string &what);
  Location loc() const { return nodeLoc; }

  // Attributes of the current node.
  const onnx::AttributeProto *attribute(const char *name) const;
  /// The attribute `name`, if present and of `type` (else an error).
  const onnx::AttributeProto *
  typedAttribute(const char *name, onnx::AttributeProto::AttributeType type);
  int64_t intAttr(const char *name, int64_t fallback);
  float floatAttr(const char *name, float fallback);
  std::optional<std::vector<int64_t>> intsAttr(const char *name);
  /// Constants are folded in memory: a shape too large to fold is an error.
  bool checkFoldSize(ArrayRef<int64_t> shape);

  // Inputs and outputs of the current node.
  int numInputs() const;
  const Entry *input(int i);
  /// Input `i`, which the op cannot do without; null after an error.
  const Entry *required(int i);
  /// Input `i` as a constant; fails (naming `what`) if it is computed at
  /// run time.
  std::optional<Constant> constantInput(int i, const char *what);
  /// Input `i` at run time, of element type `element` (a constant is
  /// materialized; a float tensor is converted); null after an error.
  Value runtimeInput(int i, Type element = {});
  /// The float element type the op computes in: its first runtime float
  /// input's. Null (with the error set) if a runtime input is not float.
  Type computeType();
  void define(int output, Entry entry);
  /// The ONNX element type of `v`, a result of the current node: that of
  /// its first input with the same MLIR element type (data movement keeps
  /// a uint8 a uint8), else the signed reading of `v`'s type.
  int32_t inferredType(Value v);
  /// `v` (of ONNX element type `from`) converted to `element` at run time;
  /// `to` is the ONNX type wanted (it says whether an integer result is
  /// unsigned).
  Value convertValue(Value v, int32_t from, Type element, int32_t to);
  void defineValue(int output, Value value) { define(output, {value, {}}); }
  void defineConstant(int output, Constant c) {
    define(output, {Value(), std::move(c)});
  }
  Value materialize(const Constant &c, Type element);
  RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type element) {
    return RankedTensorType::get(shape, element);
  }
  Value reshape(Value v, ArrayRef<int64_t> shape);
  Entry reshaped(const Entry &e, const std::vector<int64_t> &shape);
  /// Takes `indices` (already in range) along `axis`: a slice when they
  /// are consecutive, else a gather.
  Entry take(const Entry &e, int64_t axis, const std::vector<int64_t> &indices);
  bool normalizeAxis(int64_t &axis, int64_t rank, const char *what);

  // Handlers.
  bool binary();
  /// Pow of run-time operands, whose types may differ.
  bool power(ArrayRef<int64_t> shape);
  bool unary();
  bool matmul();
  bool gemm();
  bool reduceMean();
  bool softmax();
  bool layerNormalization();
  bool gelu();
  bool transpose();
  bool reshapeOp();
  bool flatten();
  bool squeeze();
  bool unsqueeze();
  bool concat();
  bool split();
  bool slice();
  bool gather();
  bool where();
  bool expand();
  bool castOp();
  bool shapeOp();
  bool constant();
  bool constantOfShape();
  bool range();
  bool identity();

  Value matmulValues(Value a, Value bv);
  /// `a` times a constant matrix as one xf.linear: `w` is [k, n] (a MatMul's
  /// or Gemm's B), or [n, k] with `rowsAreOutputs` (Gemm with transB, the
  /// layout xf.linear takes); `bias`, if any, is [n].
  Value linearByConstant(Value a, const Constant &w, bool rowsAreOutputs,
                         Value bias, Type element);

  const onnxfile::Model &model;
  MLIRContext &ctx;
  OpBuilder b;
  const ONNXImportOptions &options;
  std::string &error;
  Location fileLoc;
  Location nodeLoc = fileLoc;
  std::unordered_map<std::string, Entry> values;
  const onnx::NodeProto *node = nullptr;
  int nodeIndex = 0;
};

bool Importer::fail(const std::string &what) {
  if (error.empty())
    error = model.path() + ": " + onnxfile::describeNode(*node, nodeIndex) +
            ", opset " + std::to_string(model.opset()) + ": " + what;
  return false;
}

const onnx::AttributeProto *Importer::attribute(const char *name) const {
  for (const onnx::AttributeProto &a : node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

const onnx::AttributeProto *
Importer::typedAttribute(const char *name,
                         onnx::AttributeProto::AttributeType type) {
  const onnx::AttributeProto *a = attribute(name);
  if (a && a->type() != type) {
    fail("attribute '" + std::string(name) + "' has the wrong type");
    return nullptr;
  }
  return a;
}

int64_t Importer::intAttr(const char *name, int64_t fallback) {
  const onnx::AttributeProto *a =
      typedAttribute(name, onnx::AttributeProto::INT);
  return a ? a->i() : fallback;
}

float Importer::floatAttr(const char *name, float fallback) {
  const onnx::AttributeProto *a =
      typedAttribute(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : fallback;
}

std::optional<std::vector<int64_t>> Importer::intsAttr(const char *name) {
  const onnx::AttributeProto *a =
      typedAttribute(name, onnx::AttributeProto::INTS);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

bool Importer::checkFoldSize(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || llvm::MulOverflow(n, d, n) || n > kMaxFoldedElements)
      return fail("folds a constant of shape " + shapeString(shape) +
                  ", more than 2^24 elements");
  return true;
}

int Importer::numInputs() const {
  int n = node->input_size();
  while (n > 0 && node->input(n - 1).empty())
    --n; // trailing optional inputs left out
  return n;
}

const Entry *Importer::input(int i) {
  if (i >= node->input_size() || node->input(i).empty())
    return nullptr;
  auto it = values.find(node->input(i));
  return it == values.end() ? nullptr : &it->second;
}

const Entry *Importer::required(int i) {
  const Entry *e = input(i);
  if (!e)
    fail("input " + std::to_string(i) + " is missing");
  return e;
}

std::optional<Constant> Importer::constantInput(int i, const char *what) {
  const Entry *e = input(i);
  if (!e) {
    fail(std::string("missing input ") + what);
    return std::nullopt;
  }
  if (!e->constant) {
    fail(std::string("input ") + what + " ('" + node->input(i) +
         "') must be known at compile time (an initializer, a Constant or "
         "computed from them)");
    return std::nullopt;
  }
  return e->constant;
}

Value Importer::materialize(const Constant &c, Type element) {
  Constant cast = c;
  // The constant's own type where it has this element type: a uint64
  // must not be read as an int64.
  int32_t type = onnximport::elementType(ctx, c.type) == element
                     ? c.type
                     : onnximport::onnxType(element);
  for (double &v : cast.values)
    v = onnximport::castTo(type, v);
  return arith::ConstantOp::create(b, loc(),
                                   onnximport::toAttribute(ctx, cast, type));
}

Value Importer::runtimeInput(int i, Type element) {
  const Entry *e = input(i);
  if (!e) {
    fail("missing input " + std::to_string(i));
    return {};
  }
  if (e->constant) {
    if (!element)
      element = onnximport::elementType(ctx, e->constant->type);
    if (!element) {
      fail("input '" + node->input(i) + "' has element type " +
           onnxfile::elementTypeName(e->constant->type) +
           ", which XFC does not compute with");
      return {};
    }
    return materialize(*e->constant, element);
  }
  auto type = cast<RankedTensorType>(e->value.getType());
  if (!element || type.getElementType() == element)
    return e->value;
  if (isa<FloatType>(type.getElementType()) && isa<FloatType>(element))
    return xf::ConvertOp::create(b, loc(), tensorOf(type.getShape(), element),
                                 e->value);
  fail("input '" + node->input(i) + "' is " +
       onnxfile::elementTypeName(e->elementType()) +
       " at run time, but the op computes in " +
       onnxfile::elementTypeName(onnximport::onnxType(element)));
  return {};
}

Type Importer::computeType() {
  Type found;
  for (int i = 0; i < numInputs(); ++i) {
    const Entry *e = input(i);
    if (!e || e->constant)
      continue;
    Type t = cast<RankedTensorType>(e->value.getType()).getElementType();
    if (!isa<FloatType>(t)) {
      fail("input '" + node->input(i) + "' is an " +
           onnxfile::elementTypeName(onnximport::onnxType(t)) +
           " tensor computed at run time; XFC computes this op on "
           "floating-point tensors only");
      return {};
    }
    if (!found)
      found = t;
  }
  return found ? found : b.getF32Type();
}

int32_t Importer::inferredType(Value v) {
  Type element = cast<RankedTensorType>(v.getType()).getElementType();
  for (int i = 0; i < numInputs(); ++i)
    if (const Entry *e = input(i))
      if (onnximport::elementType(ctx, e->elementType()) == element)
        return e->elementType();
  return onnximport::onnxType(element);
}

Value Importer::convertValue(Value v, int32_t from, Type element, int32_t to) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == element)
    return v;
  // The integer side's signedness: the source's, else the result's.
  bool isUnsigned = onnximport::isFloatType(from)
                        ? onnximport::isUnsignedType(to)
                        : onnximport::isUnsignedType(from);
  return xf::ConvertOp::create(b, loc(), type.clone(element), v, isUnsigned);
}

void Importer::define(int output, Entry entry) {
  if (entry.value && !entry.type)
    entry.type = inferredType(entry.value);
  if (output < node->output_size() && !node->output(output).empty())
    values[node->output(output)] = std::move(entry);
}

Value Importer::reshape(Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return xf::ReshapeOp::create(b, loc(), tensorOf(shape, type.getElementType()),
                               v);
}

Entry Importer::reshaped(const Entry &e, const std::vector<int64_t> &shape) {
  if (e.constant) {
    Constant c = *e.constant;
    c.shape = shape;
    return {Value(), std::move(c)};
  }
  return {reshape(e.value, shape), {}};
}

bool Importer::normalizeAxis(int64_t &axis, int64_t rank, const char *what) {
  if (axis < -rank || axis >= rank)
    return fail(std::string(what) + " " + std::to_string(axis) +
                " is outside rank " + std::to_string(rank));
  if (axis < 0)
    axis += rank;
  return true;
}

Entry Importer::take(const Entry &e, int64_t axis,
                     const std::vector<int64_t> &indices) {
  std::vector<int64_t> shape = e.shape();
  int64_t n = static_cast<int64_t>(indices.size());
  if (e.constant) {
    const Constant &c = *e.constant;
    int64_t outer = product(ArrayRef<int64_t>(shape).take_front(axis));
    int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(axis + 1));
    Constant out;
    out.type = c.type;
    out.shape = shape;
    out.shape[axis] = n;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k : indices)
        for (int64_t i = 0; i < inner; ++i)
          out.values.push_back(c.values[(o * shape[axis] + k) * inner + i]);
    return {Value(), std::move(out)};
  }
  if (n == shape[axis] &&
      llvm::all_of(llvm::seq<int64_t>(0, n),
                   [&](int64_t i) { return indices[i] == i; }))
    return e;
  std::vector<int64_t> resultShape = shape;
  resultShape[axis] = n;
  Type element = cast<RankedTensorType>(e.value.getType()).getElementType();
  bool consecutive =
      n > 0 && llvm::all_of(llvm::seq<int64_t>(1, n), [&](int64_t i) {
        return indices[i] == indices[0] + i;
      });
  if (consecutive)
    return {xf::SliceOp::create(b, loc(), tensorOf(resultShape, element),
                                e.value, b.getI64IntegerAttr(axis),
                                b.getI64IntegerAttr(indices[0]),
                                b.getI64IntegerAttr(n)),
            {}};
  Constant idx;
  idx.type = int32_t(ElementType::Int64);
  idx.shape = {n};
  idx.values.assign(indices.begin(), indices.end());
  Value at = materialize(idx, b.getI64Type());
  return {xf::GatherOp::create(b, loc(), tensorOf(resultShape, element),
                               e.value, at, b.getI64IntegerAttr(axis)),
          {}};
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

double addOf(double x, double y) { return x + y; }
double subOf(double x, double y) { return x - y; }
double mulOf(double x, double y) { return x * y; }
double divOf(double x, double y) { return x / y; }
double powOf(double x, double y) { return std::pow(x, y); }

bool Importer::binary() {
  const std::string &op = node->op_type();
  const Entry *lhs = input(0), *rhs = input(1);
  if (!lhs || !rhs)
    return fail("needs two inputs");
  std::optional<std::vector<int64_t>> shape =
      onnximport::broadcastShapes(lhs->shape(), rhs->shape());
  if (!shape)
    return fail("shapes " + shapeString(lhs->shape()) + " and " +
                shapeString(rhs->shape()) + " do not broadcast");
  double (*f)(double, double) = op == "Add"   ? addOf
                                : op == "Sub" ? subOf
                                : op == "Mul" ? mulOf
                                : op == "Div" ? divOf
                                              : powOf;
  if (lhs->constant && rhs->constant) {
    if (!checkFoldSize(*shape))
      return false;
    // Pow keeps its base's type; the others have one type. Integers fold
    // as the compiled code computes them (xf's integer ops, exactly).
    int32_t type = lhs->constant->type, rhsType = rhs->constant->type;
    std::function<double(double, double)> fold = f;
    if (!onnximport::isFloatType(type) && !onnximport::isFloatType(rhsType)) {
      // Powers compute in the wider operand's width (see `power`), then
      // wrap to the base's.
      unsigned baseWidth = 8 * onnxfile::elementBytes(type);
      unsigned width =
          op == "Pow" ? std::max<unsigned>(baseWidth,
                                           8 * onnxfile::elementBytes(rhsType))
                      : baseWidth;
      bool isUnsigned = onnximport::isUnsignedType(type);
      // A power's exponent decides how a negative one reads.
      bool opUnsigned =
          op == "Pow" ? onnximport::isUnsignedType(rhsType) : isUnsigned;
      eval::IntegerOp kind = op == "Add"   ? eval::IntegerOp::Add
                             : op == "Sub" ? eval::IntegerOp::Sub
                             : op == "Mul" ? eval::IntegerOp::Mul
                             : op == "Div" ? eval::IntegerOp::Div
                                           : eval::IntegerOp::Pow;
      fold = [=](double x, double y) {
        double r = eval::integerBinary(kind, eval::wrapInteger(x, width),
                                       eval::wrapInteger(y, width), width,
                                       opUnsigned, baseWidth);
        return eval::integerValue(r, baseWidth, isUnsigned);
      };
    } else if (!onnximport::isFloatType(type)) {
      // An integer to a float power: in f64, rounded toward zero and
      // saturated.
      fold = [=](double x, double y) {
        return onnximport::saturateToInteger(type, std::pow(x, y));
      };
    }
    Constant out =
        onnximport::broadcastApply(*lhs->constant, *rhs->constant, type, fold);
    defineConstant(0, std::move(out));
    return true;
  }
  if (op == "Pow")
    return power(*shape);
  // Add, Sub, Mul and Div take one type: the first run-time operand's.
  int32_t type = (lhs->constant ? rhs : lhs)->elementType();
  Type element = onnximport::isFloatType(type)
                     ? computeType()
                     : onnximport::elementType(ctx, type);
  if (!element)
    return false;
  if (element.isInteger(1))
    return fail("computes on bool tensors");
  Value x = runtimeInput(0, element), y = runtimeInput(1, element);
  if (!x || !y)
    return false;
  RankedTensorType resultType = tensorOf(*shape, element);
  Value result;
  if (op == "Add")
    result = xf::AddOp::create(b, loc(), resultType, x, y);
  else if (op == "Sub")
    result = xf::SubOp::create(b, loc(), resultType, x, y);
  else if (op == "Mul")
    result = xf::MulOp::create(b, loc(), resultType, x, y);
  else
    result = xf::DivOp::create(b, loc(), resultType, x, y,
                               onnximport::isUnsignedType(type));
  define(0, {result, {}, type});
  return true;
}

bool Importer::power(ArrayRef<int64_t> shape) {
  int32_t baseType = input(0)->elementType();
  int32_t exponentType = input(1)->elementType();
  Type baseElement = onnximport::elementType(ctx, baseType);
  Type exponentElement = onnximport::elementType(ctx, exponentType);
  if (!baseElement || !exponentElement || baseElement.isInteger(1) ||
      exponentElement.isInteger(1))
    return fail("raises " + onnxfile::elementTypeName(baseType) + " to " +
                onnxfile::elementTypeName(exponentType) +
                " powers, which XFC does not compute");
  // The result has the base's type. NumPy computes an integer base to a
  // float power in f64 and ONNX's reference casts back (rounding toward
  // zero). Integer powers compute in the wider operand's width, then wrap
  // to the base's (an int64 exponent is not cut to an int8 base's width).
  // Otherwise the exponent takes the base's float type.
  bool intBase = !onnximport::isFloatType(baseType);
  bool intExponent = !onnximport::isFloatType(exponentType);
  bool widerExponent = exponentElement.getIntOrFloatBitWidth() >
                       baseElement.getIntOrFloatBitWidth();
  int32_t type =
      !intBase ? baseType
      : !intExponent
          ? int32_t(onnxfile::ElementType::Double)
          : (widerExponent ? onnximport::onnxType(exponentElement) : baseType);
  Type element = onnximport::elementType(ctx, type);
  Value x = runtimeInput(0, baseElement), y = runtimeInput(1, exponentElement);
  if (!x || !y)
    return false;
  x = convertValue(x, baseType, element, type);
  y = convertValue(y, exponentType, element, type);
  // On integers the exponent's signedness decides how a negative one reads.
  bool isUnsigned =
      intBase && intExponent && onnximport::isUnsignedType(exponentType);
  Value result =
      xf::PowOp::create(b, loc(), tensorOf(shape, element), x, y, isUnsigned);
  define(0, {convertValue(result, type, baseElement, baseType), {}, baseType});
  return true;
}

bool Importer::unary() {
  const std::string &op = node->op_type();
  const Entry *x = required(0);
  if (!x)
    return false;
  if (x->constant) {
    Constant c = *x->constant;
    for (double &v : c.values) {
      double r = op == "Sqrt"         ? std::sqrt(v)
                 : op == "Reciprocal" ? 1.0 / v
                 : op == "Erf"        ? std::erf(v)
                 : op == "Tanh"       ? std::tanh(v)
                 : op == "Sigmoid"    ? 1.0 / (1.0 + std::exp(-v))
                                      : (v < 0 ? 0.0 : v);
      v = onnximport::castTo(c.type, r);
    }
    defineConstant(0, std::move(c));
    return true;
  }
  Type element = computeType();
  Value v = element ? runtimeInput(0, element) : Value();
  if (!v)
    return false;
  Value r;
  if (op == "Sqrt")
    r = xf::SqrtOp::create(b, loc(), v);
  else if (op == "Reciprocal")
    r = xf::ReciprocalOp::create(b, loc(), v);
  else if (op == "Erf")
    r = xf::ErfOp::create(b, loc(), v);
  else if (op == "Tanh")
    r = xf::TanhOp::create(b, loc(), v);
  else if (op == "Sigmoid")
    r = xf::SigmoidOp::create(b, loc(), v);
  else
    r = xf::ReluOp::create(b, loc(), v);
  defineValue(0, r);
  return true;
}

bool Importer::gelu() {
  Type element = computeType();
  Value v = element ? runtimeInput(0, element) : Value();
  if (!v)
    return false;
  const onnx::AttributeProto *a = attribute("approximate");
  std::string approx = a ? a->s() : "none";
  if (approx != "none" && approx != "tanh")
    return fail("approximate '" + approx + "' is not 'none' or 'tanh'");
  defineValue(0, xf::GeluOp::create(b, loc(), v.getType(),
                                    approx == "tanh" ? xf::GeluApprox::tanh
                                                     : xf::GeluApprox::erf,
                                    v));
  return true;
}

//===----------------------------------------------------------------------===//
// Contractions and normalizations
//===----------------------------------------------------------------------===//

/// NumPy matmul of two runtime values: 1-D operands gain and lose a unit
/// dimension, batch dimensions broadcast.
Value Importer::matmulValues(Value a, Value bv) {
  auto at = cast<RankedTensorType>(a.getType());
  auto bt = cast<RankedTensorType>(bv.getType());
  std::vector<int64_t> as(at.getShape().begin(), at.getShape().end());
  std::vector<int64_t> bs(bt.getShape().begin(), bt.getShape().end());
  if (as.empty() || bs.empty()) {
    fail("operands must have rank 1 or more");
    return {};
  }
  bool vectorA = as.size() == 1, vectorB = bs.size() == 1;
  if (vectorA)
    as.insert(as.begin(), 1);
  if (vectorB)
    bs.push_back(1);
  if (as.back() != bs[bs.size() - 2]) {
    fail("inner dimensions " + shapeString(at.getShape()) + " x " +
         shapeString(bt.getShape()) + " differ");
    return {};
  }
  std::vector<int64_t> batchA(as.begin(), as.end() - 2);
  std::vector<int64_t> batchB(bs.begin(), bs.end() - 2);
  std::optional<std::vector<int64_t>> batch =
      onnximport::broadcastShapes(batchA, batchB);
  if (!batch) {
    fail("batch dimensions do not broadcast");
    return {};
  }
  Type element = at.getElementType();
  auto full = [&](Value v, std::vector<int64_t> shape, int64_t rows,
                  int64_t cols) -> Value {
    v = reshape(v, shape);
    std::vector<int64_t> target = *batch;
    target.push_back(rows);
    target.push_back(cols);
    if (target == shape)
      return v;
    return xf::BroadcastOp::create(b, loc(), tensorOf(target, element), v);
  };
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  Value lhs = full(a, as, m, k), rhs = full(bv, bs, k, n);
  std::vector<int64_t> out = *batch;
  out.push_back(m);
  out.push_back(n);
  Value r = xf::MatmulOp::create(b, loc(), tensorOf(out, element), lhs, rhs,
                                 /*transpose_rhs=*/false);
  if (vectorA)
    out.erase(out.end() - 2);
  if (vectorB)
    out.pop_back();
  return reshape(r, out);
}

Value Importer::linearByConstant(Value a, const Constant &w,
                                 bool rowsAreOutputs, Value bias,
                                 Type element) {
  Constant weight = w;
  if (!rowsAreOutputs) {
    int64_t k = w.shape[0], n = w.shape[1];
    weight.shape = {n, k};
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        weight.values[j * k + i] = w.values[i * n + j];
  }
  SmallVector<int64_t> shape(cast<RankedTensorType>(a.getType()).getShape());
  shape.back() = weight.shape[0];
  return xf::LinearOp::create(b, loc(), tensorOf(shape, element), a,
                              materialize(weight, element), bias);
}

bool Importer::matmul() {
  Type element = computeType();
  Value a = element ? runtimeInput(0, element) : Value();
  if (!a)
    return false;
  // By a constant matrix W [k, n] (how PyTorch exports nn.Linear): one
  // xf.linear over every leading dimension of A, with W^T [n, k] folded
  // here, which is the weight layout the kernels and fusion passes take.
  const Entry *w = input(1);
  auto at = cast<RankedTensorType>(a.getType());
  if (w && w->constant && w->constant->shape.size() == 2 && at.getRank() >= 1 &&
      at.getShape().back() == w->constant->shape[0]) {
    defineValue(0, linearByConstant(a, *w->constant, /*rowsAreOutputs=*/false,
                                    Value(), element));
    return true;
  }
  Value bv = runtimeInput(1, element);
  if (!bv)
    return false;
  Value r = matmulValues(a, bv);
  if (!r)
    return false;
  defineValue(0, r);
  return true;
}

bool Importer::gemm() {
  Type element = computeType();
  Value a = element ? runtimeInput(0, element) : Value();
  Value bv = element ? runtimeInput(1, element) : Value();
  if (!a || !bv)
    return false;
  auto transposed = [&](Value v) -> Value {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 2) {
      fail("A and B must be matrices");
      return {};
    }
    return xf::TransposeOp::create(
        b, loc(), tensorOf({t.getDimSize(1), t.getDimSize(0)}, element), v,
        b.getDenseI64ArrayAttr({1, 0}));
  };
  for (Value v : {a, bv})
    if (cast<RankedTensorType>(v.getType()).getRank() != 2)
      return fail("A and B must be matrices");
  // A x B (+ C) with B a constant matrix, as PyTorch exports nn.Linear on
  // 2-D inputs (transB = 1): one xf.linear, C its bias when it is a
  // constant row.
  const Entry *w = input(1), *cEntry = input(2);
  float alpha = floatAttr("alpha", 1.0f), beta = floatAttr("beta", 1.0f);
  bool transB = intAttr("transB", 0);
  if (!intAttr("transA", 0) && alpha == 1.0f && w && w->constant &&
      w->constant->shape.size() == 2 &&
      cast<RankedTensorType>(a.getType()).getDimSize(1) ==
          w->constant->shape[transB ? 1 : 0]) {
    int64_t n = w->constant->shape[transB ? 0 : 1];
    std::optional<Constant> row;
    if (cEntry && cEntry->constant && beta == 1.0f &&
        cEntry->constant->numElements() == n &&
        (cEntry->constant->shape == std::vector<int64_t>{n} ||
         cEntry->constant->shape == std::vector<int64_t>{1, n})) {
      row = *cEntry->constant;
      row->shape = {n};
    }
    if (!cEntry || row) {
      defineValue(0, linearByConstant(
                         a, *w->constant, transB,
                         row ? materialize(*row, element) : Value(), element));
      return true;
    }
  }
  if (intAttr("transA", 0) && !(a = transposed(a)))
    return false;
  if (intAttr("transB", 0) && !(bv = transposed(bv)))
    return false;
  Value y = matmulValues(a, bv);
  if (!y)
    return false;
  auto type = cast<RankedTensorType>(y.getType());
  auto scalar = [&](float v) {
    Constant c; // rank 0: broadcasts to any shape without changing it
    c.values = {v};
    return materialize(c, element);
  };
  if (alpha != 1.0f)
    y = xf::MulOp::create(b, loc(), type, y, scalar(alpha));
  if (input(2)) {
    Value c = runtimeInput(2, element);
    if (!c)
      return false;
    auto ct = cast<RankedTensorType>(c.getType());
    std::vector<int64_t> yShape(type.getShape().begin(), type.getShape().end());
    if (onnximport::broadcastShapes(
            std::vector<int64_t>(ct.getShape().begin(), ct.getShape().end()),
            yShape) != yShape)
      return fail("C of shape " + shapeString(ct.getShape()) +
                  " does not broadcast to " + shapeString(type.getShape()));
    if (beta != 1.0f)
      c = xf::MulOp::create(b, loc(), ct, c, scalar(beta));
    y = xf::AddOp::create(b, loc(), type, y, c);
  }
  defineValue(0, y);
  return true;
}

bool Importer::reduceMean() {
  Type element = computeType();
  Value x = element ? runtimeInput(0, element) : Value();
  if (!x)
    return false;
  std::vector<int64_t> shape = Entry{x, {}}.shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> axes;
  if (model.opset() >= 18) {
    if (input(1)) {
      std::optional<Constant> c = constantInput(1, "axes");
      if (!c)
        return false;
      axes = c->ints();
    }
  } else if (std::optional<std::vector<int64_t>> a = intsAttr("axes")) {
    axes = *a;
  }
  if (axes.empty()) {
    if (intAttr("noop_with_empty_axes", 0)) {
      defineValue(0, x);
      return true;
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (int64_t &axis : axes)
    if (!normalizeAxis(axis, rank, "axis"))
      return false;
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  for (int64_t axis : axes) {
    shape[axis] = 1;
    x = xf::ReduceMeanOp::create(b, loc(), tensorOf(shape, element), x,
                                 b.getI64IntegerAttr(axis));
  }
  if (!intAttr("keepdims", 1)) {
    std::vector<int64_t> kept;
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(axes, d))
        kept.push_back(shape[d]);
    x = reshape(x, kept);
  }
  defineValue(0, x);
  return true;
}

bool Importer::softmax() {
  Type element = computeType();
  Value x = element ? runtimeInput(0, element) : Value();
  if (!x)
    return false;
  std::vector<int64_t> shape = Entry{x, {}}.shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = intAttr("axis", model.opset() >= 13 ? -1 : 1);
  if (!normalizeAxis(axis, rank, "axis"))
    return false;
  if (model.opset() < 13) {
    // Before opset 13 the input is read as a matrix split at `axis`.
    ArrayRef<int64_t> dims(shape);
    Value flat = reshape(
        x, {product(dims.take_front(axis)), product(dims.drop_front(axis))});
    Value y = xf::SoftmaxOp::create(b, loc(), flat);
    defineValue(0, reshape(y, shape));
    return true;
  }
  if (axis == rank - 1) {
    defineValue(0, xf::SoftmaxOp::create(b, loc(), x));
    return true;
  }
  // Moves the axis last and back.
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  std::vector<int64_t> moved;
  for (int64_t p : perm)
    moved.push_back(shape[p]);
  Value t = xf::TransposeOp::create(b, loc(), tensorOf(moved, element), x,
                                    b.getDenseI64ArrayAttr(perm));
  Value y = xf::SoftmaxOp::create(b, loc(), t);
  SmallVector<int64_t> inverse(rank);
  for (int64_t d = 0; d < rank; ++d)
    inverse[perm[d]] = d;
  defineValue(0, xf::TransposeOp::create(b, loc(), tensorOf(shape, element), y,
                                         b.getDenseI64ArrayAttr(inverse)));
  return true;
}

bool Importer::layerNormalization() {
  Type element = computeType();
  Value x = element ? runtimeInput(0, element) : Value();
  Value scale = element ? runtimeInput(1, element) : Value();
  if (!x || !scale)
    return false;
  Value bias;
  if (input(2) && !(bias = runtimeInput(2, element)))
    return false;
  std::vector<int64_t> shape = Entry{x, {}}.shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = intAttr("axis", -1);
  if (!normalizeAxis(axis, rank, "axis"))
    return false;
  float eps = floatAttr("epsilon", 1e-5f);
  // Scale and bias stretch to the input, never the input to them.
  for (Value v : {scale, bias}) {
    if (!v)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    std::vector<int64_t> s(t.getShape().begin(), t.getShape().end());
    if (onnximport::broadcastShapes(s, shape) != shape)
      return fail("scale or bias of shape " + shapeString(s) +
                  " does not broadcast to " + shapeString(shape));
  }
  bool onlyY = node->output_size() < 2 ||
               (node->output(1).empty() &&
                (node->output_size() < 3 || node->output(2).empty()));
  auto vectorOfLast = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.getRank() == 1 && t.getDimSize(0) == shape.back();
  };
  if (onlyY && axis == rank - 1 && vectorOfLast(scale) &&
      (!bias || vectorOfLast(bias))) {
    if (!bias) {
      Constant zeros;
      zeros.shape = {shape.back()};
      zeros.values.assign(shape.back(), 0.0);
      bias = materialize(zeros, element);
    }
    defineValue(0, xf::LayerNormOp::create(b, loc(), x, scale, bias,
                                           b.getF32FloatAttr(eps)));
    return true;
  }
  // The general case, with the statistics it can return: the mean and
  // 1 / sqrt(var + eps) over dimensions axis.., kept as size 1.
  std::vector<int64_t> reduced = shape;
  Value mean = x;
  for (int64_t d = axis; d < rank; ++d) {
    reduced[d] = 1;
    mean = xf::ReduceMeanOp::create(b, loc(), tensorOf(reduced, element), mean,
                                    b.getI64IntegerAttr(d));
  }
  RankedTensorType full = tensorOf(shape, element);
  RankedTensorType stat = tensorOf(reduced, element);
  Value centered = xf::SubOp::create(b, loc(), full, x, mean);
  Value var = xf::MulOp::create(b, loc(), full, centered, centered);
  for (int64_t d = axis; d < rank; ++d) {
    std::vector<int64_t> partial = shape;
    for (int64_t e = axis; e <= d; ++e)
      partial[e] = 1;
    var = xf::ReduceMeanOp::create(b, loc(), tensorOf(partial, element), var,
                                   b.getI64IntegerAttr(d));
  }
  Constant epsilon;
  epsilon.shape = {1};
  epsilon.values = {eps};
  Value inv = xf::ReciprocalOp::create(
      b, loc(),
      xf::SqrtOp::create(b, loc(),
                         xf::AddOp::create(b, loc(), stat, var,
                                           materialize(epsilon, element))));
  Value y = xf::MulOp::create(
      b, loc(), full, xf::MulOp::create(b, loc(), full, centered, inv), scale);
  if (bias)
    y = xf::AddOp::create(b, loc(), full, y, bias);
  defineValue(0, y);
  defineValue(1, mean);
  defineValue(2, inv);
  return true;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

bool Importer::transpose() {
  const Entry *x = required(0);
  if (!x)
    return false;
  std::vector<int64_t> shape = x->shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> perm;
  if (std::optional<std::vector<int64_t>> p = intsAttr("perm"))
    perm = *p;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  if (int64_t(perm.size()) != rank ||
      !llvm::equal(sorted, llvm::seq<int64_t>(0, rank)))
    return fail("perm " + shapeString(perm) + " is not a permutation of " +
                std::to_string(rank) + " dimensions");
  std::vector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(shape[p]);
  if (x->constant) {
    const Constant &c = *x->constant;
    Constant t;
    t.type = c.type;
    t.shape = out;
    t.values.resize(c.values.size());
    std::vector<int64_t> strides(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * shape[d + 1];
    for (int64_t e = 0, n = t.numElements(); e < n; ++e) {
      int64_t src = 0, rem = e;
      for (int64_t d = rank - 1; d >= 0; --d) {
        src += (rem % out[d]) * strides[perm[d]];
        rem /= out[d];
      }
      t.values[e] = c.values[src];
    }
    defineConstant(0, std::move(t));
    return true;
  }
  Type element = cast<RankedTensorType>(x->value.getType()).getElementType();
  defineValue(0,
              xf::TransposeOp::create(b, loc(), tensorOf(out, element),
                                      x->value, b.getDenseI64ArrayAttr(perm)));
  return true;
}

bool Importer::reshapeOp() {
  const Entry *x = required(0);
  std::optional<Constant> target = x ? constantInput(1, "shape") : std::nullopt;
  if (!target)
    return false;
  std::vector<int64_t> in = x->shape(), out = target->ints();
  bool allowZero = intAttr("allowzero", 0);
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allowZero) {
      if (i >= in.size())
        return fail("shape copies dimension " + std::to_string(i) +
                    " of a rank-" + std::to_string(in.size()) + " input");
      out[i] = in[i];
    }
    if (out[i] == -1) {
      if (inferred >= 0)
        return fail("shape has two -1 dimensions");
      inferred = i;
    } else if (out[i] < 0) {
      return fail("shape has the dimension " + std::to_string(out[i]));
    } else if (llvm::MulOverflow(known, out[i], known)) {
      return fail("shape " + shapeString(target->ints()) + " overflows");
    }
  }
  int64_t count = product(in);
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return fail("cannot infer -1 in " + shapeString(target->ints()) +
                  " for " + shapeString(in));
    out[inferred] = count / known;
  }
  if (product(out) != count)
    return fail("shape " + shapeString(out) + " does not hold the " +
                std::to_string(count) + " elements of " + shapeString(in));
  define(0, reshaped(*x, out));
  return true;
}

bool Importer::flatten() {
  const Entry *x = required(0);
  if (!x)
    return false;
  std::vector<int64_t> in = x->shape();
  int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = intAttr("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return fail("axis " + std::to_string(intAttr("axis", 1)) +
                " is outside rank " + std::to_string(rank));
  ArrayRef<int64_t> dims(in);
  define(0, reshaped(*x, {product(dims.take_front(axis)),
                          product(dims.drop_front(axis))}));
  return true;
}

bool Importer::squeeze() {
  const Entry *x = required(0);
  if (!x)
    return false;
  std::vector<int64_t> in = x->shape(), axes;
  int64_t rank = static_cast<int64_t>(in.size());
  if (model.opset() >= 13 && input(1)) {
    std::optional<Constant> c = constantInput(1, "axes");
    if (!c)
      return false;
    axes = c->ints();
  } else if (std::optional<std::vector<int64_t>> a = intsAttr("axes")) {
    axes = *a;
  } else {
    for (int64_t d = 0; d < rank; ++d)
      if (in[d] == 1)
        axes.push_back(d);
  }
  for (int64_t &axis : axes) {
    if (!normalizeAxis(axis, rank, "axis"))
      return false;
    if (in[axis] != 1)
      return fail("dimension " + std::to_string(axis) + " of " +
                  shapeString(in) + " is not 1");
  }
  std::vector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      out.push_back(in[d]);
  define(0, reshaped(*x, out));
  return true;
}

bool Importer::unsqueeze() {
  const Entry *x = required(0);
  if (!x)
    return false;
  std::vector<int64_t> in = x->shape(), axes;
  if (model.opset() >= 13) {
    std::optional<Constant> c = constantInput(1, "axes");
    if (!c)
      return false;
    axes = c->ints();
  } else if (std::optional<std::vector<int64_t>> a = intsAttr("axes")) {
    axes = *a;
  }
  int64_t rank = static_cast<int64_t>(in.size() + axes.size());
  for (int64_t &axis : axes)
    if (!normalizeAxis(axis, rank, "axis"))
      return false;
  if (std::set<int64_t>(axes.begin(), axes.end()).size() != axes.size())
    return fail("axes " + shapeString(axes) + " repeat a dimension");
  std::vector<int64_t> out;
  for (int64_t d = 0, next = 0; d < rank; ++d)
    out.push_back(llvm::is_contained(axes, d) ? 1 : in[next++]);
  define(0, reshaped(*x, out));
  return true;
}

bool Importer::concat() {
  int n = numInputs();
  if (n == 0)
    return fail("needs inputs");
  std::vector<int64_t> shape =
      input(0) ? input(0)->shape() : std::vector<int64_t>();
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = intAttr("axis", 0);
  if (!normalizeAxis(axis, rank, "axis"))
    return false;
  bool allConstant = true;
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    const Entry *e = input(i);
    if (!e)
      return fail("input " + std::to_string(i) + " is missing");
    std::vector<int64_t> s = e->shape();
    std::vector<int64_t> other = s, first = shape;
    if (int64_t(s.size()) != rank)
      return fail("inputs of ranks " + std::to_string(rank) + " and " +
                  std::to_string(s.size()));
    other[axis] = first[axis] = 0;
    if (other != first)
      return fail("input shapes " + shapeString(shape) + " and " +
                  shapeString(s) + " differ off axis " + std::to_string(axis));
    total += s[axis];
    allConstant &= bool(e->constant);
  }
  shape[axis] = total;
  if (allConstant) {
    Constant out;
    out.type = input(0)->constant->type;
    out.shape = shape;
    int64_t outer = product(ArrayRef<int64_t>(shape).take_front(axis));
    for (int64_t o = 0; o < outer; ++o)
      for (int i = 0; i < n; ++i) {
        const Constant &c = *input(i)->constant;
        int64_t chunk = product(ArrayRef<int64_t>(c.shape).drop_front(axis));
        out.values.insert(out.values.end(), c.values.begin() + o * chunk,
                          c.values.begin() + (o + 1) * chunk);
      }
    defineConstant(0, std::move(out));
    return true;
  }
  Type element = computeType();
  if (!element)
    return false;
  SmallVector<Value> parts;
  for (int i = 0; i < n; ++i) {
    if (input(i)->shape()[axis] == 0)
      continue;
    Value v = runtimeInput(i, element);
    if (!v)
      return false;
    parts.push_back(v);
  }
  defineValue(0, xf::ConcatOp::create(b, loc(), tensorOf(shape, element), parts,
                                      b.getI64IntegerAttr(axis)));
  return true;
}

bool Importer::split() {
  const Entry *x = required(0);
  if (!x)
    return false;
  std::vector<int64_t> shape = x->shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = intAttr("axis", 0);
  if (!normalizeAxis(axis, rank, "axis"))
    return false;
  int outputs = node->output_size();
  std::vector<int64_t> sizes;
  if (model.opset() >= 13 && input(1)) {
    std::optional<Constant> c = constantInput(1, "split");
    if (!c)
      return false;
    sizes = c->ints();
  } else if (std::optional<std::vector<int64_t>> s = intsAttr("split")) {
    sizes = *s;
  } else {
    // Equal parts; the last one smaller (opset 18's num_outputs).
    int64_t part = (shape[axis] + outputs - 1) / std::max(outputs, 1);
    for (int i = 0; i < outputs; ++i)
      sizes.push_back(std::min(part, shape[axis] - part * i));
  }
  int64_t covered = 0;
  bool bad = int(sizes.size()) != outputs;
  for (int64_t s : sizes)
    bad |= s < 0 || llvm::AddOverflow(covered, s, covered);
  if (bad || covered != shape[axis])
    return fail("split sizes " + shapeString(sizes) + " do not cover the " +
                std::to_string(shape[axis]) + " of axis " +
                std::to_string(axis) + " in " + std::to_string(outputs) +
                " outputs");
  int64_t offset = 0;
  for (int i = 0; i < outputs; ++i) {
    std::vector<int64_t> indices(sizes[i]);
    std::iota(indices.begin(), indices.end(), offset);
    offset += sizes[i];
    define(i, take(*x, axis, indices));
  }
  return true;
}

bool Importer::slice() {
  const Entry *x = required(0);
  if (!x)
    return false;
  std::vector<int64_t> shape = x->shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (model.opset() >= 10) {
    std::optional<Constant> s = constantInput(1, "starts");
    std::optional<Constant> e = s ? constantInput(2, "ends") : std::nullopt;
    if (!s || !e)
      return false;
    starts = s->ints(), ends = e->ints();
    if (input(3)) {
      std::optional<Constant> a = constantInput(3, "axes");
      if (!a)
        return false;
      axes = a->ints();
    }
    if (input(4)) {
      std::optional<Constant> st = constantInput(4, "steps");
      if (!st)
        return false;
      steps = st->ints();
    }
  } else {
    starts = intsAttr("starts").value_or(std::vector<int64_t>());
    ends = intsAttr("ends").value_or(std::vector<int64_t>());
    axes = intsAttr("axes").value_or(std::vector<int64_t>());
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return fail("starts, ends, axes and steps differ in length");
  Entry result = *x;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes[i], step = steps[i];
    if (!normalizeAxis(axis, rank, "axis"))
      return false;
    if (step == 0)
      return fail("a step of 0");
    // Clamped as ONNX defines: into [0, d] going up, [-1, d-1] going down.
    int64_t d = shape[axis];
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v += d;
      return step > 0 ? std::clamp<int64_t>(v, 0, d)
                      : std::clamp<int64_t>(v, -1, d - 1);
    };
    int64_t start = clampIndex(starts[i]), end = clampIndex(ends[i]);
    // (end - start) / step, rounded away from zero, is the count; the
    // clamped bounds keep it within the dimension.
    int64_t span = step > 0 ? end - start : start - end;
    int64_t by = step > 0 ? step : -step;
    int64_t count = span <= 0 ? 0 : (span + by - 1) / by;
    std::vector<int64_t> indices(count);
    for (int64_t k = 0; k < count; ++k)
      indices[k] = start + k * step;
    result = take(result, axis, indices);
    shape = result.shape();
  }
  define(0, result);
  return true;
}

bool Importer::gather() {
  const Entry *data = input(0);
  const Entry *indices = input(1);
  if (!data || !indices)
    return fail("needs data and indices");
  std::vector<int64_t> shape = data->shape(), at = indices->shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = intAttr("axis", 0);
  if (!normalizeAxis(axis, rank, "axis"))
    return false;
  std::vector<int64_t> out(shape.begin(), shape.begin() + axis);
  out.insert(out.end(), at.begin(), at.end());
  out.insert(out.end(), shape.begin() + axis + 1, shape.end());
  if (indices->constant) {
    std::vector<int64_t> list = indices->constant->ints();
    for (int64_t &i : list) {
      if (i < -shape[axis] || i >= shape[axis])
        return fail("index " + std::to_string(i) + " is outside axis " +
                    std::to_string(axis) + " of size " +
                    std::to_string(shape[axis]));
      i = i < 0 ? i + shape[axis] : i;
    }
    if (data->constant) {
      define(0, reshaped(take(*data, axis, list), out));
      return true;
    }
  }
  // Integer indices may come at run time; the data must be float there.
  Type element =
      data->constant
          ? onnximport::elementType(ctx, data->constant->type)
          : cast<RankedTensorType>(data->value.getType()).getElementType();
  if (!element)
    return fail("gathers from a tensor of a type XFC does not represent");
  Value d = runtimeInput(0, element);
  Value i = runtimeInput(1);
  if (!d || !i)
    return false;
  Type indexType = cast<RankedTensorType>(i.getType()).getElementType();
  if (!indexType.isInteger(32) && !indexType.isInteger(64))
    return fail("indices must be int32 or int64");
  Type dataElement = cast<RankedTensorType>(d.getType()).getElementType();
  defineValue(0, xf::GatherOp::create(b, loc(), tensorOf(out, dataElement), d,
                                      i, b.getI64IntegerAttr(axis)));
  return true;
}

bool Importer::where() {
  const Entry *c = input(0), *x = input(1), *y = input(2);
  if (!c || !x || !y)
    return fail("needs a condition and two values");
  std::optional<std::vector<int64_t>> shape =
      onnximport::broadcastShapes(c->shape(), x->shape());
  if (shape)
    shape = onnximport::broadcastShapes(*shape, y->shape());
  if (!shape)
    return fail("shapes " + shapeString(c->shape()) + ", " +
                shapeString(x->shape()) + " and " + shapeString(y->shape()) +
                " do not broadcast");
  if (c->constant && x->constant && y->constant) {
    if (!checkFoldSize(*shape))
      return false;
    Constant xy = onnximport::broadcastApply(
        *x->constant, *y->constant, x->constant->type,
        +[](double a, double) { return a; });
    Constant yx = onnximport::broadcastApply(
        *y->constant, *x->constant, x->constant->type,
        +[](double a, double) { return a; });
    Constant cond = onnximport::broadcastApply(
        *c->constant, xy, int32_t(ElementType::Bool),
        +[](double a, double) { return a; });
    Constant out = onnximport::broadcastApply(
        xy, cond, xy.type, +[](double a, double) { return a; });
    Constant other = onnximport::broadcastApply(
        yx, cond, xy.type, +[](double a, double) { return a; });
    for (size_t k = 0; k < out.values.size(); ++k)
      if (!cond.values[k])
        out.values[k] = other.values[k];
    defineConstant(0, std::move(out));
    return true;
  }
  // The condition may be a runtime bool; the values are of one type, float
  // or integer (a choice computes nothing on them).
  Type element;
  for (const Entry *e : {x, y})
    if (!element && !e->constant)
      element = cast<RankedTensorType>(e->value.getType()).getElementType();
  if (!element)
    element = onnximport::elementType(ctx, x->constant->type);
  if (!element)
    return fail("element type " + onnxfile::elementTypeName(x->constant->type) +
                " is not one XFC computes with");
  Value cond = runtimeInput(0, b.getI1Type());
  Value xv = runtimeInput(1, element), yv = runtimeInput(2, element);
  if (!cond || !xv || !yv)
    return false;
  defineValue(0, xf::WhereOp::create(b, loc(), tensorOf(*shape, element), cond,
                                     xv, yv));
  return true;
}

bool Importer::expand() {
  const Entry *x = required(0);
  std::optional<Constant> target = x ? constantInput(1, "shape") : std::nullopt;
  if (!target)
    return false;
  std::vector<int64_t> wanted = target->ints();
  if (llvm::any_of(wanted, [](int64_t d) { return d < 0; }))
    return fail("shape " + shapeString(wanted) + " has a negative dimension");
  std::optional<std::vector<int64_t>> shape =
      onnximport::broadcastShapes(x->shape(), wanted);
  if (!shape)
    return fail(shapeString(x->shape()) + " does not broadcast to " +
                shapeString(wanted));
  if (x->constant) {
    if (!checkFoldSize(*shape))
      return false;
    Constant zeros;
    zeros.shape = *shape;
    zeros.values.assign(product(*shape), 0.0);
    defineConstant(0, onnximport::broadcastApply(
                          *x->constant, zeros, x->constant->type,
                          +[](double a, double) { return a; }));
    return true;
  }
  Type element = cast<RankedTensorType>(x->value.getType()).getElementType();
  if (x->shape() == *shape) {
    defineValue(0, x->value);
    return true;
  }
  defineValue(0, xf::BroadcastOp::create(b, loc(), tensorOf(*shape, element),
                                         x->value));
  return true;
}

bool Importer::castOp() {
  const Entry *x = required(0);
  if (!x)
    return false;
  int32_t to = static_cast<int32_t>(intAttr("to", 0));
  Type element = onnximport::elementType(ctx, to);
  if (!element)
    return fail("casts to " + onnxfile::elementTypeName(to) +
                ", which XFC does not represent");
  int32_t from = x->elementType();
  // Float to bfloat16 truncated in ONNX's reference until Cast-19 (ONNX
  // 1.14), and the backend tests of the older opsets check it; since
  // then it rounds to nearest even.
  bool towardZero = from == int32_t(onnxfile::ElementType::Float) &&
                    to == int32_t(onnxfile::ElementType::BFloat16) &&
                    model.opset() < 19;
  if (x->constant) {
    Constant c = *x->constant;
    c.type = to;
    bool fromFloat = onnximport::isFloatType(from);
    for (double &v : c.values)
      v = towardZero ? eval::roundTo(element, v, llvm::RoundingMode::TowardZero)
          : fromFloat ? onnximport::saturateToInteger(to, v)
                      : onnximport::castTo(to, v);
    defineConstant(0, std::move(c));
    return true;
  }
  // A cast between same-width integers (int8 to uint8) keeps the bits and
  // changes how later ops read them.
  Value y = convertValue(x->value, from, element, to);
  if (towardZero)
    cast<xf::ConvertOp>(y.getDefiningOp()).setTowardZero(true);
  define(0, {y, {}, to});
  return true;
}

bool Importer::shapeOp() {
  const Entry *x = required(0);
  if (!x)
    return false;
  std::vector<int64_t> shape = x->shape();
  int64_t rank = static_cast<int64_t>(shape.size());
  auto clampIndex = [&](int64_t v) {
    return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank);
  };
  int64_t start = clampIndex(intAttr("start", 0));
  int64_t end = clampIndex(intAttr("end", rank));
  Constant c;
  c.type = int32_t(ElementType::Int64);
  for (int64_t d = start; d < end; ++d)
    c.values.push_back(shape[d]);
  c.shape = {static_cast<int64_t>(c.values.size())};
  defineConstant(0, std::move(c));
  return true;
}

bool Importer::constant() {
  if (const onnx::AttributeProto *a = attribute("value")) {
    onnxfile::Tensor t;
    if (!onnxfile::decodeTensor(a->t(), t, model.path(), error))
      return false;
    defineConstant(0, onnximport::fromTensor(t));
    return true;
  }
  Constant c;
  if (const onnx::AttributeProto *a = attribute("value_float")) {
    c.values = {a->f()};
  } else if (const onnx::AttributeProto *a = attribute("value_floats")) {
    c.values.assign(a->floats().begin(), a->floats().end());
    c.shape = {static_cast<int64_t>(c.values.size())};
  } else if (const onnx::AttributeProto *a = attribute("value_int")) {
    c.type = int32_t(ElementType::Int64);
    c.values = {double(a->i())};
  } else if (const onnx::AttributeProto *a = attribute("value_ints")) {
    c.type = int32_t(ElementType::Int64);
    c.values.assign(a->ints().begin(), a->ints().end());
    c.shape = {static_cast<int64_t>(c.values.size())};
  } else {
    return fail("has no value XFC reads (value, value_float(s), "
                "value_int(s))");
  }
  defineConstant(0, std::move(c));
  return true;
}

bool Importer::constantOfShape() {
  std::optional<Constant> shape = constantInput(0, "shape");
  if (!shape)
    return false;
  Constant c;
  c.shape = shape->ints();
  if (llvm::any_of(c.shape, [](int64_t d) { return d < 0; }))
    return fail("shape " + shapeString(c.shape) + " has a negative dimension");
  if (!checkFoldSize(c.shape))
    return false;
  double value = 0;
  if (const onnx::AttributeProto *a = attribute("value")) {
    onnxfile::Tensor t;
    if (!onnxfile::decodeTensor(a->t(), t, model.path(), error))
      return false;
    Constant v = onnximport::fromTensor(t);
    if (v.values.size() != 1)
      return fail("value must hold one element");
    c.type = v.type;
    value = v.values[0];
  }
  c.values.assign(c.numElements(), value);
  defineConstant(0, std::move(c));
  return true;
}

bool Importer::range() {
  std::optional<Constant> start = constantInput(0, "start");
  std::optional<Constant> limit =
      start ? constantInput(1, "limit") : std::nullopt;
  std::optional<Constant> delta =
      limit ? constantInput(2, "delta") : std::nullopt;
  if (!delta)
    return false;
  if (start->values.size() != 1 || limit->values.size() != 1 ||
      delta->values.size() != 1 || delta->values[0] == 0)
    return fail("start, limit and delta must be scalars, delta nonzero");
  double s = start->values[0], l = limit->values[0], d = delta->values[0];
  double steps = std::ceil((l - s) / d);
  if (!(steps < double(kMaxFoldedElements)))
    return fail("makes more than 2^24 elements");
  Constant c;
  c.type = start->type;
  int64_t n = std::max<int64_t>(static_cast<int64_t>(steps), 0);
  c.shape = {n};
  for (int64_t i = 0; i < n; ++i)
    c.values.push_back(onnximport::castTo(c.type, s + i * d));
  defineConstant(0, std::move(c));
  return true;
}

bool Importer::identity() {
  const Entry *x = required(0);
  if (!x)
    return false;
  define(0, *x);
  return true;
}

const std::unordered_map<std::string, Handler> &Importer::handlers() {
  static const std::unordered_map<std::string, Handler> table = {
      {"Add", &Importer::binary},
      {"Sub", &Importer::binary},
      {"Mul", &Importer::binary},
      {"Div", &Importer::binary},
      {"Pow", &Importer::binary},
      {"Sqrt", &Importer::unary},
      {"Reciprocal", &Importer::unary},
      {"Erf", &Importer::unary},
      {"Tanh", &Importer::unary},
      {"Sigmoid", &Importer::unary},
      {"Relu", &Importer::unary},
      {"Gelu", &Importer::gelu},
      {"MatMul", &Importer::matmul},
      {"Gemm", &Importer::gemm},
      {"ReduceMean", &Importer::reduceMean},
      {"Softmax", &Importer::softmax},
      {"LayerNormalization", &Importer::layerNormalization},
      {"Transpose", &Importer::transpose},
      {"Reshape", &Importer::reshapeOp},
      {"Flatten", &Importer::flatten},
      {"Squeeze", &Importer::squeeze},
      {"Unsqueeze", &Importer::unsqueeze},
      {"Concat", &Importer::concat},
      {"Split", &Importer::split},
      {"Slice", &Importer::slice},
      {"Gather", &Importer::gather},
      {"Where", &Importer::where},
      {"Expand", &Importer::expand},
      {"Cast", &Importer::castOp},
      {"Shape", &Importer::shapeOp},
      {"Constant", &Importer::constant},
      {"ConstantOfShape", &Importer::constantOfShape},
      {"Range", &Importer::range},
      {"Identity", &Importer::identity},
  };
  return table;
}

OwningOpRef<ModuleOp> Importer::run() {
  ctx.loadDialect<xf::XFDialect, func::FuncDialect, arith::ArithDialect>();
  const onnx::GraphProto &g = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr("xf.source", b.getStringAttr("onnx"));
  b.setInsertionPointToStart(module->getBody());

  for (const onnx::TensorProto &init : g.initializer()) {
    onnxfile::Tensor t;
    if (!onnxfile::decodeTensor(init, t, model.path(), error))
      return nullptr;
    values[init.name()] = {Value(), onnximport::fromTensor(t)};
  }
  // Arguments: the graph inputs that are neither initializers nor bound.
  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  SmallVector<int32_t> inputElementTypes;
  for (const onnx::ValueInfoProto &v : g.input()) {
    if (values.count(v.name()))
      continue;
    if (auto it = options.constants.find(v.name());
        it != options.constants.end()) {
      values[v.name()] = {Value(), onnximport::fromTensor(it->second)};
      continue;
    }
    std::string label = model.path() + ": graph input '" + v.name() + "'";
    if (!v.type().has_tensor_type()) {
      error = label + " is not a tensor";
      return nullptr;
    }
    const onnx::TypeProto::Tensor &t = v.type().tensor_type();
    Type element = onnximport::elementType(ctx, t.elem_type());
    if (!element) {
      error = label + " has element type " +
              onnxfile::elementTypeName(t.elem_type()) +
              ", which XFC does not represent";
      return nullptr;
    }
    std::vector<int64_t> shape;
    if (auto it = options.inputShapes.find(v.name());
        it != options.inputShapes.end()) {
      shape = it->second;
      if (llvm::any_of(shape, [](int64_t d) { return d < 0; })) {
        error = label + ": the given shape " + shapeString(shape) +
                " has a negative dimension";
        return nullptr;
      }
    } else if (!t.has_shape()) {
      error = label + " has no shape; give one (--input-shape " + v.name() +
              "=2x3)";
      return nullptr;
    } else {
      for (const onnx::TensorShapeProto::Dimension &d : t.shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() < 0) {
          error = label + " has the symbolic dimension '" + d.dim_param() +
                  "'; give its shape (--input-shape " + v.name() + "=...)";
          return nullptr;
        }
        shape.push_back(d.dim_value());
      }
    }
    inputTypes.push_back(RankedTensorType::get(shape, element));
    inputNames.push_back(v.name());
    inputElementTypes.push_back(t.elem_type());
  }
  auto main = func::FuncOp::create(b, fileLoc, "main",
                                   b.getFunctionType(inputTypes, {}));
  Block *body = main.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(inputNames)) {
    values[name] = {body->getArgument(i), {}, inputElementTypes[i]};
    main.setArgAttr(i, "xf.name", b.getStringAttr(name));
    // The inputs are the caller's buffers: bufferization must not write
    // into them.
    main.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
  }
  b.setInsertionPointToEnd(body);

  for (int i = 0; i < g.node_size(); ++i) {
    node = &g.node(i);
    nodeIndex = i;
    nodeLoc = NameLoc::get(
        b.getStringAttr(node->name().empty() ? node->op_type() : node->name()),
        fileLoc);
    if (!node->domain().empty() && node->domain() != "ai.onnx") {
      fail("ops of domain '" + node->domain() + "' are not supported");
      return nullptr;
    }
    if (model.opset() <= 0) {
      fail("the model imports no ai.onnx opset");
      return nullptr;
    }
    auto it = handlers().find(node->op_type());
    if (it == handlers().end()) {
      fail("op '" + node->op_type() + "' is not supported (supported: " +
           llvm::join(supportedONNXOps(), ", ") + ")");
      return nullptr;
    }
    if (!(this->*(it->second))() || !error.empty())
      return nullptr;
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &v : g.output()) {
    auto found = values.find(v.name());
    if (found == values.end() ||
        (!found->second.value && !found->second.constant)) {
      error = model.path() + ": graph output '" + v.name() +
              "' is not computed by any node XFC imports";
      return nullptr;
    }
    const Entry &e = found->second;
    Value r = e.value;
    if (e.constant) {
      Type element = onnximport::elementType(ctx, e.constant->type);
      if (!element) {
        error = model.path() + ": graph output '" + v.name() +
                "' has element type " +
                onnxfile::elementTypeName(e.constant->type) +
                ", which XFC does not represent";
        return nullptr;
      }
      nodeLoc = fileLoc;
      r = materialize(*e.constant, element);
    }
    results.push_back(r);
    resultTypes.push_back(r.getType());
  }
  func::ReturnOp::create(b, fileLoc, results);
  main.setType(b.getFunctionType(inputTypes, resultTypes));
  for (auto [i, v] : llvm::enumerate(g.output()))
    main.setResultAttr(i, "xf.name", b.getStringAttr(v.name()));
  if (failed(verify(*module))) {
    error = model.path() + ": internal error: the imported graph does not "
                           "verify";
    return nullptr;
  }
  return module;
}

} // namespace

const std::vector<std::string> &xfc::supportedONNXOps() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const auto &entry : Importer::handlers())
      list.push_back(entry.first);
    std::sort(list.begin(), list.end());
    return list;
  }();
  return names;
}

bool xfc::isONNXShapeOperand(const std::string &opType, int index) {
  if (opType == "Reshape" || opType == "Expand" || opType == "Squeeze" ||
      opType == "Unsqueeze" || opType == "Split" || opType == "ReduceMean")
    return index == 1;
  if (opType == "Slice")
    return index >= 1;
  if (opType == "ConstantOfShape")
    return index == 0;
  return opType == "Range";
}

OwningOpRef<ModuleOp> xfc::importONNX(const onnxfile::Model &model,
                                      MLIRContext &context,
                                      const ONNXImportOptions &options,
                                      std::string &error) {
  error.clear();
  return Importer(model, context, options, error).run();
}
