//===- GgufLoraAdapter.h - LoRA adapters as llama.cpp writes them -*- C++
//-*-===//
//
// A GGUF LoRA adapter (llama.cpp's convert_lora_to_gguf.py) has
// general.type = adapter, adapter.type = lora, adapter.lora.alpha and the
// base model's general.architecture, and per adapted weight W two tensors
// "W.lora_a" [r, in] and "W.lora_b" [out, r], named after W's GGUF tensor
// and already in GGUF's row order (Q/K permuted by the converter). The
// scale is alpha / r, as llama.cpp applies it.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_ADAPTERS_GGUFLORAADAPTER_H
#define XFC_FRONTENDS_ADAPTERS_GGUFLORAADAPTER_H

#include "xfc/Frontends/Adapters/PeftAdapter.h"

namespace xfc::adapters {

/// Loads the GGUF LoRA adapter at `path` for a base model of architecture
/// `architecture` (general.architecture). On failure returns null and sets
/// `error` to a message naming the file and the key or tensor at fault.
std::unique_ptr<Adapter> loadGgufLoraAdapter(const std::string &path,
                                             const std::string &architecture,
                                             std::string &error);

} // namespace xfc::adapters

#endif // XFC_FRONTENDS_ADAPTERS_GGUFLORAADAPTER_H
