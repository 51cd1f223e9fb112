//===- PeftAdapterTest.cpp - PEFT LoRA and LoKr adapters
//-------------------===//
//
// Adapter directories are written here (adapter_config.json, and the
// factors as safetensors) and read back as deltas of GGUF tensors: module
// names, PEFT's scales, the deltas against products computed here, the
// RoPE permutation of q_proj/k_proj against llama.cpp's conversion, and the
// errors bad adapters get.
//
//===----------------------------------------------------------------------===//

#include "xfc/Frontends/Adapters/PeftAdapter.h"
#include "xfc/Frontends/Adapters/GgufLoraAdapter.h"
#include "xfc/Frontends/GGUF/GGUFWriter.h"

#include "SafetensorsTestUtils.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

using namespace xfc;
using namespace xfc::adapters;
using xfc::test::F32Tensor;

namespace {

std::vector<float> random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

/// A fresh adapter directory with `config` and `tensors`.
std::string adapterDir(const std::string &name, const std::string &config,
                       const std::vector<F32Tensor> &tensors) {
  std::string dir = testing::TempDir() + "/" + name;
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/adapter_config.json") << config;
  test::writeSafetensors(dir + "/adapter_model.safetensors", tensors);
  return dir;
}

const char *kPrefix = "base_model.model.model.layers.";

TEST(PeftAdapterTest, ModulesMapToGgufTensors) {
  EXPECT_EQ(
      ggufTensorForModule("base_model.model.model.layers.3.self_attn.q_proj"),
      "blk.3.attn_q.weight");
  EXPECT_EQ(ggufTensorForModule("model.layers.0.self_attn.o_proj"),
            "blk.0.attn_output.weight");
  EXPECT_EQ(ggufTensorForModule("model.layers.12.mlp.gate_proj.weight"),
            "blk.12.ffn_gate.weight");
  EXPECT_EQ(ggufTensorForModule("model.layers.1.mlp.down_proj"),
            "blk.1.ffn_down.weight");
  EXPECT_EQ(ggufTensorForModule("base_model.model.transformer.h.2.attn.c_attn"),
            "blk.2.attn_qkv.weight");
  EXPECT_EQ(ggufTensorForModule("transformer.h.0.attn.c_proj"),
            "blk.0.attn_output.weight");
  EXPECT_EQ(ggufTensorForModule("transformer.h.0.mlp.c_proj"),
            "blk.0.ffn_down.weight");
  EXPECT_EQ(ggufTensorForModule("transformer.h.0.mlp.c_fc"),
            "blk.0.ffn_up.weight");
  EXPECT_EQ(ggufTensorForModule("model.layers.0.self_attn.rotary_emb"),
            std::nullopt);
  EXPECT_EQ(ggufTensorForModule("model.embed_tokens"), std::nullopt);
  EXPECT_EQ(ggufTensorForModule("model.layers.0.self_attn.gate_proj"),
            std::nullopt);
}

TEST(PeftAdapterTest, LoraDeltasAndScales) {
  const int64_t r = 4, in = 8, out = 6;
  std::vector<float> a = random(r * in, 1), b = random(out * r, 2);
  std::string p = std::string(kPrefix) + "0.mlp.up_proj.";
  for (bool rslora : {false, true}) {
    std::string dir = adapterDir(
        rslora ? "lora_rs" : "lora",
        std::string(R"({"peft_type": "LORA", "r": 4, "lora_alpha": 8, )") +
            R"("target_modules": ["up_proj"], "use_rslora": )" +
            (rslora ? "true}" : "false}"),
        {{p + "lora_A.weight", {r, in}, a},
         {p + "lora_B.weight", {out, r}, b}});
    std::string error;
    std::unique_ptr<Adapter> adapter = loadPeftAdapter(dir, error);
    ASSERT_TRUE(adapter) << error;
    ASSERT_EQ(adapter->deltas.size(), 1u);
    const WeightDelta &d = adapter->deltas[0];
    EXPECT_EQ(d.target, "blk.0.ffn_up.weight");
    EXPECT_FALSE(d.permuteRope);
    EXPECT_FLOAT_EQ(d.scale, rslora ? 8.0f / 2.0f : 8.0f / 4.0f);
    EXPECT_EQ(d.rows(), out);
    EXPECT_EQ(d.cols(), in);
    Matrix delta = materializeDelta(d, 0);
    for (int64_t i = 0; i < out; ++i)
      for (int64_t j = 0; j < in; ++j) {
        double ref = 0;
        for (int64_t k = 0; k < r; ++k)
          ref += double(b[i * r + k]) * a[k * in + j];
        EXPECT_NEAR(delta.values[i * in + j], ref, 1e-5);
      }
  }
}

TEST(PeftAdapterTest, LokrDeltaIsTheKroneckerProduct) {
  // W1 [2, 3] whole; W2 [3, 2] = lokr_w2_a [3, 1] x lokr_w2_b [1, 2].
  std::vector<float> w1 = random(6, 3), w2a = random(3, 4), w2b = random(2, 5);
  std::string p = std::string(kPrefix) + "1.self_attn.v_proj.";
  std::string dir =
      adapterDir("lokr", R"({"peft_type": "LOKR", "r": 2, "alpha": 3})",
                 {{p + "lokr_w1", {2, 3}, w1},
                  {p + "lokr_w2_a", {3, 1}, w2a},
                  {p + "lokr_w2_b", {1, 2}, w2b}});
  std::string error;
  std::unique_ptr<Adapter> adapter = loadPeftAdapter(dir, error);
  ASSERT_TRUE(adapter) << error;
  const WeightDelta &d = adapter->deltas.at(0);
  EXPECT_EQ(d.target, "blk.1.attn_v.weight");
  EXPECT_FLOAT_EQ(d.scale, 1.5f);
  Matrix delta = materializeDelta(d, 0);
  ASSERT_EQ(delta.rows, 6);
  ASSERT_EQ(delta.cols, 6);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 3; ++k)
        for (int64_t l = 0; l < 2; ++l)
          EXPECT_NEAR(delta.values[(i * 3 + k) * 6 + j * 2 + l],
                      w1[i * 3 + j] * (w2a[k] * w2b[l]), 1e-6);
}

// GGUF llama stores Q (and K) rows as llama.cpp's converter permutes them:
// weights.reshape(heads, 2, dh / 2, in).swapaxes(1, 2).reshape(out, in).
// Folding the permuted delta into the permuted base weight must equal
// permuting the HF sum.
TEST(PeftAdapterTest, QueryDeltasArePermutedLikeGgufsRope) {
  const int64_t heads = 2, dh = 8, out = heads * dh, in = 4, r = 2;
  auto permute = [&](const std::vector<float> &w) {
    std::vector<float> p(w.size());
    // Element [h][i][j][c] of the reshape goes to [h][j][i][c].
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < dh / 2; ++j)
          for (int64_t c = 0; c < in; ++c)
            p[((h * (dh / 2) + j) * 2 + i) * in + c] =
                w[((h * 2 + i) * (dh / 2) + j) * in + c];
    return p;
  };
  std::vector<float> base = random(out * in, 6), a = random(r * in, 7),
                     b = random(out * r, 8);
  std::string p = std::string(kPrefix) + "0.self_attn.q_proj.";
  std::string dir = adapterDir(
      "rope", R"({"peft_type": "LORA", "r": 2, "lora_alpha": 2})",
      {{p + "lora_A.weight", {r, in}, a}, {p + "lora_B.weight", {out, r}, b}});
  std::string error;
  std::unique_ptr<Adapter> adapter = loadPeftAdapter(dir, error);
  ASSERT_TRUE(adapter) << error;
  const WeightDelta &d = adapter->deltas.at(0);
  ASSERT_TRUE(d.permuteRope);
  Matrix folded = materializeDelta(d, heads);
  std::vector<float> hfSum(out * in), ggufBase = permute(base);
  Matrix plain = materializeDelta(WeightDelta{d.kind, d.module, d.target,
                                              d.first, d.second, d.scale,
                                              /*permuteRope=*/false},
                                  heads);
  for (int64_t i = 0; i < out * in; ++i)
    hfSum[i] = base[i] + plain.values[i];
  std::vector<float> expected = permute(hfSum);
  for (int64_t i = 0; i < out * in; ++i)
    EXPECT_NEAR(ggufBase[i] + folded.values[i], expected[i], 1e-6) << i;
}

struct BadAdapter {
  const char *what, *config;
  std::vector<F32Tensor> tensors;
  const char *message;
};

TEST(PeftAdapterTest, BadAdaptersNameTheirFault) {
  std::string q = std::string(kPrefix) + "0.self_attn.q_proj.";
  std::vector<float> four(4, 1.0f), six(6, 1.0f);
  const BadAdapter cases[] = {
      {"other type",
       R"({"peft_type": "IA3", "r": 2})",
       {},
       "peft_type 'IA3' is not an adapter XFC folds (LORA, LOKR)"},
      {"no rank",
       R"({"peft_type": "LORA"})",
       {},
       "adapter_config.json has no positive integer r"},
      {"A without B",
       R"({"peft_type": "LORA", "r": 2})",
       {{q + "lora_A.weight", {2, 2}, four}},
       "module 'base_model.model.model.layers.0.self_attn.q_proj' has lora_A "
       "without lora_B"},
      {"rank mismatch",
       R"({"peft_type": "LORA", "r": 2})",
       {{q + "lora_A.weight", {2, 2}, four},
        {q + "lora_B.weight", {2, 3}, six}},
       "module 'base_model.model.model.layers.0.self_attn.q_proj': lora_A has "
       "rank 2 but lora_B rank 3"},
      {"unknown module",
       R"({"peft_type": "LORA", "r": 2})",
       {{"base_model.model.lm_head.lora_A.weight", {2, 2}, four},
        {"base_model.model.lm_head.lora_B.weight", {2, 2}, four}},
       "module 'base_model.model.lm_head' is not a projection XFC maps to a "
       "GGUF tensor (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, "
       "down_proj, c_attn, c_proj, c_fc)"},
      {"LoKr without W2",
       R"({"peft_type": "LOKR", "r": 2})",
       {{q + "lokr_w1", {2, 2}, four}},
       "module 'base_model.model.model.layers.0.self_attn.q_proj' has no "
       "lokr_w2 (nor lokr_w2_a and lokr_w2_b)"},
  };
  int n = 0;
  for (const BadAdapter &c : cases) {
    SCOPED_TRACE(c.what);
    std::string dir =
        adapterDir("bad" + std::to_string(n++), c.config, c.tensors);
    std::string error;
    EXPECT_FALSE(loadPeftAdapter(dir, error));
    EXPECT_EQ(error, dir + ": " + c.message);
  }
  std::string error;
  EXPECT_FALSE(loadPeftAdapter(testing::TempDir() + "/no-such-adapter", error));
  EXPECT_NE(error.find("adapter_config.json: cannot open"), std::string::npos)
      << error;
}

/// A GGUF LoRA adapter as llama.cpp's converter writes it: lora_a [r, in]
/// (ggml dims {in, r}) and lora_b [out, r] per weight, F32.
std::string ggufAdapter(
    const std::string &name, const std::string &arch,
    const std::vector<std::pair<std::string, std::vector<uint64_t>>> &tensors) {
  gguf::Writer w;
  w.setString("general.type", "adapter");
  w.setString("adapter.type", "lora");
  w.setString("general.architecture", arch);
  w.setFloat32("adapter.lora.alpha", 4.0f);
  unsigned seed = 20;
  for (const auto &[tensor, dims] : tensors) {
    std::vector<float> v = random(dims[0] * dims[1], seed++);
    w.addTensor(tensor, dims, gguf::GGMLType::F32, [v](uint8_t *out) {
      std::memcpy(out, v.data(), v.size() * 4);
    });
  }
  std::string path = testing::TempDir() + "/" + name + ".gguf";
  std::string error;
  EXPECT_TRUE(w.write(path, error)) << error;
  return path;
}

TEST(GgufLoraAdapterTest, ReadsPairsWithLlamaCppsScale) {
  std::string path = ggufAdapter("lora", "llama",
                                 {{"blk.0.attn_q.weight.lora_a", {8, 2}},
                                  {"blk.0.attn_q.weight.lora_b", {2, 6}}});
  std::string error;
  std::unique_ptr<Adapter> adapter = loadGgufLoraAdapter(path, "llama", error);
  ASSERT_TRUE(adapter) << error;
  ASSERT_EQ(adapter->deltas.size(), 1u);
  const WeightDelta &d = adapter->deltas[0];
  EXPECT_EQ(d.target, "blk.0.attn_q.weight");
  EXPECT_FALSE(d.permuteRope); // the converter has permuted it already
  EXPECT_EQ(d.rows(), 6);
  EXPECT_EQ(d.cols(), 8);
  EXPECT_FLOAT_EQ(d.scale, 4.0f / 2.0f);
}

TEST(GgufLoraAdapterTest, BadAdaptersNameTheirFault) {
  std::string error;
  std::string path = ggufAdapter("qwen", "qwen2",
                                 {{"blk.0.attn_q.weight.lora_a", {8, 2}},
                                  {"blk.0.attn_q.weight.lora_b", {2, 6}}});
  EXPECT_FALSE(loadGgufLoraAdapter(path, "llama", error));
  EXPECT_EQ(error, path + ": an adapter for 'qwen2', not for this 'llama' "
                          "model");
  path = ggufAdapter("half", "llama", {{"blk.0.ffn_up.weight.lora_a", {8, 2}}});
  EXPECT_FALSE(loadGgufLoraAdapter(path, "llama", error));
  EXPECT_EQ(error,
            path + ": weight 'blk.0.ffn_up.weight' has lora_a without lora_b");
  path = ggufAdapter("ranks", "llama",
                     {{"blk.0.ffn_up.weight.lora_a", {8, 2}},
                      {"blk.0.ffn_up.weight.lora_b", {3, 6}}});
  EXPECT_FALSE(loadGgufLoraAdapter(path, "llama", error));
  EXPECT_EQ(error, path + ": weight 'blk.0.ffn_up.weight': lora_a [2, 8] and "
                          "lora_b [6, 3] do not share a rank");
}

} // namespace
