//===- SpecialTokenMatcher.h - Finds special tokens in text ----*- C++ -*-===//
//
// Special tokens are matched in the raw text before tokenization, so that
// "</s>" becomes one id instead of pieces. Control and Unknown tokens match
// only when the caller asks (parseSpecial); UserDefined tokens always do.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_SPECIALTOKENMATCHER_H
#define XFRT_LIB_SPECIALTOKENMATCHER_H

#include "TokenizerModel.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace xfrt::detail {

class SpecialTokenMatcher {
public:
  explicit SpecialTokenMatcher(const CheckedVocabulary &vocab);

  struct Match {
    int32_t id = -1;
    size_t length = 0;
  };
  /// The longest special token at text[pos], if any (id -1 otherwise).
  Match matchAt(std::string_view text, size_t pos, bool parseSpecial) const;

private:
  struct Candidate {
    std::string_view text;
    int32_t id;
    bool needsParseSpecial;
  };
  /// Candidates by first byte, longest first: most bytes start none.
  std::vector<Candidate> byFirstByte[256];
};

} // namespace xfrt::detail

#endif // XFRT_LIB_SPECIALTOKENMATCHER_H
