//===- ModelMakerTest.cpp - make-model writes complete models -------------===//

#include "GGUFTestUtils.h"

#include "xfc/Frontends/GGUF/ModelMaker.h"
#include "xfc/Frontends/GGUF/TensorData.h"
#include "xfc/Frontends/GGUF/Vocabulary.h"
#include "xfrt/Tokenizer.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace xfc::gguf;
using xfc::test::TempFile;

namespace {

class ModelMakerTest : public ::testing::TestWithParam<Architecture> {};

/// The synthetic vocabulary makes a working tokenizer, and the weights have
/// the advertised statistics.
TEST_P(ModelMakerTest, WritesAUsableModel) {
  TempFile path("made.gguf");
  MakeModelOptions options;
  std::string error;
  ASSERT_TRUE(applyPreset("tiny", GetParam(), options, error));
  options.seed = 11;
  ASSERT_TRUE(makeModel(options, path, error)) << error;
  std::unique_ptr<File> file = File::open(path, error);
  ASSERT_TRUE(file) << error;

  std::optional<xfrt::Vocabulary> vocab = loadVocabulary(*file, error);
  ASSERT_TRUE(vocab) << error;
  EXPECT_EQ(vocab->tokens.size(), 512u);
  std::unique_ptr<xfrt::Tokenizer> tokenizer =
      xfrt::Tokenizer::create(std::move(*vocab), error);
  ASSERT_TRUE(tokenizer) << error;
  const std::string text = "hello, wide world 42 \xe2\x98\x83";
  std::vector<int32_t> ids = tokenizer->encode(text, false, false);
  std::string decoded;
  ASSERT_TRUE(tokenizer->decode(ids, decoded, error)) << error;
  EXPECT_EQ(decoded, text);

  const TensorInfo *w = file->findTensor("blk.0.ffn_up.weight");
  ASSERT_TRUE(w);
  std::optional<std::vector<float>> values = readAsF32(file->path(), *w, error);
  ASSERT_TRUE(values) << error;
  double sum = 0, squares = 0;
  for (float v : *values)
    sum += v, squares += double(v) * v;
  double mean = sum / values->size();
  double stddev = std::sqrt(squares / values->size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(stddev, 0.02, 0.002);
}

INSTANTIATE_TEST_SUITE_P(Architectures, ModelMakerTest,
                         ::testing::Values(Architecture::Llama,
                                           Architecture::Qwen2,
                                           Architecture::GPT2),
                         [](const auto &info) {
                           return std::string(architectureName(info.param));
                         });

TEST(ModelMaker, RejectsBadShapes) {
  MakeModelOptions options;
  std::string error;
  ASSERT_TRUE(applyPreset("tiny", Architecture::Llama, options, error));
  options.config.heads = 5; // does not divide 64
  TempFile path("bad.gguf");
  EXPECT_FALSE(makeModel(options, path, error));
  EXPECT_NE(error.find("invalid model shape"), std::string::npos);
  ASSERT_TRUE(applyPreset("tiny", Architecture::GPT2, options, error));
  options.config.kvHeads = 2; // GPT-2 has no grouped-query attention
  error.clear();
  EXPECT_FALSE(makeModel(options, path, error));
  EXPECT_NE(error.find("gpt2 has no grouped-query attention"),
            std::string::npos);
  EXPECT_FALSE(applyPreset("huge", Architecture::Llama, options, error));
  EXPECT_NE(error.find("unknown preset 'huge'"), std::string::npos);
}

} // namespace
