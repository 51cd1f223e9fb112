//===- ModelMaker.cpp - Random-weight GGUF models for tests ---------------===//

#include "xfc/Frontends/GGUF/ModelMaker.h"

#include "xfc/Frontends/GGUF/GGUFWriter.h"
#include "xfrt/Tokenizer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

using namespace xfc::gguf;

bool xfc::gguf::applyPreset(std::string_view preset, Architecture arch,
                            MakeModelOptions &options, std::string &error) {
  ModelConfig &c = options.config;
  c.arch = arch;
  bool gpt2 = arch == Architecture::GPT2;
  if (preset == "tiny") {
    c.dim = 64, c.layers = 2, c.heads = 4, c.kvHeads = gpt2 ? 4 : 2;
    c.ffn = gpt2 ? 256 : 192, c.vocab = 512, c.context = 256;
  } else if (preset == "small") {
    c.dim = 256, c.layers = 4, c.heads = 8, c.kvHeads = gpt2 ? 8 : 4;
    c.ffn = gpt2 ? 1024 : 704, c.vocab = 2048, c.context = 1024;
  } else if (preset == "1b") {
    c.dim = 2048, c.layers = 22, c.heads = 32, c.kvHeads = gpt2 ? 32 : 4;
    c.ffn = gpt2 ? 8192 : 5632, c.vocab = 32000, c.context = 2048;
  } else {
    error = "unknown preset '" + std::string(preset) +
            "' (expected tiny, small or 1b)";
    return false;
  }
  c.headDim = c.dim / c.heads;
  c.ropeDims = c.headDim;
  c.normEps = 1e-5f;
  c.ropeTheta = arch == Architecture::Qwen2 ? 1000000.0f : 10000.0f;
  options.tiedOutput = gpt2;
  return true;
}

namespace {

/// splitmix64: a small, fast, well-mixed generator; one stream per tensor
/// keeps models identical whatever order tensors are written in.
struct Random {
  uint64_t state;
  explicit Random(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform() { return static_cast<float>(next() >> 40) * 0x1p-24f; }
  /// Approximately normal (Irwin-Hall of 4 uniforms, rescaled): cheap
  /// enough for a billion weights, and random weights need no more.
  float normal(float mean, float stddev) {
    float s = uniform() + uniform() + uniform() + uniform() - 2.0f;
    return mean + stddev * s * 1.7320508f; // var of the sum is 1/3
  }
};

uint64_t hashName(const std::string &s) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (char ch : s)
    h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
  return h;
}

/// Words over a..z of increasing length, as many as asked for.
std::vector<std::string> syntheticWords(size_t count) {
  std::vector<std::string> words, level = {""};
  while (words.size() < count) {
    std::vector<std::string> longer;
    for (const std::string &w : level)
      for (char ch = 'a'; ch <= 'z'; ++ch)
        longer.push_back(w + ch);
    for (const std::string &w : longer)
      if (words.size() < count)
        words.push_back(w);
    level = std::move(longer);
  }
  return words;
}

/// Smallest synthetic vocabularies: SPM needs <unk> <s> </s>, 256 bytes,
/// "▁" and the 68 printable ASCII characters that are not a..z; BPE needs
/// the 256 byte symbols and <|endoftext|>.
constexpr int64_t kMinSpmVocab = 3 + 256 + 1 + 68;
constexpr int64_t kMinBpeVocab = 256 + 1;

/// A SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, "▁" and
/// printable ASCII, then "word" and "▁word" pieces, better scores for
/// shorter pieces.
void writeSyntheticSpm(Writer &w, int64_t vocab) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    tokens.push_back(hex);
    types.push_back(6);
  }
  // The word boundary and the printable ASCII that is not a lowercase
  // letter, so that common text needs no byte fallback.
  tokens.push_back("\xe2\x96\x81");
  types.push_back(1);
  for (char ch = '!'; ch <= '~'; ++ch)
    if (ch < 'a' || ch > 'z') {
      tokens.push_back(std::string(1, ch));
      types.push_back(1);
    }
  size_t pieces = static_cast<size_t>(vocab) - tokens.size();
  std::vector<std::string> words = syntheticWords(pieces / 2 + 1);
  for (size_t k = 0; tokens.size() < static_cast<size_t>(vocab); ++k) {
    const std::string &word = words[k / 2];
    tokens.push_back(k % 2 ? word : "\xe2\x96\x81" + word); // U+2581
    types.push_back(1);
  }
  std::vector<float> scores(tokens.size());
  for (size_t k = 0; k < tokens.size(); ++k)
    scores[k] = types[k] == 1 ? -static_cast<float>(k) : 0.0f;
  w.setString("tokenizer.ggml.model", "llama");
  w.setStringArray("tokenizer.ggml.tokens", tokens);
  w.setFloat32Array("tokenizer.ggml.scores", scores);
  w.setInt32Array("tokenizer.ggml.token_type", types);
  w.setUInt32("tokenizer.ggml.unknown_token_id", 0);
  w.setUInt32("tokenizer.ggml.bos_token_id", 1);
  w.setUInt32("tokenizer.ggml.eos_token_id", 2);
  w.setBool("tokenizer.ggml.add_bos_token", true);
  // TinyLlama-Chat's (Zephyr's) template, as in its GGUF.
  w.setString("tokenizer.chat_template",
              "{% for message in messages %}\n"
              "{% if message['role'] == 'user' %}\n"
              "{{ '<|user|>\\n' + message['content'] + eos_token }}\n"
              "{% elif message['role'] == 'system' %}\n"
              "{{ '<|system|>\\n' + message['content'] + eos_token }}\n"
              "{% elif message['role'] == 'assistant' %}\n"
              "{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n"
              "{% endif %}\n"
              "{% if loop.last and add_generation_prompt %}\n"
              "{{ '<|assistant|>' }}\n"
              "{% endif %}\n"
              "{% endfor %}");
}

/// A byte-level BPE vocabulary: the 256 byte symbols, merges building
/// "word" and "Ġword" tokens letter by letter, and <|endoftext|> last.
void writeSyntheticBpe(Writer &w, int64_t vocab) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(xfrt::byteLevelSymbol(static_cast<uint8_t>(b)));
  std::vector<std::string> merges;
  const std::string space = tokens[' '];
  size_t wanted = static_cast<size_t>(vocab) - 1; // room for <|endoftext|>
  std::vector<std::string> words = syntheticWords(wanted);
  for (const std::string &word : words) {
    for (const std::string &prefix : {std::string(), space}) {
      std::string full = prefix + word;
      if (tokens.size() >= wanted || (prefix.empty() && word.size() < 2))
        continue;
      // Merge the token without its last letter with that letter.
      std::string head = full.substr(0, full.size() - 1);
      merges.push_back(head + " " + full.substr(full.size() - 1));
      tokens.push_back(full);
    }
  }
  std::vector<int32_t> types(tokens.size(), 1);
  tokens.push_back("<|endoftext|>");
  types.push_back(3);
  uint32_t eot = static_cast<uint32_t>(tokens.size() - 1);
  w.setString("tokenizer.ggml.model", "gpt2");
  w.setStringArray("tokenizer.ggml.tokens", tokens);
  w.setInt32Array("tokenizer.ggml.token_type", types);
  w.setStringArray("tokenizer.ggml.merges", merges);
  w.setUInt32("tokenizer.ggml.bos_token_id", eot);
  w.setUInt32("tokenizer.ggml.eos_token_id", eot);
  w.setBool("tokenizer.ggml.add_bos_token", false);
  // ChatML (Qwen2's template, as in its GGUF).
  w.setString("tokenizer.chat_template",
              "{% for message in messages %}"
              "{{'<|im_start|>' + message['role'] + '\\n' + "
              "message['content'] + '<|im_end|>' + '\\n'}}"
              "{% endfor %}"
              "{% if add_generation_prompt %}"
              "{{ '<|im_start|>assistant\\n' }}{% endif %}");
}

} // namespace

bool xfc::gguf::makeModel(const MakeModelOptions &options,
                          const std::string &path, std::string &error) {
  ModelConfig c = options.config;
  const char *arch = architectureName(c.arch);
  if (c.dim <= 0 || c.layers <= 0 || c.heads <= 0 || c.kvHeads <= 0 ||
      c.ffn <= 0 || c.context <= 0 || c.dim % c.heads != 0 ||
      c.heads % c.kvHeads != 0) {
    error = "invalid model shape: need positive sizes, heads dividing dim "
            "and KV heads dividing heads";
    return false;
  }
  if (c.arch == Architecture::GPT2 && c.kvHeads != c.heads) {
    error = "invalid model shape: gpt2 has no grouped-query attention (KV "
            "heads must equal heads)";
    return false;
  }
  if (options.shareCycle < 0 ||
      (options.shareCycle && c.layers % options.shareCycle)) {
    error = "a share cycle of " + std::to_string(options.shareCycle) +
            " layers does not divide the " + std::to_string(c.layers) +
            " layers";
    return false;
  }
  c.headDim = c.dim / c.heads;
  GGMLTypeInfo typeInfo = *getTypeInfo(static_cast<uint32_t>(options.dtype));
  if (typeInfo.import != ImportKind::Lossless) {
    error = std::string("make-model cannot write ") + typeInfo.name +
            " weights (use f32, f16, bf16, q8_0, q4_0 or q4_1)";
    return false;
  }
  if (c.dim % typeInfo.blockSize || c.ffn % typeInfo.blockSize) {
    error = "dim and ffn must be multiples of the " +
            std::string(typeInfo.name) + " block size " +
            std::to_string(typeInfo.blockSize);
    return false;
  }

  Writer w;
  w.setString("general.architecture", arch);
  w.setString("general.name", std::string("xfc-random-") + arch);
  std::string p = std::string(arch) + ".";
  w.setUInt32(p + "context_length", c.context);
  w.setUInt32(p + "embedding_length", c.dim);
  w.setUInt32(p + "block_count", c.layers);
  w.setUInt32(p + "feed_forward_length", c.ffn);
  w.setUInt32(p + "attention.head_count", c.heads);
  w.setUInt32(p + "attention.head_count_kv", c.kvHeads);
  if (c.hasRope()) {
    w.setFloat32(p + "rope.freq_base", c.ropeTheta);
    w.setUInt32(p + "rope.dimension_count", c.headDim);
    w.setFloat32(p + "attention.layer_norm_rms_epsilon", c.normEps);
  } else {
    w.setFloat32(p + "attention.layer_norm_epsilon", c.normEps);
  }

  int64_t vocab = c.vocab;
  if (!options.vocabPath.empty()) {
    std::unique_ptr<File> source = File::open(options.vocabPath, error);
    if (!source)
      return false;
    const Value *tokens = source->find("tokenizer.ggml.tokens");
    if (!tokens || tokens->type != ValueType::Array ||
        tokens->elementType != ValueType::String) {
      error = options.vocabPath + ": no tokenizer.ggml.tokens to copy";
      return false;
    }
    vocab = static_cast<int64_t>(tokens->count);
    for (const KeyValue &kv : source->metadata())
      if (kv.key.substr(0, 10) == "tokenizer.")
        w.setValue(std::string(kv.key), kv.value);
  } else {
    int64_t minimum =
        c.arch == Architecture::GPT2 ? kMinBpeVocab : kMinSpmVocab;
    if (vocab < minimum || vocab > (1 << 22)) {
      error = "a synthetic " + std::string(arch) + " vocabulary needs " +
              std::to_string(minimum) + " to 4194304 tokens, got " +
              std::to_string(vocab);
      return false;
    }
    if (c.arch == Architecture::GPT2)
      writeSyntheticBpe(w, vocab);
    else
      writeSyntheticSpm(w, vocab);
  }

  // Tensors. `dims` are in ggml order: {in, out} for a weight.
  uint64_t seed = options.seed;
  double sparsity = options.sparsity;
  // `as` names the tensor whose values this one repeats (itself, unless a
  // shared layer's).
  auto addAs = [&](const std::string &name, const std::string &as,
                   std::vector<uint64_t> dims, float mean, float stddev) {
    GGMLType type = dims.size() == 2 ? options.dtype : GGMLType::F32;
    uint64_t count = 1;
    for (uint64_t d : dims)
      count *= d;
    w.addTensor(name, dims, type, [=](uint8_t *out) {
      Random rng(seed ^ hashName(as));
      std::vector<float> values(count);
      for (float &v : values)
        v = rng.normal(mean, stddev);
      if (sparsity > 0 && dims.size() == 2 && name.rfind("blk.", 0) == 0) {
        std::vector<float> magnitudes(count);
        for (uint64_t i = 0; i < count; ++i)
          magnitudes[i] = std::fabs(values[i]);
        uint64_t zeros = static_cast<uint64_t>(sparsity * count);
        if (zeros > 0) {
          std::nth_element(magnitudes.begin(), magnitudes.begin() + zeros - 1,
                           magnitudes.end());
          float threshold = magnitudes[zeros - 1];
          for (float &v : values)
            if (std::fabs(v) <= threshold)
              v = 0.0f;
        }
      }
      encodeFromF32(type, values.data(), count, out);
    });
  };
  auto add = [&](const std::string &name, std::vector<uint64_t> dims,
                 float mean, float stddev) {
    addAs(name, name, std::move(dims), mean, stddev);
  };
  uint64_t d = c.dim, kv = c.kvHeads * c.headDim, f = c.ffn;
  uint64_t v = vocab;
  const float std = 0.02f;
  add("token_embd.weight", {d, v}, 0, std);
  if (c.arch == Architecture::GPT2)
    add("position_embd.weight", {d, static_cast<uint64_t>(c.context)}, 0,
        std);
  bool biases = c.arch == Architecture::GPT2;
  for (int64_t l = 0; l < c.layers; ++l) {
    std::string b = "blk." + std::to_string(l) + ".";
    // A shared layer's tensors repeat those of its cycle's layer.
    int64_t source = options.shareCycle ? l % options.shareCycle : l;
    std::string s = "blk." + std::to_string(source) + ".";
    auto add = [&](const std::string &name, std::vector<uint64_t> dims,
                   float mean, float stddev) {
      addAs(name, s + name.substr(b.size()), std::move(dims), mean, stddev);
    };
    add(b + "attn_norm.weight", {d}, 1.0f, 0.1f);
    if (biases)
      add(b + "attn_norm.bias", {d}, 0, std);
    if (c.arch == Architecture::GPT2) {
      add(b + "attn_qkv.weight", {d, 3 * d}, 0, std);
      add(b + "attn_qkv.bias", {3 * d}, 0, std);
    } else {
      add(b + "attn_q.weight", {d, d}, 0, std);
      add(b + "attn_k.weight", {d, kv}, 0, std);
      add(b + "attn_v.weight", {d, kv}, 0, std);
      if (c.arch == Architecture::Qwen2) {
        add(b + "attn_q.bias", {d}, 0, std);
        add(b + "attn_k.bias", {kv}, 0, std);
        add(b + "attn_v.bias", {kv}, 0, std);
      }
    }
    const float residualStd = std * static_cast<float>(options.residualScale);
    add(b + "attn_output.weight", {d, d}, 0, residualStd);
    if (biases)
      add(b + "attn_output.bias", {d}, 0, residualStd);
    add(b + "ffn_norm.weight", {d}, 1.0f, 0.1f);
    if (biases)
      add(b + "ffn_norm.bias", {d}, 0, std);
    if (c.arch != Architecture::GPT2)
      add(b + "ffn_gate.weight", {d, f}, 0, std);
    add(b + "ffn_up.weight", {d, f}, 0, std);
    if (biases)
      add(b + "ffn_up.bias", {f}, 0, std);
    add(b + "ffn_down.weight", {f, d}, 0, residualStd);
    if (biases)
      add(b + "ffn_down.bias", {d}, 0, residualStd);
  }
  add("output_norm.weight", {d}, 1.0f, 0.1f);
  if (biases)
    add("output_norm.bias", {d}, 0, std);
  if (!options.tiedOutput)
    add("output.weight", {d, v}, 0, std);
  return w.write(path, error);
}
