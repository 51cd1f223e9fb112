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
#include "xfc/Frontends/AdapterImporter.h"
#include "xfc/Frontends/GGUF/GGMLType.h"
#include "xfc/Frontends/ModelSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace xfc {

class WeightStore {
public:
  /// A store over `model`'s tensors, which must outlive it.
  explicit WeightStore(const ModelSource &model);
  // The provider refers to this store.
  WeightStore(const WeightStore &) = delete;
  WeightStore &operator=(const WeightStore &) = delete;

  /// Serves the weights that are not in the file from `tensors` (an
  /// adapter's factors), which must outlive the store.
  void addTensors(const AdapterTensors &tensors) { extra = &tensors; }

  /// Keeps copies of `module`'s weight declarations, which the lowering
  /// consumes, for writing the blob afterwards.
  void snapshot(mlir::ModuleOp module);

  /// Puts `sparsity = #xf.sparsity<...>` on each float 2-D weight of
  /// `module` (as snapshot() kept it): its fraction of zeros and the most
  /// nonzero values of a panel of 64 rows, measured on the values the blob
  /// will hold. The rows of derived weights are kept for writeBlob.
  bool measureSparsity(mlir::ModuleOp module, std::string &error);

  /// External weights by name, decoded to real values.
  const mlir::xf::eval::WeightProvider &provider() const { return external; }

  /// Writes the weights in the order and at the offsets `xf-bind-weights`
  /// chose (module attribute `xf.weight_layout` of `lowered`), each in its
  /// declared type. External weights stored as declared are copied; the
  /// rest are decoded or computed. Weights in the kernels' blocked layouts
  /// are written as rows or ggml blocks first, then packed (xfk_pack).
  bool writeBlob(mlir::ModuleOp lowered, llvm::raw_ostream &os,
                 std::string &error);

  /// What requantizing cost, over the weights that were quantized in the
  /// model file and computed again (an adapter folded into a Q4_0 base, a
  /// pruned one):
  /// sums over their values of the squared rounding error and of the squared
  /// change the computation made before rounding.
  struct Requantization {
    int64_t weights = 0;
    double values = 0, errorSquares = 0, changeSquares = 0;
  };
  const Requantization &requantization() const { return requant; }

private:
  /// Writes `global`'s data as `type` (float rows or ggml blocks, stored
  /// as `storage`) to `os`: the model file's bytes, a concatenation of
  /// them, or the computed values encoded. Adds the size to `bytes`.
  bool writeStored(mlir::xf::GlobalWeightOp global, mlir::Type type,
                   gguf::GGMLType storage, llvm::raw_ostream &os,
                   uint64_t &bytes, std::string &error);
  /// Writes `value`, of `global`'s initializer, as `type`; adds its size to
  /// `bytes`.
  bool writeValue(mlir::xf::GlobalWeightOp global, mlir::Value value,
                  mlir::Type type, gguf::GGMLType storage,
                  llvm::raw_ostream &os, uint64_t &bytes, std::string &error);
  /// Copies the file's bytes of `parts` when they are stored as `type`.
  bool copyStored(const std::vector<const gguf::TensorInfo *> &parts,
                  mlir::Type type, gguf::GGMLType storage,
                  llvm::raw_ostream &os, uint64_t &bytes);
  bool encode(llvm::ArrayRef<float> values, mlir::Type type,
              gguf::GGMLType storage, llvm::raw_ostream &os, uint64_t &bytes);
  /// The values of `value`, of `global`'s initializer, in f32: the file's
  /// rows decoded when `value` is (the dequantization of) a stored weight
  /// or a row concatenation of them, else evaluated.
  std::optional<std::vector<float>> valuesOf(mlir::xf::GlobalWeightOp global,
                                             mlir::Value value,
                                             std::string &error);
  /// Adds a requantized weight's error to `requant`.
  bool measureRequantization(mlir::xf::GlobalWeightOp global, mlir::Value input,
                             llvm::ArrayRef<float> exact,
                             gguf::GGMLType storage,
                             llvm::ArrayRef<uint8_t> encoded,
                             std::string &error);

  const ModelSource &file;
  mlir::xf::eval::WeightProvider external;
  std::string providerError;
  mlir::OwningOpRef<mlir::ModuleOp> declarations;
  const AdapterTensors *extra = nullptr;
  Requantization requant;
  /// Rows of derived weights measureSparsity computed, by name, with the
  /// type they were written as; writeStored takes (and drops) them.
  llvm::StringMap<std::pair<mlir::Type, std::vector<char>>> measured;
};

} // namespace xfc

#endif // XFC_WEIGHTSTORE_H
