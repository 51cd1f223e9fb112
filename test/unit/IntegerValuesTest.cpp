//===- IntegerValuesTest.cpp - The evaluator's integer semantics ----------===//
//
// Integers in the evaluator are held as doubles: the signed value of their
// bits. These tests pin the definitions xf's integer ops share with the
// compiled code (wrapping, division by zero, INT_MIN / -1, negative
// powers, saturating casts) on values where a wrong reading shows, and run
// the ops through the evaluator with `unsigned` and without.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/Eval/IntegerValues.h"
#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::xf;
using eval::IntegerOp;

namespace {

TEST(IntegerValuesTest, WrapsToTheSignedValueOfTheBits) {
  EXPECT_EQ(eval::wrapInteger(200, 8), -56);
  EXPECT_EQ(eval::wrapInteger(-129, 8), 127);
  EXPECT_EQ(eval::wrapInteger(65536 + 5, 16), 5);
  EXPECT_EQ(eval::wrapInteger(-9, 64), -9); // exact, not via 2^64 - 9
  EXPECT_EQ(eval::wrapInteger(std::ldexp(1.0, 40) + 3, 32), 3);
  EXPECT_EQ(eval::wrapInteger(3, 1), 1);
  EXPECT_EQ(eval::integerValue(-56, 8, /*isUnsigned=*/true), 200);
  EXPECT_EQ(eval::integerValue(-56, 8, /*isUnsigned=*/false), -56);
  EXPECT_EQ(eval::integerValue(-1, 32, true), 4294967295.0);
}

TEST(IntegerValuesTest, ArithmeticWraps) {
  EXPECT_EQ(eval::integerBinary(IntegerOp::Add, 100, 100, 8, false), -56);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Sub, -128, 1, 8, false), 127);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Mul, 65536, 65536, 32, false), 0);
  // Past 2^53 the product is computed in integers, not doubles.
  double big = std::ldexp(1.0, 40) + 1;
  EXPECT_EQ(eval::integerBinary(IntegerOp::Mul, big, 3, 64, false),
            3 * std::ldexp(1.0, 40) + 3);
}

TEST(IntegerValuesTest, DivisionIsDefinedEverywhere) {
  EXPECT_EQ(eval::integerBinary(IntegerOp::Div, 7, -2, 32, false), -3);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Div, -7, 2, 32, false), -3);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Div, 5, 0, 32, false), 0);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Div, -128, -1, 8, false), -128);
  // uint8 200 / 3: held as -56 and 3, read unsigned.
  EXPECT_EQ(eval::integerBinary(IntegerOp::Div, -56, 3, 8, true), 66);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Div, -56, 3, 8, false), -18);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Div, -56, 0, 8, true), 0);
}

TEST(IntegerValuesTest, PowersWrapAndTruncateNegativeExponents) {
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 3, 5, 32, false), 243);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 2, 31, 32, false),
            -2147483648.0);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 2, 8, 8, false), 0);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 2, -1, 32, false), 0);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 1, -7, 32, false), 1);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, -1, -3, 32, false), -1);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, -1, -4, 32, false), 1);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 0, -1, 32, false), 0);
  // A 64-bit power wrapped to 32 bits keeps its low bits exactly, which a
  // double holding 3^40 mod 2^64 would not.
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 3, 40, 64, false, 32),
            689956897);
  // An unsigned exponent of 255 is not -1: 3^255 wraps in 8 bits.
  double expected = 1;
  for (int i = 0; i < 255; ++i)
    expected = eval::wrapInteger(expected * 3, 8);
  EXPECT_EQ(eval::integerBinary(IntegerOp::Pow, 3, -1, 8, true), expected);
}

TEST(IntegerValuesTest, FloatsSaturateIntoIntegers) {
  EXPECT_EQ(eval::floatToInteger(300.5, 8, false), 127);
  EXPECT_EQ(eval::floatToInteger(-1000, 8, false), -128);
  EXPECT_EQ(eval::floatToInteger(-2.9, 8, false), -2);
  EXPECT_EQ(eval::floatToInteger(300.5, 8, true), -1); // 255, held
  EXPECT_EQ(eval::floatToInteger(-3, 8, true), 0);
  EXPECT_EQ(eval::floatToInteger(std::nan(""), 32, false), 0);
  EXPECT_EQ(eval::floatToInteger(-INFINITY, 16, false), -32768);
  EXPECT_EQ(eval::floatToInteger(0.25, 1, false), 1);
  EXPECT_EQ(eval::floatToInteger(0, 1, false), 0);
}

const char *kGraph = R"(
  func.func @graph(%a: tensor<3xi8>, %b: tensor<3xi8>, %f: tensor<3xf32>)
      -> (tensor<3xi8>, tensor<3xi8>, tensor<3xf32>, tensor<3xi32>,
          tensor<3xi8>, tensor<3xbf16>) {
    %s = xf.div %a, %b : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
    %u = xf.div unsigned %a, %b : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
    %x = xf.convert unsigned %a : tensor<3xi8> to tensor<3xf32>
    %e = xf.convert unsigned %a : tensor<3xi8> to tensor<3xi32>
    %t = xf.convert %f : tensor<3xf32> to tensor<3xi8>
    %z = xf.convert toward_zero %f : tensor<3xf32> to tensor<3xbf16>
    return %s, %u, %x, %e, %t, %z : tensor<3xi8>, tensor<3xi8>, tensor<3xf32>, tensor<3xi32>, tensor<3xi8>, tensor<3xbf16>
  })";

TEST(IntegerValuesTest, EvaluatorReadsSignednessFromTheOps) {
  MLIRContext context;
  context.loadDialect<XFDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kGraph, &context);
  ASSERT_TRUE(module);
  auto tensor = [](std::vector<double> data) {
    eval::Tensor t({static_cast<int64_t>(data.size())});
    t.data.assign(data.begin(), data.end());
    return t;
  };
  // uint8 200, 7, 255 over 3, 0, 2 (held signed).
  eval::Tensor a = tensor({-56, 7, -1}), b = tensor({3, 0, 2});
  // 1 + 2^-8 + 2^-9 is nearer 1 + 2^-7 in bf16; toward zero gives 1.
  eval::Tensor f = tensor({1 + 0x1p-8 + 0x1p-9, 1e9, -1.5});
  auto results = eval::evaluate(module->lookupSymbol<func::FuncOp>("graph"),
                                {a, b, f}, {});
  ASSERT_TRUE(succeeded(results));
  auto out = [&](int k) {
    const eval::Tensor &t = std::get<eval::Tensor>((*results)[k]);
    return std::vector<double>(t.data.begin(), t.data.end());
  };
  EXPECT_EQ(out(0), (std::vector<double>{-18, 0, 0}));
  EXPECT_EQ(out(1), (std::vector<double>{66, 0, 127}));
  EXPECT_EQ(out(2), (std::vector<double>{200, 7, 255}));
  EXPECT_EQ(out(3), (std::vector<double>{200, 7, 255}));
  EXPECT_EQ(out(4), (std::vector<double>{1, 127, -1}));
  EXPECT_EQ(out(5), (std::vector<double>{1, 998244352, -1.5}));
}

} // namespace
