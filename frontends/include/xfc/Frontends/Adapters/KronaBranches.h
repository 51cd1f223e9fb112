//===- KronaBranches.h - KronA^B side branches of FFN blocks ----*- C++ -*-===//
//
// KronA^B adds `s x (A ⊗ B)`, and KronA^B_res also `s_res x`, to the output
// of each FFN block, computed from the block's input x: an adapter that
// cannot be folded into a weight. No library has a file format for it, so
// XFC reads a safetensors file laid out like GGUF's tensor names:
//
//   blk.<i>.ffn_krona.a         [m1, n1]
//   blk.<i>.ffn_krona.b         [m2, n2]   (m1 m2 = n1 n2 = the model width)
//   blk.<i>.ffn_krona.residual  [1]        (optional: KronA^B_res's s_res)
//   __metadata__: {"scale": "<s>"}         (optional, default 1)
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_ADAPTERS_KRONABRANCHES_H
#define XFC_FRONTENDS_ADAPTERS_KRONABRANCHES_H

#include "xfc/Frontends/Adapters/PeftAdapter.h"

#include <optional>
#include <string>
#include <vector>

namespace xfc::adapters {

/// One FFN block's branch.
struct KronaBranch {
  int64_t layer = 0;
  Matrix a, b;
  float scale = 1.0f;
  std::optional<float> residual;
};

/// Loads the branches in `path`. On failure returns nullopt and sets
/// `error` to a message naming the file and the tensor or key at fault.
std::optional<std::vector<KronaBranch>>
loadKronaBranches(const std::string &path, std::string &error);

} // namespace xfc::adapters

#endif // XFC_FRONTENDS_ADAPTERS_KRONABRANCHES_H
