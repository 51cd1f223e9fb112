//===- Passes.h - xf lowering passes ----------------------------*- C++ -*-===//

#ifndef XFC_LOWERING_PASSES_H
#define XFC_LOWERING_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::xf {

#define GEN_PASS_DECL
#include "xfc/Lowering/Passes.h.inc"

/// Patterns lowering fine-grained xf ops to linalg/tensor/arith/math.
void populateXFToLinalgPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "xfc/Lowering/Passes.h.inc"

} // namespace mlir::xf

#endif // XFC_LOWERING_PASSES_H
