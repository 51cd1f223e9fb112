//===- Compiler.cpp - Import, lower and package a model -------------------===//
//
// The work behind `xfc compile`, also used to compile a .gguf given to
// run/bench/perplexity on the fly.
//
//===----------------------------------------------------------------------===//

#include "Compiler.h"

#include "Commands.h"

#include "xfc/Frontends/GGUF/ModelConfig.h"
#include "xfc/Frontends/ModelImporter.h"
#include "xfc/Frontends/ONNXImporter.h"
#include "xfc/InitAll.h"
#include "xfc/Lowering/ModelLinker.h"
#include "xfc/Lowering/Passes.h"
#include "xfc/Lowering/Target.h"
#include "xfc/Transforms/Passes.h"
#include "xfc/WeightStore.h"
#include "xfrt/Tokenizer.h"
#include "xfrt/xfrt.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cmath>
#include <optional>

using namespace llvm;
using namespace xfc::driver;

namespace {

/// Folding an adapter into (or pruning) weights the model file holds
/// quantized rounds them again; says how much that costs against what the
/// computation changed.
void reportRequantization(const xfc::WeightStore::Requantization &r) {
  if (!r.weights)
    return;
  double error = std::sqrt(r.errorSquares / r.values);
  double change = std::sqrt(r.changeSquares / r.values);
  errs() << format("xfc: requantized %lld weights the model file holds "
                   "quantized: rounding adds an RMS error of %.3g, %.3g times "
                   "the RMS change computed before rounding (%.3g)\n",
                   static_cast<long long>(r.weights), error,
                   change > 0 ? error / change : 0.0, change);
}

/// Which weights with zeros took a sparse layout (silent for a model
/// without zeros to speak of).
void reportSparseKernels(mlir::ModuleOp module) {
  int64_t withZeros = 0, sparse = 0;
  for (auto global : module.getOps<mlir::xf::GlobalWeightOp>()) {
    auto sparsity = global->getAttrOfType<mlir::xf::SparsityAttr>("sparsity");
    if (!sparsity || sparsity.getZeroFraction() < 0.01)
      continue;
    ++withZeros;
    sparse += global->hasAttr("packing");
  }
  if (withZeros)
    errs() << format("xfc: sparse kernels for %lld of the %lld weights with "
                     "1%% zeros or more (xf-select-sparse-kernels)\n",
                     static_cast<long long>(sparse),
                     static_cast<long long>(withZeros));
}

/// A split model's metadata line `shard_weights=b0-e0,b1-e1,...`: the byte
/// range of the blob each shard alone reads (xf-bind-weights), which the
/// runtime binds to that shard's socket; "" for a model that is not split.
std::string shardWeightRanges(mlir::ModuleOp module) {
  auto ranges = module->getAttrOfType<mlir::ArrayAttr>("xf.weight_shards");
  if (!ranges)
    return "";
  std::string line = "shard_weights=";
  for (auto [k, range] : llvm::enumerate(ranges)) {
    ArrayRef<int64_t> bounds =
        cast<mlir::DenseI64ArrayAttr>(range).asArrayRef();
    line += (k ? "," : "") + std::to_string(bounds[0]) + "-" +
            std::to_string(bounds[1]);
  }
  return line + "\n";
}

} // namespace

namespace {

/// Imports `r.input`, an ONNX graph, with the input shapes `r` gives.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXGraph(const xfc::driver::CompileRequest &r,
                mlir::MLIRContext &context, std::string &error) {
  xfc::ONNXImportOptions options;
  for (const std::string &spec : r.inputShapes) {
    auto [name, dims] = StringRef(spec).split('=');
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    std::vector<int64_t> shape;
    for (StringRef part : parts) {
      int64_t d;
      if (part.getAsInteger(10, d) || d < 0) {
        error = "--input-shape: '" + spec +
                "' is not name=DxD... with "
                "non-negative sizes";
        return nullptr;
      }
      shape.push_back(d);
    }
    if (name.empty() || dims.empty()) {
      error = "--input-shape: '" + spec + "' is not name=DxD...";
      return nullptr;
    }
    options.inputShapes[name.str()] = shape;
  }
  std::unique_ptr<xfc::onnxfile::Model> model =
      xfc::onnxfile::Model::open(r.input, error);
  if (!model)
    return nullptr;
  return xfc::importONNX(*model, context, options, error);
}

/// What the flags of a request resolve to.
struct Setup {
  xfc::TargetSpec spec;
  // --disable-pass names graph passes and optional lowering passes.
  std::vector<std::string> graphDisabled, loweringDisabled;
};

/// Checks the request's flags; false after printing an error.
bool checkRequest(const CompileRequest &r, Setup &setup) {
  static const StringRef kStages[] = {"import",  "xf",  "linalg", "llvm-mlir",
                                      "llvm-ir", "asm", "obj",    "so"};
  if (!llvm::is_contained(kStages, StringRef(r.emit)))
    return !fail("unknown --emit stage '" + r.emit +
                 "' (expected import, xf, linalg, llvm-mlir, llvm-ir, asm, "
                 "obj or so)");
  std::string error;
  std::optional<xfc::TargetSpec> spec =
      xfc::parseTarget(r.target, r.optLevel, error);
  if (!spec)
    return !fail(error);
  setup.spec = *spec;
  if (r.context < 0)
    return !fail("--ctx must be positive");
  SmallVector<StringRef> graphPasses = mlir::xf::getGraphPipelinePasses();
  SmallVector<StringRef> loweringPasses =
      mlir::xf::getOptionalLoweringPasses();
  for (const std::string &name : r.disabledPasses) {
    if (llvm::is_contained(graphPasses, name))
      setup.graphDisabled.push_back(name);
    else if (llvm::is_contained(loweringPasses, name))
      setup.loweringDisabled.push_back(name);
    else
      return !fail("--disable-pass: '" + name +
                   "' is not a pass of the graph pipeline (" +
                   llvm::join(graphPasses, ", ") +
                   ") nor an optional lowering pass (" +
                   llvm::join(loweringPasses, ", ") + ")");
  }
  if (r.emit == "so" && (r.output.empty() || r.output == "-"))
    return !fail("--emit=so needs an output file (-o model.so)");
  return true;
}

/// Optimizes, lowers and writes an imported module: a transformer model
/// read from `file` (its weights, tokenizer and the model ABI), or with no
/// file a plain graph (an ONNX graph: a function of its inputs).
int compileImported(const CompileRequest &r, const Setup &setup,
                    mlir::ModuleOp module, xfc::ModelSource *file,
                    const xfc::AdapterTensors &adapterTensors) {
  std::string output = r.output;
  std::string error;
  mlir::MLIRContext &mlirContext = *module.getContext();
  // IR printing and timing apply to the graph and the lowering pipelines.
  auto configure = [&](mlir::PassManager &pm) {
    if (r.printAfterAll || !r.printAfter.empty()) {
      mlirContext.disableMultithreading();
      std::vector<std::string> names(r.printAfter.begin(), r.printAfter.end());
      pm.enableIRPrinting(
          [](mlir::Pass *, mlir::Operation *) { return false; },
          [&r, names](mlir::Pass *pass, mlir::Operation *) {
            return r.printAfterAll ||
                   llvm::is_contained(names, pass->getArgument());
          },
          /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
    }
    if (r.timing)
      pm.enableTiming();
  };
  // The sparse kernels are chosen from the zeros of the weights as the
  // other graph passes leave them, which the weight store measures.
  constexpr StringLiteral kSparseKernels = "xf-select-sparse-kernels";
  mlir::xf::GraphPipelineConfig graph = r.graph;
  graph.disabled.assign(setup.graphDisabled.begin(), setup.graphDisabled.end());
  // A plain graph has no weight blob for expressions of its constants to
  // be computed into: they stay constants of its code.
  if (!file)
    graph.disabled.push_back("xf-hoist-weight-expressions");
  // Nor packed weights for the generated kernels: its GEMMs go to oneDNN
  // (xf-select-kernels' auto) unless --kernels says otherwise.
  if (graph.kernels.empty())
    graph.kernels = !file && xfc::linksOneDNN() ? "auto" : "generated";
  graph.sparseCodes = xfc::targetHasFeature(setup.spec, "avx512vbmi2");
  // AVX512BW implies AVX512F, which a named CPU's list may leave implied.
  graph.sparseAvx512 = xfc::targetHasFeature(setup.spec, "avx512bw") &&
                       xfc::targetHasFeature(setup.spec, "avx512vl");
  bool selectSparse = file && r.emit != "import" &&
                      graph.sparseKernels != "never" &&
                      !llvm::is_contained(graph.disabled, kSparseKernels);
  graph.disabled.push_back(kSparseKernels.str());
  if (r.emit != "import") {
    mlir::PassManager pm(&mlirContext);
    configure(pm);
    if (mlir::failed(mlir::xf::buildGraphPipeline(pm, graph, error)))
      return fail("--disable-pass: " + error);
    if (mlir::failed(pm.run(module)))
      return fail("optimizing " + r.input + " failed");
  }
  // Derived weights are computed when the blob is written, from the
  // declarations as the graph passes left them.
  std::optional<xfc::WeightStore> weights;
  if (file) {
    weights.emplace(*file);
    weights->addTensors(adapterTensors);
    weights->snapshot(module);
  }
  if (selectSparse) {
    if (!weights->measureSparsity(module, error))
      return fail(r.input + ": " + error);
    mlir::PassManager pm(&mlirContext);
    configure(pm);
    pm.addPass(mlir::xf::createGraphPipelinePass(kSparseKernels, graph));
    if (mlir::failed(pm.run(module)))
      return fail("choosing the sparse kernels of " + r.input + " failed");
    reportSparseKernels(module);
  }
  // The package describes @forward as the graph passes left it (its
  // caches' element type), before lowering turns it into memrefs.
  xfc::ModelPackage package;
  if (r.emit == "so" && !file) {
    if (mlir::failed(xfc::describeGraph(module, package, error)))
      return fail(r.input + ": " + error);
  } else if (r.emit == "so") {
    if (mlir::failed(xfc::describeForward(module, package, error)))
      return fail(r.input + ": " + error);
    std::optional<xfrt::Vocabulary> vocab = file->loadVocabulary(error);
    if (!vocab)
      return fail(error);
    package.tokenizer = xfrt::serializeVocabulary(*vocab);
    const xfc::gguf::ModelConfig *config = &file->config();
    package.metadata =
        "kind=model\narchitecture=" +
        std::string(xfc::gguf::architectureName(config->arch)) +
        "\nvocab_size=" + std::to_string(package.vocabSize) +
        "\nmax_context=" + std::to_string(package.cacheShape[2]) +
        "\nlayers=" + std::to_string(package.cacheShape[0]) +
        "\nkv_heads=" + std::to_string(package.cacheShape[3]) +
        "\nhead_dim=" + std::to_string(package.headDim) +
        "\nkv_cache=" + package.cacheElement +
        "\nkv_row_bytes=" + std::to_string(package.cacheRowBytes) +
        "\nweights=" + (r.sidecarWeights ? "sidecar" : "section") +
        "\nshards=" + std::to_string(package.shards) + "\n";
    if (package.batchRows > 0)
      package.metadata +=
          "batch_rows=" + std::to_string(package.batchRows) + "\n";
    if (package.speedRows > 0)
      package.metadata +=
          "speed_rows=" + std::to_string(package.speedRows) +
          "\nlayer_cycle=" + std::to_string(package.speedLayers) + "," +
          std::to_string(package.speedGroups) +
          "\nhidden_dim=" + std::to_string(package.hiddenDim) +
          "\nspeed_stage_bytes=" + std::to_string(package.speedStageBytes) +
          "\nspeed_layer_bytes=" + std::to_string(package.speedLayerBytes) +
          "\n";
    package.sidecarWeights = r.sidecarWeights;
  }
  if (r.emit != "import" && r.emit != "xf") {
    mlir::PassManager pm(&mlirContext);
    configure(pm);
    if (r.emit == "linalg")
      mlir::xf::buildLowerToLinalgPipeline(pm, setup.loweringDisabled);
    else // a plain graph writes its outputs where its caller says
      mlir::xf::buildLowerToLLVMPipeline(pm, setup.loweringDisabled,
                                         /*resultsAsOutParams=*/!file);
    if (mlir::failed(pm.run(module)))
      return fail("lowering " + r.input + " failed");
  }

  if (r.emit == "so") {
    if (file) {
      auto bytes = module->getAttrOfType<mlir::IntegerAttr>("xf.weight_bytes");
      package.weightBytes = bytes ? bytes.getInt() : 0;
      package.metadata += shardWeightRanges(module);
      package.writeWeights = [&](llvm::raw_ostream &os, std::string &err) {
        return weights->writeBlob(module, os, err);
      };
    }
    if (mlir::failed(
            xfc::linkModel(module, setup.spec, package, output, error)))
      return fail(error);
    if (weights)
      reportRequantization(weights->requantization());
    return 0;
  }
  if (output.empty())
    output = "-";
  bool binary = r.emit == "obj";
  std::error_code ec;
  ToolOutputFile out(output, ec, binary ? sys::fs::OF_None : sys::fs::OF_Text);
  if (ec)
    return fail(output + ": " + ec.message());
  if (r.emit == "import" || r.emit == "xf" || r.emit == "linalg" ||
      r.emit == "llvm-mlir") {
    module.print(out.os());
  } else {
    xfc::OutputKind kind = r.emit == "llvm-ir" ? xfc::OutputKind::LLVMIR
                           : r.emit == "asm"   ? xfc::OutputKind::Assembly
                                             : xfc::OutputKind::Object;
    if (mlir::failed(
            xfc::emitMachineCode(module, setup.spec, kind, out.os(), error)))
      return fail(error);
  }
  out.keep();
  return 0;
}

} // namespace

int xfc::driver::compileModel(const CompileRequest &r) {
  Setup setup;
  if (!checkRequest(r, setup))
    return 1;
  mlir::DialectRegistry registry;
  xfc::registerAllDialects(registry);
  mlir::MLIRContext mlirContext(registry);
  std::string error;
  // A transformer model (GGUF, HF) has weights, a tokenizer and the model
  // ABI; an ONNX graph is a plain function of its inputs.
  std::unique_ptr<xfc::ModelSource> file;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  xfc::AdapterTensors adapterTensors;
  if (StringRef(r.input).ends_with(".onnx")) {
    if (!r.adapters.empty())
      return fail("adapters apply to GGUF and HF models, not ONNX graphs");
    module = importONNXGraph(r, mlirContext, error);
    if (!module)
      return fail(error);
  } else {
    file = xfc::ModelSource::open(r.input, error);
    if (!file)
      return fail(error);
    std::vector<std::string> warnings;
    xfc::ImportOptions options;
    options.maxContext = r.context;
    options.shareLayers = r.adapters.empty();
    module = xfc::importModel(*file, mlirContext, options, error, warnings);
    for (const std::string &w : warnings)
      warn(w);
    if (!module)
      return fail(error);
    if (mlir::failed(xfc::attachAdapters(*module, *file, r.adapters,
                                         adapterTensors, error)))
      return fail(error);
  }
  return compileImported(r, setup, *module, file.get(), adapterTensors);
}

int xfc::driver::compileGraph(mlir::ModuleOp module, const CompileRequest &r) {
  Setup setup;
  if (!checkRequest(r, setup))
    return 1;
  return compileImported(r, setup, module, nullptr, {});
}

namespace {

/// "size|mtime" of a file, or "" if it cannot be read.
std::string fileStamp(const Twine &path) {
  sys::fs::file_status status;
  if (sys::fs::status(path, status))
    return "";
  return std::to_string(status.getSize()) + "|" +
         std::to_string(
             status.getLastModificationTime().time_since_epoch().count());
}

/// What a compiled model depends on, for the cache key: the GGUF file's
/// stamp, or the stamps of a checkpoint directory's JSON and safetensors
/// files. Empty if `path` is neither.
std::string modelStamp(const std::string &path) {
  if (!sys::fs::is_directory(path)) {
    std::unique_ptr<MemoryBuffer> head;
    if (auto file = MemoryBuffer::getFileSlice(path, 4, 0))
      head = std::move(*file);
    return head && head->getBuffer() == "GGUF" ? fileStamp(path) : "";
  }
  SmallString<256> config(path);
  sys::path::append(config, "config.json");
  if (!sys::fs::exists(config))
    return "";
  std::vector<std::string> parts;
  std::error_code ec;
  for (sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef name = sys::path::filename(it->path());
    if (name.ends_with(".json") || name.ends_with(".safetensors"))
      parts.push_back(name.str() + "|" + fileStamp(it->path()));
  }
  std::sort(parts.begin(), parts.end());
  return llvm::join(parts, ";");
}

} // namespace

std::string xfc::driver::resolveModel(const std::string &path,
                                      int64_t batchRows) {
  std::string stamp = modelStamp(path);
  if (stamp.empty())
    return path; // a compiled model, or an error the loader will name
  SmallString<256> absolute(StringRef(path).rtrim('/'));
  if (absolute.empty() || sys::fs::make_absolute(absolute)) {
    fail(path + ": cannot read");
    return "";
  }
  // The cache key: where the model is, its files' sizes and times, who
  // compiles, and for which model ABI.
  std::string key = std::string(absolute) + "|" + stamp + "|" +
                    XFC_VERSION_STRING + "|abi" +
                    std::to_string(XFRT_ABI_VERSION);
  // The default is the key's absence, so `xfc run` and `xfc serve` share it.
  if (batchRows == mlir::xf::GraphPipelineConfig().batchRows)
    batchRows = -1;
  if (batchRows >= 0)
    key += "|rows" + std::to_string(batchRows);
  SmallString<256> dir;
  if (const char *env = std::getenv("XFC_CACHE_DIR")) {
    dir = env;
  } else if (const char *home = std::getenv("HOME")) {
    dir = home;
    sys::path::append(dir, ".cache", "xfc");
  } else {
    sys::path::system_temp_directory(true, dir);
    sys::path::append(dir, "xfc-cache");
  }
  if (std::error_code ec = sys::fs::create_directories(dir)) {
    fail(std::string(dir) + ": " + ec.message());
    return "";
  }
  SmallString<256> cached(dir);
  sys::path::append(cached, sys::path::stem(sys::path::remove_leading_dotslash(
                                StringRef(path).rtrim('/'))) +
                                "-" + utohexstr(xxh3_64bits(key)) + ".so");
  if (sys::fs::exists(cached))
    return std::string(cached);
  errs() << "xfc: compiling " << path << " into " << cached << "\n";
  CompileRequest request;
  request.input = path;
  request.output = std::string(cached) + ".tmp";
  if (batchRows >= 0)
    request.graph.batchRows = batchRows;
  if (compileModel(request) != 0)
    return "";
  // Renamed into place only when complete, so a crash leaves no bad entry.
  if (sys::fs::rename(request.output, cached)) {
    fail(std::string(cached) + ": cannot store the compiled model");
    return "";
  }
  return std::string(cached);
}
