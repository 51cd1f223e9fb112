//===- Contraction.cpp - linear, matmul and embedding to linalg -----------===//
//
// Contractions are written as generics (the form tiling and the microkernel
// matchers of issue #6 work on). Weights of a narrower float type widen in
// the body; quantized weights wait for their kernels.
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

/// `value` in the float type `to`, widening or narrowing as needed.
Value castFloat(OpBuilder &b, Location loc, Value value, Type to) {
  auto from = cast<FloatType>(value.getType());
  if (from == to)
    return value;
  if (from.getWidth() < cast<FloatType>(to).getWidth())
    return arith::ExtFOp::create(b, loc, to, value);
  return arith::TruncFOp::create(b, loc, to, value);
}

/// out += a * b over the innermost reduction, in the output's type.
void multiplyAccumulate(OpBuilder &b, Location loc, ValueRange args) {
  Type t = args[2].getType();
  Value product = arith::MulFOp::create(b, loc, castFloat(b, loc, args[0], t),
                                        castFloat(b, loc, args[1], t));
  linalg::YieldOp::create(b, loc,
                          Value(arith::AddFOp::create(b, loc, args[2], product)));
}

struct LinearLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(adaptor.getWeight().getType()))
      return rewriter.notifyMatchFailure(op, "quantized weights need the "
                                             "quantized kernels");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    unsigned rank = type.getRank(); // loops: rank - 1 rows, n, k
    SmallVector<OpFoldResult> dims = getDims(rewriter, loc, adaptor.getInput());
    dims.back() = rewriter.getIndexAttr(type.getShape().back());

    // Start from the bias (broadcast over rows) or from zero.
    Value init;
    if (Value bias = adaptor.getBias()) {
      Value empty = createEmpty(rewriter, loc, type, dims);
      init = linalg::GenericOp::create(
                 rewriter, loc, type, bias, empty,
                 ArrayRef<AffineMap>{lastOnly(ctx, rank), identity(ctx, rank)},
                 iterators(rank),
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      init = createFilled(rewriter, loc, type, dims, 0.0);
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
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{adaptor.getInput(), adaptor.getWeight()},
        init, maps, iterators(rank, /*reduction=*/true), multiplyAccumulate);
    rewriter.replaceOp(op, generic.getResult(0));
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
    Value init = createFilled(rewriter, loc, type, dims, 0.0);

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
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        init, maps, iterators(rank, /*reduction=*/true), multiplyAccumulate);
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value table = adaptor.getTable();
    if (!isa<RankedTensorType>(table.getType()))
      return rewriter.notifyMatchFailure(op, "quantized tables need the "
                                             "quantized kernels");
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
