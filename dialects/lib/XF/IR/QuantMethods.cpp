//===- QuantMethods.cpp - The registry, rtn and mse -----------------------===//

#include "xfc/Dialect/XF/IR/QuantMethods.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::xf;

float xf::roundScale(QuantSchemeAttr scheme, float value) {
  Type type = scheme.getScaleType();
  if (!type.isF16() && !type.isBF16())
    return value;
  llvm::APFloat f(value);
  bool lost;
  f.convert(type.isF16() ? llvm::APFloat::IEEEhalf() : llvm::APFloat::BFloat(),
            llvm::APFloat::rmNearestTiesToEven, &lost);
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToFloat();
}

double xf::dequantizeLevel(QuantSchemeAttr scheme, float scale, float minimum,
                           int code) {
  if (scheme.getMode() == QuantMode::min_offset)
    return static_cast<double>(scale) * code + minimum;
  int offset = scheme.getBits() == 4 ? 8 : 0;
  return static_cast<double>(scale) * (code - offset);
}

namespace {

/// ggml's reference quantizers (xf.quantize's definition): the scale from
/// the group's extremes, codes rounded to nearest with 1 / scale.
void rtnLevels(ArrayRef<float> x, QuantSchemeAttr scheme, GroupLevels &out) {
  out.codes.resize(x.size());
  if (scheme.getBits() == 8) {
    float amax = 0.0f;
    for (float v : x)
      amax = std::max(amax, std::fabs(v));
    float d = amax / 127.0f, inverse = d != 0.0f ? 1.0f / d : 0.0f;
    for (size_t j = 0; j < x.size(); ++j)
      out.codes[j] = static_cast<int>(std::round(x[j] * inverse));
    out.scale = d, out.minimum = 0.0f;
  } else if (scheme.getMode() == QuantMode::symmetric) {
    float amax = 0.0f, extreme = 0.0f;
    for (float v : x)
      if (std::fabs(v) > amax)
        amax = std::fabs(v), extreme = v;
    float d = extreme / -8.0f, inverse = d != 0.0f ? 1.0f / d : 0.0f;
    for (size_t j = 0; j < x.size(); ++j)
      out.codes[j] = std::min(15, static_cast<int>(x[j] * inverse + 8.5f));
    out.scale = d, out.minimum = 0.0f;
  } else {
    auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    float d = (*hi - *lo) / 15.0f, inverse = d != 0.0f ? 1.0f / d : 0.0f;
    for (size_t j = 0; j < x.size(); ++j)
      out.codes[j] =
          std::min(15, static_cast<int>((x[j] - *lo) * inverse + 0.5f));
    out.scale = d, out.minimum = *lo;
  }
}

struct Rtn : QuantizationMethod {
  StringRef getName() const override { return "rtn"; }
  StringRef getSummary() const override {
    return "round to nearest with the scale of the group's extremes (ggml's "
           "Q8_0/Q4_0/Q4_1 levels)";
  }
  void quantizeGroup(ArrayRef<float> values, QuantSchemeAttr scheme,
                     GroupLevels &levels) const override {
    rtnLevels(values, scheme, levels);
  }
};

/// The squared error of `levels` for `x`, with the scale stored as the
/// scheme stores it.
double squaredError(ArrayRef<float> x, QuantSchemeAttr scheme,
                    const GroupLevels &levels) {
  float scale = roundScale(scheme, levels.scale),
        minimum = roundScale(scheme, levels.minimum);
  double error = 0.0;
  for (size_t j = 0; j < x.size(); ++j) {
    double e = x[j] - dequantizeLevel(scheme, scale, minimum, levels.codes[j]);
    error += e * e;
  }
  return error;
}

/// Codes for a given scale (and minimum): nearest, clamped to the range.
void levelsFor(ArrayRef<float> x, QuantSchemeAttr scheme, float scale,
               float minimum, GroupLevels &out) {
  out.scale = scale, out.minimum = minimum;
  out.codes.resize(x.size());
  float stored = roundScale(scheme, scale),
        storedMin = roundScale(scheme, minimum);
  if (stored == 0.0f) {
    std::fill(out.codes.begin(), out.codes.end(),
              scheme.getBits() == 4 && scheme.getMode() == QuantMode::symmetric
                  ? 8
                  : 0);
    return;
  }
  bool minOffset = scheme.getMode() == QuantMode::min_offset;
  int lo = scheme.getBits() == 8 ? -127 : 0,
      hi = scheme.getBits() == 8 ? 127 : 15,
      offset = scheme.getBits() == 4 && !minOffset ? 8 : 0;
  for (size_t j = 0; j < x.size(); ++j) {
    float v = minOffset ? (x[j] - storedMin) / stored : x[j] / stored;
    out.codes[j] =
        std::clamp(static_cast<int>(std::lround(v)) + offset, lo, hi);
  }
}

/// RTN's levels, or those of a scale clipped by up to 25% in 16 steps
/// (for min_offset, the range shrunk about its middle), whichever has the
/// smaller squared error with the scale as stored: outliers get clipped
/// where that helps the rest of the group. Never worse than RTN.
struct ClippedMse : QuantizationMethod {
  StringRef getName() const override { return "mse"; }
  StringRef getSummary() const override {
    return "RTN, or a clipped scale (up to 25% in 16 steps) where that "
           "gives a smaller squared error";
  }
  void quantizeGroup(ArrayRef<float> x, QuantSchemeAttr scheme,
                     GroupLevels &best) const override {
    rtnLevels(x, scheme, best);
    double bestError = squaredError(x, scheme, best);
    auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    float amax = std::max(std::fabs(*lo), std::fabs(*hi));
    GroupLevels candidate;
    for (int step = 0; step < 16; ++step) {
      float clip = 1.0f - 0.25f * step / 15.0f;
      if (scheme.getMode() == QuantMode::min_offset) {
        float mid = 0.5f * (*lo + *hi), half = 0.5f * (*hi - *lo) * clip;
        levelsFor(x, scheme, 2.0f * half / 15.0f, mid - half, candidate);
      } else {
        float qmax = scheme.getBits() == 8 ? 127.0f : 8.0f;
        levelsFor(x, scheme, amax * clip / qmax, 0.0f, candidate);
      }
      double error = squaredError(x, scheme, candidate);
      if (error < bestError)
        std::swap(best, candidate), bestError = error;
    }
  }
};

llvm::StringMap<std::unique_ptr<QuantizationMethod>> &registry() {
  static llvm::StringMap<std::unique_ptr<QuantizationMethod>> methods = [] {
    llvm::StringMap<std::unique_ptr<QuantizationMethod>> m;
    m["rtn"] = std::make_unique<Rtn>();
    m["mse"] = std::make_unique<ClippedMse>();
    return m;
  }();
  return methods;
}

} // namespace

void xf::registerQuantizationMethod(
    std::unique_ptr<QuantizationMethod> method) {
  std::string name = method->getName().str();
  registry()[name] = std::move(method);
}

const QuantizationMethod *xf::lookupQuantizationMethod(StringRef name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second.get();
}

SmallVector<StringRef> xf::getQuantizationMethodNames() {
  SmallVector<StringRef> names;
  for (const auto &entry : registry())
    names.push_back(entry.getKey());
  llvm::sort(names);
  return names;
}
