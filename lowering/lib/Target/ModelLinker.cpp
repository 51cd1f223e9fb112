//===- ModelLinker.cpp - Package generated code into a model .so ----------===//

#include "xfc/Lowering/ModelLinker.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfrt/ModelABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ScopedPrinter.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace xfc;

/// The stored bytes of the weights `func` loads; of them in `layerBytes`
/// those it passes to calls (the layers).
static uint64_t loadedWeightBytes(func::FuncOp func, uint64_t &layerBytes) {
  auto module = func->getParentOfType<ModuleOp>();
  uint64_t total = 0;
  layerBytes = 0;
  func.walk([&](xf::WeightOp load) {
    auto global = module.lookupSymbol<xf::GlobalWeightOp>(load.getName());
    std::optional<int64_t> bytes =
        global ? xf::getStoredBytes(global.getType()) : std::nullopt;
    if (!bytes)
      return;
    total += *bytes;
    if (llvm::any_of(load->getUsers(),
                     [](Operation *user) { return isa<func::CallOp>(user); }))
      layerBytes += *bytes;
  });
  return total;
}

/// The SPEED stages xf-speed-stages added, if any.
static LogicalResult describeStages(ModuleOp module, ModelPackage &package,
                                    std::string &error) {
  auto rows = module->getAttrOfType<IntegerAttr>("xf.speed_rows");
  if (!rows)
    return success();
  auto cycle = module->getAttrOfType<DenseI64ArrayAttr>("xf.layer_cycle");
  auto first = module.lookupSymbol<func::FuncOp>("speed_stage1");
  if (rows.getInt() < 1 || rows.getInt() > XFM_MAX_STAGE_ROWS || !cycle ||
      cycle.size() != 2 || !first || !module.lookupSymbol("speed_embed")) {
    error = "the SPEED stages must be 1 to " +
            std::to_string(XFM_MAX_STAGE_ROWS) +
            " rows, with @speed_embed, @speed_stage1 and xf.layer_cycle";
    return failure();
  }
  auto hidden = dyn_cast<RankedTensorType>(first.getResultTypes()[0]);
  if (!hidden || hidden.getRank() != 2 || !hidden.getElementType().isF32() ||
      hidden.isDynamicDim(1)) {
    error = "the runtime passes SPEED stages an f32 [rows, width] residual";
    return failure();
  }
  package.speedRows = rows.getInt();
  package.speedLayers = cycle[0];
  package.speedGroups = cycle[1];
  package.hiddenDim = hidden.getDimSize(1);
  package.speedStageBytes = loadedWeightBytes(first, package.speedLayerBytes);
  return success();
}

/// The batch decode entry points xf-batch-decode added, if any.
static LogicalResult describeBatch(ModuleOp module, ModelPackage &package,
                                   std::string &error) {
  auto rows = module->getAttrOfType<IntegerAttr>("xf.batch_rows");
  if (!rows)
    return success();
  if (rows.getInt() < 1 || rows.getInt() > XFM_MAX_BATCH_ROWS) {
    error = "the batch decode entry points must be 1 to " +
            std::to_string(XFM_MAX_BATCH_ROWS) + " rows";
    return failure();
  }
  for (int64_t m = 1; m <= rows.getInt(); ++m)
    if (!module.lookupSymbol("decode_batch" + std::to_string(m))) {
      error = "@decode_batch" + std::to_string(m) + " is missing";
      return failure();
    }
  package.batchRows = rows.getInt();
  return success();
}

LogicalResult xfc::describeForward(ModuleOp module, ModelPackage &package,
                                   std::string &error) {
  // A split model's shards share one signature (xf-split-sockets).
  int64_t shards = 1;
  if (auto attr = module->getAttrOfType<IntegerAttr>("xf.shards"))
    shards = attr.getInt();
  StringRef entry = shards > 1 ? "forward_shard0" : "forward";
  auto forward = module.lookupSymbol<func::FuncOp>(entry);
  if (!forward) {
    error = "the module has no @" + entry.str();
    return failure();
  }
  package.shards = shards;
  FunctionType type = forward.getFunctionType();
  SmallVector<xf::KVCacheType> caches;
  for (Type input : type.getInputs())
    if (auto cache = dyn_cast<xf::KVCacheType>(input))
      caches.push_back(cache);
  auto logits = type.getNumResults() == 1
                    ? dyn_cast<RankedTensorType>(type.getResult(0))
                    : RankedTensorType();
  if (caches.empty() || !logits || logits.getRank() != 2) {
    error = "@forward must take KV caches and return [tokens, vocab] logits";
    return failure();
  }
  xf::KVCacheType cache = caches.front();
  Type element = cache.getElementType();
  if (!element.isF32() && !element.isF16() && !element.isBF16() &&
      !cache.isQuantized()) {
    error = "the runtime has no " + llvm::to_string(element) + " KV caches";
    return failure();
  }
  package.cacheShape = {static_cast<int64_t>(caches.size()), 2,
                        cache.getMaxContext(), cache.getKvHeads(),
                        cache.getRowElements()};
  package.headDim = cache.getHeadDim();
  package.cacheElement = llvm::to_string(element);
  package.cacheRowBytes = cache.getRowBytes();
  package.vocabSize = logits.getDimSize(1);
  if (failed(describeBatch(module, package, error)))
    return failure();
  return describeStages(module, package, error);
}

LogicalResult xfc::describeGraph(ModuleOp module, ModelPackage &package,
                                 std::string &error) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal()) {
    error = "the graph has no @main";
    return failure();
  }
  FunctionType type = main.getFunctionType();
  if (type.getNumResults() == 0) {
    error = "the graph computes no outputs";
    return failure();
  }
  package.graph = true;
  package.shards = 0; // no xfm_forward entries
  package.metadata = "kind=graph\n";
  auto describe = [&](Type t, DictionaryAttr attrs, bool input,
                      unsigned index) -> LogicalResult {
    std::string what = (input ? "input " : "output ") + std::to_string(index);
    auto name = attrs ? attrs.getAs<StringAttr>("xf.name") : StringAttr();
    GraphValue v;
    v.name = name ? name.str() : what;
    if (v.name.empty() ||
        v.name.find_first_of(StringRef("\n\r\0", 3)) != std::string::npos) {
      error = what + ": an empty name, or one with a line break or NUL, " +
              "cannot be described in the metadata";
      return failure();
    }
    auto tensor = dyn_cast<RankedTensorType>(t);
    if (!tensor || !tensor.hasStaticShape()) {
      error = std::string("the graph's ") + (input ? "input '" : "output '") +
              v.name + "' has no static shape (give it one: --input-shape " +
              "name=DxD...)";
      return failure();
    }
    Type element = tensor.getElementType();
    if (!element.isF64() && !element.isF32() && !element.isF16() &&
        !element.isBF16() && !element.isSignlessInteger(64) &&
        !element.isSignlessInteger(32) && !element.isSignlessInteger(16) &&
        !element.isSignlessInteger(8) && !element.isSignlessInteger(1)) {
      error = "the graph's " + what + " '" + v.name + "' has elements of " +
              llvm::to_string(element) + ", which the graph ABI has not";
      return failure();
    }
    v.element = llvm::to_string(element);
    v.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    std::string dims = v.shape.empty() ? "scalar" : "";
    for (auto [k, d] : llvm::enumerate(v.shape))
      dims += (k ? "x" : "") + std::to_string(d);
    package.metadata += (input ? "input=" : "output=") + v.element + " " +
                        dims + " " + v.name + "\n";
    (input ? package.graphInputs : package.graphOutputs).push_back(v);
    return success();
  };
  for (auto [k, t] : llvm::enumerate(type.getInputs()))
    if (failed(describe(t, main.getArgAttrDict(k), true, k)))
      return failure();
  for (auto [k, t] : llvm::enumerate(type.getResults()))
    if (failed(describe(t, main.getResultAttrDict(k), false, k)))
      return failure();
  return success();
}

namespace {

/// Runs a program, naming it in the error when it fails.
LogicalResult run(StringRef program, ArrayRef<StringRef> args,
                  std::string &error) {
  llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(program);
  if (!path) {
    error = "cannot find '" + program.str() + "' (install binutils and g++)";
    return failure();
  }
  SmallVector<StringRef> argv = {*path};
  argv.append(args.begin(), args.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*path, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = program.str() + " failed (exit " + std::to_string(rc) + ")" +
            (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}

/// A constant global `table` of the addresses of the functions `names`
/// (one null entry when there are none).
LogicalResult addFunctionTable(ModuleOp module, StringRef table,
                               ArrayRef<std::string> names,
                               std::string &error) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(module.getContext());
  auto type = LLVM::LLVMArrayType::get(ptr, std::max<size_t>(names.size(), 1));
  auto global =
      LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                             LLVM::Linkage::External, table, Attribute());
  b.setInsertionPointToStart(b.createBlock(&global.getInitializerRegion()));
  Value entries = LLVM::UndefOp::create(b, loc, type);
  if (names.empty())
    entries = LLVM::InsertValueOp::create(b, loc, entries,
                                          LLVM::ZeroOp::create(b, loc, ptr),
                                          ArrayRef<int64_t>{0});
  for (auto [k, name] : llvm::enumerate(names)) {
    if (!module.lookupSymbol<LLVM::LLVMFuncOp>(name)) {
      error = "the lowered module has no " + name;
      return failure();
    }
    Value address = LLVM::AddressOfOp::create(b, loc, ptr, name);
    entries = LLVM::InsertValueOp::create(
        b, loc, entries, address, ArrayRef<int64_t>{static_cast<int64_t>(k)});
  }
  LLVM::ReturnOp::create(b, loc, entries);
  return success();
}

/// `xfm_forward_entries`: the C interface of each shard's entry point, in
/// shard order (one, `forward`, for a model that is not split); and
/// `xfm_speed_entries`: @speed_embed's, then each @speed_stage<M>'s (one
/// null entry for a model without stages); `xfm_batch_entries`: [M - 1]
/// is @decode_batch<M>'s (one null entry for a model without them).
LogicalResult addEntryTables(ModuleOp module, const ModelPackage &package,
                             std::string &error) {
  SmallVector<std::string> shards, stages, batches;
  for (int64_t k = 0; k < package.shards; ++k)
    shards.push_back(package.shards > 1
                         ? "_mlir_ciface_forward_shard" + std::to_string(k)
                         : "_mlir_ciface_forward");
  if (package.speedRows > 0)
    stages.push_back("_mlir_ciface_speed_embed");
  for (int64_t m = 1; m <= package.speedRows; ++m)
    stages.push_back("_mlir_ciface_speed_stage" + std::to_string(m));
  for (int64_t m = 1; m <= package.batchRows; ++m)
    batches.push_back("_mlir_ciface_decode_batch" + std::to_string(m));
  return failure(
      failed(addFunctionTable(module, "xfm_forward_entries", shards, error)) ||
      failed(addFunctionTable(module, "xfm_speed_entries", stages, error)) ||
      failed(addFunctionTable(module, "xfm_batch_entries", batches, error)));
}

/// `xfm_graph_main(inputs, outputs)`, the graph entry ModelStub.cpp calls:
/// passes each buffer to the lowered @main as the memref descriptor of its
/// static shape (inputs, then the outputs that buffer-results-to-out-params
/// made arguments). Its address is `xfm_graph_entries`' one entry (null for
/// a language model).
LogicalResult addGraphEntry(ModuleOp module, const ModelPackage &package,
                            std::string &error) {
  SmallVector<std::string> entries;
  if (package.graph) {
    auto main = module.lookupSymbol<LLVM::LLVMFuncOp>("main");
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    MLIRContext *ctx = module.getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto entry = LLVM::LLVMFuncOp::create(
        b, loc, "xfm_graph_main",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr, ptr}));
    b.setInsertionPointToStart(entry.addEntryBlock(b));
    SmallVector<Value> args;
    auto constant = [&](int64_t v) -> Value {
      return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
    };
    auto pass = [&](Value buffers, ArrayRef<GraphValue> values) {
      for (auto [k, v] : llvm::enumerate(values)) {
        Value slot = LLVM::GEPOp::create(
            b, loc, ptr, ptr, buffers,
            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(k)});
        Value data = LLVM::LoadOp::create(b, loc, ptr, slot);
        // allocated, aligned, offset, sizes, strides (row-major).
        args.append({data, data, constant(0)});
        for (int64_t d : v.shape)
          args.push_back(constant(d));
        SmallVector<int64_t> strides(v.shape.size(), 1);
        for (int64_t i = int64_t(v.shape.size()) - 2; i >= 0; --i)
          strides[i] = strides[i + 1] * v.shape[i + 1];
        for (int64_t s : strides)
          args.push_back(constant(s));
      }
    };
    pass(entry.getArgument(0), package.graphInputs);
    pass(entry.getArgument(1), package.graphOutputs);
    SmallVector<Type> types =
        llvm::map_to_vector(args, [](Value v) { return v.getType(); });
    if (!main ||
        !isa<LLVM::LLVMVoidType>(main.getFunctionType().getReturnType()) ||
        main.getFunctionType().getParams() != ArrayRef<Type>(types)) {
      error = "the lowered @main does not take the graph's inputs and "
              "outputs as memref arguments";
      return failure();
    }
    LLVM::CallOp::create(b, loc, main, args);
    LLVM::ReturnOp::create(b, loc, ValueRange());
    // Called here only: not a symbol of the .so, where it would be bound
    // through the PLT to any other `main` in the process.
    main.setLinkage(LLVM::Linkage::Internal);
    if (auto wrapper =
            module.lookupSymbol<LLVM::LLVMFuncOp>("_mlir_ciface_main"))
      wrapper.setLinkage(LLVM::Linkage::Internal);
    entries.push_back("xfm_graph_main");
  }
  return addFunctionTable(module, "xfm_graph_entries", entries, error);
}

void addGlobals(ModuleOp module, const ModelPackage &package) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  MLIRContext *ctx = module.getContext();
  auto i8 = IntegerType::get(ctx, 8), i64 = IntegerType::get(ctx, 64);
  auto constant = [&](StringRef name, int64_t value) {
    LLVM::GlobalOp::create(b, loc, i64, true, LLVM::Linkage::External, name,
                           b.getI64IntegerAttr(value));
  };
  constant("xfm_shards", package.shards);
  constant("xfm_speed_rows", package.speedRows);
  constant("xfm_speed_layers", package.speedLayers);
  constant("xfm_batch_rows", package.batchRows);
  constant("xfm_hidden_dim", package.hiddenDim);
  constant("xfm_cache_layer_bytes",
           package.cacheShape[1] * package.cacheShape[2] *
               package.cacheShape[3] * package.cacheRowBytes);
  auto bytes = [&](StringRef name, StringRef data) {
    LLVM::GlobalOp::create(b, loc, LLVM::LLVMArrayType::get(i8, data.size()),
                           /*isConstant=*/true, LLVM::Linkage::External, name,
                           b.getStringAttr(data), /*alignment=*/8);
  };
  // The metadata is a C string: keep its terminator.
  bytes("xfm_metadata", StringRef(package.metadata.c_str(),
                                  package.metadata.size() + 1));
  bytes("xfm_tokenizer", package.tokenizer);
  constant("xfm_tokenizer_bytes", package.tokenizer.size());
  constant("xfm_vocab_size", package.vocabSize);
  constant("xfm_weights_bytes", package.weightBytes);
  LLVM::GlobalOp::create(
      b, loc, LLVM::LLVMArrayType::get(i64, 5), true, LLVM::Linkage::External,
      "xfm_cache_shape",
      DenseElementsAttr::get(RankedTensorType::get({5}, i64),
                             ArrayRef<int64_t>(package.cacheShape)));
}

} // namespace

/// An archive models link: beside an installed xfc (../lib), else the one
/// in the build tree this compiler came from.
static std::string bundledArchive(StringRef name, StringRef buildTreePath) {
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  SmallString<256> installed(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(installed, "..", "lib", name);
  if (llvm::sys::fs::exists(installed))
    return std::string(installed);
  return buildTreePath.str();
}

bool xfc::linksOneDNN() { return !StringRef(XFC_ONEDNN_ARCHIVE).empty(); }

/// The oneDNN glue for a model that calls xfo_linear (some GEMM is
/// `backend onednn`), "" for the others, which do not depend on oneDNN.
static FailureOr<std::string> oneDNNArchive(ModuleOp module,
                                            std::string &error) {
  if (!module.lookupSymbol("xfo_linear"))
    return std::string();
  if (StringRef(XFC_ONEDNN_ARCHIVE).empty()) {
    error = "the model computes GEMMs with oneDNN (--kernels=onednn|auto), "
            "but this xfc was built without oneDNN (install libdnnl-dev)";
    return failure();
  }
  return bundledArchive("libxfo_onednn.a", XFC_ONEDNN_ARCHIVE);
}

LogicalResult xfc::linkModel(ModuleOp module, const TargetSpec &target,
                             const ModelPackage &package,
                             const std::string &outputPath,
                             std::string &error) {
  FailureOr<std::string> oneDNN = oneDNNArchive(module, error);
  if (failed(oneDNN))
    return failure();
  SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("xfc-link", dir)) {
    error = "cannot create a temporary directory: " + ec.message();
    return failure();
  }
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(dir); });
  auto file = [&](StringRef name) {
    SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };

  addGlobals(module, package);
  if (failed(addEntryTables(module, package, error)) ||
      failed(addGraphEntry(module, package, error)))
    return failure();
  {
    std::error_code ec;
    llvm::raw_fd_ostream object(file("model.o"), ec);
    if (ec || failed(emitMachineCode(module, target, OutputKind::Object,
                                     object, error))) {
      if (ec)
        error = ec.message();
      return failure();
    }
  }
  SmallVector<std::string> objects = {file("model.o")};
  std::string blobPath = package.sidecarWeights ? outputPath + ".weights"
                                                : file("xfc_weights.bin");
  if (package.writeWeights) {
    std::error_code ec;
    llvm::raw_fd_ostream blob(blobPath, ec);
    if (ec) {
      error = blobPath + ": " + ec.message();
      return failure();
    }
    if (!package.writeWeights(blob, error))
      return failure();
  }
  if (package.writeWeights && !package.sidecarWeights) {
    // The blob becomes a section of its own that the dynamic loader does
    // not map (no `alloc`): the runtime maps it, so its size is not limited
    // by the reach of PC-relative code references.
    std::string rename =
        "--rename-section=.data=.xfc.weights,readonly,data,contents";
    SmallString<128> cwd;
    llvm::sys::fs::current_path(cwd);
    llvm::sys::fs::set_current_path(dir);
    LogicalResult copied =
        run("objcopy",
            {"-I", "binary", "-O", "elf64-x86-64", "-B", "i386:x86-64",
             rename, "--set-section-alignment=.data=64", "xfc_weights.bin",
             "weights.o"},
            error);
    llvm::sys::fs::set_current_path(cwd);
    if (failed(copied))
      return failure();
    objects.push_back(file("weights.o"));
  }
  SmallString<256> output(outputPath);
  llvm::sys::fs::make_absolute(output);
  // The stub is pulled in by its entry points, which the generated code
  // may not call (a graph that allocates nothing).
  SmallVector<StringRef> args = {"-shared", "-Wl,-z,noexecstack",
                                 "-Wl,--undefined=xfm_get_model_info", "-o",
                                 output};
  args.append(objects.begin(), objects.end());
  std::string stub = bundledArchive("libxfm_stub.a", XFC_MODEL_STUB_ARCHIVE);
  args.append({stub, "-lm"});
  // The archive's symbols are hidden: each model keeps its own cache.
  if (!oneDNN->empty())
    args.append({*oneDNN, XFC_DNNL_LIBRARY, "-fopenmp"});
  return run("c++", args, error);
}
