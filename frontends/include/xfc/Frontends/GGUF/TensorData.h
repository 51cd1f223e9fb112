//===- TensorData.h - Reading GGUF tensors as floats ------------*- C++ -*-===//

#ifndef XFC_FRONTENDS_GGUF_TENSORDATA_H
#define XFC_FRONTENDS_GGUF_TENSORDATA_H

#include "xfc/Frontends/GGUF/GGUFFile.h"

#include <optional>
#include <string>
#include <vector>

namespace xfc::gguf {

/// The tensor's values as f32, in row-major order of `TensorInfo::shape()`
/// (ggml's dims[0] is innermost, so the bytes are already in that order).
/// Fails, naming `source` (the model's path) and the tensor, for types
/// without a decoder.
std::optional<std::vector<float>> readAsF32(const std::string &source,
                                            const TensorInfo &tensor,
                                            std::string &error);

} // namespace xfc::gguf

#endif // XFC_FRONTENDS_GGUF_TENSORDATA_H
