//===- WeightStore.h - The data behind a module's weights -------*- C++ -*-===//
//
// An imported module names its weights; the store holds their data. External
// weights come from the model file. Derived weights (an `xf.global_weight`
// with an initializer) are computed from other weights by the reference
// evaluator, once, when the weight blob is written.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_WEIGHTSTORE_H
#define XFC_WEIGHTSTORE_H

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Frontends/GGUF/GGMLType.h"
#include "xfc/Frontends/GGUF/GGUFFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace xfc {

class WeightStore {
public:
  /// A store over `file`'s tensors, which must outlive it.
  explicit WeightStore(const gguf::File &file);
  // The provider refers to this store.
  WeightStore(const WeightStore &) = delete;
  WeightStore &operator=(const WeightStore &) = delete;

  /// Keeps copies of `module`'s weight declarations, which the lowering
  /// consumes, for writing the blob afterwards.
  void snapshot(mlir::ModuleOp module);

  /// External weights by name, decoded to real values.
  const mlir::xf::eval::WeightProvider &provider() const { return external; }

  /// Writes the weights in the order and at the offsets `xf-bind-weights`
  /// chose (module attribute `xf.weight_layout` of `lowered`), each in its
  /// declared type. External weights stored as declared are copied; the
  /// rest are decoded or computed. Weights in the kernels' blocked layouts
  /// are written as rows or ggml blocks first, then packed (xfk_pack).
  bool writeBlob(mlir::ModuleOp lowered, llvm::raw_ostream &os,
                 std::string &error);

private:
  /// Writes `global`'s data as `type` (float rows or ggml blocks, stored
  /// as `storage`) to `os`: the model file's bytes, a concatenation of
  /// them, or the computed values encoded. Sets `bytes` to the size.
  bool writeStored(mlir::xf::GlobalWeightOp global, mlir::Type type,
                   gguf::GGMLType storage, llvm::raw_ostream &os,
                   uint64_t &bytes, std::string &error);

  const gguf::File &file;
  mlir::xf::eval::WeightProvider external;
  std::string providerError;
  mlir::OwningOpRef<mlir::ModuleOp> declarations;
};

} // namespace xfc

#endif // XFC_WEIGHTSTORE_H
