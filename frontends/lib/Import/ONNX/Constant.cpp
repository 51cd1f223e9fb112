//===- Constant.cpp - Values the ONNX importer knows at compile time ------===//

#include "Constant.h"

#include "xfc/Frontends/GGUF/GGMLType.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace xfc;
using namespace xfc::onnximport;
using onnxfile::ElementType;

int64_t Constant::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t onnximport::saturatingInt(double v) {
  // INT64_MAX, PyTorch's "to the end", reads back from a double as 2^63.
  if (!(v == v))
    return 0;
  if (v >= 0x1p63)
    return INT64_MAX;
  if (v <= -0x1p63)
    return INT64_MIN;
  return static_cast<int64_t>(v);
}

std::vector<int64_t> Constant::ints() const {
  std::vector<int64_t> out;
  out.reserve(values.size());
  for (double v : values)
    out.push_back(saturatingInt(v));
  return out;
}

mlir::Type onnximport::elementType(mlir::MLIRContext &ctx, int32_t type) {
  mlir::Builder b(&ctx);
  switch (static_cast<ElementType>(type)) {
  case ElementType::Float:
    return b.getF32Type();
  case ElementType::Double:
    return b.getF64Type();
  case ElementType::Float16:
    return b.getF16Type();
  case ElementType::BFloat16:
    return b.getBF16Type();
  case ElementType::Bool:
    return b.getI1Type();
  case ElementType::Int8:
  case ElementType::UInt8:
    return b.getIntegerType(8);
  case ElementType::Int16:
  case ElementType::UInt16:
    return b.getIntegerType(16);
  case ElementType::Int32:
  case ElementType::UInt32:
    return b.getIntegerType(32);
  case ElementType::Int64:
  case ElementType::UInt64:
    return b.getIntegerType(64);
  default:
    return {};
  }
}

int32_t onnximport::onnxType(mlir::Type type) {
  if (type.isF32())
    return int32_t(ElementType::Float);
  if (type.isF64())
    return int32_t(ElementType::Double);
  if (type.isF16())
    return int32_t(ElementType::Float16);
  if (type.isBF16())
    return int32_t(ElementType::BFloat16);
  if (type.isInteger(1))
    return int32_t(ElementType::Bool);
  if (type.isInteger(8))
    return int32_t(ElementType::Int8);
  if (type.isInteger(16))
    return int32_t(ElementType::Int16);
  if (type.isInteger(32))
    return int32_t(ElementType::Int32);
  return int32_t(ElementType::Int64);
}

Constant onnximport::fromTensor(const onnxfile::Tensor &t) {
  Constant c;
  c.type = t.elementType;
  c.shape = t.shape;
  c.values = onnxfile::tensorValues(t);
  return c;
}

double onnximport::saturateToInteger(int32_t type, double value) {
  if (type == int32_t(ElementType::Bool) || isFloatType(type))
    return castTo(type, value);
  if (std::isnan(value))
    return 0;
  unsigned bits = 8 * onnxfile::elementBytes(type);
  double lo = isUnsignedType(type) ? 0.0 : -std::ldexp(1.0, bits - 1);
  double hi = std::ldexp(1.0, isUnsignedType(type) ? bits : bits - 1) - 1;
  // In range, so no wrapping (which would turn 2^63, INT64_MAX as a
  // double, into INT64_MIN).
  return std::clamp(std::trunc(value), lo, hi);
}

double onnximport::castTo(int32_t type, double value) {
  auto wrap = [&](int bits, bool isSigned) {
    if (!std::isfinite(value))
      return 0.0;
    double t = std::trunc(value);
    double range = std::ldexp(1.0, bits);
    double m = std::fmod(t, range);
    if (m < 0)
      m += range;
    if (isSigned && m >= range / 2)
      m -= range;
    return m;
  };
  switch (static_cast<ElementType>(type)) {
  case ElementType::Float:
    return static_cast<float>(value);
  case ElementType::Double:
    return value;
  case ElementType::Float16:
    return gguf::halfToFloat(gguf::floatToHalf(static_cast<float>(value)));
  case ElementType::BFloat16:
    return gguf::bf16ToFloat(gguf::floatToBF16(static_cast<float>(value)));
  case ElementType::Bool:
    return value != 0;
  case ElementType::Int8:
    return wrap(8, true);
  case ElementType::UInt8:
    return wrap(8, false);
  case ElementType::Int16:
    return wrap(16, true);
  case ElementType::UInt16:
    return wrap(16, false);
  case ElementType::Int32:
    return wrap(32, true);
  case ElementType::UInt32:
    return wrap(32, false);
  case ElementType::Int64:
    return std::trunc(value);
  default:
    return std::trunc(value);
  }
}

mlir::DenseElementsAttr onnximport::toAttribute(mlir::MLIRContext &ctx,
                                                const Constant &c,
                                                int32_t type) {
  mlir::Type element = elementType(ctx, type);
  auto tensorType = mlir::RankedTensorType::get(c.shape, element);
  if (auto f = mlir::dyn_cast<mlir::FloatType>(element)) {
    std::vector<llvm::APFloat> values;
    values.reserve(c.values.size());
    for (double v : c.values) {
      llvm::APFloat x(v);
      bool lost;
      x.convert(f.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
                &lost);
      values.push_back(x);
    }
    return mlir::DenseElementsAttr::get(tensorType, values);
  }
  unsigned width = element.getIntOrFloatBitWidth();
  std::vector<llvm::APInt> values;
  values.reserve(c.values.size());
  bool isUnsigned = isUnsignedType(type);
  for (double v : c.values) {
    // A uint64 at or above 2^63 keeps its bits (2^64 is UINT64_MAX read
    // as a double); other values saturate into int64 first.
    uint64_t bits =
        isUnsigned && v >= 0x1p63
            ? (v >= 0x1p64 ? ~uint64_t(0) : static_cast<uint64_t>(v))
            : static_cast<uint64_t>(saturatingInt(v));
    values.emplace_back(width, bits, /*isSigned=*/true, /*implicitTrunc=*/true);
  }
  return mlir::DenseElementsAttr::get(tensorType, values);
}

std::optional<std::vector<int64_t>>
onnximport::broadcastShapes(const std::vector<int64_t> &a,
                            const std::vector<int64_t> &b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    out[i] = x == 1 ? y : x;
  }
  return out;
}

Constant
onnximport::broadcastApply(const Constant &a, const Constant &b, int32_t type,
                           llvm::function_ref<double(double, double)> f) {
  Constant out;
  out.type = type;
  out.shape = *broadcastShapes(a.shape, b.shape);
  size_t rank = out.shape.size();
  int64_t n = out.numElements();
  out.values.resize(n);
  auto index = [&](const Constant &c, int64_t e) {
    int64_t at = 0, stride = 1;
    for (int64_t d = int64_t(rank) - 1, rem = e; d >= 0; --d) {
      int64_t i = rem % out.shape[d];
      rem /= out.shape[d];
      int64_t cd = d - int64_t(rank - c.shape.size());
      if (cd >= 0) {
        if (c.shape[cd] != 1)
          at += i * stride;
        stride *= c.shape[cd];
      }
    }
    return at;
  };
  for (int64_t e = 0; e < n; ++e)
    out.values[e] =
        castTo(type, f(a.values[index(a, e)], b.values[index(b, e)]));
  return out;
}
