//===- Unicode.h - UTF-8 and the character classes tokenizers need -*- C++ -*-//

#ifndef XFRT_LIB_UNICODE_H
#define XFRT_LIB_UNICODE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace xfrt::detail {

/// The classes the BPE pre-tokenizer regexes distinguish.
enum class CharClass : uint8_t { Other, Letter, Number, Whitespace };

/// One character of a UTF-8 string. An invalid byte (bad lead byte,
/// truncated, overlong or surrogate sequence) is a character of its own
/// with `valid` false, so tokenizers keep it as a byte instead of failing.
struct Utf8Char {
  uint32_t codePoint;
  uint32_t length; // bytes, 1..4
  bool valid;
};

/// Decodes the character starting at `pos` (< text.size()).
Utf8Char decodeUtf8(std::string_view text, size_t pos);

/// Appends the UTF-8 encoding of `codePoint` (<= 0x10FFFF).
void appendUtf8(std::string &out, uint32_t codePoint);

/// \p{L}, \p{N} or \s (White_Space) per the generated tables; else Other.
CharClass classify(uint32_t codePoint);

} // namespace xfrt::detail

#endif // XFRT_LIB_UNICODE_H
