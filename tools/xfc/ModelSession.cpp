//===- ModelSession.cpp - Load a model and its tokenizer for a command ---===//

#include "ModelSession.h"

#include "Commands.h"
#include "Compiler.h"
#include "xfk/Kernels.h"

#include <cstdlib>

using namespace xfc::driver;

std::unique_ptr<LoadedModel> xfc::driver::loadModel(const std::string &path,
                                                    std::string &error) {
  auto loaded = std::make_unique<LoadedModel>();
  char message[512];
  xfrt_model *model = nullptr;
  if (xfrt_model_load(path.c_str(), &model, message, sizeof(message)) !=
      XFRT_OK) {
    error = message;
    return nullptr;
  }
  loaded->model.reset(model);
  uint64_t size = 0;
  const uint8_t *blob = xfrt_model_tokenizer(model, &size);
  xfrt::Vocabulary vocab;
  if (!xfrt::deserializeVocabulary(blob, size, vocab, error)) {
    error = path + ": tokenizer: " + error;
    return nullptr;
  }
  loaded->tokenizer = xfrt::Tokenizer::create(std::move(vocab), error);
  if (!loaded->tokenizer) {
    error = path + ": tokenizer: " + error;
    return nullptr;
  }
  loaded->vocabSize = xfrt_model_vocab_size(model);
  loaded->maxContext = xfrt_model_max_context(model);
  return loaded;
}

std::unique_ptr<xfrt_session, void (*)(xfrt_session *)>
LoadedModel::newSession(int threads) const {
  xfrt_session *session = nullptr;
  if (xfrt_session_create(model.get(), 0, threads, &session) != XFRT_OK)
    session = nullptr;
  return {session, xfrt_session_free};
}

std::unique_ptr<xfrt_session, void (*)(xfrt_session *)>
LoadedModel::newShardSession(int threads,
                             const xfrt_collective &collective) const {
  xfrt_session *session = nullptr;
  if (xfrt_session_create_shard(model.get(), 0, threads, &collective,
                                &session) != XFRT_OK)
    session = nullptr;
  return {session, xfrt_session_free};
}

std::unique_ptr<LoadedModel> xfc::driver::openModel(const std::string &path,
                                                    int64_t batchRows) {
  std::string compiled = resolveModel(path, batchRows);
  if (compiled.empty())
    return nullptr;
  std::string error;
  std::unique_ptr<LoadedModel> model = loadModel(compiled, error);
  if (!model)
    fail(error);
  return model;
}

bool xfc::driver::selectKernelIsa(const std::string &name,
                                  std::string &error) {
  int requested = xfk_isa_from_name(name.c_str());
  int best = xfk_detected_isa();
  if (requested < 0) {
    error = "--isa " + name +
            ": unknown level (expected generic, avx2, avx512, avx512_vnni, "
            "avx512_bf16 or amx)";
    return false;
  }
  if (requested > best) {
    error = "--isa " + name + ": this CPU cannot run it (its best level is " +
            xfk_isa_name(best) + ")";
    if (requested == XFK_ISA_AMX)
      error += "; AMX needs AMX-TILE, AMX-INT8 and AMX-BF16 (CPUID), the "
               "tile state "
               "enabled by the OS (XCR0) and Linux's permission "
               "(arch_prctl ARCH_REQ_XCOMP_PERM)";
    return false;
  }
  setenv("XFC_CPU_ISA", name.c_str(), /*overwrite=*/1);
  return true;
}
