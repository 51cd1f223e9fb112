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

std::string TextStream::decoded() const {
  std::string text, error;
  // Ids come from the model's own vocabulary, so decode cannot fail; the
  // whole sequence is decoded because a piece's text depends on the one
  // before it (SentencePiece's leading space).
  tokenizer.decode(ids, text, error);
  return text;
}

std::string TextStream::release(const std::string &all, size_t end) {
  if (end <= sent.size() || all.compare(0, sent.size(), sent) != 0)
    return {};
  std::string fresh = all.substr(sent.size(), end - sent.size());
  sent += fresh;
  return fresh;
}

std::string TextStream::push(int32_t token) {
  if (hitStop)
    return {};
  ids.push_back(token);
  std::string all = decoded();
  size_t complete = completeCharacters(all);
  // A stop string that ends in the new text; the earliest wins.
  size_t stopAt = std::string::npos;
  for (const std::string &s : stops) {
    size_t from = sent.size() > s.size() ? sent.size() - s.size() : 0;
    size_t at = all.find(s, from);
    if (at != std::string::npos && at + s.size() <= complete)
      stopAt = std::min(stopAt, at);
  }
  if (stopAt != std::string::npos) {
    hitStop = true;
    return release(all, stopAt);
  }
  // Hold back the longest tail that could still grow into a stop string.
  size_t hold = 0;
  for (const std::string &s : stops)
    for (size_t k = std::min(s.size() - 1, complete); k > hold; --k)
      if (all.compare(complete - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  return release(all, complete - hold);
}

std::string TextStream::finish() {
  if (hitStop)
    return {};
  std::string all = decoded();
  return release(all, all.size());
}
