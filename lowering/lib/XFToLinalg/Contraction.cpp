//===- Contraction.cpp - linear, matmul and embedding to linalg -----------===//
//
// Contractions are written as generics (the form tiling and the microkernel
// matchers of issue #6 work on). Operands convert to the accumulator type in
// the body: f32 for narrower results, which are rounded once at the end;
// quantized weights wait for their kernels.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"
#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::xf;
using namespace mlir::xf::lowering;

namespace {

/// out += a * b over the innermost reduction, in the accumulator's type.
void multiplyAccumulate(OpBuilder &b, Location loc, ValueRange args) {
  Type t = args[2].getType();
  Value lhs = castFloat(b, loc, args[0], t);
  Value rhs = castFloat(b, loc, args[1], t);
  Value product = arith::MulFOp::create(b, loc, lhs, rhs);
  linalg::YieldOp::create(b, loc,
                          Value(arith::AddFOp::create(b, loc, args[2], product)));
}

/// The contraction generic over `inputs` into `init` (in the accumulator
/// type), rounded to `type` afterwards when that is narrower.
Value contract(OpBuilder &b, Location loc, RankedTensorType type,
               ValueRange inputs, Value init, ArrayRef<AffineMap> maps) {
  unsigned parallel = type.getRank();
  Value acc = linalg::GenericOp::create(
                  b, loc, init.getType(), inputs, init, maps,
                  iterators(parallel, /*reduction=*/true), multiplyAccumulate)
                  .getResult(0);
  return convertElements(b, loc, acc, type.getElementType());
}

struct LinearLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto weightType = dyn_cast<RankedTensorType>(adaptor.getWeight().getType());
    if (!weightType)
      return rewriter.notifyMatchFailure(op, "quantized weights need the "
                                             "quantized kernels");
    if (weightType.getEncoding())
      return rewriter.notifyMatchFailure(op, "packed weights need the "
                                             "packed kernels");
    // Rounded activations are the microkernels' to compute: a generic
    // contraction would silently compute in f32.
    if (op.getCompute().value_or(ComputeKind::f32) != ComputeKind::f32)
      return op.emitOpError()
             << "compute " << stringifyComputeKind(*op.getCompute())
             << " has no kernel for a weight of type " << weightType;
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    unsigned rank = type.getRank(); // loops: rank - 1 rows, n, k
    SmallVector<OpFoldResult> dims = getDims(rewriter, loc, adaptor.getInput());
    dims.back() = rewriter.getIndexAttr(type.getShape().back());
    // Narrow types accumulate in f32 and round once at the end.
    auto accType = type.clone(computeType(type.getElementType()));

    // Start from the bias (broadcast over rows) or from zero.
    Value init;
    if (Value bias = adaptor.getBias()) {
      Value empty = createEmpty(rewriter, loc, accType, dims);
      init = linalg::GenericOp::create(
                 rewriter, loc, accType, bias, empty,
                 ArrayRef<AffineMap>{lastOnly(ctx, rank), identity(ctx, rank)},
                 iterators(rank),
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(
                       b, l,
                       castFloat(b, l, args[0], accType.getElementType()));
                 })
                 .getResult(0);
    } else {
      init = createFilled(rewriter, loc, accType, dims, 0.0);
    }

    SmallVector<AffineExpr> rows, xExprs, outExprs;
    for (unsigned i = 0; i + 1 < rank; ++i)
      rows.push_back(getAffineDimExpr(i, ctx));
    AffineExpr n = getAffineDimExpr(rank - 1, ctx);
    AffineExpr k = getAffineDimExpr(rank, ctx);
    xExprs = rows, xExprs.push_back(k);
    outExprs = rows, outExprs.push_back(n);
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, xExprs, ctx),
                                   AffineMap::get(rank + 1, 0, {n, k}, ctx),
                                   AffineMap::get(rank + 1, 0, outExprs, ctx)};
    rewriter.replaceOp(
        op, contract(rewriter, loc, type,
                     ValueRange{adaptor.getInput(), adaptor.getWeight()}, init,
                     maps));
    return success();
  }
};

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    unsigned rank = type.getRank(), batch = rank - 2;
    // Result sizes: batch and M from lhs, N from rhs.
    SmallVector<OpFoldResult> lhsDims = getDims(rewriter, loc, adaptor.getLhs());
    SmallVector<OpFoldResult> rhsDims = getDims(rewriter, loc, adaptor.getRhs());
    SmallVector<OpFoldResult> dims(lhsDims.begin(), lhsDims.end() - 1);
    dims.push_back(op.getTransposeRhs() ? rhsDims[rank - 2] : rhsDims[rank - 1]);
    Value init = createFilled(
        rewriter, loc, type.clone(computeType(type.getElementType())), dims,
        0.0);

    SmallVector<AffineExpr> b;
    for (unsigned i = 0; i < batch; ++i)
      b.push_back(getAffineDimExpr(i, ctx));
    AffineExpr m = getAffineDimExpr(batch, ctx);
    AffineExpr n = getAffineDimExpr(batch + 1, ctx);
    AffineExpr k = getAffineDimExpr(batch + 2, ctx);
    auto with = [&](std::initializer_list<AffineExpr> tail) {
      SmallVector<AffineExpr> e = b;
      e.append(tail.begin(), tail.end());
      return AffineMap::get(rank + 1, 0, e, ctx);
    };
    SmallVector<AffineMap> maps = {
        with({m, k}), op.getTransposeRhs() ? with({n, k}) : with({k, n}),
        with({m, n})};
    rewriter.replaceOp(
        op, contract(rewriter, loc, type,
                     ValueRange{adaptor.getLhs(), adaptor.getRhs()}, init,
                     maps));
    return success();
  }
};

struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value table = adaptor.getTable();
    auto tableType = dyn_cast<RankedTensorType>(table.getType());
    if (!tableType)
      return rewriter.notifyMatchFailure(op, "quantized tables need the "
                                             "quantized kernels");
    if (tableType.getEncoding())
      return rewriter.notifyMatchFailure(op, "packed tables have no kernel");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    SmallVector<OpFoldResult> dims = {
        tensor::getMixedSize(rewriter, loc, adaptor.getIds(), 0),
        rewriter.getIndexAttr(type.getDimSize(1))};
    Value init = createEmpty(rewriter, loc, type, dims);
    SmallVector<AffineMap> maps = {
        AffineMap::get(2, 0, getAffineDimExpr(0, ctx), ctx), identity(ctx, 2)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getIds(), init, maps, iterators(2),
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Ids were range-checked by the runtime before the call.
          Value row = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value col = linalg::IndexOp::create(b, l, 1);
          Value v = tensor::ExtractOp::create(b, l, table, ValueRange{row, col});
          linalg::YieldOp::create(
              b, l, castFloat(b, l, v, type.getElementType()));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void lowering::populateContractionPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearLowering, MatmulLowering, EmbeddingLowering>(
      patterns.getContext());
}
