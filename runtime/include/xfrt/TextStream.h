//===- TextStream.h - Generated tokens to streamed text ---------*- C++ -*-===//
//
// Turns tokens, as they are generated, into text that is safe to send:
// never half a UTF-8 character (byte-fallback tokens split them), and
// never text that may turn out to begin a stop string. When a stop string
// appears, the text ends before it.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_TEXTSTREAM_H
#define XFRT_TEXTSTREAM_H

#include "xfrt/Tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xfrt {

class TextStream {
public:
  /// Empty stop strings are ignored.
  TextStream(const Tokenizer &tokenizer, std::vector<std::string> stops);

  /// Appends a generated token; returns the text that became final.
  std::string push(int32_t token);
  /// At the end of generation: the text held back (none after a stop).
  std::string finish();
  /// Whether a stop string has appeared (push returns nothing after).
  bool stopped() const { return hitStop; }
  /// All text sent so far.
  const std::string &text() const { return sent; }

private:
  /// The decoded text of all tokens, without a trailing partial character.
  std::string decoded() const;
  std::string release(const std::string &all, size_t end);

  const Tokenizer &tokenizer;
  std::vector<std::string> stops;
  std::vector<int32_t> ids;
  std::string sent;
  bool hitStop = false;
};

} // namespace xfrt

#endif // XFRT_TEXTSTREAM_H
