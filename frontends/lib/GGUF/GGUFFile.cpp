//===- GGUFFile.cpp - A validating, memory-mapped GGUF reader -------------===//

#include "xfc/Frontends/GGUF/GGUFFile.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <unordered_set>

using namespace xfc::gguf;

namespace {

constexpr uint32_t kMagic = 0x46554747; // "GGUF" read little-endian
constexpr uint32_t kMaxDims = 4;        // GGML_MAX_DIMS

size_t scalarSize(ValueType type) {
  switch (type) {
  case ValueType::UInt8:
  case ValueType::Int8:
  case ValueType::Bool:
    return 1;
  case ValueType::UInt16:
  case ValueType::Int16:
    return 2;
  case ValueType::UInt32:
  case ValueType::Int32:
  case ValueType::Float32:
    return 4;
  case ValueType::UInt64:
  case ValueType::Int64:
  case ValueType::Float64:
    return 8;
  case ValueType::String:
  case ValueType::Array:
    return 0;
  }
  return 0;
}

bool isKnownValueType(uint32_t t) { return t <= 12; }

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

/// Reads little-endian fields from [data, data + size), failing with an
/// offset-bearing message instead of reading past the end.
class Cursor {
public:
  Cursor(const uint8_t *data, uint64_t size, std::string &error)
      : data(data), size(size), error(error) {}

  uint64_t offset() const { return pos; }
  uint64_t remaining() const { return size - pos; }

  bool fail(const std::string &message) {
    error = "at offset " + hex(pos) + ": " + message;
    return false;
  }
  bool failAt(uint64_t at, const std::string &message) {
    error = "at offset " + hex(at) + ": " + message;
    return false;
  }

  template <typename T> bool read(T &out, const char *what) {
    if (remaining() < sizeof(T))
      return fail(std::string("file ends inside ") + what + " (needs " +
                  std::to_string(sizeof(T)) + " bytes, " +
                  std::to_string(remaining()) + " left)");
    std::memcpy(&out, data + pos, sizeof(T));
    pos += sizeof(T);
    return true;
  }

  bool readString(std::string_view &out, const char *what) {
    uint64_t at = pos;
    uint64_t length;
    if (!read(length, what))
      return false;
    if (length > remaining())
      return failAt(at, std::string("bad length ") + std::to_string(length) +
                            " for " + what + ": only " +
                            std::to_string(remaining()) +
                            " bytes are left in the file");
    out = std::string_view(reinterpret_cast<const char *>(data + pos), length);
    pos += length;
    return true;
  }

  bool skip(uint64_t bytes, const char *what) {
    if (bytes > remaining())
      return fail(std::string("file ends inside ") + what);
    pos += bytes;
    return true;
  }

  const uint8_t *here() const { return data + pos; }

private:
  const uint8_t *data;
  uint64_t size;
  uint64_t pos = 0;
  std::string &error;
};

bool readScalar(Cursor &c, ValueType type, Value &v) {
  switch (type) {
#define XFC_READ(ENUM, CTYPE, FIELD)                                           \
  case ValueType::ENUM: {                                                      \
    CTYPE x;                                                                   \
    if (!c.read(x, "a " #ENUM " value"))                                       \
      return false;                                                            \
    v.FIELD = x;                                                               \
    return true;                                                               \
  }
    XFC_READ(UInt8, uint8_t, u)
    XFC_READ(UInt16, uint16_t, u)
    XFC_READ(UInt32, uint32_t, u)
    XFC_READ(UInt64, uint64_t, u)
    XFC_READ(Int8, int8_t, i)
    XFC_READ(Int16, int16_t, i)
    XFC_READ(Int32, int32_t, i)
    XFC_READ(Int64, int64_t, i)
    XFC_READ(Float32, float, f)
    XFC_READ(Float64, double, f)
#undef XFC_READ
  case ValueType::Bool: {
    uint8_t x;
    if (!c.read(x, "a bool value"))
      return false;
    if (x > 1)
      return c.fail("bool value " + std::to_string(x) + " is not 0 or 1");
    v.u = x;
    return true;
  }
  case ValueType::String:
    return c.readString(v.str, "a string value");
  case ValueType::Array:
    break;
  }
  return c.fail("unexpected value type");
}

bool readValue(Cursor &c, Value &v) {
  uint64_t at = c.offset();
  uint32_t type;
  if (!c.read(type, "a value type"))
    return false;
  if (!isKnownValueType(type))
    return c.failAt(at, "unknown metadata value type " + std::to_string(type));
  v.type = static_cast<ValueType>(type);
  if (v.type != ValueType::Array)
    return readScalar(c, v.type, v);

  uint32_t elementType;
  if (!c.read(elementType, "an array element type") ||
      !c.read(v.count, "an array length"))
    return false;
  if (!isKnownValueType(elementType))
    return c.failAt(at, "unknown array element type " +
                            std::to_string(elementType));
  v.elementType = static_cast<ValueType>(elementType);
  if (v.elementType == ValueType::Array)
    return c.failAt(at, "nested arrays are not supported");
  if (v.elementType == ValueType::String) {
    // Each string needs at least its 8-byte length.
    if (v.count > c.remaining() / 8)
      return c.failAt(at, "array of " + std::to_string(v.count) +
                              " strings cannot fit in the " +
                              std::to_string(c.remaining()) +
                              " bytes left");
    v.strings.resize(v.count);
    for (std::string_view &s : v.strings)
      if (!c.readString(s, "an array string"))
        return false;
    return true;
  }
  size_t elementSize = scalarSize(v.elementType);
  if (v.count > c.remaining() / elementSize)
    return c.failAt(at, "array of " + std::to_string(v.count) + " " +
                            valueTypeName(v.elementType) +
                            " values cannot fit in the " +
                            std::to_string(c.remaining()) + " bytes left");
  v.data = c.here();
  if (v.elementType == ValueType::Bool)
    for (uint64_t k = 0; k < v.count; ++k)
      if (v.data[k] > 1)
        return c.fail("bool array element is not 0 or 1");
  return c.skip(v.count * elementSize, "an array");
}

} // namespace

const char *xfc::gguf::valueTypeName(ValueType type) {
  switch (type) {
  case ValueType::UInt8: return "u8";
  case ValueType::Int8: return "i8";
  case ValueType::UInt16: return "u16";
  case ValueType::Int16: return "i16";
  case ValueType::UInt32: return "u32";
  case ValueType::Int32: return "i32";
  case ValueType::Float32: return "f32";
  case ValueType::Bool: return "bool";
  case ValueType::String: return "string";
  case ValueType::Array: return "array";
  case ValueType::UInt64: return "u64";
  case ValueType::Int64: return "i64";
  case ValueType::Float64: return "f64";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// Value
//===----------------------------------------------------------------------===//

bool xfc::gguf::isIntegerType(ValueType t) {
  switch (t) {
  case ValueType::UInt8:
  case ValueType::Int8:
  case ValueType::UInt16:
  case ValueType::Int16:
  case ValueType::UInt32:
  case ValueType::Int32:
  case ValueType::UInt64:
  case ValueType::Int64:
    return true;
  default:
    return false;
  }
}

static bool isSignedType(ValueType t) {
  return t == ValueType::Int8 || t == ValueType::Int16 ||
         t == ValueType::Int32 || t == ValueType::Int64;
}


int64_t Value::intAt(uint64_t index) const {
  const uint8_t *p = data + index * scalarSize(elementType);
  switch (elementType) {
#define XFC_AT(ENUM, CTYPE)                                                    \
  case ValueType::ENUM: {                                                      \
    CTYPE x;                                                                   \
    std::memcpy(&x, p, sizeof(x));                                             \
    return static_cast<int64_t>(x);                                            \
  }
    XFC_AT(UInt8, uint8_t)
    XFC_AT(Bool, uint8_t)
    XFC_AT(Int8, int8_t)
    XFC_AT(UInt16, uint16_t)
    XFC_AT(Int16, int16_t)
    XFC_AT(UInt32, uint32_t)
    XFC_AT(Int32, int32_t)
    XFC_AT(UInt64, uint64_t)
    XFC_AT(Int64, int64_t)
    XFC_AT(Float32, float)
    XFC_AT(Float64, double)
#undef XFC_AT
  default:
    return 0;
  }
}

double Value::floatAt(uint64_t index) const {
  const uint8_t *p = data + index * scalarSize(elementType);
  if (elementType == ValueType::Float32) {
    float x;
    std::memcpy(&x, p, 4);
    return x;
  }
  if (elementType == ValueType::Float64) {
    double x;
    std::memcpy(&x, p, 8);
    return x;
  }
  return static_cast<double>(intAt(index));
}

std::string Value::toString(size_t maxElements) const {
  std::ostringstream os;
  auto scalar = [&](ValueType t, uint64_t u, int64_t i, double f,
                    std::string_view s) {
    if (t == ValueType::String)
      os << '"' << s << '"';
    else if (t == ValueType::Bool)
      os << (u ? "true" : "false");
    else if (t == ValueType::Float32 || t == ValueType::Float64)
      os << f;
    else if (isSignedType(t))
      os << i;
    else
      os << u;
  };
  if (type != ValueType::Array) {
    scalar(type, u, i, f, str);
    return os.str();
  }
  os << "[";
  uint64_t shown = std::min<uint64_t>(count, maxElements);
  for (uint64_t k = 0; k < shown; ++k) {
    if (k)
      os << ", ";
    if (elementType == ValueType::String)
      scalar(elementType, 0, 0, 0, strings[k]);
    else if (elementType == ValueType::Float32 ||
             elementType == ValueType::Float64)
      scalar(elementType, 0, 0, floatAt(k), {});
    else
      scalar(elementType, static_cast<uint64_t>(intAt(k)), intAt(k), 0, {});
  }
  if (count > shown)
    os << ", ... (" << count << " " << valueTypeName(elementType) << ")";
  os << "]";
  return os.str();
}

std::vector<int64_t> TensorInfo::shape() const {
  return std::vector<int64_t>(dims.rbegin(), dims.rend());
}

//===----------------------------------------------------------------------===//
// File
//===----------------------------------------------------------------------===//

File::~File() = default;

std::unique_ptr<File> File::open(const std::string &path, std::string &error) {
  std::unique_ptr<File> file(new File());
  if (!file->map(path, error) || !file->parse(error))
    return nullptr;
  return file;
}

std::unique_ptr<File> File::fromBuffer(const uint8_t *data, size_t size,
                                       std::string name, std::string &error) {
  std::unique_ptr<File> file(new File());
  file->borrow(data, size, std::move(name));
  if (!file->parse(error))
    return nullptr;
  return file;
}

bool File::parse(std::string &error) {
  std::string why;
  Cursor c(base, size, why);
  auto failed = [&] {
    error = name + ": " + why;
    return false;
  };

  uint32_t magic;
  if (!c.read(magic, "the GGUF magic"))
    return failed();
  if (magic != kMagic) {
    c.failAt(0, "not a GGUF file (bad magic " + hex(magic) + ")");
    return failed();
  }
  if (!c.read(formatVersion, "the GGUF version"))
    return failed();
  if (formatVersion != 2 && formatVersion != 3) {
    c.failAt(4, "unsupported GGUF version " + std::to_string(formatVersion) +
                    " (XFC reads versions 2 and 3)");
    return failed();
  }
  uint64_t tensorCount, kvCount;
  if (!c.read(tensorCount, "the tensor count") ||
      !c.read(kvCount, "the metadata count"))
    return failed();
  // Each key/value needs at least 13 bytes and each tensor info 32: reject
  // counts the file cannot possibly hold before reserving anything.
  if (kvCount > c.remaining() / 13) {
    c.failAt(16, "metadata count " + std::to_string(kvCount) +
                     " is impossible for a file of " + std::to_string(size) +
                     " bytes");
    return failed();
  }
  if (tensorCount > c.remaining() / 32) {
    c.failAt(8, "tensor count " + std::to_string(tensorCount) +
                    " is impossible for a file of " + std::to_string(size) +
                    " bytes");
    return failed();
  }

  std::unordered_set<std::string_view> keys;
  kvs.resize(kvCount);
  for (KeyValue &kv : kvs) {
    uint64_t at = c.offset();
    if (!c.readString(kv.key, "a metadata key"))
      return failed();
    if (kv.key.empty()) {
      c.failAt(at, "empty metadata key");
      return failed();
    }
    if (!keys.insert(kv.key).second) {
      c.failAt(at, "duplicate metadata key '" + std::string(kv.key) + "'");
      return failed();
    }
    if (!readValue(c, kv.value)) {
      why += " (in metadata '" + std::string(kv.key) + "')";
      return failed();
    }
  }

  if (const Value *a = find("general.alignment")) {
    if (a->type != ValueType::UInt32 || a->u == 0 || (a->u & (a->u - 1))) {
      why = "general.alignment must be a non-zero power of two u32";
      return failed();
    }
    align = a->u;
  }

  std::unordered_set<std::string_view> names;
  tensorInfos.resize(tensorCount);
  for (TensorInfo &t : tensorInfos) {
    uint64_t at = c.offset();
    if (!c.readString(t.name, "a tensor name"))
      return failed();
    std::string label = "tensor '" + std::string(t.name) + "'";
    if (!names.insert(t.name).second) {
      c.failAt(at, "duplicate " + label);
      return failed();
    }
    uint32_t nDims;
    if (!c.read(nDims, "a tensor rank"))
      return failed();
    if (nDims == 0 || nDims > kMaxDims) {
      c.failAt(at, label + " has " + std::to_string(nDims) +
                       " dimensions (1 to 4 are allowed)");
      return failed();
    }
    t.dims.resize(nDims);
    t.numElements = 1;
    for (uint64_t &d : t.dims) {
      if (!c.read(d, "a tensor dimension"))
        return failed();
      // Keep element counts below 2^62 so byte sizes cannot overflow.
      if (d == 0 || d > (uint64_t(1) << 62) / t.numElements) {
        c.failAt(at, label + " has an absurd dimension " + std::to_string(d));
        return failed();
      }
      t.numElements *= d;
    }
    if (!c.read(t.type, "a tensor type") || !c.read(t.offset, "a tensor offset"))
      return failed();
    std::optional<GGMLTypeInfo> info = getTypeInfo(t.type);
    if (!info) {
      c.failAt(at, label + " has unknown type id " + std::to_string(t.type));
      return failed();
    }
    if (t.dims[0] % info->blockSize != 0) {
      c.failAt(at, label + ": row length " + std::to_string(t.dims[0]) +
                       " is not a multiple of the " + info->name +
                       " block size " + std::to_string(info->blockSize));
      return failed();
    }
    // Elements are below 2^62, but bytes per element can reach 8.
    if (__builtin_mul_overflow(t.numElements / info->blockSize,
                               uint64_t(info->blockBytes), &t.numBytes)) {
      c.failAt(at, label + " is too large (" + std::to_string(t.numElements) +
                       " elements of " + info->name + ")");
      return failed();
    }
    if (t.offset % align != 0) {
      c.failAt(at, label + " offset " + std::to_string(t.offset) +
                       " is not aligned to " + std::to_string(align));
      return failed();
    }
  }

  dataStart = (c.offset() + align - 1) / align * align;
  if (dataStart > size && tensorCount > 0) {
    why = "file ends before its data section (at offset " + hex(dataStart) +
          ")";
    return failed();
  }
  uint64_t dataSize = size > dataStart ? size - dataStart : 0;
  for (TensorInfo &t : tensorInfos) {
    if (t.offset > dataSize || t.numBytes > dataSize - t.offset) {
      why = "tensor '" + std::string(t.name) + "' (offset " +
            std::to_string(t.offset) + ", " + std::to_string(t.numBytes) +
            " bytes) extends past the end of the file (data section holds " +
            std::to_string(dataSize) + " bytes)";
      return failed();
    }
    t.data = base + dataStart + t.offset;
  }

  // No two tensors may share bytes.
  std::vector<const TensorInfo *> byOffset;
  for (const TensorInfo &t : tensorInfos)
    byOffset.push_back(&t);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const TensorInfo *a, const TensorInfo *b) {
              return a->offset < b->offset;
            });
  for (size_t k = 1; k < byOffset.size(); ++k) {
    const TensorInfo *prev = byOffset[k - 1], *cur = byOffset[k];
    if (prev->offset + prev->numBytes > cur->offset) {
      why = "tensors '" + std::string(prev->name) + "' and '" +
            std::string(cur->name) + "' overlap";
      return failed();
    }
  }
  return true;
}

const Value *File::find(std::string_view key) const {
  for (const KeyValue &kv : kvs)
    if (kv.key == key)
      return &kv.value;
  return nullptr;
}

const TensorInfo *File::findTensor(std::string_view tensorName) const {
  for (const TensorInfo &t : tensorInfos)
    if (t.name == tensorName)
      return &t;
  return nullptr;
}

std::optional<uint64_t> File::getUInt(std::string_view key,
                                      std::string &error) const {
  const Value *v = find(key);
  if (!v)
    return std::nullopt;
  if (v->isInteger() && !isSignedType(v->type))
    return v->u;
  if (isSignedType(v->type) && v->i >= 0)
    return static_cast<uint64_t>(v->i);
  error = name + ": metadata '" + std::string(key) +
          "' must be a non-negative integer, got " + valueTypeName(v->type);
  return std::nullopt;
}

std::optional<double> File::getFloat(std::string_view key,
                                     std::string &error) const {
  const Value *v = find(key);
  if (!v)
    return std::nullopt;
  if (v->isFloat())
    return v->f;
  error = name + ": metadata '" + std::string(key) + "' must be a float, got " +
          valueTypeName(v->type);
  return std::nullopt;
}

std::optional<std::string_view> File::getString(std::string_view key,
                                                std::string &error) const {
  const Value *v = find(key);
  if (!v)
    return std::nullopt;
  if (v->type == ValueType::String)
    return v->str;
  error = name + ": metadata '" + std::string(key) +
          "' must be a string, got " + valueTypeName(v->type);
  return std::nullopt;
}
