//===- xfc-eval.cpp - Run a model with the reference evaluator ------------===//
//
//   xfc-eval model.gguf --ids 1,5,9,2 [--chunks 3,1] [--ir model.mlir]
//            [--pass-pipeline=...] -o logits.f32
//
// Imports the model (or reads IR produced from it), optionally runs a pass
// pipeline, then feeds the token ids through @forward in chunks, carrying
// the KV caches across calls (a model split by xf-split-sockets: every
// shard's entry point, on a thread each). Writes the logits of every token as
// raw little-endian f32, [tokens, vocab]. Tests compare them with an
// independent NumPy implementation and with compiled models.
//
//===----------------------------------------------------------------------===//

#include "ShardRendezvous.h"

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Frontends/AdapterImporter.h"
#include "xfc/Frontends/ModelImporter.h"
#include "xfc/InitAll.h"
#include "xfc/Transforms/Passes.h"
#include "xfc/WeightStore.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <mutex>
#include <thread>

using namespace llvm;
namespace eval = mlir::xf::eval;

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.gguf>"));
static cl::opt<std::string> irPath(
    "ir", cl::desc("Evaluate this IR instead of importing the model (its "
                   "weights still come from the model)"),
    cl::value_desc("file.mlir"));
static cl::list<int64_t> ids("ids", cl::desc("Token ids"), cl::CommaSeparated,
                             cl::OneOrMore);
static cl::list<int64_t> chunks(
    "chunks",
    cl::desc("Tokens per @forward call (default: all at once); the last "
             "size repeats"),
    cl::CommaSeparated);
static cl::opt<int64_t> context("ctx", cl::desc("KV-cache length"),
                                cl::init(0));
static cl::opt<std::string> pipeline(
    "pass-pipeline", cl::desc("Passes to run before evaluating"),
    cl::init(""));
static cl::list<std::string>
    loras("lora",
          cl::desc("A LoRA adapter, as xfc compile --lora takes it; "
                   "evaluated unfolded unless the pipeline folds it (with "
                   "--ir: the adapters the IR was compiled with)"),
          cl::value_desc("path[:scale]"));
static cl::list<std::string>
    lokrs("lokr", cl::desc("A LoKr adapter, as xfc compile --lokr takes it"),
          cl::value_desc("dir[:scale]"));
static cl::list<std::string>
    kronas("krona-ffn",
           cl::desc("KronA^B branches, as xfc compile --krona-ffn "
                    "takes them"),
           cl::value_desc("file[:scale]"));
static cl::opt<std::string> output("o", cl::desc("Logits output (raw f32)"),
                                   cl::value_desc("file"), cl::Required);

static cl::opt<std::string> earlyOutput(
    "early-logits-out",
    cl::desc("Also apply the final norm and LM head after each repetition "
             "group of a parameter-shared model (xf-early-exits) and write "
             "group g's logits (raw f32) to FILE.<g>"),
    cl::value_desc("file"));

static int fail(const Twine &message) {
  errs() << "xfc-eval: error: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  xfc::registerAllPasses();
  cl::ParseCommandLineOptions(argc, argv, "XFC reference evaluator\n");

  std::string error;
  std::unique_ptr<xfc::ModelSource> file =
      xfc::ModelSource::open(modelPath, error);
  if (!file)
    return fail(error);
  mlir::DialectRegistry registry;
  xfc::registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);

  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<xfc::AdapterSpec> adapters;
  if (!xfc::parseAdapterOptions(
          {loras.begin(), loras.end()}, {lokrs.begin(), lokrs.end()},
          {kronas.begin(), kronas.end()}, adapters, error))
    return fail(error);
  xfc::AdapterTensors adapterTensors;
  // With --ir, the model is imported with the adapters too: that names and
  // loads the adapter weights the IR refers to.
  if (irPath.empty() || !adapters.empty()) {
    std::vector<std::string> warnings;
    xfc::ImportOptions options;
    options.maxContext = context;
    options.shareLayers = adapters.empty();
    module = xfc::importModel(*file, ctx, options, error, warnings);
    if (!module)
      return fail(error);
    if (mlir::failed(xfc::attachAdapters(*module, *file, adapters,
                                         adapterTensors, error)))
      return fail(error);
  }
  if (!irPath.empty()) {
    llvm::SourceMgr sources;
    module = mlir::parseSourceFile<mlir::ModuleOp>(irPath, sources, &ctx);
    if (!module)
      return fail("cannot parse " + irPath);
  }
  if (!pipeline.empty()) {
    // Parsed with its anchor: adding `builtin.module(...)` to a module pass
    // manager would nest it, and the passes would run on no module at all.
    mlir::FailureOr<mlir::OpPassManager> passes =
        mlir::parsePassPipeline(pipeline, errs());
    if (mlir::failed(passes))
      return fail("pass pipeline failed");
    if (passes->getOpAnchorName() != mlir::ModuleOp::getOperationName())
      return fail("the pass pipeline must be anchored on builtin.module");
    mlir::PassManager pm(&ctx);
    static_cast<mlir::OpPassManager &>(pm) = *passes;
    if (mlir::failed(pm.run(*module)))
      return fail("pass pipeline failed");
  }
  if (!earlyOutput.empty()) {
    mlir::PassManager pm(&ctx);
    pm.addPass(mlir::xf::createXFEarlyExits());
    if (mlir::failed(pm.run(*module)))
      return fail("xf-early-exits failed");
  }
  // The entry points: @forward, or one per shard of a split model, whose
  // xf.all_reduce ops the shards' threads compute together.
  std::vector<mlir::func::FuncOp> entries;
  auto shardsAttr = (*module)->getAttrOfType<mlir::IntegerAttr>("xf.shards");
  int64_t shards = shardsAttr ? shardsAttr.getInt() : 1;
  for (int64_t k = 0; k < shards; ++k) {
    std::string name = shardsAttr ? "forward_shard" + std::to_string(k)
                                  : std::string("forward");
    auto entry = module->lookupSymbol<mlir::func::FuncOp>(name);
    if (!entry || entry.isExternal())
      return fail("no @" + name + " function with a body");
    entries.push_back(entry);
  }
  // (tokens, positions, position, caches...) -> logits
  auto isIds = [](mlir::Type t) {
    auto r = mlir::dyn_cast<mlir::RankedTensorType>(t);
    return r && r.getRank() == 1 && r.getElementType().isInteger(32);
  };
  for (mlir::func::FuncOp entry : entries) {
    mlir::FunctionType signature = entry.getFunctionType();
    bool ok = signature.getNumInputs() >= 3 && isIds(signature.getInput(0)) &&
              isIds(signature.getInput(1)) && signature.getInput(2).isIndex() &&
              signature.getNumResults() >= 1 &&
              llvm::all_of(signature.getResults(), [](mlir::Type t) {
                return mlir::isa<mlir::RankedTensorType>(t);
              });
    for (unsigned i = 3; ok && i < signature.getNumInputs(); ++i)
      ok = mlir::isa<mlir::xf::KVCacheType>(signature.getInput(i));
    if (!ok)
      return fail("@" + entry.getSymName() +
                  " must take (tensor<?xi32> tokens, tensor<?xi32> "
                  "positions, index position, !xf.kv_cache...) and return "
                  "the logits (then any early exits' logits)");
  }

  // Weights as the compiler sees them: the file's tensors, and derived
  // weights computed from their initializers. The shards' threads share
  // the store, one at a time.
  xfc::WeightStore store(*file);
  store.addTensors(adapterTensors);
  std::recursive_mutex storeLock;
  eval::WeightProvider weights = [&](StringRef name, mlir::Type type) {
    std::lock_guard<std::recursive_mutex> lock(storeLock);
    return store.provider()(name, type);
  };

  // Each entry's caches: one per layer.
  std::vector<std::vector<eval::Value>> caches(entries.size());
  for (auto [entry, entryCaches] : llvm::zip_equal(entries, caches)) {
    mlir::FunctionType fnType = entry.getFunctionType();
    for (unsigned i = 3; i < fnType.getNumInputs(); ++i)
      entryCaches.push_back(eval::makeCache(fnType.getInput(i)));
  }

  std::vector<float> logits;
  // Early exits' logits (xf-early-exits): the entry's later results.
  std::vector<std::vector<float>> early(
      earlyOutput.empty()
          ? 0
          : entries.front().getFunctionType().getNumResults() - 1);
  size_t done = 0, chunkIndex = 0;
  while (done < ids.size()) {
    size_t size = chunks.empty() ? ids.size()
                                 : chunks[std::min(chunkIndex, chunks.size() - 1)];
    size = std::min(std::max<size_t>(size, 1), ids.size() - done);
    ++chunkIndex;
    eval::Tensor tokens({static_cast<int64_t>(size)});
    eval::Tensor positions({static_cast<int64_t>(size)});
    for (size_t t = 0; t < size; ++t) {
      tokens.data[t] = static_cast<double>(ids[done + t]);
      positions.data[t] = static_cast<double>(done + t);
    }
    std::vector<mlir::FailureOr<std::vector<eval::Value>>> results(
        entries.size(), mlir::failure());
    auto run = [&](size_t k, const eval::AllReduce &allReduce) {
      std::vector<eval::Value> args = {tokens, positions,
                                       static_cast<int64_t>(done)};
      args.insert(args.end(), caches[k].begin(), caches[k].end());
      results[k] = eval::evaluate(entries[k], args, weights, allReduce);
    };
    if (entries.size() == 1) {
      run(0, {});
    } else {
      xfc::ShardRendezvous rendezvous(shards);
      eval::AllReduce allReduce = [&](const eval::Tensor &partial) {
        return rendezvous.allReduce(partial);
      };
      std::vector<std::thread> threads;
      for (size_t k = 0; k < entries.size(); ++k)
        threads.emplace_back([&, k] {
          run(k, allReduce);
          if (mlir::failed(results[k]))
            rendezvous.abort();
        });
      for (std::thread &t : threads)
        t.join();
    }
    for (auto &result : results)
      if (mlir::failed(result))
        return fail("evaluation failed");
    // Every shard computes the replicated tail: the logits must agree.
    const eval::Tensor &out = std::get<eval::Tensor>((*results[0])[0]);
    for (auto &result : results)
      if (std::get<eval::Tensor>((*result)[0]).data != out.data)
        return fail("the shards' logits differ");
    logits.insert(logits.end(), out.data.begin(), out.data.end());
    for (size_t g = 0; g < early.size(); ++g) {
      const eval::Tensor &exit = std::get<eval::Tensor>((*results[0])[g + 1]);
      early[g].insert(early[g].end(), exit.data.begin(), exit.data.end());
    }
    done += size;
  }
  for (size_t g = 0; g < early.size(); ++g) {
    std::string path = earlyOutput + "." + std::to_string(g);
    std::error_code ec;
    ToolOutputFile file(path, ec, sys::fs::OF_None);
    if (ec)
      return fail(path + ": " + ec.message());
    file.os().write(reinterpret_cast<const char *>(early[g].data()),
                    early[g].size() * sizeof(float));
    file.keep();
  }

  std::error_code ec;
  ToolOutputFile out(output, ec, sys::fs::OF_None);
  if (ec)
    return fail(output + ": " + ec.message());
  out.os().write(reinterpret_cast<const char *>(logits.data()),
                 logits.size() * sizeof(float));
  out.keep();
  return 0;
}
