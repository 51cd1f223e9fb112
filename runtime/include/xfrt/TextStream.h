//===- TextStream.h - Generated tokens to streamed text ---------*- C++ -*-===//
//
// Turns tokens, as they are generated, into text that is safe to send:
// never half a UTF-8 character (byte-fallback tokens split them), and
// never text that may turn out to begin a stop string. When a stop string
// appears, the text ends before it. Generated tokens continue a prompt, so
// the first one keeps its leading space (SentencePiece's "▁").
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
  const std::string &text() const { return sentText; }
  /// The bytes of all tokens so far, sent or held back.
  size_t length() const { return all.size(); }

private:
  std::string release(size_t end);

  const Tokenizer &tokenizer;
  std::vector<std::string> stops;
  std::string all;      // the text of every token so far
  std::string sentText; // its first `sent` bytes
  size_t sent = 0;
  bool hitStop = false;
};

} // namespace xfrt

#endif // XFRT_TEXTSTREAM_H
