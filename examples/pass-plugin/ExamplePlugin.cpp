//===- ExamplePlugin.cpp - An out-of-tree xf pass plugin ------------------===//
//
// Load with:
//   xfc-opt --load-pass-plugin=XFCExamplePassPlugin.so \
//           --pass-pipeline='builtin.module(xf-example-approximate-gelu)'
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace example {
#define GEN_PASS_DECL
#define GEN_PASS_DEF_XFEXAMPLEAPPROXIMATEGELU
#define GEN_PASS_REGISTRATION
#include "ExamplePasses.h.inc"
} // namespace example

using namespace mlir;

namespace {

struct ApproximateGelu : OpRewritePattern<xf::GeluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(xf::GeluOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getApproximation() == xf::GeluApprox::tanh)
      return rewriter.notifyMatchFailure(op, "already approximate");
    rewriter.modifyOpInPlace(op, [&] {
      op.setApproximation(xf::GeluApprox::tanh);
    });
    return success();
  }
};

struct ApproximateGeluPass
    : example::impl::XFExampleApproximateGeluBase<ApproximateGeluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ApproximateGelu>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

/// The entry point `--load-pass-plugin` looks up.
extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "XFCExamplePassPlugin", "0.1",
          [] { example::registerXFExamplePasses(); }};
}
