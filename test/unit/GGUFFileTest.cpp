//===- GGUFFileTest.cpp - GGUF reader and writer round trips --------------===//

#include "GGUFTestUtils.h"

#include "xfc/Frontends/GGUF/GGUFFile.h"
#include "xfc/Frontends/GGUF/GGUFWriter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace xfc::gguf;
using xfc::test::TempFile;

namespace {

TEST(GGUFFile, MetadataOfEveryTypeRoundTrips) {
  TempFile path("metadata.gguf");
  Writer w;
  w.setUInt32("u32", 4000000000u);
  w.setInt32("i32", -7);
  w.setUInt64("u64", 1ull << 40);
  w.setFloat32("f32", 0.25f);
  w.setBool("yes", true);
  w.setString("name", "tiny \xe2\x96\x81 model");
  w.setStringArray("tokens", {"a", "", "\xe2\x96\x81" "b"});
  w.setFloat32Array("scores", {1.5f, -2.0f});
  w.setInt32Array("types", {1, 2, 3});
  std::string error;
  ASSERT_TRUE(w.write(path, error)) << error;

  std::unique_ptr<File> f = File::open(path, error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->metadata().size(), 9u);
  EXPECT_EQ(*f->getUInt("u32", error), 4000000000u);
  EXPECT_EQ(f->find("i32")->i, -7);
  EXPECT_EQ(*f->getUInt("u64", error), 1ull << 40);
  EXPECT_EQ(*f->getFloat("f32", error), 0.25);
  EXPECT_EQ(f->find("yes")->u, 1u);
  EXPECT_EQ(*f->getString("name", error), "tiny \xe2\x96\x81 model");
  const Value *tokens = f->find("tokens");
  ASSERT_EQ(tokens->count, 3u);
  EXPECT_EQ(tokens->strings[1], "");
  EXPECT_EQ(tokens->strings[2], "\xe2\x96\x81" "b");
  EXPECT_EQ(f->find("scores")->floatAt(1), -2.0);
  EXPECT_EQ(f->find("types")->intAt(2), 3);
  EXPECT_TRUE(error.empty()) << error;

  // Wrong-typed lookups name the key.
  EXPECT_FALSE(f->getString("u32", error));
  EXPECT_NE(error.find("'u32' must be a string"), std::string::npos);
}

/// Every lossless type: the bytes read back are the bytes written.
class LosslessTensor : public ::testing::TestWithParam<GGMLType> {};

TEST_P(LosslessTensor, BytesAreBitExact) {
  GGMLType type = GetParam();
  GGMLTypeInfo info = *getTypeInfo(static_cast<uint32_t>(type));
  const uint64_t cols = 64, rows = 3;
  size_t bytes = cols * rows / info.blockSize * info.blockBytes;
  std::vector<uint8_t> payload(bytes);
  std::mt19937 rng(static_cast<unsigned>(type));
  for (uint8_t &b : payload)
    b = static_cast<uint8_t>(rng());

  TempFile path("lossless.gguf");
  Writer w(64); // a non-default alignment, declared in the metadata
  w.addTensor("t", {cols, rows}, type,
              [&](uint8_t *out) { std::memcpy(out, payload.data(), bytes); });
  w.addTensor("after", {32}, GGMLType::F32,
              [](uint8_t *out) { std::memset(out, 0x5a, 128); });
  std::string error;
  ASSERT_TRUE(w.write(path, error)) << error;
  std::unique_ptr<File> f = File::open(path, error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->alignment(), 64u);
  const TensorInfo *t = f->findTensor("t");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->shape(), (std::vector<int64_t>{3, 64}));
  EXPECT_EQ(t->numBytes, bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % 64, 0u);
  EXPECT_EQ(std::memcmp(t->data, payload.data(), bytes), 0);
  EXPECT_EQ(f->findTensor("after")->data[127], 0x5a);
}

INSTANTIATE_TEST_SUITE_P(AllLosslessTypes, LosslessTensor,
                         ::testing::Values(GGMLType::F32, GGMLType::F16,
                                           GGMLType::BF16, GGMLType::Q8_0,
                                           GGMLType::Q4_0, GGMLType::Q4_1),
                         [](const auto &info) {
                           return typeName(static_cast<uint32_t>(info.param));
                         });

TEST(GGUFFile, ReadsVersion2) {
  std::vector<uint8_t> bytes = xfc::test::minimalFile();
  bytes[4] = 2;
  std::string error;
  std::unique_ptr<File> f =
      File::fromBuffer(bytes.data(), bytes.size(), "v2.gguf", error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->version(), 2u);
}

TEST(GGUFFile, ReadsTheSharedVocabularies) {
  for (const char *name : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"}) {
    std::string error;
    std::unique_ptr<File> f =
        File::open(xfc::test::sharedDataPath(std::string("tokenizer/") + name),
                   error);
    ASSERT_TRUE(f) << error;
    const Value *tokens = f->find("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens) << name;
    EXPECT_GT(tokens->count, 30000u);
  }
}

} // namespace
