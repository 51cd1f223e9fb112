//===- ModelConfig.cpp - Transformer hyperparameters from GGUF ------------===//

#include "xfc/Frontends/GGUF/ModelConfig.h"

using namespace xfc::gguf;

const char *xfc::gguf::architectureName(Architecture arch) {
  switch (arch) {
  case Architecture::Llama: return "llama";
  case Architecture::Qwen2: return "qwen2";
  case Architecture::GPT2: return "gpt2";
  }
  return "?";
}

std::optional<Architecture> xfc::gguf::parseArchitecture(std::string_view n) {
  for (Architecture a :
       {Architecture::Llama, Architecture::Qwen2, Architecture::GPT2})
    if (n == architectureName(a))
      return a;
  return std::nullopt;
}

const char *xfc::gguf::supportedArchitectures() { return "llama, qwen2, gpt2"; }

bool xfc::gguf::checkModelShape(ModelConfig &c, const std::string &source,
                                std::string &error) {
  if (c.dim > (1 << 20) || c.ffn > (1 << 22) || c.context > (1 << 24) ||
      c.layers > (1 << 16)) {
    error = source + ": implausible hyperparameters (dim " +
            std::to_string(c.dim) + ", ffn " + std::to_string(c.ffn) +
            ", context " + std::to_string(c.context) + ", " +
            std::to_string(c.layers) + " layers)";
    return false;
  }
  if (c.dim % c.heads != 0 || c.heads % c.kvHeads != 0) {
    error = source + ": " + std::to_string(c.heads) + " heads and " +
            std::to_string(c.kvHeads) + " KV heads do not divide dimension " +
            std::to_string(c.dim) + " evenly";
    return false;
  }
  c.headDim = c.dim / c.heads;
  return true;
}

std::optional<ModelConfig> xfc::gguf::readModelConfig(const File &file,
                                                      std::string &error) {
  std::optional<std::string_view> archName =
      file.getString("general.architecture", error);
  if (!error.empty())
    return std::nullopt;
  if (!archName) {
    error = file.path() + ": missing metadata 'general.architecture'";
    return std::nullopt;
  }
  std::optional<Architecture> arch = parseArchitecture(*archName);
  if (!arch) {
    error = file.path() + ": unsupported architecture '" +
            std::string(*archName) + "' (supported: " +
            supportedArchitectures() + ")";
    return std::nullopt;
  }
  ModelConfig c;
  c.arch = *arch;
  std::string prefix = std::string(*archName) + ".";

  // Required positive integers.
  auto required = [&](const char *key, int64_t &out) {
    if (!error.empty())
      return false;
    std::optional<uint64_t> v = file.getUInt(prefix + key, error);
    if (!error.empty())
      return false;
    if (!v || *v == 0 || *v > (uint64_t(1) << 31)) {
      error = file.path() + ": metadata '" + prefix + key +
              (v ? "' is out of range" : "' is missing");
      return false;
    }
    out = static_cast<int64_t>(*v);
    return true;
  };
  if (!required("embedding_length", c.dim) ||
      !required("block_count", c.layers) ||
      !required("attention.head_count", c.heads) ||
      !required("feed_forward_length", c.ffn) ||
      !required("context_length", c.context))
    return std::nullopt;

  c.kvHeads = c.heads;
  if (file.find(prefix + "attention.head_count_kv") &&
      !required("attention.head_count_kv", c.kvHeads))
    return std::nullopt;
  if (static_cast<uint64_t>(c.layers) > file.tensors().size()) {
    error = file.path() + ": implausible hyperparameters (" +
            std::to_string(c.layers) + " blocks for " +
            std::to_string(file.tensors().size()) + " tensors)";
    return std::nullopt;
  }
  if (!checkModelShape(c, file.path(), error))
    return std::nullopt;
  c.ropeAdjacentPairs = c.arch == Architecture::Llama;

  std::string epsKey = prefix + (c.usesLayerNorm()
                                     ? "attention.layer_norm_epsilon"
                                     : "attention.layer_norm_rms_epsilon");
  if (std::optional<double> eps = file.getFloat(epsKey, error))
    c.normEps = static_cast<float>(*eps);
  if (std::optional<double> theta =
          file.getFloat(prefix + "rope.freq_base", error))
    c.ropeTheta = static_cast<float>(*theta);
  c.ropeDims = c.headDim;
  if (file.find(prefix + "rope.dimension_count") &&
      !required("rope.dimension_count", c.ropeDims))
    return std::nullopt;
  if (!error.empty())
    return std::nullopt;
  if (c.hasRope() && (c.ropeDims > c.headDim || c.ropeDims % 2 != 0)) {
    error = file.path() + ": rope.dimension_count " +
            std::to_string(c.ropeDims) + " must be even and at most head_dim " +
            std::to_string(c.headDim);
    return std::nullopt;
  }
  // RoPE frequency factors (Llama 3.1+) and context scaling change every
  // angle; importing without them would silently miscompute.
  if (c.hasRope()) {
    if (file.findTensor("rope_freqs.weight")) {
      error = file.path() + ": tensor 'rope_freqs.weight' (RoPE frequency "
                            "factors, as in Llama 3.1) is not supported yet";
      return std::nullopt;
    }
    std::optional<std::string_view> scaling =
        file.getString(prefix + "rope.scaling.type", error);
    std::optional<double> factor =
        file.getFloat(prefix + "rope.scaling.factor", error);
    if ((scaling && *scaling != "none") || (factor && *factor != 1.0)) {
      error = file.path() + ": RoPE scaling ('" + prefix +
              "rope.scaling.*') is not supported yet";
      return std::nullopt;
    }
  }
  if (!(c.normEps >= 0) || !(c.ropeTheta > 0)) {
    error = file.path() + ": norm epsilon and rope.freq_base must be positive";
    return std::nullopt;
  }

  const TensorInfo *embedding = file.findTensor("token_embd.weight");
  if (!embedding || embedding->dims.size() != 2) {
    error = file.path() + ": missing 2-D tensor 'token_embd.weight'";
    return std::nullopt;
  }
  c.vocab = static_cast<int64_t>(embedding->dims[1]);
  return c;
}
