//===- GGUFFile.h - A validating, memory-mapped GGUF reader -----*- C++ -*-===//
//
// Reads GGUF v2/v3 files: metadata of every value type (arrays included),
// tensor infos and the aligned data section. The file is memory-mapped and
// every byte is bounds-checked once, at open; afterwards tensor data is
// served straight from the mapping, never copied.
//
// Hostile input (truncation, bad magic, absurd counts or dims, offsets past
// the end, overlapping tensors, bad strings) is refused with an error that
// names the byte offset or the tensor.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_GGUF_GGUFFILE_H
#define XFC_FRONTENDS_GGUF_GGUFFILE_H

#include "xfc/Frontends/GGUF/GGMLType.h"
#include "xfc/Frontends/MappedFile.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xfc::gguf {

/// GGUF metadata value types.
enum class ValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

const char *valueTypeName(ValueType type);
/// Whether values of `type` are integers; bool is not one.
bool isIntegerType(ValueType type);

/// One metadata value. Scalars are held decoded; strings and arrays point
/// into the mapping.
struct Value {
  ValueType type = ValueType::UInt8;
  // Scalars: integers widen to int64/uint64, floats to double.
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string_view str;
  // Arrays: element type and count; numeric elements start at `data`,
  // string elements are listed in `strings`.
  ValueType elementType = ValueType::UInt8;
  uint64_t count = 0;
  const uint8_t *data = nullptr;
  std::vector<std::string_view> strings;

  bool isInteger() const { return isIntegerType(type); }
  bool isFloat() const {
    return type == ValueType::Float32 || type == ValueType::Float64;
  }
  /// The i-th numeric array element, widened. Undefined for non-numeric.
  int64_t intAt(uint64_t index) const;
  double floatAt(uint64_t index) const;
  /// A short rendering for `xfc inspect` (arrays are abbreviated).
  std::string toString(size_t maxElements = 8) const;
};

struct KeyValue {
  std::string_view key;
  Value value;
};

/// A tensor's description and where its bytes are in the mapping.
struct TensorInfo {
  std::string_view name;
  /// ggml order: dims[0] is the contiguous dimension. A linear weight of
  /// shape [out, in] has dims = {in, out}.
  std::vector<uint64_t> dims;
  uint32_t type = 0;
  uint64_t offset = 0; // relative to the data section
  uint64_t numElements = 0;
  uint64_t numBytes = 0;
  const uint8_t *data = nullptr;

  GGMLType ggmlType() const { return static_cast<GGMLType>(type); }
  /// Dims in row-major (outermost-first) order, as MLIR shapes are.
  std::vector<int64_t> shape() const;
};

class File : public MappedInput {
public:
  ~File();
  File(const File &) = delete;
  File &operator=(const File &) = delete;

  /// Maps and validates `path`. On failure returns null and sets `error`
  /// to a message that names the file and the offset or tensor at fault.
  static std::unique_ptr<File> open(const std::string &path,
                                    std::string &error);
  /// Validates a buffer the caller keeps alive (tests, fuzzing).
  static std::unique_ptr<File> fromBuffer(const uint8_t *data, size_t size,
                                          std::string name,
                                          std::string &error);

  uint32_t version() const { return formatVersion; }
  uint64_t alignment() const { return align; }
  uint64_t fileSize() const { return size; }
  uint64_t dataOffset() const { return dataStart; }

  const std::vector<KeyValue> &metadata() const { return kvs; }
  const std::vector<TensorInfo> &tensors() const { return tensorInfos; }

  const Value *find(std::string_view key) const;
  const TensorInfo *findTensor(std::string_view name) const;

  /// Typed metadata lookups. A missing key yields nullopt; a key of the
  /// wrong type sets `error` (naming the key) and yields nullopt too.
  std::optional<uint64_t> getUInt(std::string_view key,
                                  std::string &error) const;
  std::optional<double> getFloat(std::string_view key,
                                 std::string &error) const;
  std::optional<std::string_view> getString(std::string_view key,
                                            std::string &error) const;

private:
  File() = default;
  bool parse(std::string &error);

  uint32_t formatVersion = 0;
  uint64_t align = 32;
  uint64_t dataStart = 0;
  std::vector<KeyValue> kvs;
  std::vector<TensorInfo> tensorInfos;
};

} // namespace xfc::gguf

#endif // XFC_FRONTENDS_GGUF_GGUFFILE_H
