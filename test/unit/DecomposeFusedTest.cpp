//===- DecomposeFusedTest.cpp - Driving xf-decompose-fused from C++ -------===//
//
// Checks the pass's C++ entry points and options, as a pipeline built in
// code (not through xfc-opt) uses them.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir;
using namespace mlir::xf;
namespace eval = mlir::xf::eval;

namespace {

constexpr const char *kBlock = R"mlir(
  func.func @block(%q: tensor<?x8x16xf32>, %k: tensor<?x2x16xf32>,
                   %v: tensor<?x2x16xf32>, %c: !xf.kv_cache<64x2x16xf32>,
                   %pos: index, %x: tensor<?x16xf32>, %u: tensor<32x16xf32>,
                   %g: tensor<32x16xf32>, %d: tensor<16x32xf32>)
      -> (tensor<?x8x16xf32>, tensor<?x16xf32>) {
    %a = xf.attention %q, %k, %v cache %c at %pos causal
           : tensor<?x8x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>,
             !xf.kv_cache<64x2x16xf32> -> tensor<?x8x16xf32>
    %f = xf.ffn swiglu %x up %u gate %g down %d
           : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32x16xf32>,
              tensor<16x32xf32>) -> tensor<?x16xf32>
    return %a, %f : tensor<?x8x16xf32>, tensor<?x16xf32>
  })mlir";

template <typename OpT> int count(ModuleOp module) {
  int n = 0;
  module.walk([&](OpT) { ++n; });
  return n;
}

class DecomposeFusedTest : public ::testing::Test {
protected:
  DecomposeFusedTest() {
    context.loadDialect<XFDialect, func::FuncDialect, arith::ArithDialect,
                        tensor::TensorDialect>();
  }

  OwningOpRef<ModuleOp> run(XFDecomposeFusedOptions options) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kBlock, &context);
    EXPECT_TRUE(module);
    PassManager pm(&context);
    pm.addPass(createXFDecomposeFused(options));
    EXPECT_TRUE(succeeded(pm.run(*module)));
    EXPECT_TRUE(succeeded(verify(*module)));
    return module;
  }

  MLIRContext context;
};

TEST_F(DecomposeFusedTest, ExpandsBothByDefault) {
  OwningOpRef<ModuleOp> module = run({});
  EXPECT_EQ(count<AttentionOp>(*module), 0);
  EXPECT_EQ(count<FfnOp>(*module), 0);
  // Attention: append, read, two GQA repeats, two matmuls, mask, softmax.
  EXPECT_EQ(count<KVAppendOp>(*module), 1);
  EXPECT_EQ(count<KVReadOp>(*module), 1);
  EXPECT_EQ(count<RepeatInterleaveOp>(*module), 2);
  EXPECT_EQ(count<MatmulOp>(*module), 2);
  EXPECT_EQ(count<CausalMaskOp>(*module), 1);
  EXPECT_EQ(count<SoftmaxOp>(*module), 1);
  // SwiGLU: gate, up and down projections.
  EXPECT_EQ(count<LinearOp>(*module), 3);
  EXPECT_EQ(count<SiluOp>(*module), 1);
}

TEST_F(DecomposeFusedTest, OptionsSelectOps) {
  XFDecomposeFusedOptions onlyFfn;
  onlyFfn.decomposeAttention = false;
  OwningOpRef<ModuleOp> module = run(onlyFfn);
  EXPECT_EQ(count<AttentionOp>(*module), 1);
  EXPECT_EQ(count<FfnOp>(*module), 0);

  XFDecomposeFusedOptions onlyAttention;
  onlyAttention.decomposeFfn = false;
  module = run(onlyAttention);
  EXPECT_EQ(count<AttentionOp>(*module), 0);
  EXPECT_EQ(count<FfnOp>(*module), 1);
}

/// The expansion computes what the fused ops define: the evaluator runs
/// both forms (fused ops from their own definitions) on random inputs.
TEST_F(DecomposeFusedTest, PreservesSemantics) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 0.5);
  auto random = [&](std::vector<int64_t> shape) {
    eval::Tensor t(std::move(shape));
    for (double &v : t.data)
      v = normal(rng);
    return t;
  };
  // 5 new tokens at position 3 of the cache.
  std::vector<eval::Value> inputs = {
      random({5, 8, 16}), random({5, 2, 16}), random({5, 2, 16}),
      eval::Value(), int64_t(3), random({5, 16}), random({32, 16}),
      random({32, 16}), random({16, 32})};

  auto evaluateBlock = [&](mlir::ModuleOp module) {
    std::vector<eval::Value> args = inputs;
    auto func = module.lookupSymbol<func::FuncOp>("block");
    args[3] = eval::makeCache(func.getArgumentTypes()[3]);
    auto results = eval::evaluate(func, args, {});
    EXPECT_TRUE(succeeded(results));
    return *results;
  };
  OwningOpRef<ModuleOp> fused = parseSourceString<ModuleOp>(kBlock, &context);
  ASSERT_TRUE(fused);
  std::vector<eval::Value> expected = evaluateBlock(*fused);
  OwningOpRef<ModuleOp> expanded = run({});
  std::vector<eval::Value> actual = evaluateBlock(*expanded);
  ASSERT_EQ(actual.size(), 2u);
  for (size_t r = 0; r < 2; ++r) {
    const auto &want = std::get<eval::Tensor>(expected[r]);
    const auto &got = std::get<eval::Tensor>(actual[r]);
    ASSERT_EQ(want.shape, got.shape);
    for (size_t e = 0; e < want.data.size(); ++e)
      ASSERT_NEAR(got.data[e], want.data[e], 1e-12) << "result " << r;
  }
}

} // namespace
