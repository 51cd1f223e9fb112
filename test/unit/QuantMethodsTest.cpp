//===- QuantMethodsTest.cpp - xf.quantize's methods and their registry ----===//
//
// rtn must choose ggml's levels (checked against the GGUF frontend's own
// encoder, byte for byte); mse must never do worse than rtn and must do
// better on groups with outliers; a method registered later (as a plugin
// does) is found by name and accepted by xf.quantize's verifier.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/QuantMethods.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Frontends/GGUF/GGMLType.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace mlir;
using namespace mlir::xf;
namespace gguf = xfc::gguf;

namespace {

struct Scheme {
  unsigned bits;
  QuantMode mode;
  gguf::GGMLType type;
  const char *name;
};

const Scheme kSchemes[] = {
    {8, QuantMode::symmetric, gguf::GGMLType::Q8_0, "q8_0"},
    {4, QuantMode::symmetric, gguf::GGMLType::Q4_0, "q4_0"},
    {4, QuantMode::min_offset, gguf::GGMLType::Q4_1, "q4_1"},
};

class QuantMethodsTest : public ::testing::Test {
protected:
  QuantMethodsTest() { context.loadDialect<XFDialect, func::FuncDialect>(); }

  QuantSchemeAttr scheme(const Scheme &s, int64_t group, bool f32 = false) {
    Type scale = f32 ? Type(Float32Type::get(&context))
                     : Type(Float16Type::get(&context));
    return QuantSchemeAttr::get(&context, s.bits, group, s.mode, scale);
  }

  /// Groups of normal values, every other one with an outlier.
  std::vector<float> groupOf(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(n);
    for (float &v : x)
      v = normal(rng);
    if (seed % 2)
      x[seed % n] = 12.0f;
    return x;
  }

  double error(QuantSchemeAttr s, const std::vector<float> &x,
               const GroupLevels &levels) {
    float d = roundScale(s, levels.scale), m = roundScale(s, levels.minimum);
    double e = 0;
    for (size_t j = 0; j < x.size(); ++j)
      e += std::pow(x[j] - dequantizeLevel(s, d, m, levels.codes[j]), 2);
    return e;
  }

  MLIRContext context;
};

TEST_F(QuantMethodsTest, BuiltinsAreRegistered) {
  SmallVector<StringRef> names = getQuantizationMethodNames();
  EXPECT_TRUE(llvm::is_contained(names, "rtn"));
  EXPECT_TRUE(llvm::is_contained(names, "mse"));
  EXPECT_EQ(lookupQuantizationMethod("awq-someday"), nullptr);
}

// rtn's levels, written as blocks, are the GGUF encoder's bytes.
TEST_F(QuantMethodsTest, RtnIsGgmlsQuantizer) {
  const QuantizationMethod &rtn = *lookupQuantizationMethod("rtn");
  for (const Scheme &s : kSchemes)
    for (int64_t group : {32, 128})
      for (bool f32 : {false, true})
        for (unsigned seed = 0; seed < 20; ++seed) {
          SCOPED_TRACE(testing::Message()
                       << s.name << " group=" << group << " f32=" << f32
                       << " seed=" << seed);
          std::vector<float> x = groupOf(group, seed);
          GroupLevels levels;
          rtn.quantizeGroup(x, scheme(s, group, f32), levels);
          size_t bytes =
              (s.type == gguf::GGMLType::Q4_1 ? 2 : 1) * (f32 ? 4 : 2) +
              group * s.bits / 8;
          std::vector<uint8_t> ours(bytes), theirs(bytes);
          ASSERT_TRUE(gguf::writeGroup(s.type, group, levels.scale,
                                       levels.minimum, levels.codes.data(), f32,
                                       ours.data()));
          ASSERT_TRUE(gguf::encodeGroupsFromF32(s.type, group, x.data(), group,
                                                theirs.data(), f32));
          EXPECT_EQ(ours, theirs);
        }
}

// mse is never worse than rtn, keeps codes in range, and at 4 bits clips
// outliers where that pays.
TEST_F(QuantMethodsTest, MseNeverLosesToRtnAndWinsWithOutliers) {
  const QuantizationMethod &rtn = *lookupQuantizationMethod("rtn");
  const QuantizationMethod &mse = *lookupQuantizationMethod("mse");
  for (const Scheme &s : kSchemes) {
    QuantSchemeAttr q = scheme(s, 64);
    int wins = 0;
    for (unsigned seed = 0; seed < 40; ++seed) {
      std::vector<float> x = groupOf(64, seed);
      GroupLevels a, b;
      rtn.quantizeGroup(x, q, a);
      mse.quantizeGroup(x, q, b);
      int lo = s.bits == 8 ? -127 : 0, hi = s.bits == 8 ? 127 : 15;
      for (int c : b.codes)
        ASSERT_TRUE(c >= lo && c <= hi) << s.name << " code " << c;
      double ea = error(q, x, a), eb = error(q, x, b);
      EXPECT_LE(eb, ea) << s.name << " seed " << seed;
      wins += eb < ea;
    }
    // At 4 bits a clipped scale helps a quarter (Q4_0) to most (Q4_1) of
    // these groups; at 8 bits RTN's steps are already fine.
    if (s.bits == 4) {
      EXPECT_GE(wins, 5) << s.name << ": mse should clip some outlier groups";
    }
  }
}

// A method registered at run time (as a plugin registers one) is used by
// name; xf.quantize refuses a name nobody registered.
TEST_F(QuantMethodsTest, PluginMethodsAreFoundByName) {
  const char *ir = R"(
    func.func @f(%w: tensor<4x32xf32>) -> !xf.qtensor<4x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {
      %q = xf.quantize %w method "halves" : tensor<4x32xf32> -> !xf.qtensor<4x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
      return %q : !xf.qtensor<4x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
    })";
  {
    ScopedDiagnosticHandler quiet(&context,
                                  [](Diagnostic &) { return success(); });
    EXPECT_FALSE(parseSourceString<ModuleOp>(ir, &context));
  }
  struct Halves : QuantizationMethod {
    StringRef getName() const override { return "halves"; }
    StringRef getSummary() const override { return "codes of x / 0.5"; }
    void quantizeGroup(ArrayRef<float> x, QuantSchemeAttr,
                       GroupLevels &levels) const override {
      levels.scale = 0.5f;
      levels.codes.clear();
      for (float v : x)
        levels.codes.push_back(static_cast<int>(std::lround(v * 2)));
    }
  };
  registerQuantizationMethod(std::make_unique<Halves>());
  ASSERT_NE(lookupQuantizationMethod("halves"), nullptr);
  EXPECT_TRUE(parseSourceString<ModuleOp>(ir, &context));
}

} // namespace
