//===- ModelSource.cpp - A model to import, in any format -----------------===//

#include "xfc/Frontends/ModelSource.h"

#include "xfc/Frontends/GGUF/TensorData.h"
#include "xfc/Frontends/GGUF/Vocabulary.h"
#include "xfc/Frontends/HF/HFCheckpoint.h"

#include <sys/stat.h>

using namespace xfc;

ModelSource::~ModelSource() = default;

const gguf::TensorInfo *ModelSource::findTensor(std::string_view name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &tensorList[it->second];
}

bool ModelSource::indexTensors(std::string &error) {
  byName.clear();
  for (size_t i = 0; i < tensorList.size(); ++i)
    if (!byName.emplace(tensorList[i].name, i).second) {
      error = location + ": tensor '" + std::string(tensorList[i].name) +
              "' is given twice";
      return false;
    }
  return true;
}

std::string ModelSource::tensorLabel(std::string_view name) const {
  return "'" + std::string(name) + "'";
}

std::optional<std::vector<float>>
ModelSource::readAsF32(const gguf::TensorInfo &tensor,
                       std::string &error) const {
  return gguf::readAsF32(location, tensor, error);
}

namespace {

/// A GGUF file's tensors, metadata and vocabulary, as stored.
class GGUFSource final : public ModelSource {
public:
  explicit GGUFSource(std::unique_ptr<gguf::File> file)
      : ModelSource(file->path()), file(std::move(file)) {}

  bool init(std::string &error) {
    std::optional<gguf::ModelConfig> config =
        gguf::readModelConfig(*file, error);
    if (!config)
      return false;
    cfg = *config;
    tensorList = file->tensors();
    return indexTensors(error);
  }

  std::optional<xfrt::Vocabulary>
  loadVocabulary(std::string &error) const override {
    return gguf::loadVocabulary(*file, error);
  }

private:
  std::unique_ptr<gguf::File> file;
};

} // namespace

std::unique_ptr<ModelSource>
ModelSource::fromGGUF(std::unique_ptr<gguf::File> file, std::string &error) {
  auto source = std::make_unique<GGUFSource>(std::move(file));
  if (!source->init(error))
    return nullptr;
  return source;
}

std::unique_ptr<ModelSource> ModelSource::open(const std::string &path,
                                               std::string &error) {
  struct stat status;
  if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode))
    return hf::openCheckpoint(path, error);
  std::unique_ptr<gguf::File> file = gguf::File::open(path, error);
  if (!file)
    return nullptr;
  return fromGGUF(std::move(file), error);
}
