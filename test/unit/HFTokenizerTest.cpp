//===- HFTokenizerTest.cpp - tokenizer.json to a Vocabulary ---------------===//

#include "xfc/Frontends/HF/HFTokenizer.h"

#include <gtest/gtest.h>

using namespace xfc;
using xfrt::TokenType;

namespace {

/// A byte-level tokenizer.json over `vocab` (JSON object text) with
/// `extra` members appended to the root.
std::string byteLevel(const std::string &vocab, const std::string &merges,
                      const std::string &extra = "") {
  return R"({"model": {"type": "BPE", "vocab": )" + vocab + R"(, "merges": )" +
         merges +
         R"(}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})" +
         extra + "}";
}

std::optional<xfrt::Vocabulary> parse(const std::string &text,
                                      std::string &error,
                                      hf::TokenizerSettings settings = {}) {
  return hf::parseTokenizerJson(text, "t.json", settings, error);
}

TEST(HFTokenizerTest, GapsUpToTheEmbeddingBecomeUnusedPadding) {
  std::string error;
  hf::TokenizerSettings settings;
  settings.rows = 6;
  std::optional<xfrt::Vocabulary> v = parse(
      byteLevel(
          R"({"a": 0, "b": 1, "ab": 3})", R"(["a b"])",
          R"(, "added_tokens": [{"id": 4, "content": "<|end|>", "special": true},
                     {"id": 2, "content": "<tool>", "special": false}])"),
      error, settings);
  ASSERT_TRUE(v) << error;
  ASSERT_EQ(v->tokens.size(), 6u);
  EXPECT_EQ(v->tokens[5], "[PAD5]");
  EXPECT_EQ(v->types[5], TokenType::Unused);
  EXPECT_EQ(v->types[4], TokenType::Control);
  EXPECT_EQ(v->types[2], TokenType::UserDefined);
  EXPECT_EQ(v->types[3], TokenType::Normal);
  EXPECT_EQ(v->merges, std::vector<std::string>{"a b"});
  EXPECT_EQ(v->preTokenizer, xfrt::PreTokenizerKind::GPT2);
  EXPECT_FALSE(v->addBos);

  // An id at or past the embedding's rows could never be looked up.
  settings.rows = 4;
  EXPECT_FALSE(parse(
      byteLevel(
          R"({"a": 0, "b": 1, "ab": 3})", R"(["a b"])",
          R"(, "added_tokens": [{"id": 4, "content": "x", "special": true}])"),
      error, settings));
  EXPECT_NE(error.find("past the 4 rows"), std::string::npos) << error;
}

TEST(HFTokenizerTest, SplitRegexSelectsLlama3AndTemplateAddsBos) {
  std::string text =
      R"({"model": {"type": "BPE", "ignore_merges": true,
          "vocab": {"a": 0, "b": 1, "ab": 2, "<|begin_of_text|>": 3},
          "merges": [["a", "b"]]},
        "added_tokens": [{"id": 3, "content": "<|begin_of_text|>", "special": true}],
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
          {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
           "behavior": "Isolated", "invert": false},
          {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
        "post_processor": {"type": "Sequence", "processors": [
          {"type": "ByteLevel"},
          {"type": "TemplateProcessing", "single": [
            {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}}]}]}})";
  std::string error;
  std::optional<xfrt::Vocabulary> v = parse(text, error);
  ASSERT_TRUE(v) << error;
  EXPECT_EQ(v->preTokenizer, xfrt::PreTokenizerKind::Llama3);
  EXPECT_TRUE(v->ignoreMerges);
  EXPECT_TRUE(v->addBos);
  EXPECT_EQ(v->bos, 3);
  // tokenizer_config.json's add_bos_token and config.json's ids win.
  hf::TokenizerSettings settings;
  settings.addBos = false;
  settings.bos = 0;
  settings.eos = 1;
  v = parse(text, error, settings);
  ASSERT_TRUE(v) << error;
  EXPECT_FALSE(v->addBos);
  EXPECT_EQ(v->bos, 0);
  EXPECT_EQ(v->eos, 1);
}

TEST(HFTokenizerTest, SentencePieceScoresFollowTheMergeOrder) {
  // "▁a" + "b" merges first (rank 0), then "▁" + "a" (rank 1); "cd" is made
  // by no merge and must never win over a merged piece.
  std::string text =
      R"({"model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
          "vocab": {"<unk>": 0, "<s>": 1, "<0x41>": 2, "▁": 3, "a": 4, "b": 5,
                    "▁a": 6, "▁ab": 7, "cd": 8},
          "merges": ["▁a b", "▁ a"]},
        "added_tokens": [{"id": 0, "content": "<unk>", "special": true},
                         {"id": 1, "content": "<s>", "special": true}],
        "normalizer": {"type": "Sequence", "normalizers": [
          {"type": "Prepend", "prepend": "▁"},
          {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}})";
  std::string error;
  std::optional<xfrt::Vocabulary> v = parse(text, error);
  ASSERT_TRUE(v) << error;
  EXPECT_EQ(v->kind, xfrt::TokenizerKind::SentencePiece);
  EXPECT_EQ(v->tokens[8], "cd"); // no pair of tokens makes it: no merge
  EXPECT_TRUE(v->addSpacePrefix);
  EXPECT_TRUE(v->merges.empty());
  EXPECT_EQ(v->scores[7], 0.0f);  // rank 0
  EXPECT_EQ(v->scores[6], -1.0f); // rank 1
  EXPECT_EQ(v->types[2], TokenType::Byte);
  EXPECT_EQ(v->types[0], TokenType::Unknown);
  EXPECT_EQ(v->unk, 0);
  EXPECT_EQ(v->types[1], TokenType::Control);

  // SentencePiece would merge "▁" and "a" whatever the list says: a list
  // without that pair is not a converted SentencePiece model.
  std::string partial = text;
  partial.replace(partial.find(", \"▁ a\""), 9, "");
  EXPECT_FALSE(parse(partial, error));
  EXPECT_NE(error.find("lacks '▁ a', which SentencePiece would merge into "
                       "'▁a'"),
            std::string::npos)
      << error;

  // A merge into no token is a broken file.
  std::string broken = text;
  broken.replace(broken.find("\"▁ a\""), 7, "\"b b\"");
  EXPECT_FALSE(parse(broken, error));
  EXPECT_NE(error.find("'model.merges' merges 'b b' into no token"),
            std::string::npos)
      << error;
}

TEST(HFTokenizerTest, HostileFieldsAreRefusedByName) {
  std::string error;
  EXPECT_FALSE(parse(byteLevel(R"({"a": -1})", "[]"), error));
  EXPECT_NE(error.find("gives token 'a' the id -1"), std::string::npos)
      << error;
  EXPECT_FALSE(parse(byteLevel(R"({"a": 0})", R"([["a", "b c"]])"), error));
  EXPECT_NE(error.find("not two tokens without spaces"), std::string::npos)
      << error;
  EXPECT_FALSE(parse(byteLevel(R"([1, 2])", "[]"), error));
  EXPECT_NE(error.find("'model.vocab' must be an object"), std::string::npos)
      << error;
  EXPECT_FALSE(parse(R"({"model": {"type": "Unigram", "vocab": []}})", error));
  EXPECT_NE(error.find("is 'Unigram'"), std::string::npos) << error;
  EXPECT_FALSE(parse("[]", error));
  EXPECT_NE(error.find("t.json: not a JSON object"), std::string::npos)
      << error;
  // Wrong JSON types where strings are expected do not throw.
  EXPECT_FALSE(parse(R"({"model": {"type": "BPE", "byte_fallback": true,
      "vocab": {"a": 0}, "merges": []},
      "normalizer": {"type": "Replace", "pattern": {"String": 7}, "content": 3}})",
                     error));
  EXPECT_NE(error.find("'normalizer' has a step of type 'Replace'"),
            std::string::npos)
      << error;
}

} // namespace
