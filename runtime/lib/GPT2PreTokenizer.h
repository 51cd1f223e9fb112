//===- GPT2PreTokenizer.h - The GPT-2 word-splitting regex -----*- C++ -*-===//
//
// Splits text as the GPT-2 regex does,
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// written out by hand: std::regex knows no Unicode classes and is slow.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_GPT2PRETOKENIZER_H
#define XFRT_LIB_GPT2PRETOKENIZER_H

#include <string_view>
#include <vector>

namespace xfrt::detail {

/// Appends the regex's matches in `text`, in order; they tile the text.
/// Invalid UTF-8 bytes count as characters of none of the classes.
void splitGPT2Words(std::string_view text,
                    std::vector<std::string_view> &words);

} // namespace xfrt::detail

#endif // XFRT_LIB_GPT2PRETOKENIZER_H
