//===- QuotedText.h - Readable text in test failures ------------*- C++ -*-===//

#ifndef XFC_TEST_UNIT_QUOTEDTEXT_H
#define XFC_TEST_UNIT_QUOTEDTEXT_H

#include <cstdio>
#include <string>
#include <string_view>

namespace xfc::test {

/// `text` in double quotes, with quotes, backslashes, control and
/// non-ASCII bytes escaped, so that failures print legibly.
inline std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

} // namespace xfc::test

#endif // XFC_TEST_UNIT_QUOTEDTEXT_H
