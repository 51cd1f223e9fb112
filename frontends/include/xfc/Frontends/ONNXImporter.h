//===- ONNXImporter.h - ONNX graphs to fine-grained xf IR -------*- C++ -*-===//
//
// Imports an ONNX graph into `func.func @main`, one argument per graph
// input and one result per graph output, of fine-grained xf ops. Shapes
// must be static (symbolic dimensions are fixed by `inputShapes`); shape
// computations are folded while importing, so every shape operand
// (Reshape's shape, Slice's starts, Unsqueeze's axes, ...) must be known:
// an initializer, a Constant, a graph input the caller binds, or what
// those compute. Floating-point tensors are computed at run time; integer
// and bool tensors only as indices (Gather) and conditions (Where).
//
// An unsupported op is an error naming the op, the node and the opset.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_ONNXIMPORTER_H
#define XFC_FRONTENDS_ONNXIMPORTER_H

#include "xfc/Frontends/ONNX/ONNXModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>
#include <vector>

namespace xfc {

struct ONNXImportOptions {
  /// Graph inputs imported as these constants instead of arguments.
  std::map<std::string, onnxfile::Tensor> constants;
  /// Shapes for graph inputs whose declared shape is symbolic or missing.
  std::map<std::string, std::vector<int64_t>> inputShapes;
};

/// The ops the importer reads, for messages and tests.
const std::vector<std::string> &supportedONNXOps();

/// Whether input `index` of an ONNX `opType` node determines shapes, so
/// that it must be known at compile time (a test runner binds such graph
/// inputs from its data).
bool isONNXShapeOperand(const std::string &opType, int index);

mlir::OwningOpRef<mlir::ModuleOp> importONNX(const onnxfile::Model &model,
                                             mlir::MLIRContext &context,
                                             const ONNXImportOptions &options,
                                             std::string &error);

} // namespace xfc

#endif // XFC_FRONTENDS_ONNXIMPORTER_H
