//===- Reduction.cpp - xf reductions over one axis to linalg --------------===//
//
// A reduction generic sums along the axis into a tensor without it, an
// elementwise generic divides by the count and rounds to the element type,
// and expand_shape puts the axis back with size 1. Narrow element types
// accumulate in f32 (computeType).
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

/// The groups that expand a tensor without dimension `axis` into one of
/// rank `rank` with it: the unit dimension joins a neighbouring group.
SmallVector<ReassociationIndices> unitAxisGroups(int64_t rank, int64_t axis) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t j = 0; j + 1 < rank; ++j) {
    if (j < axis)
      groups.push_back({j});
    else
      groups.push_back({j + 1});
  }
  if (groups.empty())
    return groups; // rank 1: from rank 0, no groups
  if (axis < rank - 1)
    groups[axis].insert(groups[axis].begin(), axis);
  else
    groups.back().push_back(axis);
  return groups;
}

struct ReduceMeanLowering : OpConversionPattern<ReduceMeanOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReduceMeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    int64_t rank = inType.getRank(), axis = op.getAxis();
    Type elt = inType.getElementType(), t = computeType(elt);

    // Sum along the axis, into the input's other dimensions.
    SmallVector<OpFoldResult> dims = getDims(rewriter, loc, x);
    OpFoldResult count = dims[axis];
    dims.erase(dims.begin() + axis);
    SmallVector<int64_t> rowShape(inType.getShape());
    rowShape.erase(rowShape.begin() + axis);
    auto sumType = RankedTensorType::get(rowShape, t);
    Value acc = createFilled(rewriter, loc, sumType, dims, 0.0);
    SmallVector<AffineExpr> kept;
    SmallVector<utils::IteratorType> loops;
    for (int64_t i = 0; i < rank; ++i) {
      loops.push_back(i == axis ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
      if (i != axis)
        kept.push_back(getAffineDimExpr(i, ctx));
    }
    SmallVector<AffineMap> maps = {identity(ctx, rank),
                                   AffineMap::get(rank, 0, kept, ctx)};
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, sumType, x, acc, maps, loops,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, args[1],
                                        castFloat(b, l, args[0], t))
                      .getResult());
            })
            .getResult(0);

    // Divide by the count, a constant unless the axis is dynamic.
    Value n;
    if (auto attr = dyn_cast<Attribute>(count)) {
      n = floatConst(rewriter, loc, t,
                     static_cast<double>(cast<IntegerAttr>(attr).getInt()));
    } else {
      Value i64 = arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                             cast<Value>(count));
      n = arith::SIToFPOp::create(rewriter, loc, t, i64);
    }
    Value init = createEmpty(rewriter, loc, sumType.clone(elt), dims);
    AffineMap id = identity(ctx, rank - 1);
    Value mean = linalg::GenericOp::create(
                     rewriter, loc, init.getType(), sum, init,
                     ArrayRef<AffineMap>{id, id}, iterators(rank - 1),
                     [&](OpBuilder &b, Location l, ValueRange args) {
                       Value q = arith::DivFOp::create(b, l, args[0], n);
                       linalg::YieldOp::create(b, l, castFloat(b, l, q, elt));
                     })
                     .getResult(0);

    // Put the axis back with size 1.
    SmallVector<int64_t> keptShape(inType.getShape());
    keptShape[axis] = 1;
    auto keptType = RankedTensorType::get(keptShape, elt);
    SmallVector<OpFoldResult> keptDims = dims;
    keptDims.insert(keptDims.begin() + axis, rewriter.getIndexAttr(1));
    Value result = tensor::ExpandShapeOp::create(
        rewriter, loc, keptType, mean, unitAxisGroups(rank, axis), keptDims);
    if (keptType != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void lowering::populateReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceMeanLowering>(patterns.getContext());
}
