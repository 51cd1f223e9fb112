//===- QuantMethods.h - How xf.quantize chooses its levels -----*- C++ -*-===//
//
// xf.quantize's `method` names one of these. A method chooses, for each
// group of a weight's values, the codes and the scale (and minimum) they
// are multiplied by; the scheme fixes the codes' range and how the scale is
// stored, so every method's result has the same layout and kernels. The
// reference evaluator and the weight store both take a weight's levels
// from its method, so compiled models and the evaluator agree on them.
//
// XFC registers `rtn` (ggml's round-to-nearest, the default) and `mse`
// (RTN, or a clipped scale where that gives a smaller squared error).
// Plugins register more with registerQuantizationMethod.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_DIALECT_XF_IR_QUANTMETHODS_H
#define XFC_DIALECT_XF_IR_QUANTMETHODS_H

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <memory>

namespace mlir::xf {

/// The levels of one group: value j is scale * (codes[j] - offset) (+
/// minimum for min_offset), with the scale and minimum rounded to the
/// scheme's scale type as stored. Codes as ggml stores them: -127..127 for
/// 8 bits, 0..15 for 4 bits (offset 8 when symmetric).
struct GroupLevels {
  float scale = 0.0f, minimum = 0.0f;
  llvm::SmallVector<int, 32> codes;
};

class QuantizationMethod {
public:
  virtual ~QuantizationMethod() = default;
  virtual llvm::StringRef getName() const = 0;
  virtual llvm::StringRef getSummary() const = 0;
  /// Chooses the levels of one group of `values` under `scheme` (8 bits
  /// symmetric, or 4 bits symmetric or min_offset). The scale and minimum
  /// are returned as computed; the caller stores them rounded.
  virtual void quantizeGroup(llvm::ArrayRef<float> values,
                             QuantSchemeAttr scheme,
                             GroupLevels &levels) const = 0;
};

/// Adds a method (replacing one of the same name). Not thread safe: call
/// at start-up or when a plugin loads.
void registerQuantizationMethod(std::unique_ptr<QuantizationMethod> method);

/// The method of that name, or null.
const QuantizationMethod *lookupQuantizationMethod(llvm::StringRef name);

/// The registered methods' names, sorted.
llvm::SmallVector<llvm::StringRef> getQuantizationMethodNames();

/// A scale or minimum as the scheme stores it.
float roundScale(QuantSchemeAttr scheme, float value);

/// The value code `code` stands for with the stored `scale`, `minimum`
/// (exact: in double).
double dequantizeLevel(QuantSchemeAttr scheme, float scale, float minimum,
                       int code);

} // namespace mlir::xf

#endif // XFC_DIALECT_XF_IR_QUANTMETHODS_H
