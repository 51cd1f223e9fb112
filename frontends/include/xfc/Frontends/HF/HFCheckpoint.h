//===- HFCheckpoint.h - Hugging Face checkpoint directories -----*- C++ -*-===//
//
// A checkpoint as `save_pretrained` writes it:
//
//   config.json                    architecture and hyperparameters
//   model.safetensors              the weights, or shards listed in
//   model.safetensors.index.json   ("weight_map": tensor -> file)
//   tokenizer.json                 the tokenizers library's tokenizer
//   tokenizer_config.json          optional: add_bos_token
//
// LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM map to the
// importer's llama and qwen2 graphs with RoPE rotating the halves of each
// head (HF's rotate_half: the checkpoint's Q/K rows are not permuted as
// GGUF llama's are); GPT2LMHeadModel to gpt2, its Conv1D weights
// transposed to [out, in]. A tensor the architecture does not have, a
// setting that changes the computation and is not implemented (RoPE
// scaling, attention or MLP biases where the graph has none, another
// activation), or a dtype other than F32, F16 and BF16 is refused by name.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_HF_HFCHECKPOINT_H
#define XFC_FRONTENDS_HF_HFCHECKPOINT_H

#include "xfc/Frontends/ModelSource.h"

#include <memory>
#include <optional>
#include <string>

namespace xfc::hf {

/// For error messages: "LlamaForCausalLM, MistralForCausalLM, ...".
const char *supportedArchitectures();

/// Opens the checkpoint in directory `dir`. Its tokenizer is read when the
/// vocabulary is asked for. On failure returns null and sets `error`
/// naming the file and the key or tensor at fault.
std::unique_ptr<ModelSource> openCheckpoint(const std::string &dir,
                                            std::string &error);

/// The vocabulary of checkpoint directory `dir` alone: tokenizer.json,
/// with BOS/EOS ids from config.json and add_bos_token from
/// tokenizer_config.json where those exist. `rows` is the embedding's
/// row count (ids up to it are valid; 0 when unknown).
std::optional<xfrt::Vocabulary>
loadVocabulary(const std::string &dir, int64_t rows, std::string &error);

} // namespace xfc::hf

#endif // XFC_FRONTENDS_HF_HFCHECKPOINT_H
