//===- ModelConfig.h - Transformer hyperparameters from GGUF ----*- C++ -*-===//

#ifndef XFC_FRONTENDS_GGUF_MODELCONFIG_H
#define XFC_FRONTENDS_GGUF_MODELCONFIG_H

#include "xfc/Frontends/GGUF/GGUFFile.h"

#include <cstdint>
#include <optional>
#include <string>

namespace xfc::gguf {

enum class Architecture { Llama, Qwen2, GPT2 };

/// "llama", "qwen2", "gpt2".
const char *architectureName(Architecture arch);
std::optional<Architecture> parseArchitecture(std::string_view name);
/// For error messages: "llama, qwen2, gpt2".
const char *supportedArchitectures();

/// What the importer needs to know about a decoder-only transformer, from
/// any format (the GGUF keys are named for reference).
struct ModelConfig {
  Architecture arch = Architecture::Llama;
  int64_t dim = 0;      // embedding_length
  int64_t layers = 0;   // block_count
  int64_t heads = 0;    // attention.head_count
  int64_t kvHeads = 0;  // attention.head_count_kv (defaults to heads)
  int64_t headDim = 0;  // dim / heads
  int64_t ffn = 0;      // feed_forward_length
  int64_t vocab = 0;    // rows of token_embd
  int64_t context = 0;  // context_length
  float normEps = 1e-5f;
  float ropeTheta = 10000.0f; // rope.freq_base
  int64_t ropeDims = 0;       // rope.dimension_count (defaults to headDim)
  /// Whether Q/K rows are permuted so that RoPE rotates adjacent pairs, as
  /// llama.cpp's converter stores GGUF llama; else RoPE rotates the two
  /// halves of each head (NeoX, Hugging Face's rotate_half).
  bool ropeAdjacentPairs = false;
  /// Attention sees at most this many tokens (Mistral); 0: all of them.
  int64_t slidingWindow = 0;

  bool hasRope() const { return arch != Architecture::GPT2; }
  bool usesLayerNorm() const { return arch == Architecture::GPT2; }
};

/// Checks hyperparameters read from any format before anything is sized by
/// them: sizes far beyond any real model are hostile input, and the heads
/// must divide the dimension. Sets headDim. `source` names the file in
/// `error`.
bool checkModelShape(ModelConfig &config, const std::string &source,
                     std::string &error);

/// Reads and checks the hyperparameters of `file`. Errors name the file and
/// the metadata key, or list the supported architectures.
std::optional<ModelConfig> readModelConfig(const File &file,
                                           std::string &error);

} // namespace xfc::gguf

#endif // XFC_FRONTENDS_GGUF_MODELCONFIG_H
