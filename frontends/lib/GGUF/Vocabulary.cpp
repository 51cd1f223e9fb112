//===- Vocabulary.cpp - Tokenizer vocabulary from GGUF metadata -----------===//

#include "xfc/Frontends/GGUF/Vocabulary.h"

#include <cstdint>
#include <limits>

using namespace xfc::gguf;

namespace {

struct PreTokenizerName {
  const char *name;
  xfrt::PreTokenizerKind kind;
};

/// tokenizer.ggml.pre values, as llama.cpp's converter writes them.
constexpr PreTokenizerName kPreTokenizers[] = {
    {"gpt-2", xfrt::PreTokenizerKind::GPT2},
    {"llama-bpe", xfrt::PreTokenizerKind::Llama3},
    {"qwen2", xfrt::PreTokenizerKind::Qwen2},
};

} // namespace

const char *xfc::gguf::supportedTokenizerModels() { return "llama, gpt2"; }

const std::string &xfc::gguf::supportedPreTokenizers() {
  static const std::string names = [] {
    std::string list;
    for (const PreTokenizerName &p : kPreTokenizers)
      list += (list.empty() ? "" : ", ") + std::string(p.name);
    return list;
  }();
  return names;
}

namespace {

/// "u32", "array of f32", ... for error messages.
std::string describe(const Value &value) {
  if (value.type != ValueType::Array)
    return valueTypeName(value.type);
  return std::string("array of ") + valueTypeName(value.elementType);
}

/// Reads one file's tokenizer keys; the first problem stops it and is kept
/// in `error`, naming the file and the key.
class VocabularyReader {
public:
  VocabularyReader(const File &file, std::string &error)
      : file(file), error(error) {}

  bool read(xfrt::Vocabulary &v) {
    if (!readKind(v.kind))
      return false;
    if (v.kind == xfrt::TokenizerKind::BytePairEncoding && !readPreTokenizer(v))
      return false;
    const Value *tokens = stringArray("tokenizer.ggml.tokens", true);
    if (!tokens)
      return false;
    const uint64_t n = tokens->count;
    if (n == 0 || n > uint64_t(std::numeric_limits<int32_t>::max()))
      return fail("tokenizer.ggml.tokens",
                  "has " + std::to_string(n) + " tokens");
    v.tokens.assign(tokens->strings.begin(), tokens->strings.end());

    if (!readScores(n, v.scores) || !readTypes(n, v.types))
      return false;
    if (v.kind == xfrt::TokenizerKind::BytePairEncoding) {
      const Value *merges = stringArray("tokenizer.ggml.merges", true);
      if (!merges)
        return false;
      v.merges.assign(merges->strings.begin(), merges->strings.end());
    }

    if (!readId("tokenizer.ggml.bos_token_id", n, v.bos) ||
        !readId("tokenizer.ggml.eos_token_id", n, v.eos) ||
        !readId("tokenizer.ggml.unknown_token_id", n, v.unk) ||
        !readId("tokenizer.ggml.padding_token_id", n, v.pad))
      return false;

    // llama.cpp's defaults: SentencePiece models start with BOS and a space;
    // so do Llama 3's, whose GGUFs usually carry no add_bos_token.
    bool spm = v.kind == xfrt::TokenizerKind::SentencePiece;
    bool llama3 = !spm && v.preTokenizer == xfrt::PreTokenizerKind::Llama3;
    if (!readBool("tokenizer.ggml.add_bos_token", spm || llama3, v.addBos) ||
        !readBool("tokenizer.ggml.add_space_prefix", spm, v.addSpacePrefix))
      return false;
    if (v.addBos && v.bos < 0) {
      // Only an explicit add_bos_token needs a BOS; the default yields.
      if (file.find("tokenizer.ggml.add_bos_token"))
        return fail("tokenizer.ggml.add_bos_token",
                    "is true but 'tokenizer.ggml.bos_token_id' is missing");
      v.addBos = false;
    }
    std::optional<std::string_view> chat =
        file.getString("tokenizer.chat_template", error);
    if (!error.empty())
      return false;
    if (chat)
      v.chatTemplate = std::string(*chat);
    return true;
  }

private:
  bool fail(const std::string &key, const std::string &problem) {
    error = file.path() + ": metadata '" + key + "' " + problem;
    return false;
  }

  bool readKind(xfrt::TokenizerKind &kind) {
    const char *key = "tokenizer.ggml.model";
    std::optional<std::string_view> model = file.getString(key, error);
    if (!error.empty())
      return false;
    if (!model)
      return fail(key, "is missing");
    if (*model == "llama") {
      kind = xfrt::TokenizerKind::SentencePiece;
      return true;
    }
    if (*model != "gpt2")
      return fail(key, "has unsupported value '" + std::string(*model) +
                           "' (supported: " + supportedTokenizerModels() + ")");
    kind = xfrt::TokenizerKind::BytePairEncoding;
    return true;
  }

  /// Each BPE pre-tokenizer is its own regex, and using the wrong one would
  /// tokenize silently wrongly: an unknown name is an error.
  bool readPreTokenizer(xfrt::Vocabulary &v) {
    const char *key = "tokenizer.ggml.pre";
    std::optional<std::string_view> pre = file.getString(key, error);
    if (!error.empty())
      return false;
    if (!pre) // older GPT-2 conversions have no key
      return true;
    for (const PreTokenizerName &p : kPreTokenizers) {
      if (*pre != p.name)
        continue;
      v.preTokenizer = p.kind;
      // Llama 3's tokenizer looks whole words up before merging.
      v.ignoreMerges = p.kind == xfrt::PreTokenizerKind::Llama3;
      return true;
    }
    return fail(key, "has unsupported BPE pre-tokenizer '" + std::string(*pre) +
                         "' (supported: " + supportedPreTokenizers() + ")");
  }

  /// The key's value if it is an array of `elements`; null if it is missing
  /// (an error only when `required`) or has another type.
  const Value *array(const std::string &key, ValueType elements, bool required,
                     const char *expected) {
    const Value *value = file.find(key);
    if (!value) {
      if (required)
        fail(key, "is missing");
      return nullptr;
    }
    if (value->type != ValueType::Array || value->elementType != elements) {
      fail(key, std::string("must be an array of ") + expected + ", got " +
                    describe(*value));
      return nullptr;
    }
    return value;
  }

  const Value *stringArray(const std::string &key, bool required) {
    return array(key, ValueType::String, required, "strings");
  }

  bool checkLength(const std::string &key, const Value &value, uint64_t n) {
    if (value.count == n)
      return true;
    return fail(key, "has " + std::to_string(value.count) + " entries for " +
                         std::to_string(n) + " tokens");
  }

  bool readScores(uint64_t n, std::vector<float> &scores) {
    const char *key = "tokenizer.ggml.scores";
    const Value *value = array(key, ValueType::Float32, false, "f32");
    if (!value)
      return error.empty();
    if (!checkLength(key, *value, n))
      return false;
    scores.resize(n);
    for (uint64_t i = 0; i < n; ++i)
      scores[i] = static_cast<float>(value->floatAt(i));
    return true;
  }

  bool readTypes(uint64_t n, std::vector<xfrt::TokenType> &types) {
    const char *key = "tokenizer.ggml.token_type";
    const Value *value = file.find(key);
    if (!value)
      return true;
    if (value->type != ValueType::Array || !isIntegerType(value->elementType)) {
      return fail(key, "must be an array of integers, got " + describe(*value));
    }
    if (!checkLength(key, *value, n))
      return false;
    types.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      int64_t type = value->intAt(i);
      if (type < 0 || type > int64_t(xfrt::TokenType::Byte))
        return fail(key, "has invalid type " + std::to_string(type) +
                             " for token " + std::to_string(i));
      types[i] = static_cast<xfrt::TokenType>(type);
    }
    return true;
  }

  bool readId(const std::string &key, uint64_t n, int32_t &id) {
    std::optional<uint64_t> value = file.getUInt(key, error);
    if (!error.empty())
      return false;
    if (!value)
      return true; // stays -1
    if (*value >= n)
      return fail(key, "is " + std::to_string(*value) + ", out of range for " +
                           std::to_string(n) + " tokens");
    id = static_cast<int32_t>(*value);
    return true;
  }

  bool readBool(const std::string &key, bool fallback, bool &out) {
    out = fallback;
    const Value *value = file.find(key);
    if (!value)
      return true;
    if (value->type != ValueType::Bool)
      return fail(key, std::string("must be a bool, got ") +
                           valueTypeName(value->type));
    out = value->u != 0;
    return true;
  }

  const File &file;
  std::string &error;
};

} // namespace

std::optional<xfrt::Vocabulary> xfc::gguf::loadVocabulary(const File &file,
                                                          std::string &error) {
  error.clear();
  xfrt::Vocabulary vocab;
  if (!VocabularyReader(file, error).read(vocab))
    return std::nullopt;
  return vocab;
}
