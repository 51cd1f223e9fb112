//===- Pipelines.cpp - Named xf pass pipelines ----------------------------===//

#include "xfc/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace {

struct GraphPass {
  StringRef name;
  std::unique_ptr<Pass> (*create)(const xf::GraphPipelineConfig &);
};

/// The default graph passes, in order: fusion first (xf-fuse-qkv after
/// xf-fuse-ffn, which wants gate and up separate), then the LayerNorm
/// rewrite, the tensor-parallel split (on fused blocks, before
/// quantization, so that each shard's slices are quantized), the choice of
/// arithmetic for quantized GEMMs (on fused ops, which keep it), the KV
/// caches' type, and last the weight computations the others created
/// move out of the code. The GEMMs' library is chosen on that final form
/// (weights quantized or not, fused or not). A layer-shared model's SPEED
/// stages are built last, from the layer functions as they end up.
const GraphPass kGraphPasses[] = {
    // Exported spellings (ONNX) to the ops the other passes match.
    {"xf-raise-idioms", [](auto &) { return xf::createXFRaiseIdioms(); }},
    {"xf-fold-adapters", [](auto &) { return xf::createXFFoldAdapters(); }},
    {"xf-sparsify",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFSparsifyOptions options;
       options.pattern = config.sparsityPattern;
       options.level = config.sparsityLevel;
       options.layerLevels.assign(config.sparsityLayerLevels.begin(),
                                  config.sparsityLayerLevels.end());
       options.exclude.assign(config.sparsityExclude.begin(),
                              config.sparsityExclude.end());
       return xf::createXFSparsify(options);
     }},
    {"xf-lower-kron-branches",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFLowerKronBranchesOptions options;
       options.strategy = config.kronBranches;
       return xf::createXFLowerKronBranches(options);
     }},
    {"xf-fuse-ffn", [](auto &) { return xf::createXFFuseFfn(); }},
    {"xf-fuse-mha", [](auto &) { return xf::createXFFuseMha(); }},
    {"xf-fuse-qkv", [](auto &) { return xf::createXFFuseQkv(); }},
    {"xf-prelayernorm-to-rmsnorm",
     [](auto &) { return xf::createXFPreLayerNormToRmsNorm(); }},
    {"xf-split-sockets",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFSplitSocketsOptions options;
       options.sockets = config.sockets;
       return xf::createXFSplitSockets(options);
     }},
    {"xf-quantize",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFQuantizeOptions options;
       options.weights = config.weights;
       options.asym = config.asym;
       options.groupSize = config.groupSize;
       options.scaleType = config.scaleType;
       options.method = config.quantMethod;
       options.keepWeights.assign(config.keepWeights.begin(),
                                  config.keepWeights.end());
       options.compute = config.compute;
       return xf::createXFQuantize(options);
     }},
    {"xf-convert-kv-cache",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFConvertKVCacheOptions options;
       options.element = config.kvCache;
       return xf::createXFConvertKVCache(options);
     }},
    {"xf-hoist-weight-expressions",
     [](auto &) { return xf::createXFHoistWeightExpressions(); }},
    {"xf-select-kernels",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFSelectKernelsOptions options;
       options.kernels = config.kernels;
       return xf::createXFSelectKernels(options);
     }},
    {"xf-select-sparse-kernels",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFSelectSparseKernelsOptions options;
       options.mode = config.sparseKernels;
       options.sparseCodes = config.sparseCodes;
       if (config.sparseAvx512) {
         // Measured on Sapphire Rapids (docs/sparsity.md): vexpandps keeps
         // the sparse f32 GEMV at the dense one's bandwidth up to 80%
         // zeros, and expanding costs ~1.2 bytes per position (f16).
         options.streamOverhead = 1.1;
         options.expandBytes = 1.2;
       }
       return xf::createXFSelectSparseKernels(options);
     }},
    {"xf-speed-stages", [](auto &) { return xf::createXFSpeedStages(); }},
    {"xf-batch-decode",
     [](const xf::GraphPipelineConfig &config) {
       xf::XFBatchDecodeOptions options;
       options.maxRows = config.batchRows;
       return xf::createXFBatchDecode(options);
     }},
};

struct GraphPipelineOptions : PassPipelineOptions<GraphPipelineOptions> {
  ListOption<std::string> disable{
      *this, "disable",
      llvm::cl::desc("Graph passes to leave out (xf-optimize-graph's pass "
                     "names)")};
  Option<std::string> weights{
      *this, "weights",
      llvm::cl::desc("GEMM weights (keep, f16, bf16, int8, int4), for "
                     "xf-quantize"),
      llvm::cl::init("keep")};
  Option<bool> asym{*this, "asym",
                    llvm::cl::desc("int4 weights with a minimum (Q4_1)"),
                    llvm::cl::init(false)};
  Option<int64_t> groupSize{
      *this, "group-size",
      llvm::cl::desc("Values per quantization scale (a multiple of 32, or -1 "
                     "per channel), for xf-quantize"),
      llvm::cl::init(32)};
  Option<std::string> scaleType{
      *this, "scale-type",
      llvm::cl::desc("Type of quantization scales (f16, f32), for "
                     "xf-quantize"),
      llvm::cl::init("f16")};
  Option<std::string> quantMethod{
      *this, "quant-method",
      llvm::cl::desc("Quantization method (rtn, mse, ...), for xf-quantize"),
      llvm::cl::init("rtn")};
  ListOption<std::string> keepWeights{
      *this, "keep-weights",
      llvm::cl::desc("Weights left unquantized (name substrings)")};
  Option<std::string> compute{
      *this, "compute",
      llvm::cl::desc("GEMM arithmetic (f32, int8 for quantized weights, "
                     "bf16 for bf16 weights), for xf-quantize"),
      llvm::cl::init("int8")};
  Option<std::string> kronBranches{
      *this, "kron-branches",
      llvm::cl::desc("How KronA^B branches are computed (auto, factored, "
                     "merged), for xf-lower-kron-branches"),
      llvm::cl::init("auto")};
  Option<std::string> sparsityPattern{
      *this, "sparsity-pattern",
      llvm::cl::desc("unstructured, N:M or block:RxC, for xf-sparsify"),
      llvm::cl::init("unstructured")};
  Option<double> sparsity{
      *this, "sparsity",
      llvm::cl::desc("Fraction of each GEMM weight to prune, for xf-sparsify"),
      llvm::cl::init(0.0)};
  ListOption<std::string> sparsityLayerLevels{
      *this, "sparsity-layer-levels",
      llvm::cl::desc("substring=level pairs, for xf-sparsify")};
  ListOption<std::string> sparsityExclude{
      *this, "sparsity-exclude",
      llvm::cl::desc("Weights left dense (name substrings), for xf-sparsify")};
  Option<std::string> sparseKernels{
      *this, "sparse-kernels",
      llvm::cl::desc("Sparse panels for measured weights (auto, always, "
                     "never), for xf-select-sparse-kernels"),
      llvm::cl::init("auto")};
  Option<std::string> kvCache{
      *this, "kv-cache",
      llvm::cl::desc("What the KV caches store (keep, f32, f16, bf16, "
                     "int8), for xf-convert-kv-cache"),
      llvm::cl::init("keep")};
  Option<int64_t> sockets{
      *this, "sockets",
      llvm::cl::desc("Shards of the attention and FFN blocks, for "
                     "xf-split-sockets"),
      llvm::cl::init(1)};
  Option<std::string> kernels{
      *this, "kernels",
      llvm::cl::desc("Library of the GEMMs (generated, onednn, auto), for "
                     "xf-select-kernels"),
      llvm::cl::init("generated")};
  Option<int64_t> batchRows{
      *this, "batch-rows",
      llvm::cl::desc("The most sequences one decode step batches (0: none), "
                     "for xf-batch-decode"),
      llvm::cl::init(4)};
};

void addGraphCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSymbolDCEPass());
}

} // namespace

std::unique_ptr<Pass>
xf::createGraphPipelinePass(StringRef name, const GraphPipelineConfig &config) {
  for (const GraphPass &pass : kGraphPasses)
    if (pass.name == name)
      return pass.create(config);
  return nullptr;
}

SmallVector<StringRef> xf::getGraphPipelinePasses() {
  SmallVector<StringRef> names;
  for (const GraphPass &pass : kGraphPasses)
    names.push_back(pass.name);
  return names;
}

LogicalResult xf::buildGraphPipeline(OpPassManager &pm,
                                     const GraphPipelineConfig &config,
                                     std::string &error) {
  ArrayRef<std::string> disabled = config.disabled;
  for (const std::string &name : disabled)
    if (!llvm::is_contained(getGraphPipelinePasses(), name)) {
      error = "'" + name + "' is not a pass of the graph pipeline (" +
              llvm::join(getGraphPipelinePasses(), ", ") + ")";
      return failure();
    }
  for (const GraphPass &pass : kGraphPasses) {
    if (llvm::is_contained(disabled, pass.name))
      continue;
    // The split slices weights where the layer functions receive them as
    // arguments: fused projections' concatenations move out first.
    if (pass.name == "xf-split-sockets" && config.sockets > 1)
      pm.addPass(xf::createXFHoistWeightExpressions());
    pm.addPass(pass.create(config));
  }
  addGraphCleanup(pm);
  return success();
}

void xf::registerXFPipelines() {
  // Registered directly so that a bad `disable=` is a parse error, not a
  // crash.
  registerPassPipeline(
      "xf-optimize-graph",
      "XFC's default graph passes (fusion, then weight hoisting) and a "
      "cleanup; `disable=` leaves passes out",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        GraphPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        std::string error;
        xf::GraphPipelineConfig config;
        config.disabled.assign(options.disable.begin(), options.disable.end());
        config.weights = options.weights;
        config.asym = options.asym;
        config.groupSize = options.groupSize;
        config.scaleType = options.scaleType;
        config.quantMethod = options.quantMethod;
        config.keepWeights.assign(options.keepWeights.begin(),
                                  options.keepWeights.end());
        config.compute = options.compute;
        config.kernels = options.kernels;
        config.kvCache = options.kvCache;
        config.sockets = options.sockets;
        config.batchRows = options.batchRows;
        config.sparseKernels = options.sparseKernels;
        config.kronBranches = options.kronBranches;
        config.sparsityPattern = options.sparsityPattern;
        config.sparsityLevel = options.sparsity;
        config.sparsityLayerLevels.assign(options.sparsityLayerLevels.begin(),
                                          options.sparsityLayerLevels.end());
        config.sparsityExclude.assign(options.sparsityExclude.begin(),
                                      options.sparsityExclude.end());
        if (failed(buildGraphPipeline(pm, config, error)))
          return errorHandler(error);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(GraphPipelineOptions());
      });
  PassPipelineRegistration<>(
      "xf-graph-cleanup",
      "Fold and simplify an xf graph, then drop weights nothing reads: "
      "canonicalize, cse, symbol-dce",
      addGraphCleanup);
}
