//===- Passes.h - xf graph passes -------------------------------*- C++ -*-===//

#ifndef XFC_TRANSFORMS_PASSES_H
#define XFC_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

#include <string>

namespace mlir {
class OpPassManager;
class RewritePatternSet;
namespace xf {

#define GEN_PASS_DECL
#include "xfc/Transforms/Passes.h.inc"

/// Patterns that expand xf.attention and xf.ffn into fine-grained ops.
void populateDecomposeAttentionPatterns(RewritePatternSet &patterns);
void populateDecomposeFfnPatterns(RewritePatternSet &patterns);

/// Patterns that fuse feed-forward subgraphs into xf.ffn.
void populateFuseFfnPatterns(RewritePatternSet &patterns);

/// Patterns that fuse attention subgraphs into xf.attention.
void populateFuseMhaPatterns(RewritePatternSet &patterns);

/// The passes of the default graph pipeline, in order.
SmallVector<StringRef> getGraphPipelinePasses();

/// What the default graph pipeline is asked for.
struct GraphPipelineConfig {
  /// Passes to leave out, by name.
  SmallVector<std::string> disabled;
  /// xf-quantize's options (see its description).
  std::string weights = "keep";
  bool asym = false;
  int64_t groupSize = 32;
  std::string scaleType = "f16";
  std::string quantMethod = "rtn";
  SmallVector<std::string> keepWeights;
  std::string compute = "int8";
  /// xf-select-kernels' option: generated, onednn or auto.
  std::string kernels = "generated";
  /// xf-select-sparse-kernels' mode: auto, always or never; whether the
  /// target can run the sparse INT8 codes (AVX512_VBMI2).
  std::string sparseKernels = "auto";
  bool sparseCodes = true;
  /// The target has AVX-512 (F/BW/VL): the sparse panels' cost constants
  /// measured with vexpandps, not xf-select-sparse-kernels' AVX2 defaults.
  bool sparseAvx512 = false;
  /// xf-split-sockets' shard count.
  int64_t sockets = 1;
  /// xf-batch-decode's max-rows: the most sequences one decode step
  /// batches (0: no batch entry points).
  int64_t batchRows = 4;
  /// xf-convert-kv-cache's element: keep, f32, f16, bf16 or int8.
  std::string kvCache = "keep";
  /// xf-lower-kron-branches' strategy: auto, factored or merged.
  std::string kronBranches = "auto";
  /// xf-sparsify's options (see its description).
  std::string sparsityPattern = "unstructured";
  double sparsityLevel = 0.0;
  SmallVector<std::string> sparsityLayerLevels, sparsityExclude;
};

/// Adds the default graph pipeline (registered as `xf-optimize-graph`).
/// Fails for a disabled name that is not one of its passes.
LogicalResult buildGraphPipeline(OpPassManager &pm,
                                 const GraphPipelineConfig &config,
                                 std::string &error);

/// The graph pipeline's pass `name`, configured; null for another name.
std::unique_ptr<Pass>
createGraphPipelinePass(StringRef name, const GraphPipelineConfig &config);

/// Registers XFC's named pass pipelines (see Pipelines.cpp).
void registerXFPipelines();

#define GEN_PASS_REGISTRATION
#include "xfc/Transforms/Passes.h.inc"

} // namespace xf
} // namespace mlir

#endif // XFC_TRANSFORMS_PASSES_H
