//===- SentencePieceModel.cpp - Score-ordered piece merging (SPM) ---------===//
//
// As llama.cpp's SPM tokenizer: spaces become U+2581, the text splits into
// UTF-8 characters, and the adjacent pair whose concatenation is the piece
// of highest score merges first (leftmost on ties) until no pair is a piece.
// A character that is no piece falls back to its <0xNN> byte tokens.
//
//===----------------------------------------------------------------------===//

#include "SymbolMerger.h"
#include "TokenizerModel.h"
#include "Unicode.h"

using namespace xfrt;
using namespace xfrt::detail;

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81"; // U+2581

class SentencePieceModel final : public TokenizerModel {
public:
  explicit SentencePieceModel(const CheckedVocabulary &v)
      : vocab(v.vocab), pieces(indexTextPieces(v)),
        wordsMergeAlone(noPieceSpansWordStart(pieces)) {
    for (int32_t &id : byteIds)
      id = -1;
    for (size_t id = 0; id < vocab.tokens.size(); ++id)
      if (v.types[id] == TokenType::Byte)
        byteIds[parseByteToken(vocab.tokens[id])] = static_cast<int32_t>(id);
  }

  /// Every byte needs a <0xNN> token or, failing that, unk.
  bool check(std::string &error) const {
    if (vocab.unk >= 0)
      return true;
    for (int byte = 0; byte < 256; ++byte)
      if (byteIds[byte] < 0) {
        error = "SentencePiece vocabulary has no <0x" + hex(byte) +
                "> token and no unk id, so it cannot encode every text";
        return false;
      }
    return true;
  }

  void encodeText(std::string_view text, bool afterSpecial,
                  std::vector<int32_t> &ids) const override {
    std::string escaped;
    escaped.reserve(text.size() + kSpaceMark.size());
    if (vocab.addSpacePrefix && afterSpecial)
      escaped += kSpaceMark;
    for (char c : text) {
      if (c == ' ')
        escaped += kSpaceMark;
      else
        escaped += c;
    }

    // Merge word by word when no piece can span a word start (see
    // noPieceSpansWordStart): same result, far smaller heaps.
    SymbolMerger<float> merger;
    std::vector<size_t> charLengths;
    std::string_view all = escaped;
    size_t wordStart = 0;
    bool previousIsMark = false;
    for (size_t pos = 0; pos < all.size();) {
      bool isMark = all.substr(pos, kSpaceMark.size()) == kSpaceMark;
      if (wordsMergeAlone && isMark && !previousIsMark && pos > wordStart) {
        encodeWord(all.substr(wordStart, pos - wordStart), charLengths, merger,
                   ids);
        charLengths.clear();
        wordStart = pos;
      }
      charLengths.push_back(decodeUtf8(all, pos).length);
      previousIsMark = isMark;
      pos += charLengths.back();
    }
    if (!charLengths.empty())
      encodeWord(all.substr(wordStart), charLengths, merger, ids);
  }

  void decodeNormal(int32_t id, bool first, std::string &text) const override {
    std::string_view piece = vocab.tokens[id];
    // The space prefix encode() added is not part of the text.
    if (first && vocab.addSpacePrefix &&
        piece.substr(0, kSpaceMark.size()) == kSpaceMark)
      piece.remove_prefix(kSpaceMark.size());
    for (size_t pos = 0; pos < piece.size();) {
      if (piece.substr(pos, kSpaceMark.size()) == kSpaceMark) {
        text += ' ';
        pos += kSpaceMark.size();
      } else {
        text += piece[pos++];
      }
    }
  }

private:
  /// Merges the characters of `word` (lengths in `charLengths`).
  void encodeWord(std::string_view word, const std::vector<size_t> &charLengths,
                  SymbolMerger<float> &merger,
                  std::vector<int32_t> &ids) const {
    // A pair merges when it spells a piece; the best score goes first.
    const std::vector<Symbol> &symbols = merger.merge(
        word, charLengths,
        [&](std::string_view left,
            std::string_view right) -> std::optional<float> {
          auto it = pieces.find({left.data(), left.size() + right.size()});
          if (it == pieces.end())
            return std::nullopt;
          return -score(it->second);
        });
    for (size_t i = 0; i != Symbol::none; i = symbols[i].next) {
      std::string_view piece = word.substr(symbols[i].start, symbols[i].length);
      auto it = pieces.find(piece);
      if (it != pieces.end())
        ids.push_back(it->second);
      else
        appendFallback(piece, ids);
    }
  }

  /// True when no piece has a U+2581 right after another character: then
  /// no piece spans the start of a word (a U+2581 after anything else), so
  /// each word merges alone exactly as it would within the whole text.
  static bool noPieceSpansWordStart(
      const std::unordered_map<std::string_view, int32_t> &pieces) {
    for (const auto &entry : pieces) {
      std::string_view piece = entry.first;
      while (piece.substr(0, kSpaceMark.size()) == kSpaceMark)
        piece.remove_prefix(kSpaceMark.size());
      if (piece.find(kSpaceMark) != std::string_view::npos)
        return false;
    }
    return true;
  }

  static std::string hex(int byte) {
    const char *digits = "0123456789ABCDEF";
    return {digits[byte >> 4], digits[byte & 15]};
  }

  float score(int32_t id) const {
    return vocab.scores.empty() ? 0.0f : vocab.scores[id];
  }

  /// A character that is no piece: its byte tokens, or one unk if any of
  /// its bytes has none (check() made sure unk exists then).
  void appendFallback(std::string_view character,
                      std::vector<int32_t> &ids) const {
    for (char c : character)
      if (byteIds[static_cast<uint8_t>(c)] < 0) {
        ids.push_back(vocab.unk);
        return;
      }
    for (char c : character)
      ids.push_back(byteIds[static_cast<uint8_t>(c)]);
  }

  const Vocabulary &vocab;
  std::unordered_map<std::string_view, int32_t> pieces;
  bool wordsMergeAlone;
  int32_t byteIds[256];
};

} // namespace

std::unique_ptr<TokenizerModel>
xfrt::detail::createSentencePieceModel(const CheckedVocabulary &vocab,
                                       std::string &error) {
  auto model = std::make_unique<SentencePieceModel>(vocab);
  if (!model->check(error))
    return nullptr;
  return model;
}
