//===- Patterns.h - The xf-to-linalg pattern groups -------------*- C++ -*-===//

#ifndef XFC_LOWERING_XFTOLINALG_PATTERNS_H
#define XFC_LOWERING_XFTOLINALG_PATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::xf::lowering {

/// `void xfm_index_out_of_range(void)`, which the model stub defines: a
/// gather called it for an index outside its axis (ModelABI.h's
/// XFM_INDEX_OUT_OF_RANGE). Declared in the module when a gather lowers.
inline constexpr llvm::StringLiteral kIndexOutOfRange =
    "xfm_index_out_of_range";

// One group per file, each a family of ops with one lowering strategy.
void populateElementwisePatterns(RewritePatternSet &patterns);
void populateNormalizationPatterns(RewritePatternSet &patterns);
void populateReductionPatterns(RewritePatternSet &patterns);
void populateContractionPatterns(RewritePatternSet &patterns);
void populateShapePatterns(RewritePatternSet &patterns);
void populatePositionPatterns(RewritePatternSet &patterns);

} // namespace mlir::xf::lowering

#endif // XFC_LOWERING_XFTOLINALG_PATTERNS_H
