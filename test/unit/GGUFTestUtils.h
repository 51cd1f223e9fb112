//===- GGUFTestUtils.h - Helpers shared by the GGUF tests -------*- C++ -*-===//

#ifndef XFC_TEST_UNIT_GGUFTESTUTILS_H
#define XFC_TEST_UNIT_GGUFTESTUTILS_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

namespace xfc::test {

/// A file path under the test's temporary directory, removed at scope end.
class TempFile {
public:
  explicit TempFile(const std::string &name)
      : path(std::string(P_tmpdir) + "/xfc-" + std::to_string(getpid()) +
             "-" + name) {}
  ~TempFile() { std::remove(path.c_str()); }
  operator const std::string &() const { return path; }
  const std::string &str() const { return path; }

private:
  std::string path;
};

/// `relative` under ../shared/data beside the repository.
inline std::string sharedDataPath(const std::string &relative) {
  return std::string(XFC_SHARED_DATA_DIR) + "/" + relative;
}

/// Serialized little-endian building blocks for hand-made (and broken)
/// GGUF files.
struct Bytes {
  std::vector<uint8_t> data;
  template <typename T> Bytes &put(T v) {
    const uint8_t *p = reinterpret_cast<const uint8_t *>(&v);
    data.insert(data.end(), p, p + sizeof(T));
    return *this;
  }
  Bytes &str(const std::string &s) {
    put<uint64_t>(s.size());
    data.insert(data.end(), s.begin(), s.end());
    return *this;
  }
  Bytes &pad(size_t alignment) {
    data.resize((data.size() + alignment - 1) / alignment * alignment, 0);
    return *this;
  }
};

/// A valid v3 file: one u32 key and two F32 tensors of 8 elements ("a" at
/// offset 0, "b" at offset 32), 64 bytes of data.
inline std::vector<uint8_t> minimalFile() {
  Bytes b;
  b.put<uint32_t>(0x46554747).put<uint32_t>(3).put<uint64_t>(2).put<uint64_t>(1);
  b.str("general.x").put<uint32_t>(4).put<uint32_t>(7);
  b.str("a").put<uint32_t>(1).put<uint64_t>(8).put<uint32_t>(0).put<uint64_t>(0);
  b.str("b").put<uint32_t>(1).put<uint64_t>(8).put<uint32_t>(0).put<uint64_t>(32);
  b.pad(32);
  b.data.resize(b.data.size() + 64, 0);
  return b.data;
}

} // namespace xfc::test

#endif // XFC_TEST_UNIT_GGUFTESTUTILS_H
