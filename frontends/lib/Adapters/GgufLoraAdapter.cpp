//===- GgufLoraAdapter.cpp - LoRA adapters as llama.cpp writes them -------===//

#include "xfc/Frontends/Adapters/GgufLoraAdapter.h"

#include "xfc/Frontends/GGUF/GGMLType.h"
#include "xfc/Frontends/GGUF/GGUFFile.h"

#include <map>

using namespace xfc;
using namespace xfc::adapters;

std::unique_ptr<Adapter>
adapters::loadGgufLoraAdapter(const std::string &path,
                              const std::string &architecture,
                              std::string &error) {
  std::unique_ptr<gguf::File> file = gguf::File::open(path, error);
  if (!file)
    return nullptr;
  auto fail = [&](const std::string &why) -> std::unique_ptr<Adapter> {
    error = path + ": " + why;
    return nullptr;
  };
  std::string why;
  std::optional<std::string_view> type = file->getString("general.type", why),
                                  kind = file->getString("adapter.type", why),
                                  arch = file->getString("general.architecture",
                                                         why);
  if (!why.empty())
    return fail(why);
  if (type != "adapter" || kind != "lora")
    return fail("not a LoRA adapter (general.type '" +
                std::string(type.value_or("")) + "', adapter.type '" +
                std::string(kind.value_or("")) + "')");
  if (arch != architecture)
    return fail("an adapter for '" + std::string(arch.value_or("?")) +
                "', not for this '" + architecture + "' model");
  std::optional<double> alpha = file->getFloat("adapter.lora.alpha", why);
  if (!why.empty())
    return fail(why);

  // The pairs, by the adapted weight's name.
  std::map<std::string,
           std::pair<const gguf::TensorInfo *, const gguf::TensorInfo *>>
      pairs;
  for (const gguf::TensorInfo &t : file->tensors()) {
    std::string name(t.name);
    std::string suffix = name.size() > 7 ? name.substr(name.size() - 7) : "";
    bool isA = suffix == ".lora_a", isB = suffix == ".lora_b";
    if (!isA && !isB)
      return fail("tensor '" + name + "' is not a .lora_a or .lora_b factor");
    auto &pair = pairs[name.substr(0, name.size() - 7)];
    (isA ? pair.first : pair.second) = &t;
  }
  auto adapter = std::make_unique<Adapter>();
  adapter->path = path;
  for (const auto &[target, pair] : pairs) {
    auto [a, b] = pair;
    if (!a || !b)
      return fail("weight '" + target + "' has " +
                  (a ? "lora_a without lora_b" : "lora_b without lora_a"));
    std::vector<int64_t> shapeA = a->shape(), shapeB = b->shape();
    if (shapeA.size() != 2 || shapeB.size() != 2 || shapeA[0] != shapeB[1])
      return fail("weight '" + target + "': lora_a [" +
                  std::to_string(shapeA[0]) + ", " +
                  std::to_string(shapeA.back()) + "] and lora_b [" +
                  std::to_string(shapeB[0]) + ", " +
                  std::to_string(shapeB.back()) + "] do not share a rank");
    WeightDelta d;
    d.module = target;
    d.target = target;
    auto read = [&](const gguf::TensorInfo &t, const std::vector<int64_t> &s,
                    Matrix &m) {
      m = {s[0], s[1], std::vector<float>(t.numElements)};
      return gguf::decodeToF32(t.ggmlType(), t.data, t.numElements,
                               m.values.data());
    };
    if (!read(*b, shapeB, d.first) || !read(*a, shapeA, d.second))
      return fail("weight '" + target +
                  "': lora factors of a type XFC cannot read");
    // No rank: the adapter is empty for this weight.
    d.scale = shapeA[0]
                  ? static_cast<float>(alpha.value_or(shapeA[0]) / shapeA[0])
                  : 0.0f;
    adapter->deltas.push_back(std::move(d));
  }
  if (adapter->deltas.empty())
    return fail("no lora_a/lora_b tensors");
  return adapter;
}
