//===- HFTokenizer.h - tokenizer.json to an xfrt::Vocabulary ----*- C++ -*-===//
//
// Reads the Hugging Face tokenizers library's tokenizer.json. Two BPE
// shapes are understood, the two the supported architectures ship:
//
//  - Byte-level BPE (GPT-2, Llama 3, Qwen2): a ByteLevel pre-tokenizer,
//    alone (GPT-2's regex) or after a Split whose regex is Llama 3's or
//    Qwen2's. Merges apply by rank, as in GGUF's "gpt2" model.
//  - SentencePiece-converted BPE (Llama 2, Mistral, TinyLlama): spaces
//    become U+2581 (a Prepend/Replace normalizer or a Metaspace
//    pre-tokenizer) and unknown characters fall back to <0xNN> bytes. Such
//    a tokenizer.json lists every pair whose concatenation is a token, in
//    the order SentencePiece's scores merge them, so each token's score is
//    minus the rank of the first merge that makes it. A list without every
//    pair (a BPE trained with Metaspace) is refused, and so is Metaspace's
//    "first" prepend scheme.
//
// Added tokens keep their ids: special ones are Control, others
// UserDefined. Ids the file leaves out, up to the embedding's rows, become
// Unused "[PAD<id>]" tokens, as llama.cpp's converter makes them. Anything
// else (WordPiece or Unigram models, another pre-tokenizer regex, a
// normalizer that changes the text) is refused by name.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_HF_HFTOKENIZER_H
#define XFC_FRONTENDS_HF_HFTOKENIZER_H

#include "xfrt/Tokenizer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xfc::hf {

/// What tokenizer.json leaves to the other files of a checkpoint.
struct TokenizerSettings {
  /// config.json's ids, or -1.
  int32_t bos = -1, eos = -1;
  /// tokenizer_config.json's add_bos_token; else tokenizer.json's
  /// post-processor decides (a template that starts with a special token).
  std::optional<bool> addBos;
  /// The embedding's rows: the vocabulary is padded to it, and no id may
  /// reach it. 0 when unknown.
  int64_t rows = 0;
  /// tokenizer_config.json's chat_template (a string), or empty.
  std::string chatTemplate;
};

/// Parses the text of a tokenizer.json; `name` names it in errors.
std::optional<xfrt::Vocabulary>
parseTokenizerJson(std::string_view text, const std::string &name,
                   const TokenizerSettings &settings, std::string &error);

} // namespace xfc::hf

#endif // XFC_FRONTENDS_HF_HFTOKENIZER_H
