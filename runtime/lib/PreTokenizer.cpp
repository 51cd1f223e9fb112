//===- PreTokenizer.cpp - Choosing the BPE word splitter ------------------===//

#include "PreTokenizer.h"

using namespace xfrt;
using namespace xfrt::detail;

WordSplitter xfrt::detail::wordSplitter(PreTokenizerKind kind) {
  switch (kind) {
  case PreTokenizerKind::GPT2:
    return splitGPT2Words;
  case PreTokenizerKind::Llama3:
    return splitLlama3Words;
  case PreTokenizerKind::Qwen2:
    return splitQwen2Words;
  }
  return nullptr; // a value cast from an unchecked integer
}

std::vector<std::string_view> xfrt::preTokenize(PreTokenizerKind kind,
                                                std::string_view text) {
  std::vector<std::string_view> words;
  if (WordSplitter split = wordSplitter(kind))
    split(text, words);
  return words;
}
