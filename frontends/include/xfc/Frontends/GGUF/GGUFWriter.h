//===- GGUFWriter.h - Writes GGUF v3 files ----------------------*- C++ -*-===//
//
// Builds a GGUF file: metadata of any type, then tensors whose bytes are
// produced one at a time while writing, so a multi-gigabyte model needs only
// its largest tensor in memory.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_GGUF_GGUFWRITER_H
#define XFC_FRONTENDS_GGUF_GGUFWRITER_H

#include "xfc/Frontends/GGUF/GGMLType.h"
#include "xfc/Frontends/GGUF/GGUFFile.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xfc::gguf {

class Writer {
public:
  /// Fills a tensor's `numBytes` bytes at `out`.
  using TensorFiller = std::function<void(uint8_t *out)>;

  explicit Writer(uint32_t alignment = 32);

  void setUInt32(const std::string &key, uint32_t value);
  void setInt32(const std::string &key, int32_t value);
  void setUInt64(const std::string &key, uint64_t value);
  void setFloat32(const std::string &key, float value);
  void setBool(const std::string &key, bool value);
  void setString(const std::string &key, const std::string &value);
  void setStringArray(const std::string &key,
                      const std::vector<std::string> &values);
  void setFloat32Array(const std::string &key,
                       const std::vector<float> &values);
  void setInt32Array(const std::string &key,
                     const std::vector<int32_t> &values);
  /// Copies a value read from another file (for `--vocab`).
  void setValue(const std::string &key, const Value &value);

  /// Adds a tensor. `dims` are in ggml order (contiguous dimension first);
  /// dims[0] must be a multiple of the type's block size.
  void addTensor(const std::string &name, std::vector<uint64_t> dims,
                 GGMLType type, TensorFiller fill);

  /// Writes the file. Returns false and sets `error` on I/O failure.
  bool write(const std::string &path, std::string &error) const;

private:
  struct Entry {
    std::string key;
    std::vector<uint8_t> bytes; // value type + payload, serialized
  };
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    GGMLType type;
    uint64_t numBytes;
    TensorFiller fill;
  };
  Entry &entry(const std::string &key, ValueType type);

  uint32_t alignment;
  std::vector<Entry> entries;
  std::vector<Tensor> tensors;
};

} // namespace xfc::gguf

#endif // XFC_FRONTENDS_GGUF_GGUFWRITER_H
