//===- TensorData.cpp - Reading GGUF tensors as floats --------------------===//

#include "xfc/Frontends/GGUF/TensorData.h"

using namespace xfc::gguf;

std::optional<std::vector<float>>
xfc::gguf::readAsF32(const std::string &source, const TensorInfo &tensor,
                     std::string &error) {
  std::vector<float> values(tensor.numElements);
  if (!decodeToF32(tensor.ggmlType(), tensor.data, values.size(),
                   values.data())) {
    error = source + ": tensor '" + std::string(tensor.name) + "' of type " +
            typeName(tensor.type) + " cannot be decoded";
    return std::nullopt;
  }
  return values;
}
