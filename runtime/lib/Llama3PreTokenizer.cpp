//===- Llama3PreTokenizer.cpp - The Llama 3 and Qwen2 regexes -------------===//
//
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Qwen2's differs only in taking digits one at a time (\p{N}).
//
//===----------------------------------------------------------------------===//

#include "PreTokenizer.h"
#include "PreTokenizerText.h"

using namespace xfrt::detail;

namespace {

/// The ASCII lower case of a contraction letter under the regex's (?i):
/// simple case folding, which also maps U+017F (long s) to 's'.
uint32_t foldContractionLetter(uint32_t c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 'a';
  return c == 0x17F ? 's' : c;
}

/// The end of the match at `i`: the regex alternatives in order. Every
/// character is matched by some alternative, so the end is past `i`.
size_t matchAt(const DecodedText &t, size_t i, size_t maxDigits) {
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
  if (t.cp(i) == '\'') {
    uint32_t a = foldContractionLetter(t.cp(i + 1));
    uint32_t b = foldContractionLetter(t.cp(i + 2));
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
      return i + 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
        (a == 'l' && b == 'l'))
      return i + 3;
  }
  // [^\r\n\p{L}\p{N}]?\p{L}+: any one other character (a space, a tab,
  // punctuation) may lead a letter run.
  size_t letters = i;
  if (!t.is(i, CharClass::Letter) && !t.is(i, CharClass::Number) &&
      !t.isNewline(i))
    letters = i + 1;
  if (t.is(letters, CharClass::Letter))
    return t.skip(letters, CharClass::Letter);
  // \p{N}{1,3} (Qwen2: \p{N})
  if (t.is(i, CharClass::Number)) {
    size_t end = i + 1;
    while (end - i < maxDigits && t.is(end, CharClass::Number))
      ++end;
    return end;
  }
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`: punctuation keeps the line breaks after it.
  size_t other = t.cp(i) == ' ' ? i + 1 : i;
  if (t.is(other, CharClass::Other)) {
    size_t end = t.skip(other, CharClass::Other);
    while (t.isNewline(end))
      ++end;
    return end;
  }
  // Only whitespace is left at `i`. \s*[\r\n]+ ends after the run's last
  // line break; \s+(?!\S) leaves the last character of a run before a
  // non-space to the next word; \s+ takes a lone one.
  size_t end = i, afterNewline = i;
  for (; t.is(end, CharClass::Whitespace); ++end)
    if (t.isNewline(end))
      afterNewline = end + 1;
  if (afterNewline > i)
    return afterNewline;
  if (end < t.size() && end - i > 1)
    return end - 1;
  return end;
}

void split(std::string_view text, size_t maxDigits,
           std::vector<std::string_view> &words) {
  DecodedText t(text);
  t.split([&](size_t i) { return matchAt(t, i, maxDigits); }, words);
}

} // namespace

void xfrt::detail::splitLlama3Words(std::string_view text,
                                    std::vector<std::string_view> &words) {
  split(text, 3, words);
}

void xfrt::detail::splitQwen2Words(std::string_view text,
                                   std::vector<std::string_view> &words) {
  split(text, 1, words);
}
