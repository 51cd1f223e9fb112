//===- TextStream.cpp - Generated tokens to streamed text -----------------===//

#include "xfrt/TextStream.h"

#include <algorithm>

using namespace xfrt;

namespace {

/// The length of `text` without an incomplete UTF-8 sequence at its end.
size_t completeCharacters(const std::string &text) {
  size_t n = text.size();
  // Look back at most 3 continuation bytes for the lead byte.
  for (size_t back = 1; back <= std::min<size_t>(4, n); ++back) {
    unsigned char c = static_cast<unsigned char>(text[n - back]);
    if ((c & 0xC0) == 0x80)
      continue; // continuation byte
    size_t length = c < 0x80         ? 1
                    : (c >> 5) == 6  ? 2
                    : (c >> 4) == 14 ? 3
                    : (c >> 3) == 30 ? 4
                                     : 1;
    return back < length ? n - back : n;
  }
  return n;
}

} // namespace

TextStream::TextStream(const Tokenizer &tokenizer,
                       std::vector<std::string> stopStrings)
    : tokenizer(tokenizer) {
  for (std::string &s : stopStrings)
    if (!s.empty())
      stops.push_back(std::move(s));
}

std::string TextStream::release(size_t end) {
  if (end <= sent)
    return {};
  std::string fresh = all.substr(sent, end - sent);
  sentText += fresh;
  sent = end;
  return fresh;
}

std::string TextStream::push(int32_t token) {
  if (hitStop)
    return {};
  // As a continuation each token's text stands alone, so the text grows
  // by appending: linear in the tokens, not quadratic.
  std::string piece, error;
  tokenizer.decode({token}, piece, error, /*continuation=*/true);
  all += piece;
  size_t complete = completeCharacters(all);
  // A stop string that ends in the unsent text; the earliest wins. Sent
  // text never ends in a stop string's prefix (that is held back), so a
  // match starts after the sent text.
  size_t stopAt = std::string::npos;
  for (const std::string &s : stops) {
    size_t at = all.find(s, sent);
    if (at != std::string::npos && at + s.size() <= complete)
      stopAt = std::min(stopAt, at);
  }
  if (stopAt != std::string::npos) {
    hitStop = true;
    return release(stopAt);
  }
  // Hold back the longest unsent tail that could still grow into a stop
  // string.
  size_t hold = 0, unsent = complete - sent;
  for (const std::string &s : stops)
    for (size_t k = std::min(s.size() - 1, unsent); k > hold; --k)
      if (all.compare(complete - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  return release(complete - hold);
}

std::string TextStream::finish() {
  if (hitStop)
    return {};
  return release(all.size());
}
