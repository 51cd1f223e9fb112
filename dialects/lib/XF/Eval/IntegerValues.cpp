//===- IntegerValues.cpp - The evaluator's integers, held as doubles ------===//

#include "xfc/Dialect/XF/Eval/IntegerValues.h"

#include <cmath>
#include <cstdint>

using namespace mlir::xf;

namespace {

uint64_t maskOf(unsigned width) {
  return width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
}

/// The low 64 bits of the integer `value` (an exact double).
uint64_t bitsOf(double value) {
  if (!std::isfinite(value))
    return 0;
  value = std::trunc(value);
  if (value >= -0x1p63 && value < 0x1p63) // exact, unlike adding 2^64
    return static_cast<uint64_t>(static_cast<int64_t>(value));
  if (value >= 0x1p63 && value < 0x1p64)
    return static_cast<uint64_t>(value);
  if (value == 0x1p64) // UINT64_MAX, rounded up as a double
    return ~uint64_t(0);
  double m = std::fmod(value, 0x1p64); // in (-2^64, 2^64)
  if (m < 0)
    m += 0x1p64;
  return m >= 0x1p64 ? 0 : static_cast<uint64_t>(m);
}

/// The signed value of the low `width` bits of `bits`.
int64_t signExtend(uint64_t bits, unsigned width) {
  if (width >= 64)
    return static_cast<int64_t>(bits);
  uint64_t sign = uint64_t(1) << (width - 1);
  bits &= maskOf(width);
  return static_cast<int64_t>((bits ^ sign) - sign);
}

double held(uint64_t bits, unsigned width) {
  if (width == 1)
    return double(bits & 1);
  return static_cast<double>(signExtend(bits, width));
}

uint64_t power(uint64_t base, uint64_t exponent) {
  uint64_t result = 1;
  for (; exponent; exponent >>= 1, base *= base)
    if (exponent & 1)
      result *= base;
  return result;
}

} // namespace

double eval::wrapInteger(double value, unsigned width) {
  return held(bitsOf(value), width);
}

double eval::integerValue(double heldValue, unsigned width, bool isUnsigned) {
  if (!isUnsigned || width == 1 || heldValue >= 0)
    return heldValue;
  return heldValue + std::ldexp(1.0, width);
}

double eval::floatToInteger(double value, unsigned width, bool isUnsigned) {
  if (width == 1)
    return value != 0; // NaN is true, as a C++ or NumPy bool
  if (std::isnan(value))
    return 0;
  double t = std::trunc(value);
  double lo = isUnsigned ? 0 : -std::ldexp(1.0, width - 1);
  double hi = isUnsigned ? std::ldexp(1.0, width) : std::ldexp(1.0, width - 1);
  if (t <= lo)
    return held(bitsOf(lo), width);
  if (t >= hi) // the largest value, 2^k - 1
    return held(isUnsigned ? maskOf(width) : maskOf(width - 1), width);
  return wrapInteger(t, width);
}

double eval::integerBinary(IntegerOp op, double x, double y, unsigned width,
                           bool isUnsigned, unsigned resultWidth) {
  uint64_t a = bitsOf(x), b = bitsOf(y), mask = maskOf(width);
  auto held = [&](uint64_t bits, unsigned) {
    return ::held(bits, resultWidth ? resultWidth : width);
  };
  switch (op) {
  case IntegerOp::Add:
    return held(a + b, width);
  case IntegerOp::Sub:
    return held(a - b, width);
  case IntegerOp::Mul:
    return held(a * b, width);
  case IntegerOp::Div:
    if ((b & mask) == 0)
      return 0;
    if (isUnsigned)
      return held((a & mask) / (b & mask), width);
    if (signExtend(b, width) == -1) // INT_MIN / -1 wraps
      return held(0 - a, width);
    return held(
        static_cast<uint64_t>(signExtend(a, width) / signExtend(b, width)),
        width);
  case IntegerOp::Pow: {
    if (isUnsigned || signExtend(b, width) >= 0)
      return held(power(a, b & mask), width);
    int64_t base = signExtend(a, width);
    if (base == 1)
      return 1;
    if (base == -1)
      return held((b & 1) ? ~uint64_t(0) : 1, width);
    return 0;
  }
  }
  return 0;
}
