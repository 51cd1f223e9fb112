//===- TokenizerTest.cpp - SentencePiece and BPE tokenizers ---------------===//
//
// The reference vectors in ../shared/data/tokenizer (llama.cpp's, for the
// Llama SentencePiece and GPT-2 BPE vocabularies) must reproduce exactly;
// decode must invert encode; special tokens, bad vocabularies, bad ids and
// bad GGUF metadata are handled; tokenizer.ggml.pre picks the BPE
// pre-tokenizer (PreTokenizerTest.cpp checks the splitting itself); long
// inputs stay fast.
//
//===----------------------------------------------------------------------===//

#include "GGUFTestUtils.h"

#include "xfc/Frontends/GGUF/GGUFFile.h"
#include "xfc/Frontends/GGUF/GGUFWriter.h"
#include "xfc/Frontends/GGUF/Vocabulary.h"
#include "xfrt/Tokenizer.h"

#include "QuotedText.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

using namespace xfc;
using xfrt::TokenType;
using Ids = std::vector<int32_t>;

namespace {

const char *const kSeparator = "\n__ggml_vocab_test__\n";

bool readFile(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

std::string missingDataMessage(const std::string &path) {
  return "cannot read " + path +
         ": the tokenizer reference data is missing (XFC_SHARED_DATA_DIR=" +
         XFC_SHARED_DATA_DIR ")";
}


std::string join(const Ids &ids) {
  std::string out;
  for (int32_t id : ids)
    out += (out.empty() ? "" : " ") + std::to_string(id);
  return out;
}

/// The tokenizer of a vocabulary file under shared/data/tokenizer, loaded
/// once per test binary. Fails the test (not skips) if the file is missing.
const xfrt::Tokenizer *sharedTokenizer(const std::string &name) {
  static std::map<std::string, std::unique_ptr<xfrt::Tokenizer>> cache;
  auto it = cache.find(name);
  if (it != cache.end())
    return it->second.get();
  std::string path = test::sharedDataPath("tokenizer/" + name);
  std::string error;
  std::unique_ptr<gguf::File> file = gguf::File::open(path, error);
  if (!file) {
    ADD_FAILURE() << missingDataMessage(path) << ": " << error;
    return nullptr;
  }
  std::optional<xfrt::Vocabulary> vocab = gguf::loadVocabulary(*file, error);
  if (!vocab) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  std::unique_ptr<xfrt::Tokenizer> tokenizer =
      xfrt::Tokenizer::create(std::move(*vocab), error);
  if (!tokenizer) {
    ADD_FAILURE() << path << ": " << error;
    return nullptr;
  }
  return (cache[name] = std::move(tokenizer)).get();
}

constexpr const char *kSpm = "ggml-vocab-llama-spm.gguf";
constexpr const char *kGpt2 = "ggml-vocab-gpt-2.gguf";

//===----------------------------------------------------------------------===//
// Reference vectors
//===----------------------------------------------------------------------===//

struct Vector {
  std::string text;
  Ids expected;
};

/// Reads `<vocab>.inp` (strings, each followed by the separator line) and
/// `<vocab>.out` (one line of space-separated ids per string).
bool readVectors(const std::string &vocab, std::vector<Vector> &vectors) {
  std::string base = test::sharedDataPath("tokenizer/" + vocab);
  std::string inp, out;
  if (!readFile(base + ".inp", inp)) {
    ADD_FAILURE() << missingDataMessage(base + ".inp");
    return false;
  }
  if (!readFile(base + ".out", out)) {
    ADD_FAILURE() << missingDataMessage(base + ".out");
    return false;
  }
  for (size_t pos = 0; pos < inp.size();) {
    size_t end = inp.find(kSeparator, pos);
    if (end == std::string::npos) {
      ADD_FAILURE() << base << ".inp: text after the last separator";
      return false;
    }
    vectors.push_back({inp.substr(pos, end - pos), {}});
    pos = end + std::string(kSeparator).size();
  }
  std::istringstream lines(out);
  std::string line;
  size_t index = 0;
  for (; std::getline(lines, line); ++index) {
    if (index >= vectors.size()) {
      ADD_FAILURE() << base << ".out has more lines than .inp has strings";
      return false;
    }
    std::istringstream ids(line);
    for (int32_t id; ids >> id;)
      vectors[index].expected.push_back(id);
  }
  if (index != vectors.size()) {
    ADD_FAILURE() << base << ".out has " << index << " lines for "
                  << vectors.size() << " strings";
    return false;
  }
  return !vectors.empty();
}

class TokenizerVectors : public ::testing::TestWithParam<const char *> {};

TEST_P(TokenizerVectors, ReproduceReferenceIds) {
  const xfrt::Tokenizer *tokenizer = sharedTokenizer(GetParam());
  std::vector<Vector> vectors;
  if (!tokenizer || !readVectors(GetParam(), vectors))
    return; // already failed
  size_t passed = 0;
  for (size_t i = 0; i < vectors.size(); ++i) {
    const Vector &v = vectors[i];
    Ids got = tokenizer->encode(v.text, /*addBos=*/false,
                                /*parseSpecial=*/false);
    if (got == v.expected) {
      ++passed;
      continue;
    }
    auto diff = std::mismatch(got.begin(), got.end(), v.expected.begin(),
                              v.expected.end());
    size_t at = static_cast<size_t>(diff.first - got.begin());
    ADD_FAILURE() << GetParam() << " string " << i << " " << xfc::test::quoted(v.text)
                  << "\n  first difference at id " << at << ": got "
                  << (diff.first != got.end() ? std::to_string(*diff.first)
                                              : "(end)")
                  << ", expected "
                  << (diff.second != v.expected.end()
                          ? std::to_string(*diff.second)
                          : "(end)")
                  << "\n  got:      " << join(got)
                  << "\n  expected: " << join(v.expected);
  }
  std::printf("[ vectors  ] %s: %zu/%zu reproduced\n", GetParam(), passed,
              vectors.size());
  EXPECT_EQ(passed, vectors.size());
}

// Byte-level BPE is lossless. SentencePiece decode drops the space prefix
// encode adds, so it is lossless too for these (valid UTF-8) strings.
TEST_P(TokenizerVectors, DecodeInvertsEncode) {
  const xfrt::Tokenizer *tokenizer = sharedTokenizer(GetParam());
  std::vector<Vector> vectors;
  if (!tokenizer || !readVectors(GetParam(), vectors))
    return;
  for (const Vector &v : vectors) {
    std::string text, error;
    ASSERT_TRUE(
        tokenizer->decode(tokenizer->encode(v.text, false, false), text, error))
        << error;
    EXPECT_EQ(text, v.text) << xfc::test::quoted(text) << " vs " << xfc::test::quoted(v.text);
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizer, TokenizerVectors,
                         ::testing::Values(kSpm, kGpt2), [](const auto &info) {
                           return std::string(info.param) == kSpm ? "LlamaSpm"
                                                                  : "Gpt2";
                         });

//===----------------------------------------------------------------------===//
// Special tokens, BOS, decode of special ids
//===----------------------------------------------------------------------===//

TEST(TokenizerSpecial, SentencePieceControlTokensOnlyWithParseSpecial) {
  const xfrt::Tokenizer *spm = sharedTokenizer(kSpm);
  ASSERT_TRUE(spm);
  // Text after a special token gets the space prefix too (llama.cpp).
  EXPECT_EQ(spm->encode("<s>Hello</s>", false, true), (Ids{1, 15043, 2}));
  Ids plain = spm->encode("<s>Hello</s>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 1), 0) << join(plain);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 2), 0) << join(plain);
  std::string text, error;
  ASSERT_TRUE(spm->decode(plain, text, error)) << error;
  EXPECT_EQ(text, "<s>Hello</s>");
  // Control tokens render as nothing.
  ASSERT_TRUE(spm->decode({1, 15043, 2}, text, error)) << error;
  EXPECT_EQ(text, "Hello");
}

TEST(TokenizerSpecial, SentencePieceBos) {
  const xfrt::Tokenizer *spm = sharedTokenizer(kSpm);
  ASSERT_TRUE(spm);
  EXPECT_TRUE(spm->vocabulary().addBos);
  EXPECT_EQ(spm->encode("Hello", true, false), (Ids{1, 15043}));
  EXPECT_EQ(spm->encode("", true, false), (Ids{1}));
  EXPECT_EQ(spm->encode("", false, false), (Ids{}));
  EXPECT_EQ(spm->tokenType(1), TokenType::Control);
  EXPECT_EQ(spm->tokenType(13), TokenType::Byte);
}

TEST(TokenizerSpecial, BpeEndOfTextOnlyWithParseSpecial) {
  const xfrt::Tokenizer *bpe = sharedTokenizer(kGpt2);
  ASSERT_TRUE(bpe);
  EXPECT_EQ(bpe->encode("<|endoftext|>Hello<|endoftext|>", false, true),
            (Ids{50256, 15496, 50256}));
  Ids plain = bpe->encode("<|endoftext|>Hello", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 50256), 0) << join(plain);
  std::string text, error;
  ASSERT_TRUE(bpe->decode(plain, text, error)) << error;
  EXPECT_EQ(text, "<|endoftext|>Hello");
  // GPT-2 adds no BOS by default, even when asked for special tokens.
  EXPECT_FALSE(bpe->vocabulary().addBos);
  EXPECT_EQ(bpe->encode("Hello", true, false), (Ids{15496}));
}

TEST(TokenizerSpecial, BpeKeepsInvalidUtf8Bytes) {
  const xfrt::Tokenizer *bpe = sharedTokenizer(kGpt2);
  ASSERT_TRUE(bpe);
  const std::string text = "caf\xC3 \xFF\xFE x\xE2\x82";
  std::string decoded, error;
  ASSERT_TRUE(bpe->decode(bpe->encode(text, false, false), decoded, error));
  EXPECT_EQ(decoded, text);
}

//===----------------------------------------------------------------------===//
// Small hand-made vocabularies: merge order, fallbacks, validation
//===----------------------------------------------------------------------===//

/// A SentencePiece vocabulary: <unk>, <s>, </s>, then `pieces` with scores.
xfrt::Vocabulary
smallSpm(const std::vector<std::pair<std::string, float>> &pieces) {
  xfrt::Vocabulary v;
  v.kind = xfrt::TokenizerKind::SentencePiece;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control};
  v.scores = {0, 0, 0};
  for (const auto &[piece, score] : pieces) {
    v.tokens.push_back(piece);
    v.types.push_back(TokenType::Normal);
    v.scores.push_back(score);
  }
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  return v;
}

std::unique_ptr<xfrt::Tokenizer> mustCreate(xfrt::Vocabulary v) {
  std::string error;
  std::unique_ptr<xfrt::Tokenizer> t =
      xfrt::Tokenizer::create(std::move(v), error);
  EXPECT_TRUE(t) << error;
  return t;
}

TEST(TokenizerMerge, SentencePieceBestScoreFirstLeftmostOnTies) {
  // Ids: 3 "▁", 4 "a", 5 "b", 6 "ab", 7 "ba", 8 "▁a".
  const std::string mark = "\xE2\x96\x81";
  auto t = mustCreate(smallSpm({{mark, -1},
                                {"a", -1},
                                {"b", -1},
                                {"ab", -2},
                                {"ba", -3},
                                {mark + "a", -5}}));
  ASSERT_TRUE(t);
  // "▁aba": "ab" (-2) beats "ba" (-3) and "▁a" (-5).
  EXPECT_EQ(t->encode("aba", false, false), (Ids{3, 6, 4}));
  // Equal scores: the leftmost pair merges first.
  xfrt::Vocabulary v = smallSpm({{"a", -1}, {"aa", -1}});
  v.addSpacePrefix = false;
  auto tie = mustCreate(v);
  ASSERT_TRUE(tie);
  EXPECT_EQ(tie->encode("aaa", false, false), (Ids{4, 3}));
}

TEST(TokenizerMerge, SentencePieceUnknownWithoutByteTokens) {
  auto t = mustCreate(smallSpm({{"\xE2\x96\x81", -1}, {"a", -1}}));
  ASSERT_TRUE(t);
  // "é" has no piece and no byte tokens: one unk for the character.
  EXPECT_EQ(t->encode("a\xC3\xA9", false, false), (Ids{3, 4, 0}));
  std::string text, error;
  ASSERT_TRUE(t->decode({3, 4, 0}, text, error));
  EXPECT_EQ(text, "a<unk>");
}

TEST(TokenizerMerge, BpeLowestRankFirst) {
  xfrt::Vocabulary v;
  v.kind = xfrt::TokenizerKind::BytePairEncoding;
  for (int b = 0; b < 256; ++b) // GPT-2's byte-to-unicode code points
    v.tokens.push_back(b >= 0x21 && b <= 0x7E ? std::string(1, char(b))
                                              : "<" + std::to_string(b) + ">");
  v.unk = 0;                // stands in for the bytes spelled differently above
  v.tokens.push_back("ab"); // 256
  v.tokens.push_back("bc"); // 257
  v.merges = {"b c", "a b"};
  auto t = mustCreate(v);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->encode("abc", false, false), (Ids{'a', 257}));
  v.merges = {"a b", "b c"};
  auto t2 = mustCreate(v);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->encode("abc", false, false), (Ids{256, 'c'}));
}

TEST(TokenizerCreate, RejectsInconsistentVocabularies) {
  std::string error;
  xfrt::Vocabulary v = smallSpm({{"a", -1}});
  v.scores.pop_back();
  EXPECT_FALSE(xfrt::Tokenizer::create(v, error));
  EXPECT_NE(error.find("3 scores for 4 tokens"), std::string::npos) << error;

  v = smallSpm({{"a", -1}});
  v.types.push_back(TokenType::Normal);
  EXPECT_FALSE(xfrt::Tokenizer::create(v, error));
  EXPECT_NE(error.find("token types"), std::string::npos) << error;

  v = smallSpm({{"a", -1}});
  v.eos = 4;
  EXPECT_FALSE(xfrt::Tokenizer::create(v, error));
  EXPECT_NE(error.find("eos id 4"), std::string::npos) << error;

  v = smallSpm({{"a", -1}});
  v.types[3] = TokenType::Byte;
  EXPECT_FALSE(xfrt::Tokenizer::create(v, error));
  EXPECT_NE(error.find("<0xNN>"), std::string::npos) << error;

  v = smallSpm({{"a", -1}});
  v.unk = -1; // and no byte tokens: some text could not be encoded
  EXPECT_FALSE(xfrt::Tokenizer::create(v, error));
  EXPECT_NE(error.find("no unk"), std::string::npos) << error;

  v = smallSpm({{"a", -1}});
  v.tokens.clear();
  v.scores.clear();
  v.types.clear();
  v.unk = v.bos = v.eos = -1;
  EXPECT_FALSE(xfrt::Tokenizer::create(v, error));
  EXPECT_NE(error.find("no tokens"), std::string::npos) << error;

  xfrt::Vocabulary bpe;
  bpe.kind = xfrt::TokenizerKind::BytePairEncoding;
  bpe.tokens = {"a", "b", "ab"};
  bpe.unk = 0;
  bpe.merges = {"ab"};
  EXPECT_FALSE(xfrt::Tokenizer::create(bpe, error));
  EXPECT_NE(error.find("merge 0 'ab'"), std::string::npos) << error;

  bpe.merges = {"a b"};
  bpe.preTokenizer = static_cast<xfrt::PreTokenizerKind>(9);
  EXPECT_FALSE(xfrt::Tokenizer::create(bpe, error));
  EXPECT_NE(error.find("unknown BPE pre-tokenizer 9"), std::string::npos)
      << error;
}

TEST(TokenizerDecode, RejectsInvalidIds) {
  const xfrt::Tokenizer *spm = sharedTokenizer(kSpm);
  ASSERT_TRUE(spm);
  std::string text, error;
  EXPECT_FALSE(spm->decode({15043, 32000}, text, error));
  EXPECT_NE(error.find("token id 32000 at position 1"), std::string::npos)
      << error;
  EXPECT_FALSE(spm->decode({-1}, text, error));
  EXPECT_NE(error.find("token id -1 at position 0"), std::string::npos)
      << error;
  const xfrt::Tokenizer *bpe = sharedTokenizer(kGpt2);
  ASSERT_TRUE(bpe);
  EXPECT_FALSE(bpe->decode({50257}, text, error));
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
}

//===----------------------------------------------------------------------===//
// GGUF metadata errors
//===----------------------------------------------------------------------===//

/// Writes `writer` to a temporary file and loads its vocabulary; returns
/// the error (empty on success).
std::string loadError(const gguf::Writer &writer, const std::string &name) {
  test::TempFile path(name);
  std::string error;
  if (!writer.write(path, error))
    return "write failed: " + error;
  std::unique_ptr<gguf::File> file = gguf::File::open(path, error);
  if (!file)
    return "open failed: " + error;
  std::optional<xfrt::Vocabulary> vocab = gguf::loadVocabulary(*file, error);
  EXPECT_EQ(vocab.has_value(), error.empty());
  if (!error.empty()) {
    EXPECT_NE(error.find(path.str()), std::string::npos) << error;
  }
  return error;
}

gguf::Writer validSpmWriter() {
  gguf::Writer w;
  w.setString("tokenizer.ggml.model", "llama");
  w.setStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "a"});
  w.setFloat32Array("tokenizer.ggml.scores", {0, 0, -1});
  w.setInt32Array("tokenizer.ggml.token_type", {2, 3, 1});
  w.setUInt32("tokenizer.ggml.unknown_token_id", 0);
  w.setUInt32("tokenizer.ggml.bos_token_id", 1);
  return w;
}

TEST(TokenizerGGUF, LoadsAValidVocabulary) {
  test::TempFile path("vocab-ok.gguf");
  std::string error;
  ASSERT_TRUE(validSpmWriter().write(path, error)) << error;
  std::unique_ptr<gguf::File> file = gguf::File::open(path, error);
  ASSERT_TRUE(file) << error;
  std::optional<xfrt::Vocabulary> v = gguf::loadVocabulary(*file, error);
  ASSERT_TRUE(v) << error;
  EXPECT_EQ(v->kind, xfrt::TokenizerKind::SentencePiece);
  EXPECT_EQ(v->tokens.size(), 3u);
  EXPECT_EQ(v->types[1], TokenType::Control);
  EXPECT_EQ(v->scores[2], -1.0f);
  EXPECT_EQ(v->bos, 1);
  EXPECT_EQ(v->unk, 0);
  EXPECT_EQ(v->eos, -1);
  EXPECT_TRUE(v->addBos);         // the llama default
  EXPECT_TRUE(v->addSpacePrefix); // the llama default
  EXPECT_TRUE(xfrt::Tokenizer::create(std::move(*v), error)) << error;
}

TEST(TokenizerGGUF, DefaultBosNeedsABosId) {
  // Without a BOS id the llama default add_bos_token=true quietly yields;
  // an explicit add_bos_token=true is an error.
  gguf::Writer w;
  w.setString("tokenizer.ggml.model", "llama");
  w.setStringArray("tokenizer.ggml.tokens", {"<unk>", "a"});
  w.setUInt32("tokenizer.ggml.unknown_token_id", 0);
  test::TempFile path("vocab-nobos.gguf");
  std::string error;
  ASSERT_TRUE(w.write(path, error)) << error;
  std::unique_ptr<gguf::File> file = gguf::File::open(path, error);
  ASSERT_TRUE(file) << error;
  std::optional<xfrt::Vocabulary> v = gguf::loadVocabulary(*file, error);
  ASSERT_TRUE(v) << error;
  EXPECT_FALSE(v->addBos);

  w.setBool("tokenizer.ggml.add_bos_token", true);
  error = loadError(w, "vocab-nobos-explicit.gguf");
  EXPECT_NE(error.find("'tokenizer.ggml.add_bos_token' is true but"),
            std::string::npos)
      << error;
}

TEST(TokenizerGGUF, ErrorsNameTheKey) {
  gguf::Writer noTokens;
  noTokens.setString("tokenizer.ggml.model", "llama");
  EXPECT_NE(loadError(noTokens, "vocab-notokens.gguf")
                .find("'tokenizer.ggml.tokens' is missing"),
            std::string::npos);

  gguf::Writer noModel;
  noModel.setStringArray("tokenizer.ggml.tokens", {"a"});
  EXPECT_NE(loadError(noModel, "vocab-nomodel.gguf")
                .find("'tokenizer.ggml.model' is missing"),
            std::string::npos);

  gguf::Writer bert = validSpmWriter();
  bert.setString("tokenizer.ggml.model", "bert");
  std::string error = loadError(bert, "vocab-bert.gguf");
  EXPECT_NE(error.find("'bert' (supported: llama, gpt2)"), std::string::npos)
      << error;

  gguf::Writer shortScores = validSpmWriter();
  shortScores.setFloat32Array("tokenizer.ggml.scores", {0, 0});
  error = loadError(shortScores, "vocab-scores.gguf");
  EXPECT_NE(error.find("'tokenizer.ggml.scores' has 2 entries for 3 tokens"),
            std::string::npos)
      << error;

  gguf::Writer intScores = validSpmWriter();
  intScores.setInt32Array("tokenizer.ggml.scores", {0, 0, 0});
  error = loadError(intScores, "vocab-intscores.gguf");
  EXPECT_NE(error.find("'tokenizer.ggml.scores' must be an array of f32, got "
                       "array of i32"),
            std::string::npos)
      << error;

  gguf::Writer badTypes = validSpmWriter();
  badTypes.setInt32Array("tokenizer.ggml.token_type", {2, 3, 9});
  error = loadError(badTypes, "vocab-types.gguf");
  EXPECT_NE(error.find("'tokenizer.ggml.token_type' has invalid type 9"),
            std::string::npos)
      << error;

  gguf::Writer badBos = validSpmWriter();
  badBos.setUInt32("tokenizer.ggml.bos_token_id", 3);
  error = loadError(badBos, "vocab-bos.gguf");
  EXPECT_NE(error.find("'tokenizer.ggml.bos_token_id' is 3, out of range"),
            std::string::npos)
      << error;

  gguf::Writer noMerges;
  noMerges.setString("tokenizer.ggml.model", "gpt2");
  noMerges.setStringArray("tokenizer.ggml.tokens", {"a"});
  error = loadError(noMerges, "vocab-nomerges.gguf");
  EXPECT_NE(error.find("'tokenizer.ggml.merges' is missing"), std::string::npos)
      << error;

  gguf::Writer otherPre = noMerges;
  otherPre.setStringArray("tokenizer.ggml.merges", {});
  otherPre.setString("tokenizer.ggml.pre", "deepseek-llm");
  error = loadError(otherPre, "vocab-pre.gguf");
  EXPECT_NE(error.find("'tokenizer.ggml.pre' has unsupported BPE "
                       "pre-tokenizer 'deepseek-llm' (supported: gpt-2, "
                       "llama-bpe, qwen2)"),
            std::string::npos)
      << error;
}

/// A byte-level BPE vocabulary with tokenizer.ggml.pre = `pre`: the 256
/// byte symbols (id = byte), then 256 "it", 257 "'S", 258 "12", 259 " 1",
/// 260 "abc" (no merge builds it) and 261, a BOS.
gguf::Writer smallBpeWriter(const std::string &pre) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(xfrt::byteLevelSymbol(static_cast<uint8_t>(b)));
  const std::string space = xfrt::byteLevelSymbol(' ');
  tokens.insert(tokens.end(),
                {"it", "'S", "12", space + "1", "abc", "<|begin_of_text|>"});
  std::vector<int32_t> types(tokens.size(), 1);
  types.back() = 3; // Control
  gguf::Writer w;
  w.setString("tokenizer.ggml.model", "gpt2");
  w.setString("tokenizer.ggml.pre", pre);
  w.setStringArray("tokenizer.ggml.tokens", tokens);
  w.setInt32Array("tokenizer.ggml.token_type", types);
  w.setStringArray("tokenizer.ggml.merges",
                   {"i t", "' S", space + " 1", "1 2"});
  w.setUInt32("tokenizer.ggml.bos_token_id", 261);
  return w;
}

/// Writes `writer`, loads its vocabulary and builds the tokenizer.
std::unique_ptr<xfrt::Tokenizer> loadTokenizer(const gguf::Writer &writer,
                                               const std::string &name) {
  test::TempFile path(name);
  std::string error;
  std::unique_ptr<gguf::File> file;
  std::optional<xfrt::Vocabulary> vocab;
  std::unique_ptr<xfrt::Tokenizer> tokenizer;
  if (writer.write(path, error) && (file = gguf::File::open(path, error)) &&
      (vocab = gguf::loadVocabulary(*file, error)))
    tokenizer = xfrt::Tokenizer::create(std::move(*vocab), error);
  EXPECT_TRUE(tokenizer) << name << ": " << error;
  return tokenizer;
}

TEST(TokenizerGGUF, BpePreTokenizerFromMetadata) {
  const std::string text = "it'S 12";
  // Contractions in any case, one digit per word.
  auto qwen2 = loadTokenizer(smallBpeWriter("qwen2"), "vocab-qwen2.gguf");
  ASSERT_TRUE(qwen2);
  EXPECT_EQ(qwen2->vocabulary().preTokenizer, xfrt::PreTokenizerKind::Qwen2);
  EXPECT_FALSE(qwen2->vocabulary().ignoreMerges);
  EXPECT_FALSE(qwen2->vocabulary().addBos);
  EXPECT_EQ(qwen2->encode(text, true, false), (Ids{256, 257, ' ', '1', '2'}));
  EXPECT_EQ(qwen2->encode("abc", false, false), (Ids{'a', 'b', 'c'}));

  // "'S" is no contraction, and the space leads the digits.
  auto gpt2 = loadTokenizer(smallBpeWriter("gpt-2"), "vocab-gpt2.gguf");
  ASSERT_TRUE(gpt2);
  EXPECT_EQ(gpt2->vocabulary().preTokenizer, xfrt::PreTokenizerKind::GPT2);
  EXPECT_EQ(gpt2->encode(text, false, false), (Ids{256, '\'', 'S', 259, '2'}));

  // Up to three digits per word, whole words looked up before merging,
  // and BOS unless the file says otherwise (llama.cpp's defaults).
  auto llama3 = loadTokenizer(smallBpeWriter("llama-bpe"), "vocab-llama3.gguf");
  ASSERT_TRUE(llama3);
  EXPECT_EQ(llama3->vocabulary().preTokenizer, xfrt::PreTokenizerKind::Llama3);
  EXPECT_TRUE(llama3->vocabulary().ignoreMerges);
  EXPECT_EQ(llama3->encode(text, true, false), (Ids{261, 256, 257, ' ', 258}));
  EXPECT_EQ(llama3->encode("abc", false, false), (Ids{260}));
  gguf::Writer noBos = smallBpeWriter("llama-bpe");
  noBos.setBool("tokenizer.ggml.add_bos_token", false);
  auto llama3NoBos = loadTokenizer(noBos, "vocab-llama3-nobos.gguf");
  ASSERT_TRUE(llama3NoBos);
  EXPECT_EQ(llama3NoBos->encode("abc", true, false), (Ids{260}));
}

//===----------------------------------------------------------------------===//
// Long inputs: no quadratic behaviour
//===----------------------------------------------------------------------===//

/// About 1 MB: the reference strings repeated, then a long whitespace run,
/// a long word, a long number and a long punctuation run.
std::string megabyteOfText() {
  std::string inp;
  readFile(test::sharedDataPath("tokenizer/" + std::string(kSpm) + ".inp"),
           inp);
  std::string text;
  while (text.size() < 600 * 1024)
    text += inp.empty() ? "Hello world, this is a test. " : inp;
  text += std::string(100 * 1024, ' ') + "x";
  text += std::string(100 * 1024, 'a') + " ";
  text += std::string(100 * 1024, '7') + " ";
  text += std::string(100 * 1024, '!');
  return text;
}

TEST(TokenizerSpeed, MegabyteInput) {
  const std::string text = megabyteOfText();
  for (const char *name : {kSpm, kGpt2}) {
    const xfrt::Tokenizer *t = sharedTokenizer(name);
    ASSERT_TRUE(t);
    auto start = std::chrono::steady_clock::now();
    Ids ids = t->encode(text, false, false);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("[ speed    ] %s: %zu bytes -> %zu ids in %.3f s\n", name,
                text.size(), ids.size(), seconds);
    // Linear-time tokenization takes well under a second here; a quadratic
    // pass over the 100 KB runs would take minutes.
    EXPECT_LT(seconds, 10.0);
    std::string decoded, error;
    ASSERT_TRUE(t->decode(ids, decoded, error)) << error;
    EXPECT_TRUE(decoded == text) << name << ": decode(encode(text)) differs";
  }
}

} // namespace
