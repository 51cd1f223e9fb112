//===- SafetensorsFile.h - Hugging Face safetensors files ------*- C++ -*-===//
//
// A safetensors file is an 8-byte little-endian header size N, N bytes of
// JSON naming each tensor's dtype, shape and [begin, end) byte offsets into
// the data that follows, and an optional "__metadata__" map of strings.
// The file is mapped and every offset is checked against the data's size
// and the tensor's dtype and shape before any tensor is read; overlapping
// tensors are refused. No MLIR dependency: tools, tests and fuzzers use it
// alone (the adapter loaders and the HF model frontend build on it).
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_SAFETENSORS_SAFETENSORSFILE_H
#define XFC_FRONTENDS_SAFETENSORS_SAFETENSORSFILE_H

#include "xfc/Frontends/MappedFile.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xfc::safetensors {

/// The dtypes of the format. Only F32, F16 and BF16 can be read as values
/// (readAsF32); the others are indexed and checked, so a file holding
/// them (integer buffers, say) still opens.
enum class DType {
  F64,
  F32,
  F16,
  BF16,
  I64,
  I32,
  I16,
  I8,
  U8,
  Bool,
  F8E4M3,
  F8E5M2
};

/// The dtype a header names ("F32", ...), or nullopt.
std::optional<DType> parseDType(std::string_view name);
const char *getDTypeName(DType dtype);
uint64_t getDTypeBytes(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  /// Row-major (outermost first), as MLIR shapes are.
  std::vector<int64_t> shape;
  uint64_t numElements = 0;
  /// Offsets relative to the data, and the bytes there.
  uint64_t begin = 0, end = 0;
  const uint8_t *data = nullptr;
};

class File : public MappedInput {
public:
  /// Maps and validates `path`. On failure returns null and sets `error` to
  /// a message that names the file and the tensor or field at fault.
  static std::unique_ptr<File> open(const std::string &path,
                                    std::string &error);
  /// Validates a buffer the caller keeps alive (tests, fuzzing).
  static std::unique_ptr<File> fromBuffer(const uint8_t *data, size_t size,
                                          std::string name, std::string &error);

  /// Tensors in the order of their offsets.
  const std::vector<TensorInfo> &tensors() const { return tensorInfos; }
  const TensorInfo *findTensor(std::string_view name) const;
  const std::map<std::string, std::string> &metadata() const { return meta; }

  /// A tensor's values as f32 (F32, F16 or BF16; an error naming the
  /// tensor and its dtype otherwise).
  bool readAsF32(const TensorInfo &tensor, std::vector<float> &values,
                 std::string &error) const;

private:
  File() = default;
  bool parse(std::string &error);

  std::vector<TensorInfo> tensorInfos;
  std::map<std::string, std::string> meta;
};

} // namespace xfc::safetensors

#endif // XFC_FRONTENDS_SAFETENSORS_SAFETENSORSFILE_H
