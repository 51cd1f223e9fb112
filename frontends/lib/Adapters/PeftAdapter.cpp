//===- PeftAdapter.cpp - PEFT LoRA and LoKr adapters ----------------------===//

#include "xfc/Frontends/Adapters/PeftAdapter.h"

#include "xfc/Frontends/Safetensors/SafetensorsFile.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using namespace xfc;
using namespace xfc::adapters;
using json = nlohmann::json;

int64_t WeightDelta::rows() const {
  return kind == DeltaKind::LoRA ? first.rows : first.rows * second.rows;
}

int64_t WeightDelta::cols() const {
  return kind == DeltaKind::LoRA ? second.cols : first.cols * second.cols;
}

std::optional<std::string>
adapters::ggufTensorForModule(std::string_view module) {
  static const std::regex llama(
      R"(^(?:base_model\.model\.)?(?:model\.)?layers\.(\d+)\.(self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)(?:\.weight)?$)");
  static const std::regex gpt2(
      R"(^(?:base_model\.model\.)?(?:transformer\.)?h\.(\d+)\.(attn|mlp)\.(c_attn|c_proj|c_fc)(?:\.weight)?$)");
  static const std::map<std::string, std::string> names = {
      {"self_attn.q_proj", "attn_q"}, {"self_attn.k_proj", "attn_k"},
      {"self_attn.v_proj", "attn_v"}, {"self_attn.o_proj", "attn_output"},
      {"mlp.gate_proj", "ffn_gate"},  {"mlp.up_proj", "ffn_up"},
      {"mlp.down_proj", "ffn_down"},  {"attn.c_attn", "attn_qkv"},
      {"attn.c_proj", "attn_output"}, {"mlp.c_fc", "ffn_up"},
      {"mlp.c_proj", "ffn_down"}};
  std::string text(module);
  std::smatch m;
  if (!std::regex_match(text, m, llama) && !std::regex_match(text, m, gpt2))
    return std::nullopt;
  auto it = names.find(m[2].str() + "." + m[3].str());
  if (it == names.end())
    return std::nullopt; // e.g. self_attn.gate_proj
  return "blk." + m[1].str() + "." + it->second + ".weight";
}

namespace {

/// The adapter's tensors by HF module and factor name ("lora_A", ...).
struct Factors {
  std::map<std::string, std::map<std::string, Matrix>> byModule;
};

bool readConfig(const std::string &dir, json &config, std::string &error) {
  std::string path = dir + "/adapter_config.json";
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot open (not a PEFT adapter directory?)";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  config = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    error = path + ": not a JSON object";
    return false;
  }
  return true;
}

/// Splits `base_model.model.X.lora_A.weight` into X and lora_A.
bool splitName(const std::string &name, std::string &module,
               std::string &factor) {
  static const std::regex pattern(
      R"(^(.*)\.(lora_A|lora_B|lokr_w1|lokr_w1_a|lokr_w1_b|lokr_w2|lokr_w2_a|lokr_w2_b|lokr_t2)(?:\.weight|\.default(?:\.weight)?)?$)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern))
    return false;
  module = m[1].str(), factor = m[2].str();
  return true;
}

Matrix multiply(const Matrix &a, const Matrix &b) {
  Matrix c{a.rows, b.cols, std::vector<float>(a.rows * b.cols)};
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t k = 0; k < a.cols; ++k) {
      float v = a.values[i * a.cols + k];
      for (int64_t j = 0; j < b.cols; ++j)
        c.values[i * b.cols + j] += v * b.values[k * b.cols + j];
    }
  return c;
}

} // namespace

std::unique_ptr<Adapter> adapters::loadPeftAdapter(const std::string &dir,
                                                   std::string &error) {
  json config;
  if (!readConfig(dir, config, error))
    return nullptr;
  auto fail = [&](const std::string &why) -> std::unique_ptr<Adapter> {
    error = dir + ": " + why;
    return nullptr;
  };
  std::string type = config.value("peft_type", "");
  if (type != "LORA" && type != "LOKR")
    return fail("peft_type '" + type +
                "' is not an adapter XFC folds (LORA, LOKR)");
  auto adapter = std::make_unique<Adapter>();
  adapter->path = dir;
  adapter->kind = type == "LORA" ? DeltaKind::LoRA : DeltaKind::LoKr;
  if (!config.contains("r") || !config["r"].is_number_unsigned() ||
      config["r"].get<uint64_t>() == 0)
    return fail("adapter_config.json has no positive integer r");
  double r = config["r"].get<uint64_t>();
  const char *alphaKey =
      adapter->kind == DeltaKind::LoRA ? "lora_alpha" : "alpha";
  double alpha = config.contains(alphaKey) && config[alphaKey].is_number()
                     ? config[alphaKey].get<double>()
                     : r;
  bool rslora = config.value("use_rslora", false);

  std::string tensorsPath = dir + "/adapter_model.safetensors";
  std::unique_ptr<safetensors::File> file =
      safetensors::File::open(tensorsPath, error);
  if (!file)
    return nullptr;
  Factors factors;
  for (const safetensors::TensorInfo &t : file->tensors()) {
    std::string module, factor;
    if (!splitName(t.name, module, factor))
      return fail("tensor '" + t.name + "' is not a LoRA or LoKr factor");
    if (factor == "lokr_t2")
      return fail("tensor '" + t.name +
                  "': convolutional LoKr (lokr_t2) has no linear weight to "
                  "fold into");
    if (t.shape.size() != 2)
      return fail("tensor '" + t.name + "' is not a matrix");
    Matrix m{t.shape[0], t.shape[1], {}};
    if (!file->readAsF32(t, m.values, error))
      return nullptr;
    factors.byModule[module][factor] = std::move(m);
  }

  for (auto &[module, parts] : factors.byModule) {
    std::optional<std::string> target = ggufTensorForModule(module);
    if (!target)
      return fail("module '" + module +
                  "' is not a projection XFC maps to a GGUF tensor "
                  "(q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, "
                  "down_proj, c_attn, c_proj, c_fc)");
    WeightDelta d;
    d.kind = adapter->kind;
    d.module = module;
    d.target = *target;
    d.permuteRope = module.find("q_proj") != std::string::npos ||
                    module.find("k_proj") != std::string::npos;
    auto take = [&](const char *name) -> Matrix * {
      auto it = parts.find(name);
      return it == parts.end() ? nullptr : &it->second;
    };
    if (d.kind == DeltaKind::LoRA) {
      Matrix *a = take("lora_A"), *b = take("lora_B");
      if (!a || !b)
        return fail("module '" + module + "' has " +
                    (a ? "lora_A without lora_B" : "lora_B without lora_A"));
      if (a->rows != b->cols)
        return fail("module '" + module + "': lora_A has rank " +
                    std::to_string(a->rows) + " but lora_B rank " +
                    std::to_string(b->cols));
      d.first = std::move(*b), d.second = std::move(*a);
      d.scale = static_cast<float>(rslora ? alpha / std::sqrt(r) : alpha / r);
    } else {
      // Each Kronecker factor whole, or as the product of its two parts.
      auto factor = [&](const char *whole, const char *left, const char *right,
                        Matrix &out) -> bool {
        if (Matrix *m = take(whole)) {
          out = std::move(*m);
          return true;
        }
        Matrix *l = take(left), *rt = take(right);
        if (!l || !rt) {
          error = dir + ": module '" + module + "' has no " + whole + " (nor " +
                  left + " and " + right + ")";
          return false;
        }
        if (l->cols != rt->rows) {
          error = dir + ": module '" + module + "': " + left + " is [" +
                  std::to_string(l->rows) + ", " + std::to_string(l->cols) +
                  "] but " + right + " is [" + std::to_string(rt->rows) + ", " +
                  std::to_string(rt->cols) + "]";
          return false;
        }
        out = multiply(*l, *rt);
        return true;
      };
      if (!factor("lokr_w1", "lokr_w1_a", "lokr_w1_b", d.first) ||
          !factor("lokr_w2", "lokr_w2_a", "lokr_w2_b", d.second))
        return nullptr;
      d.scale = static_cast<float>(alpha / r);
    }
    adapter->deltas.push_back(std::move(d));
  }
  if (adapter->deltas.empty())
    return fail("adapter_model.safetensors holds no adapter tensors");
  return adapter;
}

Matrix adapters::materializeDelta(const WeightDelta &d, int64_t heads) {
  Matrix delta;
  if (d.kind == DeltaKind::LoRA) {
    delta = multiply(d.first, d.second);
  } else {
    const Matrix &a = d.first, &b = d.second;
    delta = {a.rows * b.rows, a.cols * b.cols, {}};
    delta.values.resize(delta.rows * delta.cols);
    for (int64_t i = 0; i < a.rows; ++i)
      for (int64_t j = 0; j < a.cols; ++j)
        for (int64_t k = 0; k < b.rows; ++k)
          for (int64_t l = 0; l < b.cols; ++l)
            delta.values[(i * b.rows + k) * delta.cols + j * b.cols + l] =
                a.values[i * a.cols + j] * b.values[k * b.cols + l];
  }
  if (!d.permuteRope || heads <= 0 || delta.rows % (2 * heads))
    return delta;
  // GGUF llama: within each head, HF's row i * (dh / 2) + j goes to row
  // 2 j + i (the rotation pairs interleaved instead of split in halves).
  int64_t dh = delta.rows / heads, half = dh / 2;
  Matrix permuted{delta.rows, delta.cols,
                  std::vector<float>(delta.values.size())};
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < half; ++j)
        std::copy_n(&delta.values[(h * dh + i * half + j) * delta.cols],
                    delta.cols,
                    &permuted.values[(h * dh + 2 * j + i) * delta.cols]);
  return permuted;
}
