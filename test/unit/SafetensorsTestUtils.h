//===- SafetensorsTestUtils.h - safetensors files for tests ----*- C++ -*-===//
//
// Writes safetensors files from the format's definition (8-byte
// little-endian header size, JSON header, data), independently of the
// reader under test.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TEST_UNIT_SAFETENSORSTESTUTILS_H
#define XFC_TEST_UNIT_SAFETENSORSTESTUTILS_H

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace xfc::test {

/// A safetensors file: `header` as given, then `data`.
inline std::vector<uint8_t> safetensorsBytes(const std::string &header,
                                             const std::vector<uint8_t> &data) {
  uint64_t n = header.size();
  std::vector<uint8_t> bytes(8 + n + data.size());
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(header.begin(), header.end(), bytes.begin() + 8);
  std::copy(data.begin(), data.end(), bytes.begin() + 8 + n);
  return bytes;
}

/// An F32 tensor to write.
struct F32Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// Writes F32 tensors, in order, to `path`.
inline void writeSafetensors(const std::string &path,
                             const std::vector<F32Tensor> &tensors) {
  std::string header = "{";
  std::vector<uint8_t> data;
  for (const F32Tensor &t : tensors) {
    size_t begin = data.size();
    data.resize(begin + 4 * t.values.size());
    std::memcpy(data.data() + begin, t.values.data(), 4 * t.values.size());
    std::string shape;
    for (int64_t d : t.shape)
      shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    header += (header.size() > 1 ? ", \"" : "\"") + t.name +
              "\": {\"dtype\": \"F32\", \"shape\": [" + shape +
              "], \"data_offsets\": [" + std::to_string(begin) + ", " +
              std::to_string(data.size()) + "]}";
  }
  header += "}";
  std::vector<uint8_t> bytes = safetensorsBytes(header, data);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

} // namespace xfc::test

#endif // XFC_TEST_UNIT_SAFETENSORSTESTUTILS_H
