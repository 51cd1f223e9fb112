//===- ModelMaker.h - Random-weight GGUF models for tests -------*- C++ -*-===//
//
// Writes a GGUF model of a chosen architecture and size with random weights
// (std 0.02, so activations stay sane) and a tokenizer: a copy of a real
// vocabulary, or a small synthetic one. Tests and benchmarks use it.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_GGUF_MODELMAKER_H
#define XFC_FRONTENDS_GGUF_MODELMAKER_H

#include "xfc/Frontends/GGUF/GGMLType.h"
#include "xfc/Frontends/GGUF/ModelConfig.h"

#include <string>

namespace xfc::gguf {

struct MakeModelOptions {
  ModelConfig config;             // vocab is overridden by `vocabPath`
  GGMLType dtype = GGMLType::F32; // of 2-D weights; 1-D tensors stay F32
  uint64_t seed = 0;
  std::string vocabPath; // copy tokenizer.* from this GGUF, if set
  bool tiedOutput = false; // omit output.weight (reuse token_embd)
  /// Fraction of each block weight's values (projections, not embeddings
  /// or the head) that are zero, the smallest magnitudes: a stand-in for a
  /// sparse fine-tuned checkpoint.
  double sparsity = 0;
  /// Cyclic parameter sharing: layer l has the weights of layer
  /// l mod shareCycle (0: every layer its own). The file stores each copy,
  /// byte for byte, as a converter for such a model would.
  int64_t shareCycle = 0;
  /// Scale of each layer's output projections (attention output and FFN
  /// down), which write to the residual stream: below 1, every layer
  /// changes it less, so predictions made after the first layers agree
  /// more often with the final ones (--early-exit-friendly).
  double residualScale = 1;
};

/// Fills `options` with a named preset: "tiny", "small" or "1b" (TinyLlama
/// shaped: dim 2048, 22 layers, 32 heads, 4 KV heads, ffn 5632, vocab
/// 32000). Returns false with `error` for an unknown name.
bool applyPreset(std::string_view preset, Architecture arch,
                 MakeModelOptions &options, std::string &error);

/// Checks the options (divisibility, block sizes) and writes the model.
bool makeModel(const MakeModelOptions &options, const std::string &path,
               std::string &error);

} // namespace xfc::gguf

#endif // XFC_FRONTENDS_GGUF_MODELMAKER_H
