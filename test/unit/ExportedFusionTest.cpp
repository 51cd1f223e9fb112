//===- ExportedFusionTest.cpp - Fusing an exporter's spelling, exactly ----===//
//
// A transformer block as PyTorch's ONNX exporter spells it (bias adds,
// spelled-out GELU and LayerNorm, batched causal attention with a
// where-mask) goes through xf-raise-idioms, xf-fuse-ffn and xf-fuse-mha; the
// reference evaluator computes the same outputs before and after on random
// inputs.
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
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir;
using namespace mlir::xf;
namespace eval = mlir::xf::eval;

namespace {

// Two heads of 4, three tokens; the MLP 8 -> 16 -> 8 with exact GELU.
constexpr const char *kExported = R"mlir(
  func.func @block(%x: tensor<1x3x8xf32>, %wq: tensor<8x8xf32>,
                   %wk: tensor<8x8xf32>, %wv: tensor<8x8xf32>,
                   %bq: tensor<8xf32> {xf.weight = "bq"},
                   %w1: tensor<16x8xf32>, %b1: tensor<16xf32> {xf.weight = "b1"},
                   %w2: tensor<8x16xf32>, %b2: tensor<8xf32> {xf.weight = "b2"})
      -> (tensor<1x3x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>) {
    %d = arith.constant dense<2.0> : tensor<f32>
    %tril = arith.constant dense<[[[[true, false, false], [true, true, false],
                                    [true, true, true]]]]> : tensor<1x1x3x3xi1>
    %fill = arith.constant dense<-1.0e9> : tensor<f32>
    %pq = xf.linear %x, %wq : (tensor<1x3x8xf32>, tensor<8x8xf32>) -> tensor<1x3x8xf32>
    %q = xf.add %pq, %bq : (tensor<1x3x8xf32>, tensor<8xf32>) -> tensor<1x3x8xf32>
    %k = xf.linear %x, %wk : (tensor<1x3x8xf32>, tensor<8x8xf32>) -> tensor<1x3x8xf32>
    %v = xf.linear %x, %wv : (tensor<1x3x8xf32>, tensor<8x8xf32>) -> tensor<1x3x8xf32>
    %q4 = xf.reshape %q : tensor<1x3x8xf32> -> tensor<1x3x2x4xf32>
    %k4 = xf.reshape %k : tensor<1x3x8xf32> -> tensor<1x3x2x4xf32>
    %v4 = xf.reshape %v : tensor<1x3x8xf32> -> tensor<1x3x2x4xf32>
    %qh = xf.transpose %q4 [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
    %kt = xf.transpose %k4 [0, 2, 3, 1] : tensor<1x3x2x4xf32> -> tensor<1x2x4x3xf32>
    %vh = xf.transpose %v4 [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
    %s = xf.matmul %qh, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
    %sc = xf.div %s, %d : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
    %m = xf.where %tril, %sc, %fill : (tensor<1x1x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
    %p = xf.softmax %m : tensor<1x2x3x3xf32>
    %o = xf.matmul %p, %vh : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
    %ot = xf.transpose %o [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
    %a = xf.reshape %ot : tensor<1x3x2x4xf32> -> tensor<1x3x8xf32>

    %half = arith.constant dense<0.5> : tensor<f32>
    %one = arith.constant dense<1.0> : tensor<f32>
    %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
    %h0 = xf.linear %x, %w1 : (tensor<1x3x8xf32>, tensor<16x8xf32>) -> tensor<1x3x16xf32>
    %h = xf.add %h0, %b1 : (tensor<1x3x16xf32>, tensor<16xf32>) -> tensor<1x3x16xf32>
    %hd = xf.div %h, %sqrt2 : (tensor<1x3x16xf32>, tensor<f32>) -> tensor<1x3x16xf32>
    %he = xf.erf %hd : tensor<1x3x16xf32>
    %hh = xf.mul %h, %half : (tensor<1x3x16xf32>, tensor<f32>) -> tensor<1x3x16xf32>
    %hp = xf.add %he, %one : (tensor<1x3x16xf32>, tensor<f32>) -> tensor<1x3x16xf32>
    %g = xf.mul %hh, %hp : (tensor<1x3x16xf32>, tensor<1x3x16xf32>) -> tensor<1x3x16xf32>
    %y0 = xf.linear %g, %w2 : (tensor<1x3x16xf32>, tensor<8x16xf32>) -> tensor<1x3x8xf32>
    %y = xf.add %y0, %b2 : (tensor<1x3x8xf32>, tensor<8xf32>) -> tensor<1x3x8xf32>

    %two = arith.constant dense<2.0> : tensor<f32>
    %eps = arith.constant dense<1.0e-5> : tensor<f32>
    %mu = xf.reduce_mean %x[2] : tensor<1x3x8xf32> -> tensor<1x3x1xf32>
    %dx = xf.sub %x, %mu : (tensor<1x3x8xf32>, tensor<1x3x1xf32>) -> tensor<1x3x8xf32>
    %sq = xf.pow %dx, %two : (tensor<1x3x8xf32>, tensor<f32>) -> tensor<1x3x8xf32>
    %var = xf.reduce_mean %sq[2] : tensor<1x3x8xf32> -> tensor<1x3x1xf32>
    %ve = xf.add %var, %eps : (tensor<1x3x1xf32>, tensor<f32>) -> tensor<1x3x1xf32>
    %sd = xf.sqrt %ve : tensor<1x3x1xf32>
    %nx = xf.div %dx, %sd : (tensor<1x3x8xf32>, tensor<1x3x1xf32>) -> tensor<1x3x8xf32>
    %gx = xf.mul %nx, %bq : (tensor<1x3x8xf32>, tensor<8xf32>) -> tensor<1x3x8xf32>
    %ln = xf.add %gx, %b2 : (tensor<1x3x8xf32>, tensor<8xf32>) -> tensor<1x3x8xf32>
    return %a, %y, %ln : tensor<1x3x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>
  })mlir";

template <typename OpT> int count(ModuleOp module) {
  int n = 0;
  module.walk([&](OpT) { ++n; });
  return n;
}

TEST(ExportedFusionTest, FusesAndPreservesSemantics) {
  MLIRContext context;
  context.loadDialect<XFDialect, func::FuncDialect, arith::ArithDialect,
                      tensor::TensorDialect>();
  OwningOpRef<ModuleOp> exported =
      parseSourceString<ModuleOp>(kExported, &context);
  ASSERT_TRUE(exported);
  OwningOpRef<ModuleOp> fused = exported->clone();
  PassManager pm(&context);
  pm.addPass(createXFRaiseIdioms());
  pm.addPass(createXFFuseFfn());
  pm.addPass(createXFFuseMha());
  ASSERT_TRUE(succeeded(pm.run(*fused)));
  EXPECT_EQ(count<AttentionOp>(*fused), 1);
  EXPECT_EQ(count<FfnOp>(*fused), 1);
  EXPECT_EQ(count<SoftmaxOp>(*fused), 0);
  EXPECT_EQ(count<ErfOp>(*fused), 0);
  EXPECT_EQ(count<LayerNormOp>(*fused), 1);
  EXPECT_EQ(count<ReduceMeanOp>(*fused), 0);
  fused->walk([](AttentionOp op) { EXPECT_TRUE(op.getCausal()); });
  fused->walk([](FfnOp op) { EXPECT_EQ(op.getKind(), FfnKind::gelu_erf); });

  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 0.7);
  auto random = [&](std::vector<int64_t> shape) -> eval::Value {
    eval::Tensor t(std::move(shape));
    for (double &v : t.data)
      v = normal(rng);
    return t;
  };
  std::vector<eval::Value> inputs = {
      random({1, 3, 8}), random({8, 8}),  random({8, 8}),
      random({8, 8}),    random({8}),     random({16, 8}),
      random({16}),      random({8, 16}), random({8})};
  auto evaluate = [&](ModuleOp module) {
    auto block = module.lookupSymbol<func::FuncOp>("block");
    FailureOr<std::vector<eval::Value>> results =
        eval::evaluate(block, inputs, {});
    EXPECT_TRUE(succeeded(results));
    return succeeded(results) ? *results : std::vector<eval::Value>();
  };
  std::vector<eval::Value> want = evaluate(*exported), got = evaluate(*fused);
  ASSERT_EQ(want.size(), 3u);
  ASSERT_EQ(got.size(), 3u);
  for (size_t r = 0; r < 3; ++r) {
    const auto &w = std::get<eval::Tensor>(want[r]);
    const auto &g = std::get<eval::Tensor>(got[r]);
    ASSERT_EQ(w.shape, g.shape);
    for (size_t e = 0; e < w.data.size(); ++e)
      EXPECT_NEAR(g.data[e], w.data[e], 1e-6 * (1 + std::abs(w.data[e])))
          << "result " << r << " element " << e;
  }
}

} // namespace
