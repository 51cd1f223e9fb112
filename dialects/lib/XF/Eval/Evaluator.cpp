//===- Evaluator.cpp - Reference interpreter for xf IR --------------------===//
//
// Each op is a direct transcription of its definition in XFOps.td, in
// double precision. Fused ops are implemented from their definitions too,
// not by decomposition, so that comparing a fused graph with its expansion
// checks both.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/Eval/IntegerValues.h"

#include "xfc/Dialect/XF/IR/QuantMethods.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::xf;
using namespace mlir::xf::eval;

//===----------------------------------------------------------------------===//
// Tensors and caches
//===----------------------------------------------------------------------===//

eval::Tensor::Tensor(std::vector<int64_t> s) : shape(std::move(s)) {
  data.assign(numElements(), 0.0);
}

eval::Tensor eval::Tensor::uninitialized(std::vector<int64_t> s) {
  eval::Tensor t;
  t.shape = std::move(s);
  t.data.resize(t.numElements());
  return t;
}

int64_t eval::Tensor::numElements() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

std::shared_ptr<KVCache> eval::makeCache(Type cacheType) {
  auto type = cast<KVCacheType>(cacheType);
  auto cache = std::make_shared<KVCache>();
  cache->maxContext = type.getMaxContext();
  cache->kvHeads = type.getKvHeads();
  cache->headDim = type.getHeadDim();
  cache->elementType = type.getElementType();
  size_t n = cache->maxContext * cache->kvHeads * cache->headDim;
  cache->keys.assign(n, 0.0);
  cache->values.assign(n, 0.0);
  return cache;
}

double eval::roundTo(Type elementType, double value, llvm::RoundingMode mode) {
  const llvm::fltSemantics *semantics = nullptr;
  if (elementType.isF16())
    semantics = &llvm::APFloat::IEEEhalf();
  else if (elementType.isBF16())
    semantics = &llvm::APFloat::BFloat();
  else if (elementType.isF32() && mode == llvm::RoundingMode::NearestTiesToEven)
    return static_cast<float>(value); // the common case, fast
  else if (elementType.isF32())
    semantics = &llvm::APFloat::IEEEsingle();
  if (!semantics)
    return value; // f64, or an i8 cache (quantized per row by its append)
  llvm::APFloat f(value);
  bool lost;
  f.convert(*semantics, mode, &lost);
  f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToDouble();
}

namespace {

std::vector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Elements before and after dimension `axis`, for slicing along it.
std::pair<int64_t, int64_t> outerInner(ArrayRef<int64_t> shape,
                                       int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  return {outer, inner};
}

/// Number of rows when the last dimension is the row.
int64_t rowsOf(const eval::Tensor &t) {
  return t.shape.empty() ? 1 : t.numElements() / t.shape.back();
}

double silu(double x) { return x / (1.0 + std::exp(-x)); }

double gelu(double x, GeluApprox approx) {
  if (approx == GeluApprox::erf)
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  const double c = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
}

/// In-place softmax over the last dimension.
void softmaxRows(eval::Tensor &t) {
  int64_t n = t.shape.back();
  for (int64_t r = 0, rows = rowsOf(t); r < rows; ++r) {
    double *row = &t.data[r * n];
    double max = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j)
      max = std::max(max, row[j]);
    double sum = 0;
    for (int64_t j = 0; j < n; ++j)
      sum += (row[j] = std::exp(row[j] - max));
    for (int64_t j = 0; j < n; ++j)
      row[j] /= sum;
  }
}

/// y[..., n] = sum_k x[..., k] * w[n, k] (+ b[n]).
eval::Tensor linear(const eval::Tensor &x, const eval::Tensor &w,
                    const eval::Tensor *b) {
  int64_t k = x.shape.back(), n = w.shape[0];
  std::vector<int64_t> shape = x.shape;
  shape.back() = n;
  eval::Tensor y(shape);
  for (int64_t r = 0, rows = rowsOf(x); r < rows; ++r)
    for (int64_t o = 0; o < n; ++o) {
      double acc = b ? b->data[o] : 0.0;
      for (int64_t i = 0; i < k; ++i)
        acc += x.data[r * k + i] * w.data[o * k + i];
      y.data[r * n + o] = acc;
    }
  return y;
}

/// Dynamic INT8 activations (`compute int8`), in the f32 arithmetic the
/// kernels use: each run of `group` values along the last dimension
/// becomes s * rint(x * (1 / s)), s = max|x| / 127.
eval::Tensor quantizeActivations(eval::Tensor x, int64_t group) {
  for (size_t start = 0; start < x.data.size(); start += group) {
    size_t end = std::min(x.data.size(), start + group);
    float amax = 0.0f;
    for (size_t e = start; e < end; ++e)
      amax = std::max(amax, std::fabs(static_cast<float>(x.data[e])));
    float scale = amax / 127.0f, inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
    for (size_t e = start; e < end; ++e)
      x.data[e] = static_cast<double>(scale) *
                  std::nearbyint(static_cast<float>(x.data[e]) * inverse);
  }
  return x;
}

/// xf.prune: zeros a weight's smallest values (as f32) in the op's pattern.
eval::Tensor prune(PruneOp op, eval::Tensor w) {
  int64_t rows = w.shape[0], cols = w.shape[1];
  auto magnitude = [&](int64_t e) {
    return std::fabs(static_cast<float>(w.data[e]));
  };
  // The `count` smallest of `keys`, ties broken by the lower index: those
  // below the count-th smallest key, then the first ones equal to it (a
  // selection, not a sort: a weight has millions of keys).
  auto smallest = [](const std::vector<double> &keys, int64_t count) {
    std::vector<int64_t> chosen;
    if (count <= 0)
      return chosen;
    count = std::min<int64_t>(count, keys.size());
    std::vector<double> sorted(keys);
    std::nth_element(sorted.begin(), sorted.begin() + (count - 1),
                     sorted.end());
    double threshold = sorted[count - 1];
    int64_t ties = count;
    for (double key : keys)
      ties -= key < threshold;
    chosen.reserve(count);
    for (size_t e = 0; e < keys.size(); ++e)
      if (keys[e] < threshold || (keys[e] == threshold && ties-- > 0))
        chosen.push_back(e);
    return chosen;
  };
  double level = op.getLevel() ? op.getLevel()->convertToDouble() : 0.0;
  // floor(level * n), robust to the rounding of level (0.29 * 100).
  auto count = [&](size_t n) {
    return static_cast<int64_t>(std::floor(level * double(n) + 1e-6));
  };
  switch (op.getPattern()) {
  case SparsityPattern::unstructured: {
    std::vector<double> keys(w.data.size());
    for (size_t e = 0; e < keys.size(); ++e)
      keys[e] = magnitude(e);
    for (int64_t e : smallest(keys, count(keys.size())))
      w.data[e] = 0.0;
    break;
  }
  case SparsityPattern::nm: {
    int64_t n = (*op.getBlock())[0], m = (*op.getBlock())[1];
    std::vector<double> keys(m);
    for (int64_t start = 0; start < rows * cols; start += m) {
      for (int64_t j = 0; j < m; ++j)
        keys[j] = magnitude(start + j);
      for (int64_t j : smallest(keys, m - n))
        w.data[start + j] = 0.0;
    }
    break;
  }
  case SparsityPattern::block: {
    int64_t r = (*op.getBlock())[0], c = (*op.getBlock())[1];
    int64_t perRow = cols / c;
    std::vector<double> keys((rows / r) * perRow, 0.0);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        float v = static_cast<float>(w.data[i * cols + j]);
        keys[(i / r) * perRow + j / c] += double(v) * v;
      }
    for (int64_t b : smallest(keys, count(keys.size())))
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < c; ++j)
          w.data[((b / perRow) * r + i) * cols + (b % perRow) * c + j] = 0.0;
    break;
  }
  }
  return w;
}

/// xf.quantize: each group's levels from the op's method, as stored.
eval::Tensor quantizeWith(const QuantizationMethod &method, eval::Tensor w,
                          QuantSchemeAttr scheme) {
  const size_t group = scheme.getGroupValues(w.shape.back());
  std::vector<float> x(group);
  GroupLevels levels;
  for (size_t start = 0; start + group <= w.data.size(); start += group) {
    for (size_t j = 0; j < group; ++j)
      x[j] = static_cast<float>(w.data[start + j]);
    method.quantizeGroup(x, scheme, levels);
    float scale = roundScale(scheme, levels.scale),
          minimum = roundScale(scheme, levels.minimum);
    for (size_t j = 0; j < group; ++j)
      w.data[start + j] =
          dequantizeLevel(scheme, scale, minimum, levels.codes[j]);
  }
  return w;
}

/// A GEMM's input as its arithmetic sees it: INT8 activations in the
/// groups of `weight` for `compute int8`, bf16 values (of the f32 ones the
/// kernels hold) for `compute bf16`.
eval::Tensor gemmInput(eval::Tensor x, std::optional<ComputeKind> compute,
                       mlir::Value weight) {
  if (compute == ComputeKind::int8)
    return quantizeActivations(std::move(x),
                               getInt8ActivationGroup(weight.getType()));
  if (compute == ComputeKind::bf16) {
    Type bf16 = BFloat16Type::get(weight.getContext());
    for (double &v : x.data)
      v = roundTo(bf16, static_cast<float>(v));
  }
  return x;
}

class Interpreter {
public:
  explicit Interpreter(const WeightProvider &weights,
                       const Interpreter *parent = nullptr,
                       const eval::AllReduce *allReduce = nullptr)
      : weights(weights), parent(parent), allReduce(allReduce) {}

  FailureOr<std::vector<eval::Value>> run(func::FuncOp func,
                                          ArrayRef<eval::Value> args);

  /// Computes a weight: from the provider, or by running its initializer.
  FailureOr<eval::Tensor> weight(GlobalWeightOp global);

  /// Runs derived weight `global`'s initializer; returns `value` of it.
  FailureOr<eval::Tensor> initializerValue(GlobalWeightOp global,
                                           mlir::Value value);

private:
  LogicalResult exec(Operation *op);
  LogicalResult bind(Operation *op, mlir::Value result, eval::Value value);

  eval::Tensor &tensor(mlir::Value v) { return std::get<eval::Tensor>(env[v]); }
  int64_t index(mlir::Value v) { return std::get<int64_t>(env[v]); }
  KVCache &cache(mlir::Value v) {
    return *std::get<std::shared_ptr<KVCache>>(env[v]);
  }

  // Ops whose semantics take more than a few lines.
  /// NumPy broadcasting of any number of operands.
  FailureOr<eval::Tensor>
  broadcast(Operation *op, ArrayRef<const eval::Tensor *> operands,
            function_ref<double(ArrayRef<double>)> combine);
  FailureOr<eval::Tensor> broadcast(Operation *op, const eval::Tensor &a,
                                    const eval::Tensor &b,
                                    double (*combine)(double, double));
  /// xf.add, sub, mul, div and pow: in doubles on floats, wrapping on
  /// integers.
  FailureOr<eval::Tensor> binary(Operation *op);
  eval::Tensor convert(ConvertOp op);
  FailureOr<eval::Tensor> gather(GatherOp op);
  eval::Tensor rope(RopeOp op);
  FailureOr<eval::Tensor> matmul(MatmulOp op);
  FailureOr<eval::Tensor> embedding(EmbeddingOp op);
  eval::Tensor transpose(TransposeOp op);
  eval::Tensor slice(SliceOp op);
  eval::Tensor reduceMean(ReduceMeanOp op);
  eval::Tensor repeat(RepeatInterleaveOp op);
  LogicalResult append(Operation *op, KVCache &c, int64_t pos,
                       const eval::Tensor &k, const eval::Tensor &v);
  std::pair<eval::Tensor, eval::Tensor> read(const KVCache &c, int64_t len);
  FailureOr<eval::Tensor> attention(AttentionOp op);
  eval::Tensor ffn(FfnOp op);
  FailureOr<eval::Value> constant(arith::ConstantOp op);

  FailureOr<std::vector<eval::Value>> runBlock(Block &block);
  eval::Tensor concat(ConcatOp op);

  const WeightProvider &weights;
  // The interpreter running the initializer that needs this one's weight;
  // walking the chain finds cycles between derived weights.
  const Interpreter *parent;
  const eval::AllReduce *allReduce;
  GlobalWeightOp computing;
  llvm::DenseMap<mlir::Value, eval::Value> env;
  llvm::StringMap<eval::Tensor> weightCache;
};

FailureOr<std::vector<eval::Value>>
Interpreter::run(func::FuncOp func, ArrayRef<eval::Value> args) {
  Block &entry = func.getBody().front();
  if (args.size() != entry.getNumArguments())
    return func.emitError() << "expected " << entry.getNumArguments()
                            << " arguments, got " << args.size();
  for (auto [arg, value] : llvm::zip(entry.getArguments(), args))
    if (failed(bind(func, arg, value)))
      return failure();
  return runBlock(entry);
}

FailureOr<std::vector<eval::Value>> Interpreter::runBlock(Block &block) {
  for (Operation &op : block.without_terminator())
    if (failed(exec(&op)))
      return failure();
  std::vector<eval::Value> results;
  for (mlir::Value v : block.getTerminator()->getOperands())
    results.push_back(env[v]);
  return results;
}

FailureOr<eval::Tensor> Interpreter::weight(GlobalWeightOp global) {
  if (!global.isDerived()) {
    FailureOr<eval::Tensor> t = weights(global.getSymName(), global.getType());
    if (failed(t))
      return global.emitError() << "evaluator: no data for weight '"
                                << global.getSymName() << "'";
    return t;
  }
  for (const Interpreter *i = this; i; i = i->parent)
    if (i->computing == global)
      return global.emitError() << "evaluator: derived weight '"
                                << global.getSymName()
                                << "' depends on itself";
  return initializerValue(global, global.getInitializer().front()
                                      .getTerminator()
                                      ->getOperand(0));
}

FailureOr<eval::Tensor> Interpreter::initializerValue(GlobalWeightOp global,
                                                      mlir::Value value) {
  Interpreter initializer(weights, this);
  initializer.computing = global;
  // Only the ops `value` depends on: the compiler asks for the parts of a
  // concatenation one at a time.
  llvm::SmallPtrSet<Operation *, 16> needed;
  SmallVector<mlir::Value> work = {value};
  while (!work.empty())
    if (Operation *def = work.pop_back_val().getDefiningOp();
        def && needed.insert(def).second)
      work.append(def->operand_begin(), def->operand_end());
  for (Operation &op : global.getInitializer().front())
    if (needed.contains(&op) && failed(initializer.exec(&op)))
      return failure();
  return std::move(std::get<eval::Tensor>(initializer.env[value]));
}

/// Records a value after checking it against the IR's static type.
LogicalResult Interpreter::bind(Operation *op, mlir::Value result,
                                eval::Value value) {
  if (auto type = dyn_cast<RankedTensorType>(result.getType())) {
    auto *t = std::get_if<eval::Tensor>(&value);
    if (!t || t->shape.size() != static_cast<size_t>(type.getRank()))
      return op->emitError() << "evaluator: value of rank "
                             << (t ? t->shape.size() : 0) << " for " << type;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (!type.isDynamicDim(i) && type.getDimSize(i) != t->shape[i])
        return op->emitError() << "evaluator: dimension " << i << " is "
                               << t->shape[i] << " but the type says "
                               << type;
    if (static_cast<int64_t>(t->data.size()) != t->numElements())
      return op->emitError() << "evaluator: tensor data does not match its "
                                "shape";
  }
  if (isa<IndexType>(result.getType()) && !std::holds_alternative<int64_t>(value))
    return op->emitError() << "evaluator: expected an index value";
  if (isa<KVCacheType>(result.getType()) &&
      !std::holds_alternative<std::shared_ptr<KVCache>>(value))
    return op->emitError() << "evaluator: expected a KV cache";
  env[result] = std::move(value);
  return success();
}

FailureOr<eval::Tensor>
Interpreter::broadcast(Operation *op, ArrayRef<const eval::Tensor *> operands,
                       function_ref<double(ArrayRef<double>)> combine) {
  size_t rank = 0;
  for (const eval::Tensor *t : operands)
    rank = std::max(rank, t->shape.size());
  std::vector<std::vector<int64_t>> shapes, strides;
  for (const eval::Tensor *t : operands) {
    std::vector<int64_t> s(rank - t->shape.size(), 1);
    s.insert(s.end(), t->shape.begin(), t->shape.end());
    strides.push_back(stridesOf(s));
    shapes.push_back(std::move(s));
  }
  std::vector<int64_t> shape(rank, 1);
  for (size_t i = 0; i < rank; ++i)
    for (const std::vector<int64_t> &s : shapes) {
      if (s[i] != shape[i] && s[i] != 1 && shape[i] != 1)
        return op->emitError() << "evaluator: cannot broadcast dimension " << i
                               << " (" << shape[i] << " vs " << s[i] << ")";
      if (shape[i] == 1)
        shape[i] = s[i]; // 0 against 1 is 0, as in NumPy
    }
  eval::Tensor y = eval::Tensor::uninitialized(shape);
  SmallVector<double, 3> values(operands.size());
  bool same = llvm::all_of(shapes, [&](auto &s) { return s == shape; });
  for (int64_t e = 0, n = y.numElements(); e < n; ++e) {
    for (size_t k = 0; k < operands.size(); ++k) {
      int64_t at = e;
      if (!same) { // the common case needs no index arithmetic
        at = 0;
        for (int64_t d = static_cast<int64_t>(rank) - 1, rem = e; d >= 0; --d) {
          int64_t i = rem % shape[d];
          rem /= shape[d];
          at += (shapes[k][d] == 1 ? 0 : i) * strides[k][d];
        }
      }
      values[k] = operands[k]->data[at];
    }
    y.data[e] = combine(values);
  }
  return y;
}

FailureOr<eval::Tensor>
Interpreter::broadcast(Operation *op, const eval::Tensor &a,
                       const eval::Tensor &b,
                       double (*combine)(double, double)) {
  return broadcast(op, {&a, &b},
                   [&](ArrayRef<double> v) { return combine(v[0], v[1]); });
}

FailureOr<eval::Tensor> Interpreter::binary(Operation *op) {
  const eval::Tensor &x = tensor(op->getOperand(0));
  const eval::Tensor &y = tensor(op->getOperand(1));
  auto integer = dyn_cast<IntegerType>(getElementTypeOrSelf(op->getResult(0)));
  if (!integer) {
    double (*f)(double, double) =
        TypeSwitch<Operation *, double (*)(double, double)>(op)
            .Case(
                [](AddOp) { return +[](double a, double b) { return a + b; }; })
            .Case(
                [](SubOp) { return +[](double a, double b) { return a - b; }; })
            .Case(
                [](MulOp) { return +[](double a, double b) { return a * b; }; })
            .Case(
                [](DivOp) { return +[](double a, double b) { return a / b; }; })
            .Default([](Operation *) {
              return +[](double a, double b) { return std::pow(a, b); };
            });
    return broadcast(op, x, y, f);
  }
  IntegerOp kind = TypeSwitch<Operation *, IntegerOp>(op)
                       .Case([](AddOp) { return IntegerOp::Add; })
                       .Case([](SubOp) { return IntegerOp::Sub; })
                       .Case([](MulOp) { return IntegerOp::Mul; })
                       .Case([](DivOp) { return IntegerOp::Div; })
                       .Default([](Operation *) { return IntegerOp::Pow; });
  bool isUnsigned =
      TypeSwitch<Operation *, bool>(op)
          .Case<DivOp, PowOp>([](auto o) { return o.getIsUnsigned(); })
          .Default(false);
  unsigned width = integer.getWidth();
  return broadcast(op, {&x, &y}, [&](ArrayRef<double> v) {
    return integerBinary(kind, v[0], v[1], width, isUnsigned);
  });
}

eval::Tensor Interpreter::convert(ConvertOp op) {
  eval::Tensor y = tensor(op.getInput());
  Type from = op.getInput().getType().getElementType();
  Type to = op.getType().getElementType();
  bool isUnsigned = op.getIsUnsigned();
  auto fromInt = dyn_cast<IntegerType>(from);
  auto toInt = dyn_cast<IntegerType>(to);
  Type f32 = Float32Type::get(op.getContext());
  for (double &v : y.data) {
    // The compiled code converts the source type's value, not this
    // double.
    if (!fromInt)
      v = roundTo(from, v);
    if (op.getTowardZero()) {
      v = roundTo(to, v, llvm::RoundingMode::TowardZero);
    } else if (!toInt) {
      double number =
          fromInt ? integerValue(v, fromInt.getWidth(), isUnsigned) : v;
      // Integers reach floats narrower than f32 through f32.
      if (fromInt && to.getIntOrFloatBitWidth() < 32)
        number = roundTo(f32, number);
      v = roundTo(to, number);
    } else if (fromInt) {
      unsigned width = toInt.getWidth();
      // Narrowing keeps the low bits whatever the signedness; widening
      // extends the value the source stands for.
      v = width == 1 ? double(v != 0)
          : width <= fromInt.getWidth()
              ? wrapInteger(v, width)
              : wrapInteger(integerValue(v, fromInt.getWidth(), isUnsigned),
                            width);
    } else {
      v = floatToInteger(v, toInt.getWidth(), isUnsigned);
    }
  }
  return y;
}

FailureOr<eval::Tensor> Interpreter::gather(GatherOp op) {
  const eval::Tensor &x = tensor(op.getInput());
  const eval::Tensor &indices = tensor(op.getIndices());
  int64_t axis = op.getAxis(), size = x.shape[axis];
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.shape[d];
  for (size_t d = axis + 1; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
  eval::Tensor y = eval::Tensor::uninitialized(shape);
  int64_t count = indices.numElements();
  for (int64_t k = 0; k < count; ++k) {
    int64_t i = static_cast<int64_t>(indices.data[k]);
    if (i < -size || i >= size)
      return op.emitError() << "evaluator: index " << i << " is outside an "
                            << "axis of " << size;
    i = i < 0 ? i + size : i;
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(&x.data[(o * size + i) * inner], inner,
                  &y.data[(o * count + k) * inner]);
  }
  return y;
}

eval::Tensor Interpreter::rope(RopeOp op) {
  eval::Tensor y = tensor(op.getInput());
  const eval::Tensor &pos = tensor(op.getPositions());
  int64_t tokens = y.shape[0], heads = y.shape[1], dim = y.shape[2];
  int64_t rotary = op.getEffectiveRotaryDim(), half = rotary / 2;
  double base = op.getTheta().convertToDouble();
  bool neox = op.getStyle() == RopeStyle::neox;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t h = 0; h < heads; ++h) {
      double *x = &y.data[(t * heads + h) * dim];
      for (int64_t i = 0; i < half; ++i) {
        double angle = pos.data[t] * std::pow(base, -2.0 * i / rotary);
        int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
        double x0 = x[a], x1 = x[b];
        x[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
        x[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
      }
    }
  return y;
}

FailureOr<eval::Tensor> Interpreter::matmul(MatmulOp op) {
  const eval::Tensor &a = tensor(op.getLhs()), &b = tensor(op.getRhs());
  size_t r = a.shape.size();
  bool tr = op.getTransposeRhs();
  if (!std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin()) ||
      a.shape[r - 1] != (tr ? b.shape[r - 1] : b.shape[r - 2]))
    return op.emitError() << "evaluator: operand sizes do not agree";
  int64_t m = a.shape[r - 2], k = a.shape[r - 1];
  int64_t n = tr ? b.shape[r - 2] : b.shape[r - 1];
  std::vector<int64_t> shape(a.shape.begin(), a.shape.end() - 2);
  int64_t batch = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                                  std::multiplies<int64_t>());
  shape.push_back(m);
  shape.push_back(n);
  eval::Tensor y(shape);
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += a.data[(bi * m + i) * k + p] *
                 (tr ? b.data[(bi * n + j) * k + p]
                     : b.data[(bi * k + p) * n + j]);
        y.data[(bi * m + i) * n + j] = acc;
      }
  return y;
}

FailureOr<eval::Tensor> Interpreter::embedding(EmbeddingOp op) {
  const eval::Tensor &table = tensor(op.getTable());
  const eval::Tensor &ids = tensor(op.getIds());
  int64_t vocab = table.shape[0], dim = table.shape[1];
  eval::Tensor y({ids.shape[0], dim});
  for (int64_t t = 0; t < ids.shape[0]; ++t) {
    int64_t id = static_cast<int64_t>(ids.data[t]);
    if (id < 0 || id >= vocab)
      return op.emitError() << "evaluator: id " << id << " at position " << t
                            << " is outside the table of " << vocab << " rows";
    std::copy_n(&table.data[id * dim], dim, &y.data[t * dim]);
  }
  return y;
}

eval::Tensor Interpreter::transpose(TransposeOp op) {
  const eval::Tensor &x = tensor(op.getInput());
  ArrayRef<int64_t> perm = op.getPermutation();
  std::vector<int64_t> shape(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    shape[i] = x.shape[perm[i]];
  eval::Tensor y = eval::Tensor::uninitialized(shape);
  std::vector<int64_t> inStrides = stridesOf(x.shape);
  for (int64_t e = 0, n = y.numElements(); e < n; ++e) {
    int64_t rem = e, src = 0;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      src += (rem % shape[d]) * inStrides[perm[d]];
      rem /= shape[d];
    }
    y.data[e] = x.data[src];
  }
  return y;
}

eval::Tensor Interpreter::slice(SliceOp op) {
  const eval::Tensor &x = tensor(op.getInput());
  int64_t axis = op.getAxis(), offset = op.getOffset(), size = op.getSize();
  std::vector<int64_t> shape = x.shape;
  shape[axis] = size;
  auto [outer, inner] = outerInner(x.shape, axis);
  eval::Tensor y(shape);
  for (int64_t o = 0; o < outer; ++o)
    std::copy_n(&x.data[(o * x.shape[axis] + offset) * inner], size * inner,
                &y.data[o * size * inner]);
  return y;
}

eval::Tensor Interpreter::reduceMean(ReduceMeanOp op) {
  const eval::Tensor &x = tensor(op.getInput());
  int64_t axis = op.getAxis(), extent = x.shape[axis];
  std::vector<int64_t> shape = x.shape;
  shape[axis] = 1;
  auto [outer, inner] = outerInner(x.shape, axis);
  eval::Tensor y(shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double sum = 0;
      for (int64_t a = 0; a < extent; ++a)
        sum += x.data[(o * extent + a) * inner + i];
      y.data[o * inner + i] = sum / extent;
    }
  return y;
}

eval::Tensor Interpreter::repeat(RepeatInterleaveOp op) {
  const eval::Tensor &x = tensor(op.getInput());
  int64_t axis = op.getAxis(), repeats = op.getRepeats();
  std::vector<int64_t> shape = x.shape;
  shape[axis] *= repeats;
  auto [outer, inner] = outerInner(x.shape, axis);
  eval::Tensor y(shape);
  int64_t extent = x.shape[axis];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < extent; ++i)
      for (int64_t r = 0; r < repeats; ++r)
        std::copy_n(&x.data[(o * extent + i) * inner], inner,
                    &y.data[((o * extent + i) * repeats + r) * inner]);
  return y;
}

LogicalResult Interpreter::append(Operation *op, KVCache &c, int64_t pos,
                                  const eval::Tensor &k,
                                  const eval::Tensor &v) {
  int64_t tokens = k.shape[0], row = c.kvHeads * c.headDim;
  if (k.shape != v.shape)
    return op->emitError() << "evaluator: keys and values differ in shape";
  if (pos < 0 || pos > c.maxContext - tokens)
    return op->emitError() << "evaluator: writing positions [" << pos << ", "
                           << pos + tokens << ") past the cache's "
                           << c.maxContext;
  if (c.elementType.isInteger(8)) {
    // An i8 cache quantizes each row (one position of one head) as dynamic
    // INT8 activations quantize a group; reads multiply code and scale in
    // f32.
    eval::Tensor kq = quantizeActivations(k, c.headDim);
    eval::Tensor vq = quantizeActivations(v, c.headDim);
    Type f32 = Float32Type::get(op->getContext());
    for (int64_t e = 0; e < tokens * row; ++e) {
      c.keys[pos * row + e] = roundTo(f32, kq.data[e]);
      c.values[pos * row + e] = roundTo(f32, vq.data[e]);
    }
    return success();
  }
  for (int64_t e = 0; e < tokens * row; ++e) {
    c.keys[pos * row + e] = roundTo(c.elementType, k.data[e]);
    c.values[pos * row + e] = roundTo(c.elementType, v.data[e]);
  }
  return success();
}

std::pair<eval::Tensor, eval::Tensor> Interpreter::read(const KVCache &c,
                                                        int64_t len) {
  eval::Tensor k({len, c.kvHeads, c.headDim}), v({len, c.kvHeads, c.headDim});
  std::copy_n(c.keys.begin(), k.data.size(), k.data.begin());
  std::copy_n(c.values.begin(), v.data.size(), v.data.begin());
  return {std::move(k), std::move(v)};
}

/// softmax(q k^T * scale, causal) v per head, straight from the definition.
FailureOr<eval::Tensor> Interpreter::attention(AttentionOp op) {
  const eval::Tensor &q = tensor(op.getQuery());
  eval::Tensor keys = tensor(op.getKey()), values = tensor(op.getValue());
  int64_t offset = 0;
  if (keys.shape[0] != values.shape[0] ||
      (op.getCache() && keys.shape[0] != q.shape[0]))
    return op.emitError() << "evaluator: query, key and value token counts "
                             "do not agree";
  if (op.getCache()) {
    KVCache &c = cache(op.getCache());
    offset = index(op.getPosition());
    if (failed(append(op, c, offset, keys, values)))
      return failure();
    std::tie(keys, values) = read(c, offset + q.shape[0]);
  }
  int64_t tokens = q.shape[0], heads = q.shape[1], dim = q.shape[2];
  int64_t kvTokens = keys.shape[0], kvHeads = keys.shape[1];
  double scale = op.getEffectiveScale();
  eval::Tensor y(q.shape);
  std::vector<double> p(kvTokens);
  for (int64_t h = 0; h < heads; ++h) {
    int64_t g = h / (heads / kvHeads);
    for (int64_t i = 0; i < tokens; ++i) {
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < kvTokens; ++j) {
        bool visible = !op.getCausal() || j <= offset + i;
        double s = -std::numeric_limits<double>::infinity();
        if (visible) {
          s = 0;
          for (int64_t d = 0; d < dim; ++d)
            s += q.data[(i * heads + h) * dim + d] *
                 keys.data[(j * kvHeads + g) * dim + d];
          s *= scale;
        }
        p[j] = s;
        max = std::max(max, s);
      }
      double sum = 0;
      for (double &s : p)
        sum += (s = std::exp(s - max));
      for (int64_t d = 0; d < dim; ++d) {
        double acc = 0;
        for (int64_t j = 0; j < kvTokens; ++j)
          acc += p[j] / sum * values.data[(j * kvHeads + g) * dim + d];
        y.data[(i * heads + h) * dim + d] = acc;
      }
    }
  }
  return y;
}

eval::Tensor Interpreter::concat(ConcatOp op) {
  int64_t axis = op.getAxis();
  std::vector<const eval::Tensor *> inputs;
  std::vector<int64_t> shape;
  for (mlir::Value input : op.getInputs()) {
    inputs.push_back(&tensor(input));
    if (shape.empty())
      shape = inputs.back()->shape, shape[axis] = 0;
    shape[axis] += inputs.back()->shape[axis];
  }
  // Each input contributes a [outer, extent * inner] block per outer index.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  eval::Tensor y(shape);
  double *out = y.data.data();
  for (int64_t o = 0; o < outer; ++o)
    for (const eval::Tensor *t : inputs) {
      int64_t chunk = t->shape[axis] * inner;
      out = std::copy_n(t->data.begin() + o * chunk, chunk, out);
    }
  return y;
}

eval::Tensor Interpreter::ffn(FfnOp op) {
  const eval::Tensor &input = tensor(op.getInput());
  auto gemm = [&](mlir::Value weight, eval::Tensor *bias) {
    return linear(gemmInput(input, op.getCompute(), weight), tensor(weight),
                  bias);
  };
  eval::Tensor *upBias =
      op.getUpBias() ? &tensor(op.getUpBias()) : nullptr;
  eval::Tensor *downBias =
      op.getDownBias() ? &tensor(op.getDownBias()) : nullptr;
  eval::Tensor hidden, gate;
  if (op.getGateUp()) {
    // Rows [0, h) of gate_up are the gate, rows [h, 2h) the up projection.
    eval::Tensor both = gemm(op.getGateUp(), nullptr);
    int64_t h = both.shape.back() / 2, rows = both.numElements() / (2 * h);
    std::vector<int64_t> shape = both.shape;
    shape.back() = h;
    hidden = eval::Tensor(shape);
    gate = eval::Tensor(shape);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < h; ++j) {
        gate.data[r * h + j] = both.data[r * 2 * h + j];
        hidden.data[r * h + j] = both.data[r * 2 * h + h + j];
      }
  } else {
    hidden = gemm(op.getUp(), upBias);
    if (op.getGate())
      gate = gemm(op.getGate(), nullptr);
  }
  if (std::optional<GeluApprox> approx = FfnOp::getUngatedGelu(op.getKind())) {
    for (double &v : hidden.data)
      v = gelu(v, *approx);
  } else {
    for (size_t e = 0; e < hidden.data.size(); ++e) {
      double g = op.getKind() == FfnKind::swiglu
                     ? silu(gate.data[e])
                     : gelu(gate.data[e], GeluApprox::tanh);
      hidden.data[e] *= g;
    }
  }
  return linear(gemmInput(hidden, op.getCompute(), op.getDown()),
                tensor(op.getDown()), downBias);
}

FailureOr<eval::Value> Interpreter::constant(arith::ConstantOp op) {
  Attribute value = op.getValue();
  if (auto i = dyn_cast<IntegerAttr>(value))
    return eval::Value(i.getInt());
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return op.emitError() << "evaluator: unsupported constant";
  eval::Tensor t(std::vector<int64_t>(dense.getType().getShape()));
  if (isa<FloatType>(dense.getElementType())) {
    int64_t e = 0;
    for (APFloat f : dense.getValues<APFloat>())
      t.data[e++] = f.convertToDouble();
  } else {
    int64_t e = 0;
    for (APInt i : dense.getValues<APInt>())
      // Booleans are 0 and 1, not 0 and -1.
      t.data[e++] = static_cast<double>(
          i.getBitWidth() == 1 ? int64_t(i.getZExtValue()) : i.getSExtValue());
  }
  return eval::Value(std::move(t));
}

LogicalResult Interpreter::exec(Operation *op) {
  auto result = [&](eval::Value v) { return bind(op, op->getResult(0), v); };
  auto fromTensor = [&](FailureOr<eval::Tensor> t) {
    return failed(t) ? failure() : result(std::move(*t));
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](WeightOp w) -> LogicalResult {
        auto it = weightCache.find(w.getName());
        if (it == weightCache.end()) {
          auto global = SymbolTable::lookupNearestSymbolFrom<GlobalWeightOp>(
              w, w.getNameAttr());
          if (!global)
            return w.emitError() << "evaluator: no declaration for weight '"
                                 << w.getName() << "'";
          FailureOr<eval::Tensor> t = weight(global);
          if (failed(t))
            return failure();
          it = weightCache.insert({w.getName(), std::move(*t)}).first;
        }
        if (isa<QTensorType>(w.getType())) { // carried dequantized
          env[w.getResult()] = it->second;
          return success();
        }
        return result(it->second);
      })
      .Case([&](DequantizeOp d) { return result(tensor(d.getInput())); })
      .Case([&](PruneOp p) { return result(prune(p, tensor(p.getInput()))); })
      .Case([&](QuantizeOp q) {
        // The verifier checked that the method is registered.
        env[q.getResult()] =
            quantizeWith(*lookupQuantizationMethod(q.getMethodName()),
                         tensor(q.getInput()), q.getType().getScheme());
        return success();
      })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp>(
          [&](Operation *o) { return fromTensor(binary(o)); })
      .Case([&](WhereOp w) {
        return fromTensor(broadcast(
            w,
            {&tensor(w.getCondition()), &tensor(w.getLhs()),
             &tensor(w.getRhs())},
            [](ArrayRef<double> v) { return v[0] != 0 ? v[1] : v[2]; }));
      })
      .Case([&](BroadcastOp b) {
        // The target shape: the result's, dynamic dimensions the input's.
        const eval::Tensor &x = tensor(b.getInput());
        std::vector<int64_t> shape(b.getType().getShape());
        int64_t offset = shape.size() - x.shape.size();
        for (size_t i = 0; i < shape.size(); ++i)
          if (ShapedType::isDynamic(shape[i]))
            shape[i] = int64_t(i) >= offset ? x.shape[i - offset] : 1;
        eval::Tensor target(shape);
        return fromTensor(broadcast(b, {&x, &target},
                                    [](ArrayRef<double> v) { return v[0]; }));
      })
      .Case([&](GatherOp g) { return fromTensor(gather(g)); })
      .Case<SqrtOp, ReciprocalOp, ErfOp, TanhOp, SigmoidOp, ReluOp>(
          [&](Operation *u) {
            eval::Tensor y = tensor(u->getOperand(0));
            double (*f)(double) =
                TypeSwitch<Operation *, double (*)(double)>(u)
                    .Case([](SqrtOp) {
                      return +[](double x) { return std::sqrt(x); };
                    })
                    .Case([](ReciprocalOp) {
                      return +[](double x) { return 1.0 / x; };
                    })
                    .Case([](ErfOp) {
                      return +[](double x) { return std::erf(x); };
                    })
                    .Case([](TanhOp) {
                      return +[](double x) { return std::tanh(x); };
                    })
                    .Case([](SigmoidOp) {
                      return +[](double x) {
                        return 1.0 / (1.0 + std::exp(-x));
                      };
                    })
                    .Default([](Operation *) {
                      // Relu: NaN stays NaN.
                      return +[](double x) { return x < 0 ? 0.0 : x; };
                    });
            for (double &v : y.data)
              v = f(v);
            return result(std::move(y));
          })
      .Case([&](ReduceMeanOp r) { return result(reduceMean(r)); })
      .Case([&](SiluOp s) {
        eval::Tensor y = tensor(s.getInput());
        for (double &v : y.data)
          v = silu(v);
        return result(std::move(y));
      })
      .Case([&](GeluOp g) {
        eval::Tensor y = tensor(g.getInput());
        for (double &v : y.data)
          v = gelu(v, g.getApproximation());
        return result(std::move(y));
      })
      .Case([&](ConvertOp c) { return result(convert(c)); })
      .Case([&](RmsNormOp n) {
        eval::Tensor y = tensor(n.getInput());
        const eval::Tensor &w = tensor(n.getWeight());
        int64_t d = y.shape.back();
        double eps = n.getEpsilon().convertToDouble();
        for (int64_t r = 0, rows = rowsOf(y); r < rows; ++r) {
          double ss = 0;
          for (int64_t j = 0; j < d; ++j)
            ss += y.data[r * d + j] * y.data[r * d + j];
          double inv = 1.0 / std::sqrt(ss / d + eps);
          for (int64_t j = 0; j < d; ++j)
            y.data[r * d + j] *= inv * w.data[j];
        }
        return result(std::move(y));
      })
      .Case([&](LayerNormOp n) {
        eval::Tensor y = tensor(n.getInput());
        const eval::Tensor &w = tensor(n.getWeight()), &b = tensor(n.getBias());
        int64_t d = y.shape.back();
        double eps = n.getEpsilon().convertToDouble();
        for (int64_t r = 0, rows = rowsOf(y); r < rows; ++r) {
          double mean = 0, var = 0;
          for (int64_t j = 0; j < d; ++j)
            mean += y.data[r * d + j] / d;
          for (int64_t j = 0; j < d; ++j)
            var += (y.data[r * d + j] - mean) * (y.data[r * d + j] - mean) / d;
          double inv = 1.0 / std::sqrt(var + eps);
          for (int64_t j = 0; j < d; ++j)
            y.data[r * d + j] = (y.data[r * d + j] - mean) * inv * w.data[j] +
                                b.data[j];
        }
        return result(std::move(y));
      })
      .Case([&](SoftmaxOp s) {
        eval::Tensor y = tensor(s.getInput());
        softmaxRows(y);
        return result(std::move(y));
      })
      .Case([&](RopeOp r) -> LogicalResult {
        if (tensor(r.getPositions()).shape[0] != tensor(r.getInput()).shape[0])
          return r.emitError() << "evaluator: one position per token needed";
        return result(rope(r));
      })
      .Case([&](CausalMaskOp m) {
        eval::Tensor y = tensor(m.getInput());
        int64_t offset = index(m.getOffset());
        size_t r = y.shape.size();
        int64_t queries = y.shape[r - 2], keys = y.shape[r - 1];
        for (int64_t e = 0, n = y.numElements(); e < n; ++e) {
          int64_t j = e % keys, i = (e / keys) % queries;
          if (j > i + offset)
            y.data[e] = -std::numeric_limits<double>::infinity();
        }
        return result(std::move(y));
      })
      .Case([&](LinearOp l) -> LogicalResult {
        eval::Tensor *bias = l.getBias() ? &tensor(l.getBias()) : nullptr;
        const eval::Tensor &x = tensor(l.getInput()), &w = tensor(l.getWeight());
        if (x.shape.back() != w.shape[1])
          return l.emitError() << "evaluator: input width " << x.shape.back()
                               << " differs from the weight's " << w.shape[1];
        return result(
            linear(gemmInput(x, l.getCompute(), l.getWeight()), w, bias));
      })
      .Case([&](MatmulOp m) { return fromTensor(matmul(m)); })
      .Case([&](LoraDeltaOp d) {
        const eval::Tensor &b = tensor(d.getB()), &a = tensor(d.getA());
        int64_t out = b.shape[0], r = b.shape[1], in = a.shape[1];
        eval::Tensor y({out, in});
        double scale = d.getScale().convertToFloat();
        for (int64_t i = 0; i < out; ++i)
          for (int64_t k = 0; k < r; ++k)
            for (int64_t j = 0; j < in; ++j)
              y.data[i * in + j] +=
                  scale * b.data[i * r + k] * a.data[k * in + j];
        return result(std::move(y));
      })
      .Case([&](KronDeltaOp d) {
        const eval::Tensor &w1 = tensor(d.getW1()), &w2 = tensor(d.getW2());
        int64_t a1 = w1.shape[0], b1 = w1.shape[1], a2 = w2.shape[0],
                b2 = w2.shape[1];
        eval::Tensor y = eval::Tensor::uninitialized({a1 * a2, b1 * b2});
        double scale = d.getScale().convertToFloat();
        for (int64_t i = 0; i < a1; ++i)
          for (int64_t j = 0; j < b1; ++j)
            for (int64_t k = 0; k < a2; ++k)
              for (int64_t l = 0; l < b2; ++l)
                y.data[(i * a2 + k) * (b1 * b2) + j * b2 + l] =
                    scale * w1.data[i * b1 + j] * w2.data[k * b2 + l];
        return result(std::move(y));
      })
      .Case([&](KronLinearOp k) {
        // By the definition: sum over (i, k) of x[t, i m2 + k] a[i, j]
        // b[k, l], never through the materialized A ⊗ B.
        const eval::Tensor &x = tensor(k.getInput()), &a = tensor(k.getA()),
                           &b = tensor(k.getB());
        int64_t m1 = a.shape[0], n1 = a.shape[1], m2 = b.shape[0],
                n2 = b.shape[1], in = m1 * m2, out = n1 * n2;
        int64_t rows = in ? static_cast<int64_t>(x.data.size()) / in : 0;
        std::vector<int64_t> shape = x.shape;
        shape.back() = out;
        eval::Tensor y(shape);
        double scale = k.getScale().convertToFloat();
        double residual =
            k.getResidual() ? k.getResidual()->convertToFloat() : 0.0;
        for (int64_t t = 0; t < rows; ++t) {
          const double *xr = &x.data[t * in];
          double *yr = &y.data[t * out];
          for (int64_t i = 0; i < m1; ++i)
            for (int64_t kk = 0; kk < m2; ++kk)
              for (int64_t j = 0; j < n1; ++j)
                for (int64_t l = 0; l < n2; ++l)
                  yr[j * n2 + l] += scale * xr[i * m2 + kk] *
                                    a.data[i * n1 + j] * b.data[kk * n2 + l];
          if (residual != 0.0)
            for (int64_t c = 0; c < out; ++c)
              yr[c] += residual * xr[c];
        }
        return result(std::move(y));
      })
      .Case([&](EmbeddingOp e) { return fromTensor(embedding(e)); })
      .Case([&](ReshapeOp r) -> LogicalResult {
        eval::Tensor y = tensor(r.getInput());
        RankedTensorType type = r.getType();
        int64_t known = 1, dynamicDim = -1;
        y.shape.assign(type.getShape().begin(), type.getShape().end());
        for (int64_t i = 0; i < type.getRank(); ++i) {
          if (type.isDynamicDim(i))
            dynamicDim = i;
          else
            known *= y.shape[i];
        }
        int64_t count = static_cast<int64_t>(y.data.size());
        if (dynamicDim >= 0 && known != 0 && count % known == 0)
          y.shape[dynamicDim] = count / known;
        else if (dynamicDim >= 0)
          return r.emitError() << "evaluator: cannot reshape " << count
                               << " elements to " << type;
        return result(std::move(y));
      })
      .Case([&](TransposeOp t) { return result(transpose(t)); })
      .Case([&](SliceOp s) -> LogicalResult {
        int64_t extent = tensor(s.getInput()).shape[s.getAxis()];
        int64_t size = s.getSize(), offset = s.getOffset();
        if (size > extent || offset > extent - size)
          return s.emitError() << "evaluator: slice exceeds the dimension of "
                               << extent;
        return result(slice(s));
      })
      .Case([&](RepeatInterleaveOp r) { return result(repeat(r)); })
      .Case([&](KVAppendOp a) {
        return append(a, cache(a.getCache()), index(a.getPosition()),
                      tensor(a.getKeys()), tensor(a.getValues()));
      })
      .Case([&](KVReadOp r) -> LogicalResult {
        int64_t length = index(r.getLength());
        if (length < 0 || length > cache(r.getCache()).maxContext)
          return r.emitError() << "evaluator: reading " << length
                               << " positions of a cache of "
                               << cache(r.getCache()).maxContext;
        auto [k, v] = read(cache(r.getCache()), length);
        if (failed(bind(r, r.getKeys(), std::move(k))))
          return failure();
        return bind(r, r.getValues(), std::move(v));
      })
      .Case([&](AttentionOp a) { return fromTensor(attention(a)); })
      .Case([&](ConcatOp c) { return result(concat(c)); })
      .Case([&](FfnOp f) { return result(ffn(f)); })
      .Case([&](arith::ConstantOp c) -> LogicalResult {
        FailureOr<eval::Value> v = constant(c);
        return failed(v) ? failure() : result(std::move(*v));
      })
      .Case([&](arith::AddIOp a) -> LogicalResult {
        if (!a.getType().isIndex())
          return a.emitError() << "evaluator: only index additions";
        return result(index(a.getLhs()) + index(a.getRhs()));
      })
      .Case([&](func::CallOp call) -> LogicalResult {
        auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
            call, call.getCalleeAttr());
        if (!callee || callee.isExternal())
          return call.emitError() << "evaluator: no body for the callee";
        std::vector<eval::Value> args;
        for (mlir::Value operand : call.getOperands())
          args.push_back(env[operand]);
        FailureOr<std::vector<eval::Value>> results =
            Interpreter(weights, nullptr, allReduce).run(callee, args);
        if (failed(results))
          return failure();
        for (auto [result, value] : llvm::zip(call.getResults(), *results))
          if (failed(bind(call, result, value)))
            return failure();
        return success();
      })
      .Case([&](AllReduceOp r) -> LogicalResult {
        if (!allReduce || !*allReduce)
          return r.emitError() << "evaluator: xf.all_reduce needs every "
                                  "shard's evaluation (xfc-eval runs them "
                                  "together)";
        FailureOr<eval::Tensor> sum = (*allReduce)(tensor(r.getInput()));
        if (failed(sum))
          return r.emitError() << "evaluator: the all-reduce failed";
        return result(std::move(*sum));
      })
      .Case([&](tensor::DimOp d) -> LogicalResult {
        std::optional<int64_t> dim = d.getConstantIndex();
        if (!dim)
          return d.emitError() << "evaluator: only constant dimensions";
        return result(tensor(d.getSource()).shape[*dim]);
      })
      .Default([&](Operation *other) {
        return other->emitError() << "evaluator: unsupported op";
      });
}

} // namespace

FailureOr<eval::Tensor> eval::evaluateWeight(GlobalWeightOp global,
                                             const WeightProvider &weights) {
  return Interpreter(weights).weight(global);
}

FailureOr<eval::Tensor>
eval::evaluateInitializerValue(GlobalWeightOp global, mlir::Value value,
                               const WeightProvider &weights) {
  if (!global.isDerived() ||
      value.getParentRegion() != &global.getInitializer())
    return global.emitError()
           << "evaluator: the value is not of this weight's initializer";
  return Interpreter(weights).initializerValue(global, value);
}

FailureOr<std::vector<eval::Value>>
eval::evaluate(func::FuncOp func, ArrayRef<eval::Value> args,
               const WeightProvider &weights, const AllReduce &allReduce) {
  return Interpreter(weights, nullptr, &allReduce).run(func, args);
}
