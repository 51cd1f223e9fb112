//===- Unicode.cpp - UTF-8 and the character classes tokenizers need ------===//

#include "Unicode.h"

#include <algorithm>
#include <iterator>

using namespace xfrt::detail;

namespace {
struct CharRange {
  uint32_t first, last;
  CharClass cls;
};
// Sorted and disjoint by construction (the generator scans code points).
#include "UnicodeTables.inc"
} // namespace

Utf8Char xfrt::detail::decodeUtf8(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) {
    return static_cast<uint8_t>(text[pos + i]);
  };
  const Utf8Char invalid{byte(0), 1, false};
  uint8_t lead = byte(0);
  if (lead < 0x80)
    return {lead, 1, true};
  uint32_t length, cp, min;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return invalid; // continuation byte or 0xF8..0xFF
  }
  if (text.size() - pos < length)
    return invalid;
  for (uint32_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80)
      return invalid;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return invalid;
  return {cp, length, true};
}

void xfrt::detail::appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

CharClass xfrt::detail::classify(uint32_t cp) {
  // ASCII is most text: answer it without searching.
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
      return CharClass::Letter;
    if (cp >= '0' && cp <= '9')
      return CharClass::Number;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
      return CharClass::Whitespace;
    return CharClass::Other;
  }
  const CharRange *end = std::end(kCharRanges);
  const CharRange *it = std::upper_bound(
      std::begin(kCharRanges), end, cp,
      [](uint32_t value, const CharRange &r) { return value < r.first; });
  if (it == std::begin(kCharRanges))
    return CharClass::Other;
  --it;
  return cp <= it->last ? it->cls : CharClass::Other;
}
