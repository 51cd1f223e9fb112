//===- TokenizerModel.h - The algorithm-specific part of a tokenizer -*- C++
//-*-//
//
// Tokenizer handles what both algorithms share (validation, special tokens,
// BOS, id checks, rendering of special and byte tokens); a TokenizerModel
// turns plain text into ids and Normal ids back into text.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_TOKENIZERMODEL_H
#define XFRT_LIB_TOKENIZERMODEL_H

#include "xfrt/Tokenizer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace xfrt::detail {

class TokenizerModel {
public:
  virtual ~TokenizerModel() = default;
  /// Appends the ids of non-empty plain `text`. `afterSpecial` is true at
  /// the start of the input and right after a special token.
  virtual void encodeText(std::string_view text, bool afterSpecial,
                          std::vector<int32_t> &ids) const = 0;
  /// Appends the text of `id`, a Normal (or Undefined) token. `first` is
  /// true when no earlier id of the sequence rendered text.
  virtual void decodeNormal(int32_t id, bool first,
                            std::string &text) const = 0;
};

/// The vocabulary after Tokenizer::create validated it, with one effective
/// type per token. Both outlive the model.
struct CheckedVocabulary {
  const Vocabulary &vocab;
  const std::vector<TokenType> &types;
};

/// Return null and set `error` if the vocabulary cannot drive the model
/// (e.g. a byte that no token can encode).
std::unique_ptr<TokenizerModel>
createSentencePieceModel(const CheckedVocabulary &vocab, std::string &error);
std::unique_ptr<TokenizerModel>
createBytePairModel(const CheckedVocabulary &vocab, std::string &error);

/// Token ids by text, for the pieces plain text may become: Normal,
/// Undefined and UserDefined tokens. Of duplicate texts the last id wins,
/// as in llama.cpp.
std::unordered_map<std::string_view, int32_t>
indexTextPieces(const CheckedVocabulary &vocab);

/// The byte a "<0xNN>" token stands for (two upper-case hex digits), or -1.
int parseByteToken(std::string_view text);

} // namespace xfrt::detail

#endif // XFRT_LIB_TOKENIZERMODEL_H
