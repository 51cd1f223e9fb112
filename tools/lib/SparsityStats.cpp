//===- SparsityStats.cpp - How sparse a weight already is -----------------===//

#include "xfc/SparsityStats.h"

using namespace xfc;

namespace {

/// The fraction of r x c blocks of a [rows, cols] matrix that are all
/// zeros; 0 when the blocks do not tile it.
double zeroBlockFraction(llvm::ArrayRef<float> v, int64_t rows, int64_t cols,
                         int64_t r, int64_t c) {
  if (rows % r || cols % c || rows == 0 || cols == 0)
    return 0;
  int64_t zero = 0;
  for (int64_t bi = 0; bi < rows; bi += r)
    for (int64_t bj = 0; bj < cols; bj += c) {
      bool all = true;
      for (int64_t i = bi; all && i < bi + r; ++i)
        for (int64_t j = bj; all && j < bj + c; ++j)
          all = v[i * cols + j] == 0.0f;
      zero += all;
    }
  return double(zero) / double((rows / r) * (cols / c));
}

} // namespace

SparsityStats xfc::measureSparsity(llvm::ArrayRef<float> values, int64_t rows,
                                   int64_t cols) {
  SparsityStats s;
  if (values.empty())
    return s;
  int64_t zeros = 0;
  for (float v : values)
    zeros += v == 0.0f;
  s.zeros = double(zeros) / double(values.size());
  s.twoOfFour = cols % 4 == 0;
  for (size_t start = 0; s.twoOfFour && start < values.size(); start += 4)
    s.twoOfFour = (values[start] == 0.0f) + (values[start + 1] == 0.0f) +
                      (values[start + 2] == 0.0f) +
                      (values[start + 3] == 0.0f) >=
                  2;
  s.zeroBlocks1x4 = zeroBlockFraction(values, rows, cols, 1, 4);
  s.zeroBlocks4x16 = zeroBlockFraction(values, rows, cols, 4, 16);
  return s;
}
