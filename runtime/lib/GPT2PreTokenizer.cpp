//===- GPT2PreTokenizer.cpp - The GPT-2 word-splitting regex --------------===//
//
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
//===----------------------------------------------------------------------===//

#include "PreTokenizer.h"
#include "PreTokenizerText.h"

using namespace xfrt::detail;

namespace {

/// The end of the match at `i`: the regex alternatives in order. Every
/// character is matched by some alternative, so the end is past `i`.
size_t matchGPT2At(const DecodedText &t, size_t i) {
  // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
  if (t.cp(i) == '\'') {
    uint32_t a = t.cp(i + 1), b = t.cp(i + 2);
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
      return i + 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
        (a == 'l' && b == 'l'))
      return i + 3;
  }
  // ` ?` then one class run: \p{L}+, \p{N}+, [^\s\p{L}\p{N}]+
  size_t start = t.cp(i) == ' ' ? i + 1 : i;
  for (CharClass cls : {CharClass::Letter, CharClass::Number, CharClass::Other})
    if (t.is(start, cls))
      return t.skip(start, cls);
  // \s+(?!\S) leaves the last space of a run before a non-space to the
  // next word (" x"); \s+ takes a lone one.
  size_t end = t.skip(i, CharClass::Whitespace);
  if (end < t.size() && end - i > 1)
    return end - 1;
  return end;
}

} // namespace

void xfrt::detail::splitGPT2Words(std::string_view text,
                                  std::vector<std::string_view> &words) {
  DecodedText t(text);
  t.split([&](size_t i) { return matchGPT2At(t, i); }, words);
}
