//===- PreTokenizerText.h - Decoded text for the word splitters -*- C++ -*-===//
//
// The pre-tokenizer regexes match characters, not bytes: DecodedText decodes
// the text once and answers what the regexes ask at a character index. Past
// the end every test is false, as a regex sees no character there.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_PRETOKENIZERTEXT_H
#define XFRT_LIB_PRETOKENIZERTEXT_H

#include "Unicode.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace xfrt::detail {

class DecodedText {
public:
  explicit DecodedText(std::string_view text) : text(text) {
    chars.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      Utf8Char c = decodeUtf8(text, pos);
      // An invalid byte keeps its value (>= 0x80), so it equals no ASCII
      // character a regex names.
      chars.push_back({pos, c.codePoint,
                       c.valid ? classify(c.codePoint) : CharClass::Other});
      pos += c.length;
    }
  }

  size_t size() const { return chars.size(); }
  /// The code point at `i`, or 0 past the end.
  uint32_t cp(size_t i) const {
    return i < chars.size() ? chars[i].codePoint : 0;
  }
  bool is(size_t i, CharClass cls) const {
    return i < chars.size() && chars[i].cls == cls;
  }
  /// [\r\n]
  bool isNewline(size_t i) const { return cp(i) == '\r' || cp(i) == '\n'; }
  /// The first index from `i` on whose character is not of `cls`.
  size_t skip(size_t i, CharClass cls) const {
    while (is(i, cls))
      ++i;
    return i;
  }

  /// Appends the words `matchAt` finds one after another from the start.
  /// `matchAt(i)`, for i < size(), is the end (exclusive, > i) of the match
  /// that starts at character i.
  template <typename MatchAt>
  void split(MatchAt matchAt, std::vector<std::string_view> &words) const {
    for (size_t i = 0; i < chars.size();) {
      size_t end = matchAt(i);
      size_t endOffset = end < chars.size() ? chars[end].offset : text.size();
      words.push_back(
          text.substr(chars[i].offset, endOffset - chars[i].offset));
      i = end;
    }
  }

private:
  struct Char {
    size_t offset; // byte offset in the text
    uint32_t codePoint;
    CharClass cls;
  };
  std::string_view text;
  std::vector<Char> chars;
};

} // namespace xfrt::detail

#endif // XFRT_LIB_PRETOKENIZERTEXT_H
