//===- PreTokenizerTest.cpp - Byte-level BPE word splitting ---------------===//
//
// The GPT-2, Llama 3 and Qwen2 splitters must reproduce every vector in
// Inputs/pretokenizer-*.txt, which scripts/gen-pretokenizer-vectors.py wrote
// with Python's `regex` module from the models' own regexes (the GPT-2 file
// pins its splitter's behaviour). A few cases are spelled out here to show
// the differences, and long inputs must stay linear.
//
//===----------------------------------------------------------------------===//

#include "xfrt/Tokenizer.h"

#include "QuotedText.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

using xfrt::PreTokenizerKind;
using Words = std::vector<std::string>;

namespace {

const char *kindName(PreTokenizerKind kind) {
  switch (kind) {
  case PreTokenizerKind::GPT2:
    return "Gpt2";
  case PreTokenizerKind::Llama3:
    return "Llama3";
  case PreTokenizerKind::Qwen2:
    return "Qwen2";
  }
  return "Unknown";
}

Words split(PreTokenizerKind kind, std::string_view text) {
  std::vector<std::string_view> views = xfrt::preTokenize(kind, text);
  return Words(views.begin(), views.end());
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Parses a vector line: double-quoted words separated by one space, with
/// the escapes \\ \" \n \r \t \xNN. Returns false on a malformed line.
bool parseWords(std::string_view line, Words &words) {
  words.clear();
  size_t pos = 0;
  while (pos < line.size()) {
    if (!words.empty() && line[pos++] != ' ')
      return false;
    if (pos >= line.size() || line[pos++] != '"')
      return false;
    std::string word;
    for (;;) {
      if (pos >= line.size())
        return false;
      char c = line[pos++];
      if (c == '"')
        break;
      if (c != '\\') {
        word += c;
        continue;
      }
      if (pos >= line.size())
        return false;
      char e = line[pos++];
      if (e == 'x') {
        int hi = pos + 1 < line.size() ? hexDigit(line[pos]) : -1;
        int lo = hi >= 0 ? hexDigit(line[pos + 1]) : -1;
        if (lo < 0)
          return false;
        word += static_cast<char>(hi * 16 + lo);
        pos += 2;
      } else if (e == 'n' || e == 'r' || e == 't') {
        word += e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
      } else if (e == '\\' || e == '"') {
        word += e;
      } else {
        return false;
      }
    }
    words.push_back(std::move(word));
  }
  return !words.empty();
}

/// Words in the vector files' notation, escaped to print legibly.
std::string render(const Words &words) {
  std::string out;
  for (const std::string &word : words)
    out += (out.empty() ? "" : " ") + xfc::test::quoted(word);
  return out;
}

struct VectorFile {
  const char *name; // the tokenizer.ggml.pre value
  PreTokenizerKind kind;
};

void PrintTo(const VectorFile &file, std::ostream *os) { *os << file.name; }

class PreTokenizerVectors : public ::testing::TestWithParam<VectorFile> {};

TEST_P(PreTokenizerVectors, ReproduceRegexSplits) {
  const std::string path = std::string(XFC_UNIT_INPUTS_DIR) + "/pretokenizer-" +
                           GetParam().name + ".txt";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  size_t cases = 0, passed = 0, reported = 0;
  std::string line;
  Words expected;
  for (size_t lineNo = 1; std::getline(in, line); ++lineNo) {
    if (line.empty() || line[0] == '#')
      continue;
    ASSERT_TRUE(parseWords(line, expected))
        << path << ":" << lineNo << ": malformed line";
    ++cases;
    std::string text;
    for (const std::string &word : expected)
      text += word;
    Words got = split(GetParam().kind, text);
    if (got == expected) {
      ++passed;
      continue;
    }
    if (++reported <= 20) // enough to see a pattern, not a flood
      ADD_FAILURE() << path << ":" << lineNo << "\n  got:      " << render(got)
                    << "\n  expected: " << render(expected);
  }
  std::printf("[ vectors  ] %s: %zu/%zu reproduced\n", GetParam().name, passed,
              cases);
  // The generator writes over 2000 cases; fewer means a truncated file.
  EXPECT_GE(cases, 2000u);
  EXPECT_EQ(passed, cases);
}

INSTANTIATE_TEST_SUITE_P(
    PreTokenizer, PreTokenizerVectors,
    ::testing::Values(VectorFile{"gpt-2", PreTokenizerKind::GPT2},
                      VectorFile{"llama-bpe", PreTokenizerKind::Llama3},
                      VectorFile{"qwen2", PreTokenizerKind::Qwen2}),
    [](const auto &info) { return std::string(kindName(info.param.kind)); });

TEST(PreTokenizer, Contractions) {
  // Llama 3 and Qwen2 match contractions in any case; GPT-2 only lower case.
  for (PreTokenizerKind kind :
       {PreTokenizerKind::Llama3, PreTokenizerKind::Qwen2})
    EXPECT_EQ(split(kind, "IT'S we'LL"), (Words{"IT", "'S", " we", "'LL"}));
  EXPECT_EQ(split(PreTokenizerKind::GPT2, "IT'S we'll"),
            (Words{"IT", "'", "S", " we", "'ll"}));
  // No contraction: the apostrophe leads the letters (Llama 3) or is
  // punctuation of its own (GPT-2).
  EXPECT_EQ(split(PreTokenizerKind::Llama3, "'lx"), (Words{"'lx"}));
  EXPECT_EQ(split(PreTokenizerKind::GPT2, "'lx"), (Words{"'", "lx"}));
}

TEST(PreTokenizer, Digits) {
  EXPECT_EQ(split(PreTokenizerKind::Llama3, "x 1234567"),
            (Words{"x", " ", "123", "456", "7"}));
  EXPECT_EQ(split(PreTokenizerKind::Qwen2, "x 1234"),
            (Words{"x", " ", "1", "2", "3", "4"}));
  EXPECT_EQ(split(PreTokenizerKind::GPT2, "x 1234567"),
            (Words{"x", " 1234567"}));
}

TEST(PreTokenizer, LineBreaks) {
  // Punctuation keeps the line breaks after it; a whitespace run with line
  // breaks ends after the last one.
  EXPECT_EQ(split(PreTokenizerKind::Llama3, "Hi!\r\n\r\n  \n  there"),
            (Words{"Hi", "!\r\n\r\n", "  \n", " ", " there"}));
  EXPECT_EQ(split(PreTokenizerKind::GPT2, "Hi!\r\n\r\n  \n  there"),
            (Words{"Hi", "!", "\r\n\r\n  \n ", " there"}));
  // Any one non-letter, non-digit, non-line-break leads a letter run.
  EXPECT_EQ(split(PreTokenizerKind::Qwen2, "\tx(y\nz"),
            (Words{"\tx", "(y", "\n", "z"}));
}

TEST(PreTokenizer, InvalidUtf8IsPunctuation) {
  EXPECT_EQ(split(PreTokenizerKind::Llama3, "a\xFF\xFE b \xC3"),
            (Words{"a", "\xFF\xFE", " b", " \xC3"}));
}

TEST(PreTokenizer, UnknownKindSplitsNothing) {
  EXPECT_TRUE(split(static_cast<PreTokenizerKind>(9), "abc").empty());
}

/// About 1.4 MB of the worst runs for each alternative.
std::string longText() {
  std::string text;
  text += std::string(200 * 1024, ' ') + "x";
  for (int i = 0; i < 100 * 1024; ++i)
    text += " \n";
  text += "x" + std::string(200 * 1024, '\t') + "\r\n";
  text += std::string(200 * 1024, 'a') + " ";
  text += std::string(200 * 1024, '7') + " ";
  text += std::string(200 * 1024, '!') + std::string(100 * 1024, '\n');
  for (int i = 0; i < 50 * 1024; ++i)
    text += "'S";
  return text;
}

TEST(PreTokenizer, LinearTime) {
  const std::string text = longText();
  for (PreTokenizerKind kind :
       {PreTokenizerKind::GPT2, PreTokenizerKind::Llama3,
        PreTokenizerKind::Qwen2}) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string_view> words = xfrt::preTokenize(kind, text);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("[ speed    ] %s: %zu bytes -> %zu words in %.3f s\n",
                kindName(kind), text.size(), words.size(), seconds);
    // Linear splitting takes milliseconds; a quadratic pass over the 200 KB
    // runs would take minutes.
    EXPECT_LT(seconds, 10.0);
    std::string joined;
    for (std::string_view word : words) {
      EXPECT_FALSE(word.empty());
      joined += word;
    }
    EXPECT_TRUE(joined == text) << "the words do not tile the text";
  }
}

} // namespace
