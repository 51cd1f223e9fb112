//===- ModelSource.h - A model to import, in any format ---------*- C++ -*-===//
//
// What the importer, the weight store and the adapters read of a model:
// its hyperparameters, its tensors and its tokenizer, whatever format they
// came in. Tensors are described in GGUF's terms: GGUF names
// ("blk.3.attn_q.weight"), ggml storage types and GGUF's layouts (a linear
// weight is [out, in]). A GGUF file is served as it is; a Hugging Face
// checkpoint's loader renames its tensors and re-lays out the few whose
// layout differs (GPT-2's Conv1D weights are stored [in, out]) once, when it
// opens. Tensor data is otherwise used in place in the mapped files.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_MODELSOURCE_H
#define XFC_FRONTENDS_MODELSOURCE_H

#include "xfc/Frontends/GGUF/GGUFFile.h"
#include "xfc/Frontends/GGUF/ModelConfig.h"
#include "xfrt/Tokenizer.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace xfc {

class ModelSource {
public:
  virtual ~ModelSource();
  ModelSource(const ModelSource &) = delete;
  ModelSource &operator=(const ModelSource &) = delete;

  /// Opens `path`: a GGUF file, or a directory holding a Hugging Face
  /// checkpoint (config.json and safetensors). On failure returns null and
  /// sets `error`, naming the file and the key or tensor at fault.
  static std::unique_ptr<ModelSource> open(const std::string &path,
                                           std::string &error);
  /// Serves an opened GGUF file.
  static std::unique_ptr<ModelSource> fromGGUF(std::unique_ptr<gguf::File> file,
                                               std::string &error);

  /// The file or directory the model came from, for messages.
  const std::string &path() const { return location; }
  const gguf::ModelConfig &config() const { return cfg; }
  const std::vector<gguf::TensorInfo> &tensors() const { return tensorList; }
  /// The tensor of that GGUF name, or null.
  const gguf::TensorInfo *findTensor(std::string_view name) const;
  /// A tensor's values as f32, row-major in `TensorInfo::shape()` order.
  /// Fails, naming the tensor, for types without a decoder.
  std::optional<std::vector<float>> readAsF32(const gguf::TensorInfo &tensor,
                                              std::string &error) const;

  /// A tensor's name as the user knows it, quoted, for messages: the GGUF
  /// name, or the checkpoint's own with the GGUF one after it.
  virtual std::string tensorLabel(std::string_view name) const;

  /// The tokenizer's vocabulary, read when asked for: compiling to IR does
  /// not need one.
  virtual std::optional<xfrt::Vocabulary>
  loadVocabulary(std::string &error) const = 0;

protected:
  explicit ModelSource(std::string location) : location(std::move(location)) {}
  /// Indexes `tensorList` by name; a name listed twice is an error.
  bool indexTensors(std::string &error);

  std::string location;
  gguf::ModelConfig cfg;
  std::vector<gguf::TensorInfo> tensorList;

private:
  std::unordered_map<std::string_view, size_t> byName;
};

} // namespace xfc

#endif // XFC_FRONTENDS_MODELSOURCE_H
