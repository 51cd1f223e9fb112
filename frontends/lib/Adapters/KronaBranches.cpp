//===- KronaBranches.cpp - KronA^B side branches of FFN blocks ------------===//

#include "xfc/Frontends/Adapters/KronaBranches.h"

#include "xfc/Frontends/Safetensors/SafetensorsFile.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>

using namespace xfc;
using namespace xfc::adapters;

std::optional<std::vector<KronaBranch>>
adapters::loadKronaBranches(const std::string &path, std::string &error) {
  std::unique_ptr<safetensors::File> file =
      safetensors::File::open(path, error);
  if (!file)
    return std::nullopt;
  auto fail = [&](const std::string &why) {
    error = path + ": " + why;
    return std::nullopt;
  };
  float scale = 1.0f;
  if (auto it = file->metadata().find("scale"); it != file->metadata().end()) {
    char *end = nullptr;
    scale = std::strtof(it->second.c_str(), &end);
    if (it->second.empty() || *end || !std::isfinite(scale))
      return fail("metadata 'scale' is '" + it->second +
                  "', not a finite number");
  }
  static const std::regex name(R"(^blk\.(\d+)\.ffn_krona\.(a|b|residual)$)");
  std::map<int64_t, KronaBranch> byLayer;
  std::map<int64_t, int> parts;
  for (const safetensors::TensorInfo &t : file->tensors()) {
    std::smatch m;
    if (!std::regex_match(t.name, m, name))
      return fail("tensor '" + t.name +
                  "' is not blk.<i>.ffn_krona.a, .b or .residual");
    int64_t layer = std::stoll(m[1].str());
    KronaBranch &branch = byLayer[layer];
    branch.layer = layer;
    std::vector<float> values;
    if (!file->readAsF32(t, values, error))
      return std::nullopt;
    if (m[2] == "residual") {
      if (values.size() != 1)
        return fail("tensor '" + t.name + "' must hold one value");
      branch.residual = values[0];
      continue;
    }
    if (t.shape.size() != 2 || t.shape[0] <= 0 || t.shape[1] <= 0)
      return fail("tensor '" + t.name + "' is not a matrix");
    Matrix &factor = m[2] == "a" ? branch.a : branch.b;
    factor = {t.shape[0], t.shape[1], std::move(values)};
    parts[layer] |= m[2] == "a" ? 1 : 2;
  }
  std::vector<KronaBranch> branches;
  for (auto &[layer, branch] : byLayer) {
    if (parts[layer] != 3)
      return fail("layer " + std::to_string(layer) + " has " +
                  (parts[layer] == 1   ? "ffn_krona.a without ffn_krona.b"
                   : parts[layer] == 2 ? "ffn_krona.b without ffn_krona.a"
                                       : "a residual but no factors"));
    branch.scale = scale;
    branches.push_back(std::move(branch));
  }
  if (branches.empty())
    return fail("no blk.<i>.ffn_krona tensors");
  return branches;
}
