//===- PreTokenizer.h - Byte-level BPE word splitting -----------*- C++ -*-===//
//
// Each pre-tokenizer is a regex written out by hand: std::regex knows no
// Unicode classes, and backtracking is slow. Every splitter takes linear
// time and leaves no character out, so the words tile the text.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_PRETOKENIZER_H
#define XFRT_LIB_PRETOKENIZER_H

#include "xfrt/Tokenizer.h"

#include <string_view>
#include <vector>

namespace xfrt::detail {

/// Appends the regex's matches in `text`, in order. Invalid UTF-8 bytes
/// count as characters of none of the classes.
using WordSplitter = void (*)(std::string_view text,
                              std::vector<std::string_view> &words);

/// The splitter of `kind`, or null if `kind` is not an enumerator.
WordSplitter wordSplitter(PreTokenizerKind kind);

void splitGPT2Words(std::string_view text,
                    std::vector<std::string_view> &words);
void splitLlama3Words(std::string_view text,
                      std::vector<std::string_view> &words);
void splitQwen2Words(std::string_view text,
                     std::vector<std::string_view> &words);

} // namespace xfrt::detail

#endif // XFRT_LIB_PRETOKENIZER_H
