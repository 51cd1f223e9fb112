//===- Shape.cpp - reshape, transpose, slice, repeat to tensor/linalg -----===//

#include "Patterns.h"
#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::xf;
using namespace mlir::xf::lowering;

namespace {

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> in = getDims(rewriter, loc, adaptor.getInput());
    SmallVector<OpFoldResult> dims;
    for (int64_t p : op.getPermutation())
      dims.push_back(in[p]);
    Value init = createEmpty(rewriter, loc, op.getType(), dims);
    auto transpose = linalg::TransposeOp::create(
        rewriter, loc, adaptor.getInput(), init, op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult()[0]);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    SmallVector<OpFoldResult> sizes = getDims(rewriter, loc, adaptor.getInput());
    SmallVector<OpFoldResult> offsets(sizes.size(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(sizes.size(), rewriter.getIndexAttr(1));
    offsets[axis] = rewriter.getIndexAttr(op.getOffset());
    sizes[axis] = rewriter.getIndexAttr(op.getSize());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType(), adaptor.getInput(), offsets, sizes, strides);
    return success();
  }
};

/// Reshapes become collapse/expand when the dimensions group, and otherwise
/// a collapse to one dimension followed by an expand.
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    RankedTensorType outType = op.getType();
    if (inType.getRank() > outType.getRank()) {
      if (auto groups = getReassociationIndicesForCollapse(
              inType.getShape(), outType.getShape())) {
        rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, outType, input,
                                                             *groups);
        return success();
      }
    }
    // Flatten, then expand to the result shape.
    Value flat = input;
    if (inType.getRank() != 1) {
      SmallVector<ReassociationIndices> all(1);
      for (int64_t i = 0; i < inType.getRank(); ++i)
        all[0].push_back(i);
      int64_t count = inType.hasStaticShape() ? inType.getNumElements()
                                              : ShapedType::kDynamic;
      flat = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({count}, inType.getElementType()),
          input, all);
    }
    if (outType.getRank() == 1) {
      rewriter.replaceOp(op, tensor::CastOp::create(rewriter, loc, outType, flat));
      return success();
    }
    // The one dynamic output size is the element count over the static ones.
    SmallVector<OpFoldResult> shape;
    int64_t known = 1;
    for (int64_t d : outType.getShape())
      if (!ShapedType::isDynamic(d))
        known *= d;
    for (int64_t d : outType.getShape()) {
      if (!ShapedType::isDynamic(d)) {
        shape.push_back(rewriter.getIndexAttr(d));
        continue;
      }
      Value total = tensor::DimOp::create(rewriter, loc, flat, 0);
      shape.push_back(Value(arith::DivUIOp::create(
          rewriter, loc, total,
          arith::ConstantIndexOp::create(rewriter, loc, known))));
    }
    SmallVector<ReassociationIndices> all(1);
    for (int64_t i = 0; i < outType.getRank(); ++i)
      all[0].push_back(i);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, outType, flat, all,
                                                       shape);
    return success();
  }
};

struct RepeatInterleaveLowering : OpConversionPattern<RepeatInterleaveOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RepeatInterleaveOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    int64_t axis = op.getAxis(), repeats = op.getRepeats();
    SmallVector<OpFoldResult> dims = getDims(rewriter, loc, adaptor.getInput());
    dims[axis] = rewriter.getIndexAttr(type.getDimSize(axis));
    if (type.isDynamicDim(axis))
      return rewriter.notifyMatchFailure(op, "repeated dim must be static");
    Value init = createEmpty(rewriter, loc, type, dims);
    // Output index i along the axis reads input index i floordiv repeats.
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < type.getRank(); ++i)
      exprs.push_back(i == axis ? getAffineDimExpr(i, ctx).floorDiv(repeats)
                                : getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(type.getRank(), 0, exprs, ctx),
        identity(ctx, type.getRank())};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getInput(), init, maps,
        iterators(type.getRank()),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void lowering::populateShapePatterns(RewritePatternSet &patterns) {
  patterns.add<TransposeLowering, SliceLowering, ReshapeLowering,
               RepeatInterleaveLowering>(patterns.getContext());
}
