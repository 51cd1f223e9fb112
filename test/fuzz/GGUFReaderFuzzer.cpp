//===- GGUFReaderFuzzer.cpp - libFuzzer target for the GGUF reader --------===//
//
// Feeds arbitrary bytes to the reader and, when it accepts them, touches
// everything it hands out: metadata values, tensor bytes and decoders. Any
// out-of-bounds read is an AddressSanitizer report.
//
//===----------------------------------------------------------------------===//

#include "xfc/Frontends/GGUF/GGUFFile.h"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace xfc::gguf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  std::unique_ptr<File> file = File::fromBuffer(data, size, "fuzz", error);
  if (!file)
    return 0;
  for (const KeyValue &kv : file->metadata())
    (void)kv.value.toString(4);
  std::vector<float> scratch;
  for (const TensorInfo &t : file->tensors()) {
    std::optional<GGMLTypeInfo> info = getTypeInfo(t.type);
    if (!info || info->import == ImportKind::Unsupported)
      continue;
    // Decode the first and the last block of each tensor.
    scratch.resize(info->blockSize);
    decodeToF32(t.ggmlType(), t.data, info->blockSize, scratch.data());
    decodeToF32(t.ggmlType(), t.data + t.numBytes - info->blockBytes,
                info->blockSize, scratch.data());
  }
  return 0;
}
