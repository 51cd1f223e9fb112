//===- Tokenizer.cpp - Validation, special tokens, encode/decode driver ---===//

#include "xfrt/Tokenizer.h"

#include "SpecialTokenMatcher.h"
#include "TokenizerModel.h"

#include <cmath>
#include <limits>

using namespace xfrt;
using namespace xfrt::detail;

struct Tokenizer::Impl {
  // Heap-allocated and never moved: the model and matcher point into these.
  Vocabulary vocab;
  std::vector<TokenType> types;
  std::unique_ptr<TokenizerModel> model;
  std::unique_ptr<SpecialTokenMatcher> specials;
};

namespace {

bool inRange(int32_t id, size_t size) {
  return id >= 0 && static_cast<size_t>(id) < size;
}

/// One type per token: the given ones, or the defaults when none are given.
std::vector<TokenType> effectiveTypes(const Vocabulary &v) {
  if (!v.types.empty())
    return v.types;
  std::vector<TokenType> types(v.tokens.size(), TokenType::Normal);
  if (v.kind == TokenizerKind::SentencePiece)
    for (size_t id = 0; id < v.tokens.size(); ++id)
      if (parseByteToken(v.tokens[id]) >= 0)
        types[id] = TokenType::Byte;
  for (int32_t id : {v.bos, v.eos, v.pad})
    if (inRange(id, types.size()))
      types[id] = TokenType::Control;
  if (inRange(v.unk, types.size()))
    types[v.unk] = TokenType::Unknown;
  return types;
}

bool fail(std::string &error, std::string message) {
  error = std::move(message);
  return false;
}

/// The checks that do not depend on the algorithm.
bool validate(const Vocabulary &v, std::string &error) {
  const size_t n = v.tokens.size();
  if (n == 0)
    return fail(error, "vocabulary has no tokens");
  if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return fail(error, "vocabulary has more tokens than int32 ids");
  if (!v.scores.empty() && v.scores.size() != n)
    return fail(error, "vocabulary has " + std::to_string(v.scores.size()) +
                           " scores for " + std::to_string(n) + " tokens");
  for (size_t id = 0; id < v.scores.size(); ++id)
    if (std::isnan(v.scores[id]))
      return fail(error, "score of token " + std::to_string(id) + " is NaN");
  if (!v.types.empty() && v.types.size() != n)
    return fail(error, "vocabulary has " + std::to_string(v.types.size()) +
                           " token types for " + std::to_string(n) + " tokens");
  for (size_t id = 0; id < v.types.size(); ++id) {
    auto type = static_cast<int32_t>(v.types[id]);
    if (type < 0 || type > static_cast<int32_t>(TokenType::Byte))
      return fail(error, "token " + std::to_string(id) + " has invalid type " +
                             std::to_string(type));
    if (v.types[id] == TokenType::Byte && parseByteToken(v.tokens[id]) < 0)
      return fail(error, "byte token " + std::to_string(id) + " '" +
                             v.tokens[id] + "' is not of the form <0xNN>");
  }
  const std::pair<const char *, int32_t> specials[] = {
      {"bos", v.bos}, {"eos", v.eos}, {"unk", v.unk}, {"pad", v.pad}};
  for (const auto &[name, id] : specials)
    if (id != -1 && !inRange(id, n))
      return fail(error, std::string(name) + " id " + std::to_string(id) +
                             " is out of range for " + std::to_string(n) +
                             " tokens");
  if (v.addBos && v.bos == -1)
    return fail(error, "addBos is set but the vocabulary has no bos id");
  return true;
}

} // namespace

int xfrt::detail::parseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>')
    return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    int digit = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
    if (digit < 0)
      return -1;
    value = value * 16 + digit;
  }
  return value;
}

std::unordered_map<std::string_view, int32_t>
xfrt::detail::indexTextPieces(const CheckedVocabulary &v) {
  std::unordered_map<std::string_view, int32_t> pieces;
  pieces.reserve(v.vocab.tokens.size());
  for (size_t id = 0; id < v.vocab.tokens.size(); ++id) {
    TokenType type = v.types[id];
    if (v.vocab.tokens[id].empty() ||
        !(type == TokenType::Normal || type == TokenType::Undefined ||
          type == TokenType::UserDefined))
      continue;
    pieces[v.vocab.tokens[id]] = static_cast<int32_t>(id);
  }
  return pieces;
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::create(Vocabulary vocab,
                                             std::string &error) {
  if (!validate(vocab, error))
    return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->vocab = std::move(vocab);
  impl->types = effectiveTypes(impl->vocab);
  CheckedVocabulary checked{impl->vocab, impl->types};
  impl->model = impl->vocab.kind == TokenizerKind::SentencePiece
                    ? createSentencePieceModel(checked, error)
                    : createBytePairModel(checked, error);
  if (!impl->model)
    return nullptr;
  impl->specials = std::make_unique<SpecialTokenMatcher>(checked);
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

const Vocabulary &Tokenizer::vocabulary() const { return impl->vocab; }

TokenType Tokenizer::tokenType(int32_t id) const { return impl->types[id]; }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addBos,
                                       bool parseSpecial) const {
  std::vector<int32_t> ids;
  if (addBos && impl->vocab.addBos)
    ids.push_back(impl->vocab.bos);
  // Plain text between special tokens goes to the model piece by piece.
  bool afterSpecial = true;
  size_t plainStart = 0;
  auto flushPlain = [&](size_t end) {
    if (end > plainStart)
      impl->model->encodeText(text.substr(plainStart, end - plainStart),
                              afterSpecial, ids);
    afterSpecial = false;
  };
  for (size_t pos = 0; pos < text.size();) {
    SpecialTokenMatcher::Match match =
        impl->specials->matchAt(text, pos, parseSpecial);
    if (match.id < 0) {
      ++pos;
      continue;
    }
    flushPlain(pos);
    ids.push_back(match.id);
    afterSpecial = true;
    pos += match.length;
    plainStart = pos;
  }
  flushPlain(text.size());
  return ids;
}

bool Tokenizer::decode(const std::vector<int32_t> &ids, std::string &text,
                       std::string &error, bool continuation) const {
  text.clear();
  bool first = !continuation;
  for (size_t i = 0; i < ids.size(); ++i) {
    int32_t id = ids[i];
    if (!inRange(id, impl->types.size())) {
      error = "token id " + std::to_string(id) + " at position " +
              std::to_string(i) + " is out of range for " +
              std::to_string(impl->types.size()) + " tokens";
      return false;
    }
    switch (impl->types[id]) {
    case TokenType::Control:
    case TokenType::Unused:
      continue; // renders nothing, so the next id is still `first`
    case TokenType::Unknown:
    case TokenType::UserDefined:
      text += impl->vocab.tokens[id];
      break;
    case TokenType::Byte:
      text += static_cast<char>(parseByteToken(impl->vocab.tokens[id]));
      break;
    case TokenType::Normal:
    case TokenType::Undefined:
      impl->model->decodeNormal(id, first, text);
      break;
    }
    first = false;
  }
  return true;
}
