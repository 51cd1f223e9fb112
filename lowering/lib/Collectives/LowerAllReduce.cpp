//===- LowerAllReduce.cpp - xf.all_reduce as a call into the runtime ------===//
//
// The sum across shards is the runtime's business: in one process it is a
// shared-memory reduction between worker groups, under MPI an
// MPI_Allreduce. The generated code only hands over its partial sum and a
// buffer for the total (runtime/model-stub, xfm_all_reduce).
//
//===----------------------------------------------------------------------===//

#include "../Microkernels/BufferCalls.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFLOWERALLREDUCE
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The model stub's entry: xfm_all_reduce(input, input row stride, output,
/// rows, columns), all i64; the output rows are dense.
constexpr StringLiteral kAllReduceFunction = "xfm_all_reduce";

struct LowerAllReduce : OpRewritePattern<AllReduceOp> {
  LowerAllReduce(MLIRContext *ctx, func::FuncOp callee)
      : OpRewritePattern(ctx), callee(callee) {}

  LogicalResult matchAndRewrite(AllReduceOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "the runtime sums f32 only");
    int64_t columns = type.getShape().back();
    if (ShapedType::isDynamic(columns))
      return rewriter.notifyMatchFailure(op, "needs a static last dimension");
    Location loc = op.getLoc();
    RowMatrix matrix(rewriter, loc, op.getInput());
    Value rows = tensor::DimOp::create(rewriter, loc, matrix.rows, 0);
    auto [input, inputStride] = addressAndRowStride(
        rewriter, loc, toBuffer(rewriter, loc, matrix.rows));
    Value sum = allocRows(rewriter, loc, rows, columns);
    Value output = addressAndRowStride(rewriter, loc, sum).first;
    func::CallOp::create(rewriter, loc, callee,
                         ValueRange{input, inputStride, output,
                                    toI64(rewriter, loc, rows),
                                    constI64(rewriter, loc, columns)});
    Value result =
        matrix.restore(rewriter, loc, rowsTensor(rewriter, loc, sum), type);
    rewriter.replaceOp(op, result);
    return success();
  }

  func::FuncOp callee;
};

struct XFLowerAllReducePass
    : xf::impl::XFLowerAllReduceBase<XFLowerAllReducePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool any = false;
    module.walk([&](AllReduceOp) { any = true; });
    if (!any)
      return;
    func::FuncOp callee = declareI64Function(module, kAllReduceFunction, 5);
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerAllReduce>(&getContext(), callee);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
    WalkResult left = module.walk([&](AllReduceOp op) {
      op.emitOpError() << "cannot be lowered: the runtime sums f32 tensors "
                          "with a static last dimension, not "
                       << op.getType();
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
