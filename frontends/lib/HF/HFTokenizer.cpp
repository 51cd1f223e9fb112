//===- HFTokenizer.cpp - tokenizer.json to an xfrt::Vocabulary ------------===//

#include "xfc/Frontends/HF/HFTokenizer.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <unordered_map>
#include <unordered_set>

using namespace xfc;
using json = nlohmann::json;
using xfrt::PreTokenizerKind;
using xfrt::TokenType;

namespace {

/// The Split regexes of the byte-level tokenizers the architectures ship,
/// as their tokenizer.json spells them.
struct KnownSplit {
  const char *regex;
  PreTokenizerKind kind;
};

constexpr KnownSplit kSplits[] = {
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     PreTokenizerKind::Llama3},
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     PreTokenizerKind::Qwen2},
};

/// SentencePiece's space.
constexpr const char *kMetaspace = "\xE2\x96\x81";

/// Reads one tokenizer.json; the first problem is kept in `error`, naming
/// the file and the field.
class TokenizerReader {
public:
  TokenizerReader(const json &root, const std::string &name,
                  const hf::TokenizerSettings &settings, std::string &error)
      : root(root), name(name), settings(settings), error(error) {}

  std::optional<xfrt::Vocabulary> read();

private:
  bool fail(const std::string &field, const std::string &what) {
    if (error.empty())
      error = name + ": '" + field + "' " + what;
    return false;
  }
  static const json *member(const json &object, const char *key) {
    if (!object.is_object())
      return nullptr;
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }
  static std::string typeOf(const json *object) {
    const json *type = object ? member(*object, "type") : nullptr;
    return type && type->is_string() ? type->get<std::string>() : "";
  }
  /// The string `key` of `object`, or "" (no member, or not a string).
  static std::string text(const json &object, const char *key) {
    const json *v = member(object, key);
    return v && v->is_string() ? v->get<std::string>() : "";
  }
  static bool flag(const json &object, const char *key, bool fallback) {
    const json *v = member(object, key);
    return v && v->is_boolean() ? v->get<bool>() : fallback;
  }

  bool readTokens(xfrt::Vocabulary &v);
  bool readMerges(xfrt::Vocabulary &v);
  bool readByteLevel(const json &pre, xfrt::Vocabulary &v);
  bool readSentencePiece(xfrt::Vocabulary &v);
  void readBos(xfrt::Vocabulary &v);

  const json &root;
  const std::string &name;
  const hf::TokenizerSettings &settings;
  std::string &error;
  std::unordered_map<std::string, int32_t> ids;
};

bool TokenizerReader::readTokens(xfrt::Vocabulary &v) {
  const json &model = root["model"];
  const json *vocab = member(model, "vocab");
  if (!vocab || !vocab->is_object())
    return fail("model.vocab", "must be an object of token ids");
  struct Entry {
    std::string text;
    TokenType type;
  };
  std::vector<std::pair<int64_t, Entry>> entries;
  for (auto &[token, id] : vocab->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() >= INT32_MAX)
      return fail("model.vocab",
                  "gives token '" + token + "' the id " + id.dump());
    entries.push_back({id.get<int64_t>(), {token, TokenType::Normal}});
  }
  if (const json *added = member(root, "added_tokens")) {
    if (!added->is_array())
      return fail("added_tokens", "must be an array");
    for (const json &t : *added) {
      const json *id = member(t, "id"), *content = member(t, "content");
      if (!id || !id->is_number_integer() || id->get<int64_t>() < 0 ||
          id->get<int64_t>() >= INT32_MAX || !content || !content->is_string())
        return fail("added_tokens", "has an entry without an id and content");
      entries.push_back({id->get<int64_t>(),
                         {content->get<std::string>(),
                          flag(t, "special", false) ? TokenType::Control
                                                    : TokenType::UserDefined}});
    }
  }
  int64_t count = settings.rows;
  for (auto &[id, entry] : entries)
    count = std::max(count, id + 1);
  if (settings.rows > 0 && count > settings.rows)
    return fail("model.vocab", "has ids up to " + std::to_string(count - 1) +
                                   ", past the " +
                                   std::to_string(settings.rows) +
                                   " rows of the token embedding");
  // Without an embedding to bound them, ids far past the tokens listed are
  // hostile: each gap would become a padding token.
  if (settings.rows == 0 && count > int64_t(entries.size()) + (1 << 16))
    return fail("model.vocab", "has the id " + std::to_string(count - 1) +
                                   " for " + std::to_string(entries.size()) +
                                   " tokens");
  if (count == 0)
    return fail("model.vocab", "is empty");
  v.tokens.assign(count, std::string());
  v.types.assign(count, TokenType::Unused);
  std::vector<bool> seen(count, false);
  for (auto &[id, entry] : entries) {
    // An added token may repeat its vocab entry, with the same text.
    if (seen[id] && v.tokens[id] != entry.text)
      return fail("model.vocab", "gives id " + std::to_string(id) +
                                     " to both '" + v.tokens[id] + "' and '" +
                                     entry.text + "'");
    if (!seen[id] || entry.type != TokenType::Normal)
      v.types[id] = entry.type;
    seen[id] = true;
    v.tokens[id] = entry.text;
  }
  for (int64_t id = 0; id < count; ++id) {
    if (!seen[id])
      v.tokens[id] = "[PAD" + std::to_string(id) + "]";
    ids.emplace(v.tokens[id], static_cast<int32_t>(id));
  }
  return true;
}

bool TokenizerReader::readMerges(xfrt::Vocabulary &v) {
  const json *merges = member(root["model"], "merges");
  if (!merges || !merges->is_array())
    return fail("model.merges", "must be an array");
  v.merges.reserve(merges->size());
  for (const json &m : *merges) {
    // "left right", or ["left", "right"] in newer files.
    if (m.is_string()) {
      v.merges.push_back(m.get<std::string>());
      continue;
    }
    if (!m.is_array() || m.size() != 2 || !m[0].is_string() ||
        !m[1].is_string() ||
        m[0].get<std::string>().find(' ') != std::string::npos ||
        m[1].get<std::string>().find(' ') != std::string::npos)
      return fail("model.merges", "has the entry " + m.dump() +
                                      ", not two tokens without spaces");
    v.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
  }
  return true;
}

bool TokenizerReader::readByteLevel(const json &pre, xfrt::Vocabulary &v) {
  v.kind = xfrt::TokenizerKind::BytePairEncoding;
  const json *byteLevel = &pre;
  if (typeOf(&pre) == "Sequence") {
    // A Split by the model's regex, then bytes mapped without GPT-2's.
    const json *steps = member(pre, "pretokenizers");
    if (!steps || !steps->is_array() || steps->size() != 2 ||
        typeOf(&(*steps)[0]) != "Split" || typeOf(&(*steps)[1]) != "ByteLevel")
      return fail("pre_tokenizer", "is a sequence XFC does not know (it "
                                   "knows a Split then ByteLevel)");
    const json &split = (*steps)[0];
    const json *pattern = member(split, "pattern");
    const json *regex = pattern ? member(*pattern, "Regex") : nullptr;
    if (!regex || !regex->is_string() ||
        text(split, "behavior") != "Isolated" || flag(split, "invert", false))
      return fail("pre_tokenizer", "splits other than by an isolating regex");
    const KnownSplit *known = nullptr;
    for (const KnownSplit &k : kSplits)
      if (regex->get<std::string>() == k.regex)
        known = &k;
    if (!known)
      return fail("pre_tokenizer", "splits by the regex " + regex->dump() +
                                       ", which is neither Llama 3's nor "
                                       "Qwen2's");
    v.preTokenizer = known->kind;
    byteLevel = &(*steps)[1];
    if (flag(*byteLevel, "use_regex", true))
      return fail("pre_tokenizer", "applies GPT-2's regex after its own");
  } else {
    v.preTokenizer = PreTokenizerKind::GPT2;
    if (!flag(*byteLevel, "use_regex", true))
      return fail("pre_tokenizer", "is ByteLevel without a regex");
  }
  if (flag(*byteLevel, "add_prefix_space", false))
    return fail("pre_tokenizer", "adds a prefix space, which XFC does not");
  // NFC changes only text that is not already composed; the tokenizers
  // of GGUF's byte-level models skip it alike.
  const json *normalizer = member(root, "normalizer");
  if (normalizer && typeOf(normalizer) != "NFC")
    return fail("normalizer",
                "of type '" + typeOf(normalizer) +
                    "' changes the text; byte-level BPE takes it as is");
  v.ignoreMerges = flag(root["model"], "ignore_merges", false);
  return readMerges(v);
}

bool TokenizerReader::readSentencePiece(xfrt::Vocabulary &v) {
  v.kind = xfrt::TokenizerKind::SentencePiece;
  // Spaces become U+2581, and a text starts with one: either by the
  // normalizer (Prepend, Replace) or by a Metaspace pre-tokenizer.
  bool replaces = false, prepends = false;
  const json *normalizer = member(root, "normalizer");
  if (normalizer) {
    std::vector<const json *> steps;
    if (typeOf(normalizer) == "Sequence" &&
        member(*normalizer, "normalizers") &&
        (*normalizer)["normalizers"].is_array())
      for (const json &step : (*normalizer)["normalizers"])
        steps.push_back(&step);
    else
      steps.push_back(normalizer);
    for (const json *step : steps) {
      std::string type = typeOf(step);
      const json *pattern = member(*step, "pattern");
      if (type == "Prepend" && text(*step, "prepend") == kMetaspace)
        prepends = true;
      else if (type == "Replace" && pattern &&
               text(*pattern, "String") == " " &&
               text(*step, "content") == kMetaspace)
        replaces = true;
      else
        return fail("normalizer", "has a step of type '" + type +
                                      "', which XFC does not apply");
    }
  }
  if (const json *pre = member(root, "pre_tokenizer")) {
    // The tokenizers library splits at each U+2581 unless told not to.
    if (typeOf(pre) != "Metaspace" || text(*pre, "replacement") != kMetaspace ||
        flag(*pre, "split", true))
      return fail("pre_tokenizer", "of type '" + typeOf(pre) +
                                       "' is not SentencePiece's Metaspace "
                                       "with \"split\": false");
    replaces = true;
    std::string scheme = text(*pre, "prepend_scheme");
    // "first" prefixes only the text's start, not the text after a special
    // token as SentencePiece (and "always") does.
    if (scheme == "first")
      return fail("pre_tokenizer", "prefixes a space with the scheme "
                                   "\"first\", which XFC does not "
                                   "reproduce yet (\"always\" it does)");
    prepends = scheme.empty() ? flag(*pre, "add_prefix_space", true)
                              : scheme != "never";
  }
  if (!replaces)
    return fail("normalizer", "does not turn spaces into U+2581 as "
                              "SentencePiece does");
  v.addSpacePrefix = prepends;
  if (!readMerges(v))
    return false;
  // Each token scores minus the rank of the first merge that makes it, so
  // merging best score first follows the merge order.
  v.scores.assign(v.tokens.size(), 0.0f);
  std::vector<bool> made(v.tokens.size(), false);
  for (size_t rank = 0; rank < v.merges.size(); ++rank) {
    const std::string &m = v.merges[rank];
    size_t space = m.find(' ');
    auto it = ids.find(m.substr(0, space) + m.substr(space + 1));
    if (space == std::string::npos || it == ids.end())
      return fail("model.merges", "merges '" + m + "' into no token");
    if (!made[it->second])
      v.scores[it->second] = -static_cast<float>(rank);
    made[it->second] = true;
  }
  // SentencePiece merges any two adjacent pieces that make a token. That
  // is the merge list only when it has every such pair, as the converters
  // write it; a BPE trained with merges of its own is refused.
  std::unordered_set<std::string> listed(v.merges.begin(), v.merges.end());
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    const std::string &t = v.tokens[id];
    if (v.types[id] != TokenType::Normal)
      continue;
    for (size_t k = 1; k < t.size(); ++k) {
      if ((t[k] & 0xC0) == 0x80)
        continue; // inside a UTF-8 character
      std::string left = t.substr(0, k), right = t.substr(k);
      if (ids.count(left) && ids.count(right) &&
          !listed.count(left + " " + right))
        return fail("model.merges", "lacks '" + left + " " + right +
                                        "', which SentencePiece "
                                        "would merge into '" +
                                        t +
                                        "'; XFC reads only the "
                                        "SentencePiece-converted merge lists");
    }
  }
  v.merges.clear();
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    const std::string &t = v.tokens[id];
    if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>')
      v.types[id] = TokenType::Byte;
  }
  const json *unk = member(root["model"], "unk_token");
  if (unk && unk->is_string()) {
    auto it = ids.find(unk->get<std::string>());
    if (it == ids.end())
      return fail("model.unk_token", "is not a token");
    v.unk = it->second;
    v.types[v.unk] = TokenType::Unknown;
  }
  return true;
}

/// BOS: config.json's id and tokenizer_config.json's add_bos_token where
/// given, else the post-processor's template (Llama's "<s> $A").
void TokenizerReader::readBos(xfrt::Vocabulary &v) {
  const json *post = member(root, "post_processor");
  const json *first = nullptr;
  std::vector<const json *> processors;
  if (typeOf(post) == "Sequence" && member(*post, "processors") &&
      (*post)["processors"].is_array())
    for (const json &p : (*post)["processors"])
      processors.push_back(&p);
  else if (post)
    processors.push_back(post);
  for (const json *p : processors) {
    const json *single = member(*p, "single");
    if (typeOf(p) == "TemplateProcessing" && single && single->is_array() &&
        !single->empty())
      first = member((*single)[0], "SpecialToken");
  }
  int32_t templateBos = -1;
  if (first && member(*first, "id") && (*first)["id"].is_string()) {
    auto it = ids.find((*first)["id"].get<std::string>());
    templateBos = it == ids.end() ? -1 : it->second;
  }
  v.bos = settings.bos >= 0 ? settings.bos : templateBos;
  v.eos = settings.eos;
  v.addBos = settings.addBos.value_or(templateBos >= 0);
  v.chatTemplate = settings.chatTemplate;
}

std::optional<xfrt::Vocabulary> TokenizerReader::read() {
  xfrt::Vocabulary v;
  const json *model = member(root, "model");
  std::string type = typeOf(model);
  if (!model ||
      (type != "BPE" && !(type.empty() && member(*model, "merges")))) {
    fail("model.type", "is '" + type + "'; XFC reads BPE tokenizers");
    return std::nullopt;
  }
  if (!readTokens(v))
    return std::nullopt;
  const json *pre = member(root, "pre_tokenizer");
  bool byteLevel =
      typeOf(pre) == "ByteLevel" ||
      (typeOf(pre) == "Sequence" && pre->contains("pretokenizers") &&
       (*pre)["pretokenizers"].is_array() &&
       std::any_of((*pre)["pretokenizers"].begin(),
                   (*pre)["pretokenizers"].end(),
                   [](const json &p) { return typeOf(&p) == "ByteLevel"; }));
  if (!(byteLevel ? readByteLevel(*pre, v) : readSentencePiece(v)))
    return std::nullopt;
  readBos(v);
  for (int32_t id : {v.bos, v.eos})
    if (id >= static_cast<int64_t>(v.tokens.size())) {
      error = name + ": BOS/EOS id " + std::to_string(id) + " is not a token";
      return std::nullopt;
    }
  return v;
}

} // namespace

std::optional<xfrt::Vocabulary>
hf::parseTokenizerJson(std::string_view text, const std::string &name,
                       const TokenizerSettings &settings, std::string &error) {
  error.clear(); // the reader keeps the first problem it meets
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    error = name + ": not a JSON object";
    return std::nullopt;
  }
  return TokenizerReader(root, name, settings, error).read();
}
