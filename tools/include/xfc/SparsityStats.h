//===- SparsityStats.h - How sparse a weight already is ---------*- C++ -*-===//
//
// Sparse fine-tuned checkpoints arrive with their zeros in place. These
// statistics say how many there are and which kernel-friendly patterns they
// form, for `xfc inspect --sparsity` and for choosing sparse kernels.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_SPARSITYSTATS_H
#define XFC_SPARSITYSTATS_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace xfc {

struct SparsityStats {
  /// Fraction of values that are exactly zero.
  double zeros = 0;
  /// Whether every run of 4 values along a row holds at least 2 zeros (the
  /// weight is 2:4 sparse as it is).
  bool twoOfFour = false;
  /// Fractions of 1x4 and 4x16 blocks that are all zeros (0 when the shape
  /// is not made of such blocks).
  double zeroBlocks1x4 = 0, zeroBlocks4x16 = 0;
};

/// The statistics of a row-major [rows, cols] weight.
SparsityStats measureSparsity(llvm::ArrayRef<float> values, int64_t rows,
                              int64_t cols);

} // namespace xfc

#endif // XFC_SPARSITYSTATS_H
