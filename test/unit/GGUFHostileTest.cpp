//===- GGUFHostileTest.cpp - The GGUF reader refuses broken files ---------===//
//
// Every malformed file must be refused with a message naming the offset or
// tensor, and never read out of bounds (the asan preset checks the latter).
//
//===----------------------------------------------------------------------===//

#include "GGUFTestUtils.h"

#include "xfc/Frontends/GGUF/GGUFFile.h"

#include <gtest/gtest.h>

using namespace xfc::gguf;
using xfc::test::Bytes;

namespace {

/// Parses `bytes` and returns the error (empty when the file was accepted).
std::string errorFor(const std::vector<uint8_t> &bytes) {
  std::string error;
  std::unique_ptr<File> f =
      File::fromBuffer(bytes.data(), bytes.size(), "bad.gguf", error);
  if (f)
    return "";
  EXPECT_FALSE(error.empty());
  return error;
}

#define EXPECT_REFUSED(bytes, fragment)                                        \
  do {                                                                         \
    std::string e = errorFor(bytes);                                           \
    EXPECT_NE(e.find(fragment), std::string::npos)                             \
        << "error was: '" << e << "'";                                         \
    EXPECT_EQ(e.rfind("bad.gguf: ", 0), 0u) << "error must name the file";     \
  } while (0)

/// Header with the given counts, then the caller appends the rest.
Bytes header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
  Bytes b;
  b.put<uint32_t>(0x46554747).put<uint32_t>(version).put<uint64_t>(tensors);
  b.put<uint64_t>(kvs);
  return b;
}

/// One F32 tensor info.
Bytes &tensor(Bytes &b, const std::string &name, std::vector<uint64_t> dims,
              uint64_t offset, uint32_t type = 0) {
  b.str(name).put<uint32_t>(static_cast<uint32_t>(dims.size()));
  for (uint64_t d : dims)
    b.put<uint64_t>(d);
  return b.put<uint32_t>(type).put<uint64_t>(offset);
}

std::vector<uint8_t> withData(Bytes b, size_t dataBytes) {
  b.pad(32);
  b.data.resize(b.data.size() + dataBytes, 0);
  return b.data;
}

TEST(GGUFHostile, AcceptsTheMinimalFile) {
  EXPECT_EQ(errorFor(xfc::test::minimalFile()), "");
}

TEST(GGUFHostile, EveryTruncationIsRefused) {
  std::vector<uint8_t> full = xfc::test::minimalFile();
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    std::string e = errorFor(cut);
    ASSERT_FALSE(e.empty()) << "truncated to " << n << " bytes was accepted";
    bool named = e.find("offset") != std::string::npos ||
                 e.find("tensor '") != std::string::npos;
    EXPECT_TRUE(named) << n << ": " << e;
  }
}

TEST(GGUFHostile, BadMagicAndVersion) {
  std::vector<uint8_t> bytes = xfc::test::minimalFile();
  bytes[0] = 'X';
  EXPECT_REFUSED(bytes, "not a GGUF file");
  EXPECT_REFUSED(withData(header(0, 0, 1), 0), "unsupported GGUF version 1");
  EXPECT_REFUSED(withData(header(0, 0, 4), 0), "unsupported GGUF version 4");
}

TEST(GGUFHostile, AbsurdCounts) {
  EXPECT_REFUSED(withData(header(1ull << 60, 0), 64),
                 "tensor count 1152921504606846976 is impossible");
  EXPECT_REFUSED(withData(header(0, 1ull << 62), 64),
                 "metadata count 4611686018427387904 is impossible");
}

TEST(GGUFHostile, BadStringLength) {
  Bytes b = header(0, 1);
  b.put<uint64_t>(1ull << 50); // key length
  EXPECT_REFUSED(withData(b, 64),
                 "bad length 1125899906842624 for a metadata key");
  Bytes v = header(0, 1);
  v.str("k").put<uint32_t>(8).put<uint64_t>(1000); // string value too long
  EXPECT_REFUSED(withData(v, 16), "bad length 1000 for a string value");
}

TEST(GGUFHostile, BadMetadataValues) {
  Bytes unknown = header(0, 1);
  unknown.str("k").put<uint32_t>(13);
  EXPECT_REFUSED(withData(unknown, 8), "unknown metadata value type 13");

  Bytes nested = header(0, 1);
  nested.str("k").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(1);
  EXPECT_REFUSED(withData(nested, 32), "nested arrays are not supported");

  Bytes hugeArray = header(0, 1);
  hugeArray.str("k").put<uint32_t>(9).put<uint32_t>(4).put<uint64_t>(1ull << 61);
  EXPECT_REFUSED(withData(hugeArray, 32), "cannot fit");

  Bytes hugeStrings = header(0, 1);
  hugeStrings.str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 40);
  EXPECT_REFUSED(withData(hugeStrings, 32), "strings cannot fit");

  Bytes badBool = header(0, 1);
  badBool.str("k").put<uint32_t>(7).put<uint8_t>(2);
  EXPECT_REFUSED(withData(badBool, 8), "bool value 2");

  Bytes duplicate = header(0, 2);
  duplicate.str("k").put<uint32_t>(4).put<uint32_t>(1);
  duplicate.str("k").put<uint32_t>(4).put<uint32_t>(2);
  EXPECT_REFUSED(withData(duplicate, 0), "duplicate metadata key 'k'");

  Bytes badAlign = header(0, 1);
  badAlign.str("general.alignment").put<uint32_t>(4).put<uint32_t>(24);
  EXPECT_REFUSED(withData(badAlign, 0), "general.alignment must be");
}

TEST(GGUFHostile, BadTensorInfos) {
  Bytes rank = header(1, 0);
  tensor(rank, "w", {1, 1, 1, 1, 1}, 0);
  EXPECT_REFUSED(withData(rank, 64), "tensor 'w' has 5 dimensions");

  Bytes zero = header(1, 0);
  tensor(zero, "w", {8, 0}, 0);
  EXPECT_REFUSED(withData(zero, 64), "tensor 'w' has an absurd dimension 0");

  Bytes overflow = header(1, 0);
  tensor(overflow, "w", {1ull << 40, 1ull << 40}, 0);
  EXPECT_REFUSED(withData(overflow, 64), "tensor 'w' has an absurd dimension");

  // 2^62 F32 elements would be 2^64 bytes: the size must not wrap to 0.
  Bytes wraps = header(1, 0);
  tensor(wraps, "w", {1ull << 62}, 0);
  EXPECT_REFUSED(withData(wraps, 64), "tensor 'w' is too large");

  Bytes type = header(1, 0);
  tensor(type, "w", {8}, 0, /*type=*/99);
  EXPECT_REFUSED(withData(type, 64), "tensor 'w' has unknown type id 99");

  Bytes blocks = header(1, 0);
  tensor(blocks, "w", {8}, 0, /*Q4_0=*/2);
  EXPECT_REFUSED(withData(blocks, 64), "not a multiple of the Q4_0 block size");

  Bytes misaligned = header(1, 0);
  tensor(misaligned, "w", {8}, 4);
  EXPECT_REFUSED(withData(misaligned, 64), "tensor 'w' offset 4 is not aligned");

  Bytes duplicate = header(2, 0);
  tensor(duplicate, "w", {8}, 0);
  tensor(duplicate, "w", {8}, 32);
  EXPECT_REFUSED(withData(duplicate, 64), "duplicate tensor 'w'");
}

TEST(GGUFHostile, TensorDataOutOfBounds) {
  Bytes past = header(1, 0);
  tensor(past, "w", {8}, 64); // 32 bytes at 64, but only 64 bytes of data
  EXPECT_REFUSED(withData(past, 64), "tensor 'w' (offset 64, 32 bytes) extends past the end");

  Bytes hugeOffset = header(1, 0);
  tensor(hugeOffset, "w", {8}, ~uint64_t(0) - 31);
  EXPECT_REFUSED(withData(hugeOffset, 64), "extends past the end");

  Bytes overlap = header(2, 0);
  tensor(overlap, "a", {16}, 0); // bytes [0, 64)
  tensor(overlap, "b", {8}, 32);  // bytes [32, 64)
  EXPECT_REFUSED(withData(overlap, 64), "tensors 'a' and 'b' overlap");
}

} // namespace
