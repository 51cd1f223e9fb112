//===- PeftAdapter.h - PEFT LoRA and LoKr adapters -------------*- C++ -*-===//
//
// Reads a PEFT adapter directory (adapter_config.json and
// adapter_model.safetensors) into one delta per adapted weight, named by
// the GGUF tensor it changes:
//
//  - LoRA: dW = B A, B [out, r], A [r, in], scale lora_alpha / r, or
//    lora_alpha / sqrt(r) with use_rslora. fan_in_fan_out (GPT-2's Conv1D,
//    stored [in, out]) changes only how PEFT adds B A to the HF weight:
//    GGUF stores those weights [out, in], so B A is folded as it is.
//  - LoKr: dW = kron(W1, W2) with W1 = lokr_w1 or lokr_w1_a lokr_w1_b and
//    W2 = lokr_w2 or lokr_w2_a lokr_w2_b, scale alpha / r, as PEFT's LoKr
//    layers compute it.
//
// Deltas for q_proj and k_proj carry `permuteRope`: GGUF llama stores Q and
// K rows permuted for its RoPE convention, so their rows must be permuted
// the same way (with the model's head counts) before they are folded.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_ADAPTERS_PEFTADAPTER_H
#define XFC_FRONTENDS_ADAPTERS_PEFTADAPTER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xfc::adapters {

/// A dense row-major matrix.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;
};

enum class DeltaKind { LoRA, LoKr };

/// One weight's delta: LoRA's factors (first = B [out, r], second = A
/// [r, in]) or LoKr's Kronecker factors (first = W1, second = W2), and the
/// scale PEFT applies.
struct WeightDelta {
  DeltaKind kind = DeltaKind::LoRA;
  std::string module; // the HF module, e.g. model.layers.0.self_attn.q_proj
  std::string target; // the GGUF tensor, e.g. blk.0.attn_q.weight
  Matrix first, second;
  float scale = 1.0f;
  bool permuteRope = false; // q_proj / k_proj of a llama-family model
  /// The delta's shape [out, in] as the base weight [out, in] sees it.
  int64_t rows() const;
  int64_t cols() const;
};

struct Adapter {
  std::string path;
  DeltaKind kind = DeltaKind::LoRA;
  std::vector<WeightDelta> deltas;
};

/// The GGUF tensor an HF module path names (the `base_model.model.` prefix
/// and a trailing `.weight` are optional): q_proj, k_proj, v_proj, o_proj,
/// gate_proj, up_proj, down_proj (llama, mistral, qwen2), c_attn, c_proj,
/// c_fc (gpt2). nullopt for anything else.
std::optional<std::string> ggufTensorForModule(std::string_view module);

/// Loads the PEFT adapter in directory `dir`. On failure returns null and
/// sets `error` to a message naming the adapter and the tensor or field at
/// fault (unknown target modules, a LoRA A without its B, ranks that
/// disagree, adapters of other kinds).
std::unique_ptr<Adapter> loadPeftAdapter(const std::string &dir,
                                         std::string &error);

/// dW [rows(), cols()] in f32, unscaled, rows permuted for GGUF's RoPE
/// layout when `permuteRope` (with `heads` heads of the projection).
Matrix materializeDelta(const WeightDelta &delta, int64_t heads);

} // namespace xfc::adapters

#endif // XFC_FRONTENDS_ADAPTERS_PEFTADAPTER_H
