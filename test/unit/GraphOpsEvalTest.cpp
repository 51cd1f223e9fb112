//===- GraphOpsEvalTest.cpp - The ONNX-level elementwise and index ops ----===//
//
// The reference evaluator computes xf.div, xf.pow, the unary functions,
// xf.where, xf.broadcast and xf.gather as their definitions say, on values
// whose expected results are computed here element by element.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace mlir::xf;

namespace {

const char *kGraph = R"(
  func.func @graph(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xi1>,
                   %i: tensor<2x2xi64>)
      -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
          tensor<2x2x3xf32>, tensor<2x2x2xf32>) {
    %d = xf.div %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %p = xf.pow %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %s = xf.sigmoid %a : tensor<2x3xf32>
    %w = xf.where %c, %a, %b : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %e = xf.broadcast %b : tensor<3xf32> -> tensor<2x2x3xf32>
    %g = xf.gather %a[%i] {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>) -> tensor<2x2x2xf32>
    return %d, %p, %s, %w, %e, %g : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2x3xf32>, tensor<2x2x2xf32>
  })";

eval::Tensor values(std::vector<int64_t> shape, std::vector<double> data) {
  eval::Tensor t(std::move(shape));
  t.data.assign(data.begin(), data.end());
  return t;
}

TEST(GraphOpsEvalTest, EvaluatorComputesTheDefinitions) {
  MLIRContext context;
  context.loadDialect<XFDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kGraph, &context);
  ASSERT_TRUE(module);
  eval::Tensor a = values({2, 3}, {1, 2, 3, 4, 5, 6});
  eval::Tensor b = values({3}, {2, 0.5, -1});
  eval::Tensor c = values({2, 1}, {1, 0});
  eval::Tensor i = values({2, 2}, {0, -1, 2, 1});
  auto results = eval::evaluate(module->lookupSymbol<func::FuncOp>("graph"),
                                {a, b, c, i}, {});
  ASSERT_TRUE(succeeded(results));
  auto out = [&](int k) -> const eval::Tensor & {
    return std::get<eval::Tensor>((*results)[k]);
  };
  for (int r = 0; r < 2; ++r)
    for (int col = 0; col < 3; ++col) {
      double x = a.data[r * 3 + col], y = b.data[col];
      EXPECT_DOUBLE_EQ(out(0).data[r * 3 + col], x / y);
      EXPECT_DOUBLE_EQ(out(1).data[r * 3 + col], std::pow(x, y));
      EXPECT_DOUBLE_EQ(out(2).data[r * 3 + col], 1 / (1 + std::exp(-x)));
      // Row 0's condition is true, row 1's false.
      EXPECT_EQ(out(3).data[r * 3 + col], r == 0 ? x : y);
    }
  ASSERT_EQ(out(4).shape, (std::vector<int64_t>{2, 2, 3}));
  for (int k = 0; k < 12; ++k)
    EXPECT_EQ(out(4).data[k], b.data[k % 3]);
  // gather axis 1 with [[0, -1], [2, 1]]: -1 is the last column.
  ASSERT_EQ(out(5).shape, (std::vector<int64_t>{2, 2, 2}));
  std::vector<double> expected = {1, 3, 3, 2, 4, 6, 6, 5};
  EXPECT_EQ(std::vector<double>(out(5).data.begin(), out(5).data.end()),
            expected);
}

TEST(GraphOpsEvalTest, GatherOutsideTheAxisIsAnError) {
  MLIRContext context;
  context.loadDialect<XFDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"(
    func.func @g(%a: tensor<3xf32>, %i: tensor<1xi64>) -> tensor<1xf32> {
      %g = xf.gather %a[%i] {axis = 0 : i64} : (tensor<3xf32>, tensor<1xi64>) -> tensor<1xf32>
      return %g : tensor<1xf32>
    })",
                                                             &context);
  ASSERT_TRUE(module);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  auto results = eval::evaluate(module->lookupSymbol<func::FuncOp>("g"),
                                {values({3}, {1, 2, 3}), values({1}, {3})}, {});
  EXPECT_TRUE(failed(results));
}

} // namespace
