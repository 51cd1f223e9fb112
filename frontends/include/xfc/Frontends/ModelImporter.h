//===- ModelImporter.h - Models to fine-grained xf IR -----------*- C++ -*-===//

#ifndef XFC_FRONTENDS_MODELIMPORTER_H
#define XFC_FRONTENDS_MODELIMPORTER_H

#include "xfc/Frontends/ModelSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace xfc {

struct ImportOptions {
  /// KV-cache length; 0 uses the model's context_length.
  int64_t maxContext = 0;
  /// Store the weights of layers that are byte for byte an earlier
  /// layer's once (parameter sharing). Off when adapters will be attached:
  /// they name their target layers, which must then have weights of their
  /// own.
  bool shareLayers = true;
};

/// Builds a module with one `xf.global_weight` per tensor the graph reads
/// and a fine-grained `func.func @forward`:
///
///   (tokens: tensor<?xi32>, positions: tensor<?xi32>, pos: index,
///    cache_0 .. cache_{L-1}: !xf.kv_cache<...>) -> tensor<?x vocab x f32>
///
/// returning the logits of every token. Tensor data is not touched. Tensor
/// types the compiler expands to f32 (K-quants and the like) are listed in
/// `warnings`. Returns null with `error` naming the tensor or key on failure.
/// The model may come in any format `ModelSource` reads.
mlir::OwningOpRef<mlir::ModuleOp>
importModel(const ModelSource &source, mlir::MLIRContext &context,
            const ImportOptions &options, std::string &error,
            std::vector<std::string> &warnings);

} // namespace xfc

#endif // XFC_FRONTENDS_MODELIMPORTER_H
