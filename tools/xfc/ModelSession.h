//===- ModelSession.h - Load a model and its tokenizer for a command -----===//

#ifndef XFC_TOOLS_XFC_MODELSESSION_H
#define XFC_TOOLS_XFC_MODELSESSION_H

#include "xfrt/Tokenizer.h"
#include "xfrt/xfrt.h"

#include <memory>
#include <string>

namespace xfc::driver {

/// A loaded model .so with its embedded tokenizer, freed on destruction.
struct LoadedModel {
  std::unique_ptr<xfrt_model, void (*)(xfrt_model *)> model{nullptr,
                                                            xfrt_model_free};
  std::unique_ptr<xfrt::Tokenizer> tokenizer;
  int64_t vocabSize = 0, maxContext = 0;

  /// A new session; null (after printing why) on failure.
  std::unique_ptr<xfrt_session, void (*)(xfrt_session *)>
  newSession(int threads) const;
  /// A session of one shard of a split model, summing through `collective`
  /// (MPI); null (after printing why) on failure.
  std::unique_ptr<xfrt_session, void (*)(xfrt_session *)>
  newShardSession(int threads, const xfrt_collective &collective) const;
};

/// Loads `path`, a compiled model. Returns null and sets `error` (naming
/// the file) on failure.
std::unique_ptr<LoadedModel> loadModel(const std::string &path,
                                       std::string &error);

/// What run/bench/perplexity/serve open: a compiled model, or a .gguf
/// compiled on the fly (resolveModel, with `batchRows` if >= 0). Prints the
/// error and returns null on failure.
std::unique_ptr<LoadedModel> openModel(const std::string &path,
                                       int64_t batchRows = -1);

/// Makes compiled models' kernels run instruction-set level `name`
/// (generic, avx2, avx512, avx512_vnni, avx512_bf16 or amx) by setting
/// XFC_CPU_ISA, which the kernels read when a model first runs. Fails, saying
/// what this CPU supports, for an unknown name or a level the CPU or OS lacks.
bool selectKernelIsa(const std::string &name, std::string &error);

/// The help of the --isa option of the commands that run models.
inline constexpr const char *kKernelIsaHelp =
    "Kernel instruction-set level: generic, avx2, avx512, avx512_vnni, "
    "avx512_bf16 or amx (default: the best this CPU has)";

} // namespace xfc::driver

#endif // XFC_TOOLS_XFC_MODELSESSION_H
