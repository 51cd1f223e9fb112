//===- GGUFWriter.cpp - Writes GGUF v3 files ------------------------------===//

#include "xfc/Frontends/GGUF/GGUFWriter.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace xfc::gguf;

namespace {

template <typename T> void put(std::vector<uint8_t> &out, T value) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void putString(std::vector<uint8_t> &out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

} // namespace

Writer::Writer(uint32_t alignment) : alignment(alignment) {
  if (alignment != 32)
    setUInt32("general.alignment", alignment);
}

Writer::Entry &Writer::entry(const std::string &key, ValueType type) {
  for (Entry &e : entries)
    if (e.key == key) {
      e.bytes.clear();
      put<uint32_t>(e.bytes, static_cast<uint32_t>(type));
      return e;
    }
  entries.push_back({key, {}});
  put<uint32_t>(entries.back().bytes, static_cast<uint32_t>(type));
  return entries.back();
}

void Writer::setUInt32(const std::string &key, uint32_t value) {
  put(entry(key, ValueType::UInt32).bytes, value);
}
void Writer::setInt32(const std::string &key, int32_t value) {
  put(entry(key, ValueType::Int32).bytes, value);
}
void Writer::setUInt64(const std::string &key, uint64_t value) {
  put(entry(key, ValueType::UInt64).bytes, value);
}
void Writer::setFloat32(const std::string &key, float value) {
  put(entry(key, ValueType::Float32).bytes, value);
}
void Writer::setBool(const std::string &key, bool value) {
  put<uint8_t>(entry(key, ValueType::Bool).bytes, value ? 1 : 0);
}
void Writer::setString(const std::string &key, const std::string &value) {
  putString(entry(key, ValueType::String).bytes, value);
}

void Writer::setStringArray(const std::string &key,
                            const std::vector<std::string> &values) {
  std::vector<uint8_t> &b = entry(key, ValueType::Array).bytes;
  put<uint32_t>(b, static_cast<uint32_t>(ValueType::String));
  put<uint64_t>(b, values.size());
  for (const std::string &s : values)
    putString(b, s);
}

void Writer::setFloat32Array(const std::string &key,
                             const std::vector<float> &values) {
  std::vector<uint8_t> &b = entry(key, ValueType::Array).bytes;
  put<uint32_t>(b, static_cast<uint32_t>(ValueType::Float32));
  put<uint64_t>(b, values.size());
  for (float v : values)
    put(b, v);
}

void Writer::setInt32Array(const std::string &key,
                           const std::vector<int32_t> &values) {
  std::vector<uint8_t> &b = entry(key, ValueType::Array).bytes;
  put<uint32_t>(b, static_cast<uint32_t>(ValueType::Int32));
  put<uint64_t>(b, values.size());
  for (int32_t v : values)
    put(b, v);
}

void Writer::setValue(const std::string &key, const Value &value) {
  std::vector<uint8_t> &b = entry(key, value.type).bytes;
  auto putScalar = [&](ValueType t, const Value &v) {
    switch (t) {
    case ValueType::UInt8: put<uint8_t>(b, v.u); break;
    case ValueType::Bool: put<uint8_t>(b, v.u); break;
    case ValueType::Int8: put<int8_t>(b, v.i); break;
    case ValueType::UInt16: put<uint16_t>(b, v.u); break;
    case ValueType::Int16: put<int16_t>(b, v.i); break;
    case ValueType::UInt32: put<uint32_t>(b, v.u); break;
    case ValueType::Int32: put<int32_t>(b, v.i); break;
    case ValueType::UInt64: put<uint64_t>(b, v.u); break;
    case ValueType::Int64: put<int64_t>(b, v.i); break;
    case ValueType::Float32: put<float>(b, static_cast<float>(v.f)); break;
    case ValueType::Float64: put<double>(b, v.f); break;
    case ValueType::String: putString(b, v.str); break;
    case ValueType::Array: break;
    }
  };
  if (value.type != ValueType::Array) {
    putScalar(value.type, value);
    return;
  }
  put<uint32_t>(b, static_cast<uint32_t>(value.elementType));
  put<uint64_t>(b, value.count);
  if (value.elementType == ValueType::String) {
    for (std::string_view s : value.strings)
      putString(b, s);
    return;
  }
  // Numeric arrays are copied as their raw little-endian bytes.
  uint64_t elementBytes = 0;
  switch (value.elementType) {
  case ValueType::UInt8: case ValueType::Int8: case ValueType::Bool:
    elementBytes = 1; break;
  case ValueType::UInt16: case ValueType::Int16: elementBytes = 2; break;
  case ValueType::UInt32: case ValueType::Int32: case ValueType::Float32:
    elementBytes = 4; break;
  default: elementBytes = 8; break;
  }
  b.insert(b.end(), value.data, value.data + value.count * elementBytes);
}

void Writer::addTensor(const std::string &name, std::vector<uint64_t> dims,
                       GGMLType type, TensorFiller fill) {
  GGMLTypeInfo info = *getTypeInfo(static_cast<uint32_t>(type));
  uint64_t elements = 1;
  for (uint64_t d : dims)
    elements *= d;
  tensors.push_back({name, std::move(dims), type,
                     elements / info.blockSize * info.blockBytes,
                     std::move(fill)});
}

bool Writer::write(const std::string &path, std::string &error) const {
  std::vector<uint8_t> header;
  put<uint32_t>(header, 0x46554747); // "GGUF"
  put<uint32_t>(header, 3);
  put<uint64_t>(header, tensors.size());
  put<uint64_t>(header, entries.size());
  for (const Entry &e : entries) {
    putString(header, e.key);
    header.insert(header.end(), e.bytes.begin(), e.bytes.end());
  }
  uint64_t offset = 0;
  for (const Tensor &t : tensors) {
    putString(header, t.name);
    put<uint32_t>(header, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims)
      put<uint64_t>(header, d);
    put<uint32_t>(header, static_cast<uint32_t>(t.type));
    put<uint64_t>(header, offset);
    offset = alignUp(offset + t.numBytes, alignment);
  }
  header.resize(alignUp(header.size(), alignment), 0);

  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "wb"),
                                           &std::fclose);
  auto ioError = [&] {
    error = path + ": write failed: " + std::strerror(errno);
    return false;
  };
  if (!f || std::fwrite(header.data(), 1, header.size(), f.get()) !=
                header.size())
    return ioError();
  std::vector<uint8_t> buffer;
  for (const Tensor &t : tensors) {
    buffer.assign(alignUp(t.numBytes, alignment), 0);
    t.fill(buffer.data());
    if (std::fwrite(buffer.data(), 1, buffer.size(), f.get()) != buffer.size())
      return ioError();
  }
  if (std::fflush(f.get()) != 0)
    return ioError();
  return true;
}
