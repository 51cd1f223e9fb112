//===- DecomposeFusedTest.cpp - Driving xf-decompose-fused from C++ -------===//
//
// Checks the pass's C++ entry points and options, as a pipeline built in
// code (not through xfc-opt) uses them.
//
//===----------------------------------------------------------------------===//

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

using namespace mlir;
using namespace mlir::xf;

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

} // namespace
