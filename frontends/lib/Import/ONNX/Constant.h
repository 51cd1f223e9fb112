//===- Constant.h - Values the ONNX importer knows at compile time -*- C++
//-*-===//
//
// Initializers, Constant nodes, graph inputs bound by the caller, and what
// shape computations (Shape, Gather, Concat, Range, arithmetic on them)
// make of those are folded while the graph is imported, so the imported
// graph has static shapes. Values are held as doubles, which represent
// every shape and index exactly; the element type says how they round.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_IMPORT_ONNX_CONSTANT_H
#define XFC_FRONTENDS_IMPORT_ONNX_CONSTANT_H

#include "xfc/Frontends/ONNX/ONNXModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xfc::onnximport {

struct Constant {
  int32_t type = int32_t(onnxfile::ElementType::Float);
  std::vector<int64_t> shape;
  std::vector<double> values;

  int64_t numElements() const;
  /// The values as integers (shapes, axes, indices).
  std::vector<int64_t> ints() const;
};

/// `v` as an integer, saturated (INT64_MAX is 2^63 as a double); NaN is 0.
int64_t saturatingInt(double v);

using onnxfile::isFloatType;
using onnxfile::isUnsignedType;
/// The MLIR element type of ONNX element type `type` (unsigned integers
/// are signless, bool is i1), or null for types XFC does not represent.
mlir::Type elementType(mlir::MLIRContext &ctx, int32_t type);
/// The ONNX element type of MLIR type `type` (signless integers as signed).
int32_t onnxType(mlir::Type type);

/// A decoded tensor's values.
Constant fromTensor(const onnxfile::Tensor &tensor);
/// `value` converted as ONNX's Cast does to `type`: rounded to the float
/// format, truncated toward zero for integers (wrapping to their width),
/// nonzero for bool.
double castTo(int32_t type, double value);
/// A float cast to integer `type` as the compiled code does: rounded
/// toward zero, saturated at the type's bounds, NaN as 0 (ONNX leaves out
/// of range undefined; constant and run-time casts must agree).
double saturateToInteger(int32_t type, double value);
/// `c` as a dense attribute of `type`'s MLIR element type.
mlir::DenseElementsAttr toAttribute(mlir::MLIRContext &ctx, const Constant &c,
                                    int32_t type);

/// The NumPy broadcast of two shapes, or nullopt if they do not broadcast.
std::optional<std::vector<int64_t>>
broadcastShapes(const std::vector<int64_t> &a, const std::vector<int64_t> &b);
/// `f` elementwise over `a` and `b` broadcast; the result has `type`, each
/// value cast to it. `a` and `b` must broadcast.
Constant broadcastApply(const Constant &a, const Constant &b, int32_t type,
                        llvm::function_ref<double(double, double)> f);

} // namespace xfc::onnximport

#endif // XFC_FRONTENDS_IMPORT_ONNX_CONSTANT_H
