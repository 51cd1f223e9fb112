//===- GGUFImporterTest.cpp - GGUF models to xf IR ------------------------===//

#include "GGUFTestUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Frontends/GGUF/GGUFWriter.h"
#include "xfc/Frontends/GGUF/ModelMaker.h"
#include "xfc/Frontends/ModelImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

using namespace xfc;
using namespace xfc::gguf;
using xfc::test::TempFile;

namespace {

/// Copies `source` to `path`, letting `edit` drop (return false) or retype
/// tensors. Tensor bytes are copied, or filled with zeros when retyped.
void copyModel(const File &source, const std::string &path,
               const std::function<bool(std::string_view, GGMLType &)> &edit) {
  Writer w;
  for (const KeyValue &kv : source.metadata())
    w.setValue(std::string(kv.key), kv.value);
  for (const TensorInfo &t : source.tensors()) {
    GGMLType type = t.ggmlType();
    if (!edit(t.name, type))
      continue;
    const TensorInfo *info = &t;
    bool same = type == t.ggmlType();
    w.addTensor(std::string(t.name), t.dims, type, [=](uint8_t *out) {
      if (same)
        std::memcpy(out, info->data, info->numBytes);
    });
  }
  std::string error;
  ASSERT_TRUE(w.write(path, error)) << error;
}

class GGUFImporterTest : public ::testing::Test {
protected:
  std::unique_ptr<File> make(Architecture arch, GGMLType dtype,
                             const TempFile &path) {
    MakeModelOptions options;
    std::string error;
    EXPECT_TRUE(applyPreset("tiny", arch, options, error));
    options.dtype = dtype;
    EXPECT_TRUE(makeModel(options, path, error)) << error;
    std::unique_ptr<File> file = File::open(path, error);
    EXPECT_TRUE(file) << error;
    return file;
  }

  /// Imports the model `file` holds, opened again as a ModelSource (which
  /// reads the hyperparameters).
  mlir::OwningOpRef<mlir::ModuleOp> import(const File &file) {
    error.clear();
    warnings.clear();
    std::unique_ptr<ModelSource> source = ModelSource::open(file.path(), error);
    if (!source)
      return nullptr;
    return importModel(*source, context, ImportOptions(), error, warnings);
  }

  template <typename OpT> int count(mlir::ModuleOp module) {
    int n = 0;
    module.walk([&](OpT) { ++n; });
    return n;
  }

  mlir::MLIRContext context;
  std::string error;
  std::vector<std::string> warnings;
};

TEST_F(GGUFImporterTest, LlamaGraph) {
  TempFile path("llama.gguf");
  std::unique_ptr<File> file = make(Architecture::Llama, GGMLType::F32, path);
  auto module = import(*file);
  ASSERT_TRUE(module) << error;
  // 2 layers x 9 tensors + embedding, final norm and untied head.
  EXPECT_EQ(count<mlir::xf::GlobalWeightOp>(*module), 21);
  // The layer's code exists once and is called per layer.
  EXPECT_EQ(count<mlir::func::CallOp>(*module), 2);
  EXPECT_EQ(count<mlir::xf::KVAppendOp>(*module), 1);
  EXPECT_EQ(count<mlir::xf::RopeOp>(*module), 2);
  EXPECT_EQ(count<mlir::xf::RmsNormOp>(*module), 3);
  EXPECT_EQ(count<mlir::xf::LinearOp>(*module), 7 + 1);
  EXPECT_EQ(count<mlir::xf::RepeatInterleaveOp>(*module), 2); // GQA 4:2
  module->walk([](mlir::xf::RopeOp op) {
    EXPECT_EQ(op.getStyle(), mlir::xf::RopeStyle::interleaved);
  });
  EXPECT_TRUE(warnings.empty());
}

TEST_F(GGUFImporterTest, Qwen2UsesNeoxRopeAndQkvBiases) {
  TempFile path("qwen2.gguf");
  std::unique_ptr<File> file = make(Architecture::Qwen2, GGMLType::Q8_0, path);
  auto module = import(*file);
  ASSERT_TRUE(module) << error;
  int biased = 0;
  module->walk([&](mlir::xf::LinearOp op) { biased += op.getBias() ? 1 : 0; });
  EXPECT_EQ(biased, 3); // Q, K and V in the shared layer function
  module->walk([](mlir::xf::RopeOp op) {
    EXPECT_EQ(op.getStyle(), mlir::xf::RopeStyle::neox);
  });
  // Q8_0 weights stay quantized, in ggml blocks.
  auto q = module->lookupSymbol<mlir::xf::GlobalWeightOp>("blk.0.attn_q.weight");
  ASSERT_TRUE(q);
  auto type = mlir::dyn_cast<mlir::xf::QTensorType>(q.getType());
  ASSERT_TRUE(type);
  EXPECT_EQ(type.getScheme().getBits(), 8u);
  EXPECT_EQ(type.getLayout().getKind(), mlir::xf::LayoutKind::ggml);
}

TEST_F(GGUFImporterTest, Gpt2LayerNormFusedQkvAndTiedHead) {
  TempFile path("gpt2.gguf");
  std::unique_ptr<File> file = make(Architecture::GPT2, GGMLType::F16, path);
  auto module = import(*file);
  ASSERT_TRUE(module) << error;
  EXPECT_EQ(count<mlir::xf::LayerNormOp>(*module), 3);
  EXPECT_EQ(count<mlir::xf::RmsNormOp>(*module), 0);
  EXPECT_EQ(count<mlir::xf::RopeOp>(*module), 0);
  EXPECT_EQ(count<mlir::xf::SliceOp>(*module), 3);
  EXPECT_EQ(count<mlir::xf::EmbeddingOp>(*module), 2); // tokens + positions
  EXPECT_FALSE(module->lookupSymbol("output.weight"));
  // The head reads the embedding table.
  auto forward = module->lookupSymbol<mlir::func::FuncOp>("forward");
  auto ret = mlir::cast<mlir::func::ReturnOp>(
      forward.getBody().front().getTerminator());
  auto head = ret.getOperand(0).getDefiningOp<mlir::xf::LinearOp>();
  ASSERT_TRUE(head);
  auto w = head.getWeight().getDefiningOp<mlir::xf::WeightOp>();
  EXPECT_EQ(w.getName(), "token_embd.weight");
}

TEST_F(GGUFImporterTest, MissingTensorIsNamed) {
  TempFile source("full.gguf"), broken("missing.gguf");
  std::unique_ptr<File> file = make(Architecture::Llama, GGMLType::F32, source);
  copyModel(*file, broken, [](std::string_view name, GGMLType &) {
    return name != "blk.1.ffn_gate.weight";
  });
  std::unique_ptr<File> damaged = File::open(broken, error);
  ASSERT_TRUE(damaged) << error;
  EXPECT_FALSE(import(*damaged));
  EXPECT_NE(error.find("missing tensor 'blk.1.ffn_gate.weight'"),
            std::string::npos)
      << error;
}

TEST_F(GGUFImporterTest, UnsupportedTypesAndBadGeometry) {
  TempFile source("full.gguf"), lossy("lossy.gguf"), bad("bad.gguf");
  std::unique_ptr<File> file = make(Architecture::Llama, GGMLType::F32, source);
  // Rows of 192 are not whole 256-element K-quant super-blocks.
  copyModel(*file, lossy, [](std::string_view name, GGMLType &type) {
    if (name == "blk.0.ffn_down.weight")
      type = GGMLType::Q4_K;
    return true;
  });
  std::unique_ptr<File> lossyFile = File::open(lossy, error);
  EXPECT_FALSE(lossyFile);
  EXPECT_NE(error.find("not a multiple of the Q4_K block size"),
            std::string::npos)
      << error;

  copyModel(*file, bad, [](std::string_view name, GGMLType &type) {
    if (name == "blk.0.attn_q.weight")
      type = GGMLType::IQ4_NL;
    return true;
  });
  std::unique_ptr<File> badFile = File::open(bad, error);
  ASSERT_TRUE(badFile) << error;
  EXPECT_FALSE(import(*badFile));
  EXPECT_NE(error.find("tensor 'blk.0.attn_q.weight' has type IQ4_NL, which "
                       "XFC does not support"),
            std::string::npos)
      << error;
}

TEST_F(GGUFImporterTest, KQuantsAreDecodedWithAWarning) {
  TempFile source("wide.gguf"), lossy("q4k.gguf");
  MakeModelOptions options;
  ASSERT_TRUE(applyPreset("tiny", Architecture::Llama, options, error));
  options.config.dim = 256; // rows of 256: whole K-quant super-blocks
  options.config.ffn = 512;
  ASSERT_TRUE(makeModel(options, source, error)) << error;
  std::unique_ptr<File> file = File::open(source, error);
  ASSERT_TRUE(file) << error;
  copyModel(*file, lossy, [](std::string_view name, GGMLType &type) {
    if (name == "blk.0.attn_q.weight")
      type = GGMLType::Q4_K;
    return true;
  });
  std::unique_ptr<File> q4k = File::open(lossy, error);
  ASSERT_TRUE(q4k) << error;
  auto module = import(*q4k);
  ASSERT_TRUE(module) << error;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("'blk.0.attn_q.weight' has type Q4_K, which XFC "
                             "dequantizes and requantizes to Q8_0"),
            std::string::npos);
  // Declared as f32 (the store decodes it) and read through xf.quantize to
  // Q8_0, in the layer that holds it; no other weight is requantized.
  auto q = module->lookupSymbol<mlir::xf::GlobalWeightOp>("blk.0.attn_q.weight");
  EXPECT_TRUE(mlir::isa<mlir::RankedTensorType>(q.getType()));
  int quantizes = 0;
  module->walk([&](mlir::xf::QuantizeOp op) {
    ++quantizes;
    mlir::xf::QuantSchemeAttr scheme = op.getType().getScheme();
    EXPECT_EQ(scheme.getBits(), 8u);
    EXPECT_EQ(scheme.getGroupSize(), 32);
    EXPECT_EQ(op.getType().getShape(),
              mlir::cast<mlir::RankedTensorType>(q.getType()).getShape());
  });
  EXPECT_EQ(quantizes, 1);
}

/// Hyperparameters that would size the graph absurdly, and RoPE variants
/// XFC cannot compute yet, are refused before anything is built.
TEST_F(GGUFImporterTest, RefusesImplausibleOrUnsupportedHyperparameters) {
  TempFile source("full.gguf"), edited("edited.gguf");
  std::unique_ptr<File> file = make(Architecture::Llama, GGMLType::F32, source);
  auto withKey = [&](const std::function<void(Writer &)> &edit) {
    Writer w;
    for (const KeyValue &kv : file->metadata())
      w.setValue(std::string(kv.key), kv.value);
    edit(w);
    for (const TensorInfo &t : file->tensors()) {
      const TensorInfo *info = &t;
      w.addTensor(std::string(t.name), t.dims, t.ggmlType(), [=](uint8_t *o) {
        std::memcpy(o, info->data, info->numBytes);
      });
    }
    EXPECT_TRUE(w.write(edited, error)) << error;
    std::unique_ptr<File> f = File::open(edited, error);
    EXPECT_TRUE(f) << error;
    EXPECT_FALSE(import(*f));
    return error;
  };
  EXPECT_NE(withKey([](Writer &w) {
              w.setUInt32("llama.block_count", 0x80000000u);
            }).find("implausible hyperparameters"),
            std::string::npos);
  EXPECT_NE(withKey([](Writer &w) {
              w.setString("llama.rope.scaling.type", "yarn");
            }).find("RoPE scaling"),
            std::string::npos);
}

TEST_F(GGUFImporterTest, UnknownArchitectureListsSupported) {
  TempFile path("mamba.gguf");
  Writer w;
  w.setString("general.architecture", "mamba");
  ASSERT_TRUE(w.write(path, error)) << error;
  std::unique_ptr<File> file = File::open(path, error);
  ASSERT_TRUE(file) << error;
  EXPECT_FALSE(import(*file));
  EXPECT_NE(error.find("unsupported architecture 'mamba' (supported: llama, "
                       "qwen2, gpt2)"),
            std::string::npos)
      << error;
}

} // namespace
