//===- AdapterDeltaOpsTest.cpp - xf.lora_delta and xf.kron_delta ----------===//
//
// The reference evaluator computes the adapter deltas as their definitions
// say, on values chosen so each element's expected value is known.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::xf;

namespace {

const char *kDeltas = R"(
  func.func @deltas(%b: tensor<3x2xf32>, %a: tensor<2x4xf32>,
                    %w1: tensor<2x3xf32>, %w2: tensor<2x2xf32>)
      -> (tensor<3x4xf32>, tensor<4x6xf32>) {
    %l = xf.lora_delta %b, %a scale 0.5 : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
    %k = xf.kron_delta %w1, %w2 scale 2.0 : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<4x6xf32>
    return %l, %k : tensor<3x4xf32>, tensor<4x6xf32>
  })";

eval::Tensor counting(std::vector<int64_t> shape, double start) {
  eval::Tensor t(std::move(shape));
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = start + static_cast<double>(i);
  return t;
}

TEST(AdapterDeltaOpsTest, EvaluatorComputesTheDefinitions) {
  MLIRContext context;
  context.loadDialect<XFDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kDeltas, &context);
  ASSERT_TRUE(module);
  eval::Tensor b = counting({3, 2}, 1), a = counting({2, 4}, -3),
               w1 = counting({2, 3}, 1), w2 = counting({2, 2}, 10);
  auto results = eval::evaluate(module->lookupSymbol<func::FuncOp>("deltas"),
                                {b, a, w1, w2}, {});
  ASSERT_TRUE(succeeded(results));
  const auto &lora = std::get<eval::Tensor>((*results)[0]);
  const auto &kron = std::get<eval::Tensor>((*results)[1]);
  ASSERT_EQ(lora.shape, (std::vector<int64_t>{3, 4}));
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      EXPECT_EQ(lora.data[i * 4 + j],
                0.5 * (b.data[i * 2] * a.data[j] +
                       b.data[i * 2 + 1] * a.data[4 + j]));
  ASSERT_EQ(kron.shape, (std::vector<int64_t>{4, 6}));
  // Block (i, j) of the product is w1[i][j] * w2.
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 2; ++k)
        for (int64_t l = 0; l < 2; ++l)
          EXPECT_EQ(kron.data[(i * 2 + k) * 6 + j * 2 + l],
                    2.0 * w1.data[i * 3 + j] * w2.data[k * 2 + l]);
}

} // namespace
