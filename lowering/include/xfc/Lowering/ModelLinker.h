//===- ModelLinker.h - Package generated code into a model .so --*- C++ -*-===//

#ifndef XFC_LOWERING_MODELLINKER_H
#define XFC_LOWERING_MODELLINKER_H

#include "xfc/Lowering/Target.h"

#include "mlir/IR/BuiltinOps.h"

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace xfc {

/// An input or output of a plain graph's @main (ModelABI.h's XfmGraphArgs).
struct GraphValue {
  std::string name;
  std::string element; // f32, i64, ... as MLIR spells it
  std::vector<int64_t> shape;
};

/// What a model .so carries beside its code (see runtime ModelABI.h).
struct ModelPackage {
  std::string metadata;  // "key=value" lines
  std::string tokenizer; // xfrt::serializeVocabulary output
  /// The caches as the model addresses them: layers, 2 (keys, values),
  /// context, kv heads, and elements per stored row (`!xf.kv_cache`'s
  /// getRowElements).
  std::array<int64_t, 5> cacheShape = {};
  int64_t headDim = 0;
  std::string cacheElement; // f32, f16, bf16 or i8
  int64_t cacheRowBytes = 0;
  int64_t vocabSize = 0;
  /// Entry points, one per shard of a tensor-parallel model (the caches
  /// above are one shard's).
  int64_t shards = 1;
  uint64_t weightBytes = 0; // size of the blob writeWeights produces
  /// SPEED stages (xf-speed-stages): the most rows of a stage (0: none),
  /// the layer cycle (N distinct layers, G groups), the residual width, and
  /// the weight bytes one stage reads, of which the N layers'.
  int64_t speedRows = 0, speedLayers = 0, speedGroups = 0, hiddenDim = 0;
  uint64_t speedStageBytes = 0, speedLayerBytes = 0;
  /// Batch decode entry points (xf-batch-decode): the most rows (0: none).
  int64_t batchRows = 0;
  /// Write the weights to `<output>.weights` beside the .so instead of into
  /// its `.xfc.weights` section.
  bool sidecarWeights = false;
  /// Writes the weight blob the module's `xf.weight_layout` describes
  /// (none: the model has no weight blob).
  std::function<bool(llvm::raw_ostream &, std::string &)> writeWeights;
  /// A plain graph (kind=graph): @main's inputs and outputs, which it reads
  /// and writes through buffers the caller owns.
  bool graph = false;
  std::vector<GraphValue> graphInputs, graphOutputs;
};

/// The package facts that follow from an imported module's @forward (or a
/// split model's @forward_shard0): cache shape and element type, vocabulary
/// size, the number of shards, and the SPEED stages.
mlir::LogicalResult describeForward(mlir::ModuleOp xfModule,
                                    ModelPackage &package, std::string &error);

/// The package of a plain graph (an imported ONNX graph, before
/// lowering): @main's inputs and outputs, which must have static shapes,
/// and its metadata (kind=graph, then a line per input and output).
mlir::LogicalResult describeGraph(mlir::ModuleOp xfModule,
                                  ModelPackage &package, std::string &error);

/// Whether this xfc links models with oneDNN (built with libdnnl-dev), so
/// that GEMMs may be marked `backend onednn`.
bool linksOneDNN();

/// Adds the package globals to `llvmModule` (in the LLVM dialect), emits
/// its object, turns the weights into a `.xfc.weights` section and links
/// them with the model stub into `outputPath`.
mlir::LogicalResult linkModel(mlir::ModuleOp llvmModule,
                              const TargetSpec &target,
                              const ModelPackage &package,
                              const std::string &outputPath,
                              std::string &error);

} // namespace xfc

#endif // XFC_LOWERING_MODELLINKER_H
