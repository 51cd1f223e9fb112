//===- Vocabulary.h - Tokenizer vocabulary from GGUF metadata ---*- C++ -*-===//
//
// Reads the tokenizer.ggml.* keys into an xfrt::Vocabulary, which
// xfrt::Tokenizer::create turns into a tokenizer:
//
//   tokenizer.ggml.model        "llama" (SentencePiece) or "gpt2" (BPE)
//   tokenizer.ggml.pre          BPE pre-tokenizer: "gpt-2" (or absent),
//                               "llama-bpe" (Llama 3; sets ignoreMerges),
//                               "qwen2"; others are refused
//   tokenizer.ggml.tokens       string array (required)
//   tokenizer.ggml.scores       f32 array, one per token (optional)
//   tokenizer.ggml.token_type   integer array, one per token (optional)
//   tokenizer.ggml.merges       string array (required for gpt2)
//   tokenizer.ggml.{bos,eos,unknown,padding}_token_id   (optional)
//   tokenizer.ggml.add_bos_token     bool (default: true for llama and
//                                    llama-bpe, else false)
//   tokenizer.ggml.add_space_prefix  bool (default: true for llama)
//   tokenizer.chat_template     string (optional; the Jinja chat template)
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_GGUF_VOCABULARY_H
#define XFC_FRONTENDS_GGUF_VOCABULARY_H

#include "xfc/Frontends/GGUF/GGUFFile.h"
#include "xfrt/Tokenizer.h"

#include <optional>
#include <string>

namespace xfc::gguf {

/// For error messages: "llama, gpt2".
const char *supportedTokenizerModels();
/// For error messages: "gpt-2, llama-bpe, qwen2".
const std::string &supportedPreTokenizers();

/// Reads and checks the vocabulary of `file`. Errors name the file and the
/// metadata key (or list the supported tokenizer models).
std::optional<xfrt::Vocabulary> loadVocabulary(const File &file,
                                               std::string &error);

} // namespace xfc::gguf

#endif // XFC_FRONTENDS_GGUF_VOCABULARY_H
