//===- PruneOpTest.cpp - xf.prune's patterns, checked exactly -------------===//
//
// Evaluates xf.prune on random weights and checks each pattern exactly:
// how many values (or blocks) are zero, where they are, and that every
// value kept is at least as large as every value zeroed in its scope.
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
#include <random>
#include <string>

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr int64_t kRows = 32, kCols = 64;

class PruneOpTest : public ::testing::Test {
protected:
  PruneOpTest() { context.loadDialect<XFDialect, func::FuncDialect>(); }

  /// `w` pruned by `xf.prune %w <spec>`.
  eval::Tensor prune(const std::string &spec, const eval::Tensor &w) {
    std::string text =
        "func.func @p(%w: tensor<32x64xf32>) -> tensor<32x64xf32> {\n"
        "  %p = xf.prune %w " +
        spec +
        " : tensor<32x64xf32>\n"
        "  return %p : tensor<32x64xf32>\n}\n";
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module);
    auto results =
        eval::evaluate(module->lookupSymbol<func::FuncOp>("p"), {w}, {});
    EXPECT_TRUE(succeeded(results));
    return std::get<eval::Tensor>((*results)[0]);
  }

  eval::Tensor random() {
    eval::Tensor t({kRows, kCols});
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (double &v : t.data)
      v = dist(rng);
    return t;
  }

  MLIRContext context;
  std::mt19937 rng{11};
};

TEST_F(PruneOpTest, UnstructuredZerosTheSmallestFraction) {
  eval::Tensor w = random();
  for (double level : {0.0, 0.29, 0.5, 0.7, 0.9}) {
    eval::Tensor p = prune("unstructured level " + std::to_string(level), w);
    int64_t zeros = 0;
    double keptMin = INFINITY, prunedMax = 0;
    for (size_t e = 0; e < w.data.size(); ++e) {
      if (p.data[e] == 0.0) {
        ++zeros;
        prunedMax = std::max(prunedMax, std::fabs(w.data[e]));
      } else {
        EXPECT_EQ(p.data[e], w.data[e]);
        keptMin = std::min(keptMin, std::fabs(w.data[e]));
      }
    }
    EXPECT_EQ(zeros,
              static_cast<int64_t>(std::floor(level * kRows * kCols + 1e-6)))
        << level;
    EXPECT_LE(prunedMax, keptMin) << level;
  }
}

TEST_F(PruneOpTest, NMKeepsTheLargestNOfEveryRun) {
  eval::Tensor w = random();
  for (auto [n, m] : {std::pair(2, 4), std::pair(1, 4), std::pair(4, 8)}) {
    eval::Tensor p = prune(
        "nm size [" + std::to_string(n) + ", " + std::to_string(m) + "]", w);
    for (int64_t start = 0; start < kRows * kCols; start += m) {
      int kept = 0;
      double keptMin = INFINITY, prunedMax = 0;
      for (int64_t j = start; j < start + m; ++j) {
        if (p.data[j] != 0.0) {
          ++kept;
          EXPECT_EQ(p.data[j], w.data[j]);
          keptMin = std::min(keptMin, std::fabs(w.data[j]));
        } else {
          prunedMax = std::max(prunedMax, std::fabs(w.data[j]));
        }
      }
      ASSERT_EQ(kept, n) << n << ":" << m << " run at " << start;
      ASSERT_LE(prunedMax, keptMin);
    }
  }
}

TEST_F(PruneOpTest, BlocksZeroWholeBlocksOfSmallestNorm) {
  eval::Tensor w = random();
  for (auto [r, c, level] :
       {std::tuple(4, 16, 0.9), std::tuple(1, 4, 0.5), std::tuple(8, 8, 0.7)}) {
    eval::Tensor p =
        prune("block size [" + std::to_string(r) + ", " + std::to_string(c) +
                  "] level " + std::to_string(level),
              w);
    int64_t blocks = (kRows / r) * (kCols / c), zeroBlocks = 0;
    double keptMin = INFINITY, prunedMax = 0;
    for (int64_t bi = 0; bi < kRows / r; ++bi)
      for (int64_t bj = 0; bj < kCols / c; ++bj) {
        int zeros = 0;
        double norm = 0;
        for (int64_t i = bi * r; i < (bi + 1) * r; ++i)
          for (int64_t j = bj * c; j < (bj + 1) * c; ++j) {
            zeros += p.data[i * kCols + j] == 0.0;
            float v = static_cast<float>(w.data[i * kCols + j]);
            norm += double(v) * v;
          }
        ASSERT_TRUE(zeros == 0 || zeros == r * c) << "a block half pruned";
        if (zeros) {
          ++zeroBlocks;
          prunedMax = std::max(prunedMax, norm);
        } else {
          keptMin = std::min(keptMin, norm);
        }
      }
    EXPECT_EQ(zeroBlocks,
              static_cast<int64_t>(std::floor(level * blocks + 1e-6)));
    EXPECT_LE(prunedMax, keptMin);
  }
}

} // namespace
