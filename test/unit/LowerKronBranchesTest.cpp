//===- LowerKronBranchesTest.cpp - KronA^B branches, both code paths
//-------===//
//
// xf-lower-kron-branches rewrites `s x (A ⊗ B) + r x` as two small GEMMs
// (factored, in either order) or as rows appended to the FFN's second GEMM
// (merged). Each form is evaluated on random inputs and compared with the
// Kronecker product materialized in the test, and the cost model's choice
// is checked on both sides of its crossover.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace mlir;
using namespace mlir::xf;
namespace eval = mlir::xf::eval;

namespace {

struct Shape {
  int64_t m1, n1, m2, n2;
  int64_t in() const { return m1 * m2; }
  int64_t out() const { return n1 * n2; }
};

/// An FFN's second GEMM (h [T, 16] by down [out, 16]) plus a KronA^B
/// branch from x, with a residual when in == out.
std::string blockFor(Shape k, bool residual) {
  std::string in = std::to_string(k.in()), out = std::to_string(k.out());
  std::string a = std::to_string(k.m1) + "x" + std::to_string(k.n1);
  std::string b = std::to_string(k.m2) + "x" + std::to_string(k.n2);
  return "func.func @block(%x: tensor<?x" + in +
         "xf32>, %h: tensor<?x16xf32>, "
         "%down: tensor<" +
         out + "x16xf32>, %a: tensor<" + a +
         "xf32>, "
         "%b: tensor<" +
         b + "xf32>) -> tensor<?x" + out +
         "xf32> {\n"
         "  %d = xf.linear %h, %down : (tensor<?x16xf32>, tensor<" +
         out + "x16xf32>) -> tensor<?x" + out +
         "xf32>\n"
         "  %k = xf.kron_linear %x, %a, %b scale 0.75" +
         (residual ? " residual -0.5" : "") + " : (tensor<?x" + in +
         "xf32>, tensor<" + a + "xf32>, tensor<" + b + "xf32>) -> tensor<?x" +
         out +
         "xf32>\n"
         "  %y = xf.add %d, %k : (tensor<?x" +
         out + "xf32>, tensor<?x" + out + "xf32>) -> tensor<?x" + out +
         "xf32>\n"
         "  return %y : tensor<?x" +
         out + "xf32>\n}\n";
}

class LowerKronBranchesTest : public ::testing::Test {
protected:
  LowerKronBranchesTest() {
    context.loadDialect<XFDialect, func::FuncDialect, arith::ArithDialect>();
  }

  OwningOpRef<ModuleOp> lowered(Shape k, bool residual,
                                XFLowerKronBranchesOptions options) {
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(blockFor(k, residual), &context);
    EXPECT_TRUE(module);
    PassManager pm(&context);
    pm.addPass(createXFLowerKronBranches(options));
    EXPECT_TRUE(succeeded(pm.run(*module)));
    EXPECT_TRUE(succeeded(verify(*module)));
    return module;
  }

  eval::Tensor random(std::vector<int64_t> shape) {
    eval::Tensor t(std::move(shape));
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (double &v : t.data)
      v = static_cast<float>(dist(rng));
    return t;
  }

  /// d + 0.75 x (A ⊗ B) [- 0.5 x], with A ⊗ B materialized.
  eval::Tensor expected(Shape k, bool residual,
                        const std::vector<eval::Value> &in) {
    const auto &x = std::get<eval::Tensor>(in[0]);
    const auto &h = std::get<eval::Tensor>(in[1]);
    const auto &down = std::get<eval::Tensor>(in[2]);
    const auto &a = std::get<eval::Tensor>(in[3]);
    const auto &b = std::get<eval::Tensor>(in[4]);
    std::vector<double> kron(k.in() * k.out());
    for (int64_t i = 0; i < k.m1; ++i)
      for (int64_t j = 0; j < k.n1; ++j)
        for (int64_t p = 0; p < k.m2; ++p)
          for (int64_t q = 0; q < k.n2; ++q)
            kron[(i * k.m2 + p) * k.out() + j * k.n2 + q] =
                a.data[i * k.n1 + j] * b.data[p * k.n2 + q];
    int64_t tokens = x.shape[0];
    eval::Tensor y({tokens, k.out()});
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t c = 0; c < k.out(); ++c) {
        double sum = 0;
        for (int64_t e = 0; e < 16; ++e)
          sum += h.data[t * 16 + e] * down.data[c * 16 + e];
        for (int64_t r = 0; r < k.in(); ++r)
          sum += 0.75 * x.data[t * k.in() + r] * kron[r * k.out() + c];
        if (residual)
          sum += -0.5 * x.data[t * k.in() + c];
        y.data[t * k.out() + c] = sum;
      }
    return y;
  }

  /// Evaluates the lowered block on random inputs against `expected`.
  void checkValues(Shape k, bool residual, ModuleOp module) {
    std::vector<eval::Value> in = {random({3, k.in()}), random({3, 16}),
                                   random({k.out(), 16}), random({k.m1, k.n1}),
                                   random({k.m2, k.n2})};
    auto func = module.lookupSymbol<func::FuncOp>("block");
    auto results = eval::evaluate(func, in, {});
    ASSERT_TRUE(succeeded(results));
    const auto &got = std::get<eval::Tensor>((*results)[0]);
    eval::Tensor want = expected(k, residual, in);
    ASSERT_EQ(got.shape, want.shape);
    for (size_t e = 0; e < want.data.size(); ++e)
      ASSERT_NEAR(got.data[e], want.data[e],
                  1e-9 * (1 + std::abs(want.data[e])))
          << "element " << e;
  }

  template <typename OpT> static int count(ModuleOp module) {
    int n = 0;
    module.walk([&](OpT) { ++n; });
    return n;
  }

  /// Merged: one GEMM, over the concatenated inputs and weights.
  static bool isMerged(ModuleOp module) {
    return count<LinearOp>(module) == 1 && count<ConcatOp>(module) == 2 &&
           count<KronDeltaOp>(module) == 1 && count<KronLinearOp>(module) == 0;
  }
  /// Factored: the FFN's GEMM and two small ones, no Kronecker product.
  static bool isFactored(ModuleOp module) {
    return count<LinearOp>(module) == 3 && count<KronDeltaOp>(module) == 0 &&
           count<KronLinearOp>(module) == 0;
  }

  MLIRContext context;
  std::mt19937 rng{7};
};

TEST_F(LowerKronBranchesTest, FactoredMatchesTheKroneckerProductInBothOrders) {
  XFLowerKronBranchesOptions options;
  options.strategy = "factored";
  // (32, 24) x (24, 32) multiplies A first, the others B first; the first
  // two are T5 shapes from the brief, the others rectangular.
  for (Shape k : {Shape{32, 24, 24, 32}, Shape{3, 256, 256, 3},
                  Shape{4, 6, 5, 2}, Shape{2, 3, 6, 5}})
    for (bool residual : {false, true}) {
      if (residual && k.in() != k.out())
        continue;
      SCOPED_TRACE(std::to_string(k.m1) + "x" + std::to_string(k.n1) + " ⊗ " +
                   std::to_string(k.m2) + "x" + std::to_string(k.n2));
      OwningOpRef<ModuleOp> module = lowered(k, residual, options);
      EXPECT_TRUE(isFactored(*module));
      checkValues(k, residual, *module);
    }
}

TEST_F(LowerKronBranchesTest, MergedMatchesTheKroneckerProduct) {
  XFLowerKronBranchesOptions options;
  options.strategy = "merged";
  for (Shape k : {Shape{32, 24, 24, 32}, Shape{4, 6, 5, 2}})
    for (bool residual : {false, true}) {
      if (residual && k.in() != k.out())
        continue;
      OwningOpRef<ModuleOp> module = lowered(k, residual, options);
      EXPECT_TRUE(isMerged(*module));
      checkValues(k, residual, *module);
    }
}

TEST_F(LowerKronBranchesTest, CostModelChoosesEachSideOfTheCrossover) {
  XFLowerKronBranchesOptions decode; // tokens = 1
  // 768 wide, small factors: 36864 MACs a token against 2.4 MB of merged
  // weights to read every step: factored.
  EXPECT_TRUE(isFactored(*lowered({32, 24, 24, 32}, true, decode)));
  // 64 wide: two GEMM calls cost more than reading 16 KB: merged.
  EXPECT_TRUE(isMerged(*lowered({8, 8, 8, 8}, true, decode)));
  // One factor nearly the whole matrix: factored for a decode step (reading
  // M costs more than 296k MACs), merged for a prefill of 64 tokens (the
  // large GEMM computes M's MACs faster than two small ones).
  EXPECT_TRUE(isFactored(*lowered({384, 384, 2, 2}, false, decode)));
  XFLowerKronBranchesOptions prefill;
  prefill.tokens = 64;
  EXPECT_TRUE(isMerged(*lowered({384, 384, 2, 2}, false, prefill)));
}

} // namespace
