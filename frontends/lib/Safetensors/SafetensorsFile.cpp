//===- SafetensorsFile.cpp - Hugging Face safetensors files ---------------===//

#include "xfc/Frontends/Safetensors/SafetensorsFile.h"

#include "xfc/Frontends/GGUF/GGMLType.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

using namespace xfc;
using namespace xfc::safetensors;
using json = nlohmann::json;

namespace {

struct DTypeInfo {
  DType dtype;
  const char *name;
  uint64_t bytes;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8},        {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},        {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8},        {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},        {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},          {DType::Bool, "BOOL", 1},
    {DType::F8E4M3, "F8_E4M3", 1}, {DType::F8E5M2, "F8_E5M2", 1},
};

const DTypeInfo &infoOf(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info;
  return kDTypes[0]; // unreachable: every DType is listed
}

/// The spec's limit on the header (and a bound on what a hostile size
/// field can make us parse).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

} // namespace

std::optional<DType> safetensors::parseDType(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return info.dtype;
  return std::nullopt;
}

const char *safetensors::getDTypeName(DType dtype) {
  return infoOf(dtype).name;
}

uint64_t safetensors::getDTypeBytes(DType dtype) { return infoOf(dtype).bytes; }

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
  auto fail = [&](const std::string &why) {
    error = name + ": " + why;
    return false;
  };
  if (size < 8)
    return fail("too small for a safetensors header size (" +
                std::to_string(size) + " bytes)");
  uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i) // little-endian
    headerBytes = headerBytes << 8 | base[i];
  if (headerBytes > size - 8)
    return fail("header of " + std::to_string(headerBytes) +
                " bytes runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  if (headerBytes > kMaxHeaderBytes)
    return fail("header of " + std::to_string(headerBytes) +
                " bytes is larger than the format's 100 MB");
  const char *text = reinterpret_cast<const char *>(base + 8);
  json header = json::parse(text, text + headerBytes, nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return fail("the header is not a JSON object");
  const uint8_t *dataStart = base + 8 + headerBytes;
  uint64_t dataBytes = size - 8 - headerBytes;

  for (const auto &[key, entry] : header.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object())
        return fail("__metadata__ is not an object");
      for (const auto &[field, value] : entry.items()) {
        if (!value.is_string())
          return fail("__metadata__ field '" + field + "' is not a string");
        meta[field] = value.get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string &why) {
      return fail("tensor '" + key + "': " + why);
    };
    if (!entry.is_object())
      return bad("its entry is not an object");
    auto dtypeField = entry.find("dtype"), shapeField = entry.find("shape"),
         offsetsField = entry.find("data_offsets");
    if (dtypeField == entry.end() || !dtypeField->is_string())
      return bad("no dtype string");
    TensorInfo t;
    t.name = key;
    std::string dtypeName = dtypeField->get<std::string>();
    std::optional<DType> dtype = parseDType(dtypeName);
    if (!dtype)
      return bad("unknown dtype '" + dtypeName + "'");
    t.dtype = *dtype;
    if (shapeField == entry.end() || !shapeField->is_array())
      return bad("no shape array");
    t.numElements = 1;
    for (const json &dim : *shapeField) {
      if (!dim.is_number_unsigned())
        return bad("shape holds " + dim.dump() +
                   ", not a non-negative integer");
      uint64_t d = dim.get<uint64_t>();
      if (d > static_cast<uint64_t>(INT64_MAX) ||
          __builtin_mul_overflow(t.numElements, d, &t.numElements))
        return bad("shape " + shapeField->dump() + " overflows");
      t.shape.push_back(static_cast<int64_t>(d));
    }
    if (offsetsField == entry.end() || !offsetsField->is_array() ||
        offsetsField->size() != 2 || !(*offsetsField)[0].is_number_unsigned() ||
        !(*offsetsField)[1].is_number_unsigned())
      return bad("data_offsets is not a pair of non-negative integers");
    t.begin = (*offsetsField)[0].get<uint64_t>();
    t.end = (*offsetsField)[1].get<uint64_t>();
    if (t.begin > t.end || t.end > dataBytes)
      return bad("data_offsets [" + std::to_string(t.begin) + ", " +
                 std::to_string(t.end) + ") are not within the " +
                 std::to_string(dataBytes) + " bytes of data");
    uint64_t bytes;
    if (__builtin_mul_overflow(t.numElements, getDTypeBytes(t.dtype), &bytes) ||
        bytes != t.end - t.begin)
      return bad(std::string(getDTypeName(t.dtype)) + " " + shapeField->dump() +
                 " takes " + std::to_string(t.numElements) + " x " +
                 std::to_string(getDTypeBytes(t.dtype)) +
                 " bytes, but its data_offsets span " +
                 std::to_string(t.end - t.begin));
    t.data = dataStart + t.begin;
    tensorInfos.push_back(std::move(t));
  }
  std::sort(tensorInfos.begin(), tensorInfos.end(),
            [](const TensorInfo &a, const TensorInfo &b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  for (size_t i = 1; i < tensorInfos.size(); ++i)
    if (tensorInfos[i].begin < tensorInfos[i - 1].end)
      return fail("tensors '" + tensorInfos[i - 1].name + "' and '" +
                  tensorInfos[i].name + "' overlap");
  return true;
}

const TensorInfo *File::findTensor(std::string_view tensorName) const {
  for (const TensorInfo &t : tensorInfos)
    if (t.name == tensorName)
      return &t;
  return nullptr;
}

bool File::readAsF32(const TensorInfo &t, std::vector<float> &values,
                     std::string &error) const {
  values.resize(t.numElements);
  switch (t.dtype) {
  case DType::F32:
    std::memcpy(values.data(), t.data, t.numElements * 4);
    return true;
  case DType::F16:
  case DType::BF16:
    for (uint64_t i = 0; i < t.numElements; ++i) {
      uint16_t bits;
      std::memcpy(&bits, t.data + 2 * i, 2);
      values[i] = t.dtype == DType::F16 ? gguf::halfToFloat(bits)
                                        : gguf::bf16ToFloat(bits);
    }
    return true;
  default:
    error = name + ": tensor '" + t.name + "' is " + getDTypeName(t.dtype) +
            "; only F32, F16 and BF16 tensors are read as values";
    return false;
  }
}
