//===- SafetensorsTest.cpp - The safetensors reader, good and hostile -----===//
//
// Files are built here byte by byte from the format's definition (8-byte
// little-endian header size, JSON header, data), so the reader is checked
// against the format, not against itself.
//
//===----------------------------------------------------------------------===//

#include "xfc/Frontends/Safetensors/SafetensorsFile.h"

#include "SafetensorsTestUtils.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace xfc;
using namespace xfc::safetensors;

namespace {

std::vector<uint8_t> fileOf(const std::string &header,
                            const std::vector<uint8_t> &data) {
  return test::safetensorsBytes(header, data);
}

template <typename T> void append(std::vector<uint8_t> &data, T value) {
  size_t at = data.size();
  data.resize(at + sizeof(T));
  std::memcpy(data.data() + at, &value, sizeof(T));
}

/// w: F32 [2, 3]; h: F16 [2]; b: BF16 [2]; ids: I64 [1]; and metadata.
std::vector<uint8_t> goodFile() {
  std::vector<uint8_t> data;
  for (float v : {1.0f, -2.0f, 0.5f, 3.0f, 4.0f, -0.25f})
    append(data, v);
  append<uint16_t>(data, 0x3c00); // f16 1.0
  append<uint16_t>(data, 0xc000); // f16 -2.0
  append<uint16_t>(data, 0x3f80); // bf16 1.0
  append<uint16_t>(data, 0x4040); // bf16 3.0
  append<int64_t>(data, 7);
  // Keys out of offset order: the index sorts them by offset.
  std::string header =
      R"({"h": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},)"
      R"( "__metadata__": {"format": "pt"},)"
      R"( "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},)"
      R"( "b": {"dtype": "BF16", "shape": [2], "data_offsets": [28, 32]},)"
      R"( "ids": {"dtype": "I64", "shape": [1], "data_offsets": [32, 40]}})";
  return fileOf(header, data);
}

std::string errorOf(const std::vector<uint8_t> &bytes) {
  std::string error;
  std::unique_ptr<File> f =
      File::fromBuffer(bytes.data(), bytes.size(), "bad.safetensors", error);
  EXPECT_EQ(f, nullptr) << "accepted a bad file";
  return error;
}

TEST(SafetensorsTest, ReadsTensorsMetadataAndValues) {
  std::vector<uint8_t> bytes = goodFile();
  std::string path = testing::TempDir() + "/good.safetensors";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  std::string error;
  std::unique_ptr<File> f = File::open(path, error);
  ASSERT_TRUE(f) << error;
  ASSERT_EQ(f->tensors().size(), 4u);
  EXPECT_EQ(f->tensors()[0].name, "w"); // by offset
  EXPECT_EQ(f->metadata().at("format"), "pt");
  const TensorInfo *w = f->findTensor("w");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  std::vector<float> values;
  ASSERT_TRUE(f->readAsF32(*w, values, error)) << error;
  EXPECT_EQ(values,
            (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f, 4.0f, -0.25f}));
  ASSERT_TRUE(f->readAsF32(*f->findTensor("h"), values, error));
  EXPECT_EQ(values, (std::vector<float>{1.0f, -2.0f}));
  ASSERT_TRUE(f->readAsF32(*f->findTensor("b"), values, error));
  EXPECT_EQ(values, (std::vector<float>{1.0f, 3.0f}));
  // Integer tensors are indexed, not read as values.
  EXPECT_FALSE(f->readAsF32(*f->findTensor("ids"), values, error));
  EXPECT_NE(error.find("tensor 'ids' is I64"), std::string::npos) << error;
  EXPECT_EQ(f->findTensor("missing"), nullptr);
  std::remove(path.c_str());
}

TEST(SafetensorsTest, MissingFileIsAnError) {
  std::string error;
  EXPECT_FALSE(File::open("/nonexistent/x.safetensors", error));
  EXPECT_NE(error.find("/nonexistent/x.safetensors: cannot open"),
            std::string::npos)
      << error;
}

TEST(SafetensorsTest, EveryTruncationIsRefused) {
  std::vector<uint8_t> bytes = goodFile();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    std::string error = errorOf(cut);
    EXPECT_EQ(error.rfind("bad.safetensors: ", 0), 0u) << n << ": " << error;
  }
}

struct Hostile {
  const char *what;
  std::string header;
  size_t dataBytes;
  const char *message;
};

TEST(SafetensorsTest, HostileHeadersNameTheirFault) {
  const Hostile cases[] = {
      {"not JSON", "{\"w\": ", 0, "the header is not a JSON object"},
      {"not an object", "[1, 2]", 0, "the header is not a JSON object"},
      {"no dtype", R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4,
       "tensor 'w': no dtype string"},
      {"unknown dtype",
       R"({"w": {"dtype": "F12", "shape": [1], "data_offsets": [0, 4]}})", 4,
       "tensor 'w': unknown dtype 'F12'"},
      {"negative dim",
       R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4,
       "tensor 'w': shape holds -1, not a non-negative integer"},
      {"overflowing shape",
       R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})",
       4, "tensor 'w': shape [4294967296,4294967296] overflows"},
      {"offsets reversed",
       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", 4,
       "tensor 'w': data_offsets [4, 0) are not within the 4 bytes of data"},
      {"offsets past the data",
       R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 4,
       "tensor 'w': data_offsets [0, 8) are not within the 4 bytes of data"},
      {"size mismatch",
       R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 4,
       "tensor 'w': F32 [2] takes 2 x 4 bytes, but its data_offsets span 4"},
      {"one offset",
       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4,
       "tensor 'w': data_offsets is not a pair of non-negative integers"},
      {"overlap",
       R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
       R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
       8, "tensors 'a' and 'b' overlap"},
      {"metadata not strings", R"({"__metadata__": {"n": 3}})", 0,
       "__metadata__ field 'n' is not a string"},
  };
  for (const Hostile &h : cases) {
    SCOPED_TRACE(h.what);
    std::string error =
        errorOf(fileOf(h.header, std::vector<uint8_t>(h.dataBytes, 0)));
    EXPECT_EQ(error, std::string("bad.safetensors: ") + h.message);
  }
}

TEST(SafetensorsTest, HeaderSizesPastTheFileAreRefused) {
  std::vector<uint8_t> bytes = fileOf("{}", {});
  bytes[7] = 0x80; // 2^63 + 2
  EXPECT_NE(errorOf(bytes).find("runs past the end of the file"),
            std::string::npos);
  std::vector<uint8_t> empty = fileOf("{}", {});
  std::string error;
  EXPECT_TRUE(File::fromBuffer(empty.data(), empty.size(), "e", error))
      << error;
}

} // namespace
