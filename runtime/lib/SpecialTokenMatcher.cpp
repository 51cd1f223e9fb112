//===- SpecialTokenMatcher.cpp - Finds special tokens in text -------------===//

#include "SpecialTokenMatcher.h"

#include <algorithm>

using namespace xfrt;
using namespace xfrt::detail;

SpecialTokenMatcher::SpecialTokenMatcher(const CheckedVocabulary &v) {
  for (size_t id = 0; id < v.vocab.tokens.size(); ++id) {
    std::string_view text = v.vocab.tokens[id];
    TokenType type = v.types[id];
    bool control = type == TokenType::Control || type == TokenType::Unknown;
    if (text.empty() || !(control || type == TokenType::UserDefined))
      continue;
    byFirstByte[static_cast<uint8_t>(text[0])].push_back(
        {text, static_cast<int32_t>(id), control});
  }
  for (std::vector<Candidate> &list : byFirstByte)
    std::stable_sort(list.begin(), list.end(),
                     [](const Candidate &a, const Candidate &b) {
                       return a.text.size() > b.text.size();
                     });
}

SpecialTokenMatcher::Match
SpecialTokenMatcher::matchAt(std::string_view text, size_t pos,
                             bool parseSpecial) const {
  std::string_view rest = text.substr(pos);
  for (const Candidate &c : byFirstByte[static_cast<uint8_t>(rest[0])]) {
    if (c.needsParseSpecial && !parseSpecial)
      continue;
    if (rest.substr(0, c.text.size()) == c.text)
      return {c.id, c.text.size()};
  }
  return {};
}
