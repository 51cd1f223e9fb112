//===- Patterns.h - The xf-to-linalg pattern groups -------------*- C++ -*-===//

#ifndef XFC_LOWERING_XFTOLINALG_PATTERNS_H
#define XFC_LOWERING_XFTOLINALG_PATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::xf::lowering {

// One group per file, each a family of ops with one lowering strategy.
void populateElementwisePatterns(RewritePatternSet &patterns);
void populateNormalizationPatterns(RewritePatternSet &patterns);
void populateReductionPatterns(RewritePatternSet &patterns);
void populateContractionPatterns(RewritePatternSet &patterns);
void populateShapePatterns(RewritePatternSet &patterns);
void populatePositionPatterns(RewritePatternSet &patterns);

} // namespace mlir::xf::lowering

#endif // XFC_LOWERING_XFTOLINALG_PATTERNS_H
