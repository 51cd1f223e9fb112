//===- MakeModelCommand.cpp - xfc make-model ------------------------------===//
//
// Writes a random-weight GGUF model of a chosen architecture and size.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfc/Frontends/GGUF/ModelMaker.h"

#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace xfc::driver;
using namespace xfc::gguf;

namespace {

cl::SubCommand command("make-model", "Write a random-weight GGUF model");

cl::opt<std::string> output("o", cl::desc("Output .gguf file"),
                            cl::value_desc("file"), cl::Required,
                            cl::sub(command));
cl::opt<std::string> arch("arch", cl::desc("llama, qwen2 or gpt2"),
                          cl::init("llama"), cl::sub(command));
cl::opt<std::string> preset("preset",
                            cl::desc("tiny, small or 1b (TinyLlama shape)"),
                            cl::init("tiny"), cl::sub(command));
cl::opt<std::string> dtype(
    "dtype", cl::desc("Type of 2-D weights: f32, f16, bf16, q8_0, q4_0, q4_1"),
    cl::init("f32"), cl::sub(command));
cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(0),
                       cl::sub(command));
cl::opt<std::string> vocab("vocab",
                           cl::desc("Copy the tokenizer of this GGUF file"),
                           cl::value_desc("file.gguf"), cl::sub(command));
cl::opt<double> sparsity(
    "sparsity",
    cl::desc("Fraction of each block weight's values to make zero (the "
             "smallest), like a sparse fine-tuned checkpoint"),
    cl::init(0.0), cl::sub(command));
cl::opt<bool> tied("tied-output",
                   cl::desc("Reuse token_embd as the LM head (default: "
                            "true for gpt2)"),
                   cl::sub(command));
// Explicit dimensions override the preset's.
cl::opt<int64_t> dim("dim", cl::desc("Embedding width"), cl::sub(command));
cl::opt<int64_t> layers("layers", cl::desc("Number of blocks"),
                        cl::sub(command));
cl::opt<int64_t> heads("heads", cl::desc("Attention heads"), cl::sub(command));
cl::opt<int64_t> kvHeads("kv-heads", cl::desc("Key/value heads"),
                         cl::sub(command));
cl::opt<int64_t> ffn("ffn", cl::desc("Feed-forward width"), cl::sub(command));
cl::opt<int64_t> vocabSize("vocab-size",
                           cl::desc("Synthetic vocabulary size"),
                           cl::sub(command));
cl::opt<int64_t> context("ctx", cl::desc("Context length"), cl::sub(command));
cl::opt<int64_t> shareCycle(
    "share-cycle",
    cl::desc("Cyclic parameter sharing: this many distinct layers, repeated "
             "--repeats times (layer l has layer l mod N's weights)"),
    cl::sub(command));
cl::opt<double> earlyExitFriendly(
    "early-exit-friendly",
    cl::desc("Scale each layer's output projections (attention output, FFN "
             "down) by this factor below 1, so that every layer changes the "
             "residual stream less and early predictions (after the first "
             "repetitions) agree more often with the final ones; e.g. 0.1"),
    cl::value_desc("scale"), cl::sub(command));
cl::opt<int64_t> repeats("repeats",
                         cl::desc("How often the --share-cycle layers repeat "
                                  "(layers = share-cycle x repeats)"),
                         cl::sub(command));

std::optional<GGMLType> parseDType(StringRef name) {
  if (name == "f32") return GGMLType::F32;
  if (name == "f16") return GGMLType::F16;
  if (name == "bf16") return GGMLType::BF16;
  if (name == "q8_0") return GGMLType::Q8_0;
  if (name == "q4_0") return GGMLType::Q4_0;
  if (name == "q4_1") return GGMLType::Q4_1;
  return std::nullopt;
}

int run() {
  std::optional<Architecture> architecture = parseArchitecture(arch);
  if (!architecture)
    return fail("unknown --arch '" + arch + "' (supported: " +
                supportedArchitectures() + ")");
  MakeModelOptions options;
  std::string error;
  if (!applyPreset(preset, *architecture, options, error))
    return fail(error);
  std::optional<GGMLType> type = parseDType(dtype);
  if (!type)
    return fail("unknown --dtype '" + dtype +
                "' (supported: f32, f16, bf16, q8_0, q4_0, q4_1)");
  options.dtype = *type;
  options.seed = seed;
  options.vocabPath = vocab;
  if (tied.getNumOccurrences())
    options.tiedOutput = tied;
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    return fail("--sparsity " + std::to_string(sparsity) + " is not in [0, 1)");
  options.sparsity = sparsity;
  ModelConfig &c = options.config;
  auto override = [](cl::opt<int64_t> &opt, int64_t &field) {
    if (opt.getNumOccurrences())
      field = opt;
  };
  override(dim, c.dim);
  override(layers, c.layers);
  override(heads, c.heads);
  // GPT-2 has one KV head per query head: --heads alone sets both.
  if (c.arch == xfc::gguf::Architecture::GPT2 && heads.getNumOccurrences())
    c.kvHeads = c.heads;
  override(kvHeads, c.kvHeads);
  override(ffn, c.ffn);
  override(vocabSize, c.vocab);
  override(context, c.context);
  if (repeats.getNumOccurrences() && !shareCycle.getNumOccurrences())
    return fail("--repeats needs --share-cycle");
  if (shareCycle.getNumOccurrences()) {
    if (shareCycle <= 0 || (repeats.getNumOccurrences() && repeats <= 0))
      return fail("--share-cycle and --repeats must be positive");
    options.shareCycle = shareCycle;
    if (repeats.getNumOccurrences()) {
      if (layers.getNumOccurrences() && layers != shareCycle * repeats)
        return fail("--layers " + std::to_string(layers) + " is not " +
                    "--share-cycle x --repeats (" +
                    std::to_string(shareCycle * repeats) + ")");
      c.layers = shareCycle * repeats;
    }
  }
  if (earlyExitFriendly.getNumOccurrences()) {
    if (!(earlyExitFriendly > 0 && earlyExitFriendly <= 1))
      return fail("--early-exit-friendly " + std::to_string(earlyExitFriendly) +
                  " is not in (0, 1]");
    options.residualScale = earlyExitFriendly;
  }
  if (!makeModel(options, output, error))
    return fail(error);
  outs() << "wrote " << output << ": " << architectureName(c.arch) << ", dim "
         << c.dim << ", " << c.layers << " layers, " << c.heads << " heads ("
         << c.kvHeads << " KV), ffn " << c.ffn << ", " << dtype;
  if (options.shareCycle)
    outs() << ", " << options.shareCycle << " distinct layers x "
           << c.layers / options.shareCycle;
  outs() << "\n";
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
