//===- XFToLinalgPass.cpp - The convert-xf-to-linalg pass -----------------===//

#include "Patterns.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::xf {
#define GEN_PASS_DEF_CONVERTXFTOLINALG
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

void xf::populateXFToLinalgPatterns(RewritePatternSet &patterns) {
  lowering::populateElementwisePatterns(patterns);
  lowering::populateNormalizationPatterns(patterns);
  lowering::populateReductionPatterns(patterns);
  lowering::populateContractionPatterns(patterns);
  lowering::populateShapePatterns(patterns);
  lowering::populatePositionPatterns(patterns);
}

namespace {

struct ConvertXFToLinalgPass
    : xf::impl::ConvertXFToLinalgBase<ConvertXFToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           affine::AffineDialect>();
    // Everything in xf must go, except what later stages own: weights,
    // KV-cache ops and the fused ops waiting for their kernels.
    target.addIllegalDialect<XFDialect>();
    target.addLegalOp<GlobalWeightOp, WeightOp, DequantizeOp, KVAppendOp,
                      KVReadOp, AttentionOp, FfnOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    // The error hook gathers call (lowering::kIndexOutOfRange).
    getOperation()->walk([&](ModuleOp module) {
      bool gathers = false;
      module.walk([&](GatherOp) { gathers = true; });
      if (!gathers || module.lookupSymbol(lowering::kIndexOutOfRange))
        return;
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      func::FuncOp::create(b, module.getLoc(), lowering::kIndexOutOfRange,
                           b.getFunctionType({}, {}))
          .setPrivate();
    });
    RewritePatternSet patterns(ctx);
    populateXFToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
