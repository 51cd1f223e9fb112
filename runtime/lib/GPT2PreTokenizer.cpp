//===- GPT2PreTokenizer.cpp - The GPT-2 word-splitting regex --------------===//

#include "GPT2PreTokenizer.h"

#include "Unicode.h"

#include <cstdint>

using namespace xfrt::detail;

namespace {

struct Char {
  size_t offset; // byte offset in the text
  uint32_t codePoint;
  CharClass cls;
};

/// The regex alternatives in order, over decoded characters. Every
/// character is matched by some alternative, so each call advances.
class Splitter {
public:
  Splitter(std::string_view text) : text(text) {
    chars.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      Utf8Char c = decodeUtf8(text, pos);
      chars.push_back({pos, c.codePoint,
                       c.valid ? classify(c.codePoint) : CharClass::Other});
      pos += c.length;
    }
  }

  void split(std::vector<std::string_view> &words) {
    for (size_t i = 0; i < chars.size();) {
      size_t end = matchAt(i);
      size_t endOffset = end < chars.size() ? chars[end].offset : text.size();
      words.push_back(
          text.substr(chars[i].offset, endOffset - chars[i].offset));
      i = end;
    }
  }

private:
  uint32_t cp(size_t i) const {
    return i < chars.size() ? chars[i].codePoint : 0;
  }
  bool is(size_t i, CharClass cls) const {
    return i < chars.size() && chars[i].cls == cls;
  }
  /// [^\s\p{L}\p{N}]
  bool isOther(size_t i) const { return is(i, CharClass::Other); }
  template <typename Pred> size_t skipWhile(size_t i, Pred pred) const {
    while (i < chars.size() && pred(i))
      ++i;
    return i;
  }

  /// The end (exclusive, in characters) of the match starting at `i`.
  size_t matchAt(size_t i) const {
    // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
    if (cp(i) == '\'') {
      uint32_t a = cp(i + 1), b = cp(i + 2);
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return i + 2;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
          (a == 'l' && b == 'l'))
        return i + 3;
    }
    // ` ?` then one class run: \p{L}+, \p{N}+, [^\s\p{L}\p{N}]+
    size_t start = cp(i) == ' ' ? i + 1 : i;
    for (CharClass cls :
         {CharClass::Letter, CharClass::Number, CharClass::Other})
      if (is(start, cls))
        return skipWhile(start, [&](size_t k) { return is(k, cls); });
    // \s+(?!\S) leaves the last space of a run before a non-space to the
    // next word (" x"); \s+ takes a lone one.
    size_t end =
        skipWhile(i, [&](size_t k) { return is(k, CharClass::Whitespace); });
    if (end < chars.size() && end - i > 1)
      return end - 1;
    return end;
  }

  std::string_view text;
  std::vector<Char> chars;
};

} // namespace

void xfrt::detail::splitGPT2Words(std::string_view text,
                                  std::vector<std::string_view> &words) {
  Splitter(text).split(words);
}
