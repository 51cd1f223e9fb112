//===- HFCheckpoint.cpp - Hugging Face checkpoint directories -------------===//

#include "xfc/Frontends/HF/HFCheckpoint.h"

#include "xfc/Frontends/HF/HFTokenizer.h"
#include "xfc/Frontends/Safetensors/SafetensorsFile.h"

#include <nlohmann/json.hpp>

#include <cfloat>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <unordered_map>

using namespace xfc;
using json = nlohmann::json;
using gguf::Architecture;

namespace {

/// How a checkpoint's tensors are named and laid out.
enum class Family { Llama, Qwen2, GPT2 };

struct KnownArchitecture {
  const char *name;
  Family family;
  Architecture arch;
};

constexpr KnownArchitecture kArchitectures[] = {
    {"LlamaForCausalLM", Family::Llama, Architecture::Llama},
    {"MistralForCausalLM", Family::Llama, Architecture::Llama},
    {"Qwen2ForCausalLM", Family::Qwen2, Architecture::Qwen2},
    {"GPT2LMHeadModel", Family::GPT2, Architecture::GPT2},
};

/// Bounds on what a hostile file makes us read and parse: configs and
/// indexes are kilobytes; tokenizer.json is megabytes.
constexpr std::streamoff kMaxConfigBytes = 64ll << 20;
constexpr std::streamoff kMaxTokenizerBytes = 256ll << 20;

std::string joinPath(const std::string &dir, const std::string &file) {
  return dir.empty() || dir.back() == '/' ? dir + file : dir + "/" + file;
}

bool fileExists(const std::string &path) {
  std::ifstream in(path);
  return in.good();
}

/// The text of `path`, of at most `limit` bytes; errors name it.
std::optional<std::string> readText(const std::string &path,
                                    std::streamoff limit, std::string &error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = path + ": cannot be read";
    return std::nullopt;
  }
  std::streamoff size = in.tellg();
  if (size < 0 || size > limit) {
    error = path + ": " + std::to_string(size) + " bytes is too large";
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(text.data(), size);
  return text;
}

/// Parses the JSON object in file `path`; errors name it.
std::optional<json> readJson(const std::string &path, std::string &error) {
  std::optional<std::string> text = readText(path, kMaxConfigBytes, error);
  if (!text)
    return std::nullopt;
  json parsed = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    error = path + ": not valid JSON";
    return std::nullopt;
  }
  if (!parsed.is_object()) {
    error = path + ": expected a JSON object";
    return std::nullopt;
  }
  return parsed;
}

/// Typed reads of config.json; the first problem is kept in `error`,
/// naming the file and the key. A null value counts as absent.
class ConfigReader {
public:
  ConfigReader(const json &config, std::string path, std::string &error)
      : config(config), path(std::move(path)), error(error) {}

  const json *find(const char *key) const {
    auto it = config.find(key);
    return it == config.end() || it->is_null() ? nullptr : &*it;
  }

  /// A positive integer, or `fallback` (0: required).
  bool count(const char *key, int64_t &out, int64_t fallback = 0) {
    if (!error.empty())
      return false;
    const json *v = find(key);
    if (!v) {
      if (fallback > 0) {
        out = fallback;
        return true;
      }
      return fail(key, "is missing");
    }
    if (!v->is_number_integer() || v->get<int64_t>() <= 0 ||
        v->get<int64_t>() > (int64_t(1) << 31))
      return fail(key, "must be a positive integer");
    out = v->get<int64_t>();
    return true;
  }

  bool number(const char *key, float &out, double fallback) {
    if (!error.empty())
      return false;
    const json *v = find(key);
    if (!v) {
      out = static_cast<float>(fallback);
      return true;
    }
    if (!v->is_number() || !(v->get<double>() >= 0) ||
        !(v->get<double>() <= FLT_MAX))
      return fail(key, "must be a finite non-negative number");
    out = v->get<float>();
    return true;
  }

  bool flag(const char *key, bool fallback) {
    const json *v = find(key);
    if (!v)
      return fallback;
    if (!v->is_boolean()) {
      fail(key, "must be true or false");
      return fallback;
    }
    return v->get<bool>();
  }

  std::string string(const char *key, const std::string &fallback) {
    const json *v = find(key);
    if (!v)
      return fallback;
    if (!v->is_string()) {
      fail(key, "must be a string");
      return fallback;
    }
    return v->get<std::string>();
  }

  /// An id, or the first of a list of ids (eos_token_id may be either).
  int32_t tokenId(const char *key) {
    const json *v = find(key);
    if (v && v->is_array() && !v->empty())
      v = &(*v)[0];
    if (!v)
      return -1;
    if (!v->is_number_integer() || v->get<int64_t>() < 0 ||
        v->get<int64_t>() > INT32_MAX) {
      fail(key, "must be a token id");
      return -1;
    }
    return v->get<int32_t>();
  }

  /// A setting that would change the computation must have the value the
  /// graph implements.
  bool require(const char *key, const json &expected, const char *why) {
    if (!error.empty())
      return false;
    const json *v = find(key);
    if (!v || *v == expected)
      return true;
    return fail(key, "is " + v->dump() + "; XFC implements only " +
                         expected.dump() + " (" + why + ")");
  }

  /// Whether no read so far failed.
  bool ok() const { return error.empty(); }

  bool fail(const char *key, const std::string &what) {
    if (error.empty())
      error = path + ": '" + key + "' " + what;
    return false;
  }

private:
  const json &config;
  std::string path;
  std::string &error;
};

/// A checkpoint tensor's place in the importer's naming.
struct Mapped {
  std::string name;       // GGUF name; empty: the tensor is ignored
  bool transpose = false; // stored [in, out] (GPT-2's Conv1D)
};

/// Per-layer tensors: checkpoint suffix -> GGUF suffix.
struct LayerTensor {
  const char *hf, *gguf;
  bool transpose;
};

constexpr LayerTensor kLlamaLayer[] = {
    {"input_layernorm.weight", "attn_norm.weight", false},
    {"self_attn.q_proj.weight", "attn_q.weight", false},
    {"self_attn.k_proj.weight", "attn_k.weight", false},
    {"self_attn.v_proj.weight", "attn_v.weight", false},
    {"self_attn.o_proj.weight", "attn_output.weight", false},
    {"post_attention_layernorm.weight", "ffn_norm.weight", false},
    {"mlp.gate_proj.weight", "ffn_gate.weight", false},
    {"mlp.up_proj.weight", "ffn_up.weight", false},
    {"mlp.down_proj.weight", "ffn_down.weight", false},
    // Precomputed RoPE frequencies some exports keep: recomputed from
    // rope_theta.
    {"self_attn.rotary_emb.inv_freq", "", false},
};

constexpr LayerTensor kQwen2Biases[] = {
    {"self_attn.q_proj.bias", "attn_q.bias", false},
    {"self_attn.k_proj.bias", "attn_k.bias", false},
    {"self_attn.v_proj.bias", "attn_v.bias", false},
};

constexpr LayerTensor kGPT2Layer[] = {
    {"ln_1.weight", "attn_norm.weight", false},
    {"ln_1.bias", "attn_norm.bias", false},
    {"attn.c_attn.weight", "attn_qkv.weight", true},
    {"attn.c_attn.bias", "attn_qkv.bias", false},
    {"attn.c_proj.weight", "attn_output.weight", true},
    {"attn.c_proj.bias", "attn_output.bias", false},
    {"ln_2.weight", "ffn_norm.weight", false},
    {"ln_2.bias", "ffn_norm.bias", false},
    {"mlp.c_fc.weight", "ffn_up.weight", true},
    {"mlp.c_fc.bias", "ffn_up.bias", false},
    {"mlp.c_proj.weight", "ffn_down.weight", true},
    {"mlp.c_proj.bias", "ffn_down.bias", false},
    // The causal mask buffers of older exports.
    {"attn.bias", "", false},
    {"attn.masked_bias", "", false},
};

/// Whole-model tensors: checkpoint name -> GGUF name.
constexpr std::pair<const char *, const char *> kLlamaGlobals[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

constexpr std::pair<const char *, const char *> kGPT2Globals[] = {
    {"wte.weight", "token_embd.weight"},
    {"wpe.weight", "position_embd.weight"},
    {"ln_f.weight", "output_norm.weight"},
    {"ln_f.bias", "output_norm.bias"},
    {"lm_head.weight", "output.weight"},
};

/// Maps checkpoint name `name` of a `family` model with `layers` blocks;
/// nullopt for a tensor the architecture does not have (`why` says more).
std::optional<Mapped> mapTensor(Family family, std::string_view name,
                                int64_t layers, std::string &why) {
  // GPT-2 checkpoints name their body "transformer." or not at all.
  std::string_view body = name;
  if (family == Family::GPT2 && body.substr(0, 12) == "transformer.")
    body.remove_prefix(12);
  auto global = [&](auto &table) -> std::optional<Mapped> {
    for (auto [hf, gguf] : table)
      if (body == hf || name == hf)
        return Mapped{gguf, false};
    return std::nullopt;
  };
  if (std::optional<Mapped> m =
          family == Family::GPT2 ? global(kGPT2Globals) : global(kLlamaGlobals))
    return m;

  std::string_view layerPrefix =
      family == Family::GPT2 ? "h." : "model.layers.";
  if (body.substr(0, layerPrefix.size()) != layerPrefix)
    return std::nullopt;
  std::string_view rest = body.substr(layerPrefix.size());
  size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot > 9)
    return std::nullopt;
  int64_t layer = 0;
  for (char c : rest.substr(0, dot)) {
    if (c < '0' || c > '9')
      return std::nullopt;
    layer = layer * 10 + (c - '0');
  }
  if (layer >= layers) {
    why = "names layer " + std::to_string(layer) + " of a model with " +
          std::to_string(layers) + " layers";
    return std::nullopt;
  }
  std::string_view suffix = rest.substr(dot + 1);
  auto lookup = [&](auto &table) -> std::optional<Mapped> {
    for (const LayerTensor &t : table)
      if (suffix == t.hf)
        return Mapped{*t.gguf ? "blk." + std::to_string(layer) + "." + t.gguf
                              : std::string(),
                      t.transpose};
    return std::nullopt;
  };
  if (family == Family::GPT2)
    return lookup(kGPT2Layer);
  if (std::optional<Mapped> m = lookup(kLlamaLayer))
    return m;
  if (family == Family::Qwen2)
    return lookup(kQwen2Biases);
  return std::nullopt;
}

/// The checkpoint name of GGUF tensor `name` in a `family` model, or "".
std::string checkpointName(Family family, bool gpt2Prefix,
                           std::string_view name) {
  bool gpt2 = family == Family::GPT2;
  auto global = [&](auto &table) -> std::string {
    for (auto [hf, gguf] : table)
      if (name == gguf)
        return gpt2 && gpt2Prefix && std::string_view(hf) != "lm_head.weight"
                   ? "transformer." + std::string(hf)
                   : std::string(hf);
    return "";
  };
  if (std::string found = gpt2 ? global(kGPT2Globals) : global(kLlamaGlobals);
      !found.empty())
    return found;
  if (name.substr(0, 4) != "blk.")
    return "";
  size_t dot = name.find('.', 4);
  if (dot == std::string_view::npos)
    return "";
  std::string layer(name.substr(4, dot - 4));
  std::string_view suffix = name.substr(dot + 1);
  std::string prefix =
      gpt2 ? (gpt2Prefix ? "transformer.h." : "h.") + layer + "."
           : "model.layers." + layer + ".";
  auto lookup = [&](auto &table) -> std::string {
    for (const LayerTensor &t : table)
      if (*t.gguf && suffix == t.gguf)
        return prefix + t.hf;
    return "";
  };
  if (gpt2)
    return lookup(kGPT2Layer);
  std::string found = lookup(kLlamaLayer);
  return found.empty() ? lookup(kQwen2Biases) : found;
}

} // namespace

const char *hf::supportedArchitectures() {
  return "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, "
         "GPT2LMHeadModel";
}

namespace {

/// A checkpoint directory's tensors under GGUF names.
class Checkpoint final : public ModelSource {
public:
  explicit Checkpoint(std::string dir) : ModelSource(std::move(dir)) {}

  bool init(std::string &error);

  std::string tensorLabel(std::string_view name) const override {
    auto it = originalNames.find(std::string(name));
    std::string original = it != originalNames.end()
                               ? it->second
                               : checkpointName(family, gpt2Prefix, name);
    return original.empty()
               ? ModelSource::tensorLabel(name)
               : "'" + original + "' (GGUF '" + std::string(name) + "')";
  }

  std::optional<xfrt::Vocabulary>
  loadVocabulary(std::string &error) const override {
    return hf::loadVocabulary(location, cfg.vocab, error);
  }

private:
  bool readConfig(const json &config, std::string &error);
  bool readLlamaConfig(ConfigReader &r);
  bool readGPT2Config(ConfigReader &r);
  /// Opens the safetensors file(s) and lists each tensor with the file
  /// that holds it.
  bool openWeights(std::string &error);
  bool addTensor(const safetensors::File &file,
                 const safetensors::TensorInfo &tensor, std::string &error);

  Family family = Family::Llama;
  bool mistral = false;
  bool tiedEmbeddings = false;
  /// GGUF name -> the checkpoint's, for messages.
  std::unordered_map<std::string, std::string> originalNames;
  /// GPT-2 checkpoints name their body "transformer." or not at all.
  bool gpt2Prefix = true;
  std::vector<std::unique_ptr<safetensors::File>> files;
  /// Names and re-laid-out data the tensor list points into.
  std::deque<std::string> names;
  std::deque<std::vector<uint8_t>> transposed;
};

bool Checkpoint::readLlamaConfig(ConfigReader &r) {
  gguf::ModelConfig &c = cfg;
  if (!r.count("hidden_size", c.dim) || !r.count("intermediate_size", c.ffn) ||
      !r.count("num_hidden_layers", c.layers) ||
      !r.count("num_attention_heads", c.heads) ||
      !r.count("num_key_value_heads", c.kvHeads, c.heads) ||
      !r.count("max_position_embeddings", c.context) ||
      !r.number("rms_norm_eps", c.normEps, 1e-6) ||
      !r.number("rope_theta", c.ropeTheta, 10000.0))
    return false;
  // transformers 5 keeps RoPE's settings in one object; every key of it
  // changes the angles, so each is read or refused.
  if (const json *params = r.find("rope_parameters")) {
    if (!params->is_object())
      return r.fail("rope_parameters", "must be an object");
    for (auto &[key, value] : params->items()) {
      if (key == "rope_theta" && value.is_number() && value.get<double>() > 0 &&
          value.get<double>() <= FLT_MAX)
        c.ropeTheta = value.get<float>();
      else if (key == "rope_type" && value == "default")
        continue;
      else if (key == "partial_rotary_factor" && value == 1.0)
        continue;
      else
        return r.fail("rope_parameters",
                      "has \"" + key + "\": " + value.dump() +
                          ", which changes RoPE and is not supported yet");
    }
  }
  if (!(c.ropeTheta > 0))
    return r.fail("rope_theta", "must be positive");
  if (const json *headDim = r.find("head_dim");
      headDim && c.heads > 0 && *headDim != c.dim / c.heads)
    return r.fail("head_dim", "is " + headDim->dump() +
                                  "; XFC needs hidden_size / "
                                  "num_attention_heads = " +
                                  std::to_string(c.dim / c.heads));
  if (const json *scaling = r.find("rope_scaling")) {
    std::string kind = "?";
    for (const char *key : {"rope_type", "type"})
      if (scaling->is_object() && scaling->contains(key) &&
          (*scaling)[key].is_string())
        kind = (*scaling)[key].get<std::string>();
    if (kind != "default")
      return r.fail("rope_scaling", "of type '" + kind +
                                        "' changes every RoPE angle and is "
                                        "not supported yet");
  }
  if (!r.require("hidden_act", "silu", "the SwiGLU FFN") ||
      !r.require("attention_bias", family == Family::Qwen2,
                 "the architecture's attention biases") ||
      !r.require("mlp_bias", false, "an FFN without biases") ||
      !r.require("partial_rotary_factor", 1.0, "RoPE on whole heads"))
    return false;
  tiedEmbeddings = r.flag("tie_word_embeddings", false);
  // Past its window, sliding-window attention forgets what full attention
  // sees; the KV cache is limited to the window instead. transformers
  // applies it to Mistral, and to the Qwen2 layers from max_window_layers
  // on; Llama ignores the key.
  bool windowed = false;
  if (family == Family::Qwen2 && r.flag("use_sliding_window", false)) {
    int64_t fullLayers = 0;
    if (!r.count("max_window_layers", fullLayers, 28))
      return false;
    windowed = fullLayers < c.layers;
  } else if (mistral) {
    windowed = r.find("sliding_window") != nullptr;
  }
  if (windowed && !r.count("sliding_window", c.slidingWindow))
    return false;
  return r.ok();
}

bool Checkpoint::readGPT2Config(ConfigReader &r) {
  gguf::ModelConfig &c = cfg;
  if (!r.count("n_embd", c.dim) || !r.count("n_layer", c.layers) ||
      !r.count("n_head", c.heads) ||
      !r.count(r.find("n_positions") || !r.find("n_ctx") ? "n_positions"
                                                         : "n_ctx",
               c.context) ||
      !r.number("layer_norm_epsilon", c.normEps, 1e-5))
    return false;
  c.kvHeads = c.heads;
  if (!r.count("n_inner", c.ffn, 4 * c.dim))
    return false;
  std::string act = r.string("activation_function", "gelu_new");
  if (act != "gelu_new" && act != "gelu_pytorch_tanh")
    return r.fail("activation_function",
                  "is \"" + act +
                      "\"; XFC implements GPT-2's tanh-approximated GELU "
                      "(gelu_new, gelu_pytorch_tanh)");
  if (!r.require("scale_attn_weights", true, "scores scaled by 1/sqrt(d)") ||
      !r.require("scale_attn_by_inverse_layer_idx", false,
                 "scores scaled by 1/sqrt(d)"))
    return false;
  tiedEmbeddings = r.flag("tie_word_embeddings", true);
  return true;
}

bool Checkpoint::readConfig(const json &config, std::string &error) {
  std::string path = joinPath(location, "config.json");
  ConfigReader r(config, path, error);
  std::string name;
  if (const json *list = r.find("architectures");
      list && list->is_array() && !list->empty() && (*list)[0].is_string())
    name = (*list)[0].get<std::string>();
  const KnownArchitecture *known = nullptr;
  for (const KnownArchitecture &a : kArchitectures)
    if (name == a.name)
      known = &a;
  if (!known) {
    error = path + ": architecture '" + name + "' is not supported (" +
            hf::supportedArchitectures() + ")";
    return false;
  }
  family = known->family;
  mistral = name == "MistralForCausalLM";
  cfg.arch = known->arch;
  if (!(family == Family::GPT2 ? readGPT2Config(r) : readLlamaConfig(r)) ||
      !error.empty())
    return false;
  gguf::ModelConfig &c = cfg;
  if (!gguf::checkModelShape(c, path, error))
    return false;
  c.ropeDims = c.headDim;
  // HF checkpoints rotate the halves of each head (rotate_half).
  c.ropeAdjacentPairs = false;
  return error.empty();
}

bool Checkpoint::addTensor(const safetensors::File &file,
                           const safetensors::TensorInfo &tensor,
                           std::string &error) {
  std::string why;
  std::optional<Mapped> mapped =
      mapTensor(family, tensor.name, cfg.layers, why);
  if (!mapped) {
    error = file.path() + ": tensor '" + tensor.name + "' " +
            (why.empty() ? "is not part of a " +
                               std::string(gguf::architectureName(cfg.arch)) +
                               " model as XFC imports it"
                         : why);
    return false;
  }
  if (mapped->name.empty())
    return true; // recomputed by the graph
  if (mapped->name == "output.weight" && tiedEmbeddings)
    return true; // the embedding doubles as the head, as HF ties them
  gguf::TensorInfo info;
  switch (tensor.dtype) {
  case safetensors::DType::F32:
    info.type = uint32_t(gguf::GGMLType::F32);
    break;
  case safetensors::DType::F16:
    info.type = uint32_t(gguf::GGMLType::F16);
    break;
  case safetensors::DType::BF16:
    info.type = uint32_t(gguf::GGMLType::BF16);
    break;
  default:
    error = file.path() + ": tensor '" + tensor.name + "' has dtype " +
            safetensors::getDTypeName(tensor.dtype) +
            ", which XFC does not import (F32, F16, BF16)";
    return false;
  }
  names.push_back(mapped->name);
  info.name = names.back();
  originalNames[mapped->name] = tensor.name;
  if (family == Family::GPT2)
    gpt2Prefix = tensor.name.rfind("transformer.", 0) == 0;
  info.numElements = tensor.numElements;
  info.numBytes = tensor.end - tensor.begin;
  info.data = tensor.data;
  for (auto it = tensor.shape.rbegin(); it != tensor.shape.rend(); ++it)
    info.dims.push_back(static_cast<uint64_t>(*it));
  if (mapped->transpose) {
    if (tensor.shape.size() != 2) {
      error = file.path() + ": tensor '" + tensor.name +
              "' must be 2-D (a Conv1D weight)";
      return false;
    }
    // [in, out] -> [out, in], element by element of any width.
    uint64_t rows = tensor.shape[0], cols = tensor.shape[1];
    size_t width = safetensors::getDTypeBytes(tensor.dtype);
    std::vector<uint8_t> &out = transposed.emplace_back(info.numBytes);
    for (uint64_t i = 0; i < rows; ++i)
      for (uint64_t j = 0; j < cols; ++j)
        std::memcpy(&out[(j * rows + i) * width],
                    &tensor.data[(i * cols + j) * width], width);
    info.data = out.data();
    std::swap(info.dims[0], info.dims[1]);
  }
  tensorList.push_back(std::move(info));
  return true;
}

bool Checkpoint::openWeights(std::string &error) {
  std::string single = joinPath(location, "model.safetensors");
  std::string indexPath = joinPath(location, "model.safetensors.index.json");
  // Tensor -> shard, in the index's order; one shard for a single file.
  std::map<std::string, std::vector<std::string>> byShard;
  // transformers loads model.safetensors when both exist.
  if (!fileExists(single) && fileExists(indexPath)) {
    std::optional<json> index = readJson(indexPath, error);
    if (!index)
      return false;
    auto map = index->find("weight_map");
    if (map == index->end() || !map->is_object()) {
      error = indexPath + ": missing object 'weight_map'";
      return false;
    }
    for (auto &[tensor, shard] : map->items()) {
      // A shard is a file beside the index, never a path out of it.
      if (!shard.is_string() || shard.get<std::string>().empty() ||
          shard.get<std::string>().find('/') != std::string::npos ||
          shard.get<std::string>()[0] == '.') {
        error = indexPath + ": tensor '" + tensor +
                "' names no file of the directory";
        return false;
      }
      byShard[shard.get<std::string>()].push_back(tensor);
    }
  } else if (fileExists(single)) {
    byShard["model.safetensors"];
  } else {
    error = location + ": no model.safetensors nor "
                       "model.safetensors.index.json (XFC reads safetensors "
                       "checkpoints, not pytorch_model.bin)";
    return false;
  }
  for (auto &[shard, listed] : byShard) {
    std::unique_ptr<safetensors::File> file =
        safetensors::File::open(joinPath(location, shard), error);
    if (!file)
      return false;
    if (listed.empty()) {
      for (const safetensors::TensorInfo &t : file->tensors())
        if (!addTensor(*file, t, error))
          return false;
    } else {
      for (const std::string &name : listed) {
        const safetensors::TensorInfo *t = file->findTensor(name);
        if (!t) {
          error = file->path() + ": no tensor '" + name +
                  "', which model.safetensors.index.json places there";
          return false;
        }
        if (!addTensor(*file, *t, error))
          return false;
      }
    }
    files.push_back(std::move(file));
  }
  return indexTensors(error);
}

bool Checkpoint::init(std::string &error) {
  std::optional<json> config =
      readJson(joinPath(location, "config.json"), error);
  if (!config || !readConfig(*config, error) || !openWeights(error))
    return false;
  const gguf::TensorInfo *embedding = findTensor("token_embd.weight");
  if (!embedding || embedding->dims.size() != 2) {
    error = location + ": missing 2-D tensor '" +
            std::string(family == Family::GPT2 ? "transformer.wte.weight"
                                               : "model.embed_tokens.weight") +
            "'";
    return false;
  }
  cfg.vocab = static_cast<int64_t>(embedding->dims[1]);
  ConfigReader r(*config, joinPath(location, "config.json"), error);
  int64_t vocabSize = 0;
  if (r.find("vocab_size") && r.count("vocab_size", vocabSize) &&
      vocabSize != cfg.vocab) {
    error = location + ": config.json's vocab_size " +
            std::to_string(vocabSize) + " differs from the " +
            std::to_string(cfg.vocab) + " rows of the token embedding";
    return false;
  }
  if (!tiedEmbeddings && !findTensor("output.weight")) {
    error = location + ": missing tensor 'lm_head.weight' "
                       "(tie_word_embeddings is false)";
    return false;
  }
  return error.empty();
}

} // namespace

std::unique_ptr<ModelSource> hf::openCheckpoint(const std::string &dir,
                                                std::string &error) {
  error.clear(); // the readers keep the first problem they meet
  auto checkpoint = std::make_unique<Checkpoint>(dir);
  if (!checkpoint->init(error))
    return nullptr;
  return checkpoint;
}

std::optional<xfrt::Vocabulary>
hf::loadVocabulary(const std::string &dir, int64_t rows, std::string &error) {
  error.clear();
  TokenizerSettings settings;
  settings.rows = rows;
  std::string configPath = joinPath(dir, "config.json");
  if (fileExists(configPath)) {
    std::optional<json> config = readJson(configPath, error);
    if (!config)
      return std::nullopt;
    ConfigReader r(*config, configPath, error);
    settings.bos = r.tokenId("bos_token_id");
    settings.eos = r.tokenId("eos_token_id");
    if (!error.empty())
      return std::nullopt;
  }
  // Generation settings often carry the EOS only there.
  std::string generationPath = joinPath(dir, "generation_config.json");
  if (settings.eos < 0 && fileExists(generationPath)) {
    std::optional<json> generation = readJson(generationPath, error);
    if (!generation)
      return std::nullopt;
    ConfigReader r(*generation, generationPath, error);
    settings.eos = r.tokenId("eos_token_id");
    if (settings.bos < 0)
      settings.bos = r.tokenId("bos_token_id");
    if (!error.empty())
      return std::nullopt;
  }
  std::string extraPath = joinPath(dir, "tokenizer_config.json");
  if (fileExists(extraPath)) {
    std::optional<json> extra = readJson(extraPath, error);
    if (!extra)
      return std::nullopt;
    auto addBos = extra->find("add_bos_token");
    if (addBos != extra->end() && addBos->is_boolean())
      settings.addBos = addBos->get<bool>();
    // Newer files may hold a list of named templates; only the plain
    // string form is read.
    auto chat = extra->find("chat_template");
    if (chat != extra->end() && chat->is_string())
      settings.chatTemplate = chat->get<std::string>();
  }
  std::string path = joinPath(dir, "tokenizer.json");
  if (!fileExists(path)) {
    error = dir + ": no tokenizer.json (the compiled model embeds its "
                  "tokenizer)";
    return std::nullopt;
  }
  std::optional<std::string> text = readText(path, kMaxTokenizerBytes, error);
  if (!text)
    return std::nullopt;
  return parseTokenizerJson(*text, path, settings, error);
}
