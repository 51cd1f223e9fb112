//===- Tokenizer.h - Text <-> token ids for GGUF vocabularies ---*- C++ -*-===//
//
// The two tokenizers GGUF models use, driven by the tokenizer.ggml.* metadata
// (the frontends' gguf::loadVocabulary fills a Vocabulary):
//
//  - SentencePiece (tokenizer.ggml.model = "llama"): spaces become U+2581,
//    adjacent pieces merge best score first, unknown characters fall back to
//    <0xNN> byte tokens (or unk).
//  - Byte-level BPE (tokenizer.ggml.model = "gpt2"): a pre-tokenizer (GPT-2's,
//    Llama 3's or Qwen2's, from tokenizer.ggml.pre) splits the text into
//    words, bytes map to printable code points, and adjacent pieces merge by
//    merge rank.
//
// Both reproduce llama.cpp's tokenization of the same vocabulary (its SPM
// and GPT-2 test vectors pass exactly; the Llama 3 and Qwen2 splitters match
// their regexes on test/unit/Inputs), except on purpose where llama.cpp is
// loose: plain text never merges into a Control, Unknown, Unused or Byte
// token (llama.cpp turns a typed "<s>" into BOS by merging), special tokens
// match leftmost-longest in one pass, invalid UTF-8 is kept as bytes, not
// refused, and the Llama 3 / Qwen2 contractions are case-insensitive exactly
// as their regex is: U+017F (long s) counts as 's', as in the models' own
// tokenizers.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_TOKENIZER_H
#define XFRT_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xfrt {

enum class TokenizerKind { SentencePiece, BytePairEncoding };

/// How byte-level BPE splits text into words before merging within each:
/// the words are a regex's successive matches, which tile the text.
enum class PreTokenizerKind : uint8_t {
  /// GPT-2 (GGUF tokenizer.ggml.pre "gpt-2"):
  ///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+
  ///   | ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  GPT2,
  /// Llama 3 ("llama-bpe"):
  ///   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
  ///   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Llama3,
  /// Qwen2 ("qwen2"): as Llama3 with single digits, \p{N} for \p{N}{1,3}.
  Qwen2,
};

/// GGUF tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  Undefined = 0, // treated as Normal
  Normal = 1,
  Unknown = 2,
  Control = 3,     // <s>, </s>, <|endoftext|>: only from parseSpecial
  UserDefined = 4, // always matched whole, before tokenization
  Unused = 5,      // never produced by encode
  Byte = 6,        // <0xNN>: SentencePiece byte fallback
};

struct Vocabulary {
  TokenizerKind kind = TokenizerKind::SentencePiece;
  std::vector<std::string> tokens;
  /// SentencePiece merge scores; empty means all 0.
  std::vector<float> scores;
  /// Empty means: bos/eos/pad are Control, unk is Unknown, "<0xNN>" tokens
  /// are Byte (SentencePiece only), all others Normal.
  std::vector<TokenType> types;
  /// BPE merges "left right"; the index is the rank (lower merges first).
  std::vector<std::string> merges;
  int32_t bos = -1, eos = -1, unk = -1, pad = -1;
  /// Whether encode() adds BOS when the caller asks for special tokens.
  bool addBos = false;
  /// SentencePiece only: prefix the text (and any text that follows a
  /// special token) with a space, and drop it again in decode().
  bool addSpacePrefix = true;
  /// BPE only: how the text is split into words.
  PreTokenizerKind preTokenizer = PreTokenizerKind::GPT2;
  /// BPE only: a word that is itself a token becomes that token without
  /// merging (Llama 3's tokenizer and llama.cpp's ignore_merges).
  bool ignoreMerges = false;
  /// The model's chat template (GGUF tokenizer.chat_template, HF
  /// tokenizer_config.json chat_template), Jinja text; empty if none.
  /// ChatTemplate.h recognizes the common ones.
  std::string chatTemplate;
};

class Tokenizer {
public:
  /// Validates `vocab` (sizes consistent, ids in range, merges well formed,
  /// a known pre-tokenizer, every byte encodable) and builds the tokenizer
  /// for its kind. On failure returns null and sets `error`.
  static std::unique_ptr<Tokenizer> create(Vocabulary vocab,
                                           std::string &error);
  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  /// Token ids of `text` (UTF-8; invalid bytes are kept as bytes). Starts
  /// with BOS when both `addBos` and vocabulary().addBos are set. With
  /// `parseSpecial`, the text of a Control or Unknown token (e.g. "</s>")
  /// becomes that token; without, it is plain text. UserDefined tokens are
  /// always matched whole. Control tokens never come out of plain text.
  std::vector<int32_t> encode(std::string_view text, bool addBos,
                              bool parseSpecial) const;

  /// The text of a complete sequence of ids (it strips the SentencePiece
  /// space prefix from the first piece, unless `continuation`: the ids
  /// follow earlier text, as generated tokens follow their prompt, and then
  /// the text is that of each id in turn). Control and Unused tokens render
  /// as nothing; other special tokens as their text. On an out-of-range id
  /// returns false and sets `error` naming the position and the id.
  bool decode(const std::vector<int32_t> &ids, std::string &text,
              std::string &error, bool continuation = false) const;

  const Vocabulary &vocabulary() const;
  /// The type of a valid `id`, after the defaults described at `types`.
  TokenType tokenType(int32_t id) const;

private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// The words `kind` splits `text` into (views into `text`, in order, tiling
/// it), as byte-level BPE does before merging; for tests and tools. Invalid
/// UTF-8 bytes are characters of no class. Empty for a `kind` that is not
/// an enumerator.
std::vector<std::string_view> preTokenize(PreTokenizerKind kind,
                                          std::string_view text);

/// A Vocabulary as bytes, for embedding in a compiled model, and back. The
/// format is versioned; deserialize() refuses other versions and truncated
/// or inconsistent data with a message.
std::string serializeVocabulary(const Vocabulary &vocab);
bool deserializeVocabulary(const uint8_t *data, size_t size, Vocabulary &vocab,
                           std::string &error);

/// GPT-2's byte-level alphabet: the UTF-8 text of the code point that stands
/// for `byte` in byte-level BPE vocabularies ("Ġ" for a space).
const std::string &byteLevelSymbol(uint8_t byte);

} // namespace xfrt

#endif // XFRT_TOKENIZER_H
