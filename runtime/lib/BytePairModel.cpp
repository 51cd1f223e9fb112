//===- BytePairModel.cpp - Byte-level BPE (GPT-2, Llama 3, Qwen2) ---------===//
//
// As GPT-2 and llama.cpp's BPE tokenizer: the pre-tokenizer splits the text
// into words; each byte of a word becomes a printable code point (the GPT-2
// byte-to-unicode table, so every piece is valid UTF-8); then the adjacent
// pair of lowest merge rank merges first (leftmost on ties).
//
//===----------------------------------------------------------------------===//

#include "PreTokenizer.h"
#include "SymbolMerger.h"
#include "TokenizerModel.h"
#include "Unicode.h"

#include <functional>

using namespace xfrt;
using namespace xfrt::detail;

namespace {

/// GPT-2's byte-to-unicode table: printable Latin-1 bytes stand for
/// themselves, the other 68 bytes for U+0100.. in byte order.
struct ByteMapping {
  static constexpr uint32_t kMaxCodePoint = 0x100 + 68;
  int16_t codePointToByte[kMaxCodePoint]; // -1: no byte
  std::string byteToText[256];            // UTF-8 of each byte's code point

  ByteMapping() {
    for (int16_t &b : codePointToByte)
      b = -1;
    uint32_t next = 0x100;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      uint32_t cp = printable ? b : next++;
      codePointToByte[cp] = static_cast<int16_t>(b);
      appendUtf8(byteToText[b], cp);
    }
  }
};

const ByteMapping &byteMapping() {
  static const ByteMapping mapping;
  return mapping;
}

} // namespace

const std::string &xfrt::byteLevelSymbol(uint8_t byte) {
  return byteMapping().byteToText[byte];
}

namespace {

struct PairHash {
  size_t
  operator()(const std::pair<std::string_view, std::string_view> &p) const {
    size_t h = std::hash<std::string_view>()(p.first);
    return h ^ (std::hash<std::string_view>()(p.second) +
                0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2));
  }
};

class BytePairModel final : public TokenizerModel {
public:
  explicit BytePairModel(const CheckedVocabulary &v)
      : vocab(v.vocab), pieces(indexTextPieces(v)),
        splitWords(wordSplitter(v.vocab.preTokenizer)) {}

  /// Parses the merges ("left right") and checks the pre-tokenizer is known
  /// and every byte is encodable.
  bool init(std::string &error) {
    if (!splitWords) {
      error = "unknown BPE pre-tokenizer " +
              std::to_string(static_cast<int>(vocab.preTokenizer));
      return false;
    }
    ranks.reserve(vocab.merges.size());
    for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
      std::string_view merge = vocab.merges[rank];
      // From 1: a piece may itself start with a space.
      size_t space = merge.find(' ', 1);
      if (space == std::string_view::npos || space + 1 == merge.size()) {
        error = "BPE merge " + std::to_string(rank) + " '" +
                std::string(merge) + "' is not two pieces separated by a space";
        return false;
      }
      // The lowest rank wins for duplicates.
      ranks.emplace(
          std::make_pair(merge.substr(0, space), merge.substr(space + 1)),
          static_cast<int32_t>(rank));
    }
    for (int byte = 0; byte < 256; ++byte)
      if (!pieces.count(byteMapping().byteToText[byte]) && vocab.unk < 0) {
        error = "BPE vocabulary has no token for byte " + std::to_string(byte) +
                " ('" + byteMapping().byteToText[byte] +
                "') and no unk id, so it cannot encode every text";
        return false;
      }
    return true;
  }

  void encodeText(std::string_view text, bool /*afterSpecial*/,
                  std::vector<int32_t> &ids) const override {
    std::vector<std::string_view> words;
    splitWords(text, words);
    // Reused across words: most words are short.
    SymbolMerger<int32_t> merger;
    std::string mapped;
    std::vector<size_t> charLengths;
    for (std::string_view word : words) {
      mapped.clear();
      charLengths.clear();
      for (char c : word) {
        const std::string &m =
            byteMapping().byteToText[static_cast<uint8_t>(c)];
        mapped += m;
        charLengths.push_back(m.size());
      }
      // tiktoken, which Llama 3's vocabulary comes from, looks a whole word
      // up before merging; llama.cpp and Hugging Face do the same for it.
      if (vocab.ignoreMerges) {
        auto it = pieces.find(mapped);
        if (it != pieces.end()) {
          ids.push_back(it->second);
          continue;
        }
      }
      encodeWord(mapped, charLengths, merger, ids);
    }
  }

  void decodeNormal(int32_t id, bool /*first*/,
                    std::string &text) const override {
    const std::string &piece = vocab.tokens[id];
    for (size_t pos = 0; pos < piece.size();) {
      Utf8Char c = decodeUtf8(piece, pos);
      // A code point outside the byte mapping is kept as it is.
      int byte = c.valid && c.codePoint < ByteMapping::kMaxCodePoint
                     ? byteMapping().codePointToByte[c.codePoint]
                     : -1;
      if (byte >= 0)
        text += static_cast<char>(byte);
      else
        text.append(piece, pos, c.length);
      pos += c.length;
    }
  }

private:
  /// `word` is byte-mapped; `charLengths` has one entry per original byte.
  void encodeWord(std::string_view word, const std::vector<size_t> &charLengths,
                  SymbolMerger<int32_t> &merger,
                  std::vector<int32_t> &ids) const {
    const std::vector<Symbol> &symbols =
        merger.merge(word, charLengths,
                     [&](std::string_view left,
                         std::string_view right) -> std::optional<int32_t> {
                       auto it = ranks.find({left, right});
                       if (it == ranks.end())
                         return std::nullopt;
                       return it->second;
                     });
    for (size_t i = 0; i != Symbol::none; i = symbols[i].next) {
      const Symbol &s = symbols[i];
      auto it = pieces.find(word.substr(s.start, s.length));
      if (it != pieces.end()) {
        ids.push_back(it->second);
        continue;
      }
      // A merge produced no token: fall back to one token per byte.
      for (size_t pos = s.start; pos < s.start + s.length;) {
        size_t length = decodeUtf8(word, pos).length;
        auto byteIt = pieces.find(word.substr(pos, length));
        ids.push_back(byteIt != pieces.end() ? byteIt->second : vocab.unk);
        pos += length;
      }
    }
  }

  const Vocabulary &vocab;
  std::unordered_map<std::string_view, int32_t> pieces;
  WordSplitter splitWords;
  std::unordered_map<std::pair<std::string_view, std::string_view>, int32_t,
                     PairHash>
      ranks;
};

} // namespace

std::unique_ptr<TokenizerModel>
xfrt::detail::createBytePairModel(const CheckedVocabulary &vocab,
                                  std::string &error) {
  auto model = std::make_unique<BytePairModel>(vocab);
  if (!model->init(error))
    return nullptr;
  return model;
}
