//===- Shape.cpp - reshape, transpose, slice, gather to tensor/linalg -----===//

#include "Patterns.h"
#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// Each input written into its range of one empty result.
struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(
          op, "quantized weights are joined at compile time "
              "(xf-hoist-weight-expressions)");
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    ValueRange inputs = adaptor.getInputs();
    SmallVector<OpFoldResult> sizes = getDims(rewriter, loc, inputs.front());
    // Sums of sizes: folded to attributes while they are static.
    auto add = [&](OpFoldResult x, OpFoldResult y) -> OpFoldResult {
      std::optional<int64_t> cx = getConstantIntValue(x),
                             cy = getConstantIntValue(y);
      if (cx && cy)
        return rewriter.getIndexAttr(*cx + *cy);
      return arith::AddIOp::create(
                 rewriter, loc, getValueOrCreateConstantIndexOp(rewriter, loc, x),
                 getValueOrCreateConstantIndexOp(rewriter, loc, y))
          .getResult();
    };
    OpFoldResult total = rewriter.getIndexAttr(0);
    for (Value input : inputs)
      total = add(total, getDims(rewriter, loc, input)[axis]);
    sizes[axis] = total;
    Value result = tensor::EmptyOp::create(
        rewriter, loc, sizes,
        cast<RankedTensorType>(op.getType()).getElementType());
    SmallVector<OpFoldResult> offsets(sizes.size(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(sizes.size(), rewriter.getIndexAttr(1));
    for (Value input : inputs) {
      SmallVector<OpFoldResult> inputSizes = getDims(rewriter, loc, input);
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, inputSizes, strides);
      offsets[axis] = add(offsets[axis], inputSizes[axis]);
    }
    rewriter.replaceOpWithNewOp<tensor::CastOp>(
        op, cast<RankedTensorType>(op.getType()), result);
    return success();
  }
};

/// The product of the static sizes of `shape`.
int64_t staticProduct(ArrayRef<int64_t> shape) {
  int64_t product = 1;
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d))
      product *= d;
  return product;
}

/// `type` with its dynamic dimension (at most one, as the verifier
/// requires) resolved from a static element `count`. Without static
/// sizes to divide by, the element count is zero and any size fits: 0.
RankedTensorType resolveDynamic(RankedTensorType type, int64_t count) {
  SmallVector<int64_t> shape(type.getShape());
  int64_t known = staticProduct(shape);
  for (int64_t &d : shape)
    if (ShapedType::isDynamic(d))
      d = known == 0 ? 0 : count / known;
  return type.clone(shape);
}

/// The sizes of `type` for expanding `flat` (1-D) into it: static sizes as
/// attributes, the dynamic one as the element count over the static ones.
SmallVector<OpFoldResult> expandedSizes(OpBuilder &b, Location loc, Value flat,
                                        RankedTensorType type) {
  int64_t known = staticProduct(type.getShape());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d : type.getShape()) {
    if (!ShapedType::isDynamic(d)) {
      sizes.push_back(b.getIndexAttr(d));
      continue;
    }
    // A zero static part means zero elements: any size fits, and dividing
    // by it would be undefined.
    if (known == 0) {
      sizes.push_back(Value(arith::ConstantIndexOp::create(b, loc, 0)));
      continue;
    }
    Value total = tensor::DimOp::create(b, loc, flat, 0);
    sizes.push_back(Value(arith::DivUIOp::create(
        b, loc, total, arith::ConstantIndexOp::create(b, loc, known))));
  }
  return sizes;
}

/// One group holding all `rank` dimensions.
SmallVector<ReassociationIndices> allInOne(int64_t rank) {
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t i = 0; i < rank; ++i)
    groups[0].push_back(i);
  return groups;
}

/// `value` as `type` through tensor.cast, when the types differ.
Value castTo(OpBuilder &b, Location loc, Value value, RankedTensorType type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// `input` reshaped to `target`, or to a type that casts to it.
Value reshapeTo(OpBuilder &b, Location loc, Value input,
                RankedTensorType target) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType == target)
    return input;
  // One element: a rank-0 side has no groups (reassociation []), and the
  // other side's sizes are all 1.
  if (inType.getRank() == 0)
    return tensor::ExpandShapeOp::create(
        b, loc, target, input, ArrayRef<ReassociationIndices>{},
        getAsIndexOpFoldResult(b.getContext(), target.getShape()));
  if (target.getRank() == 0) {
    auto ones = inType.clone(SmallVector<int64_t>(inType.getRank(), 1));
    return tensor::CollapseShapeOp::create(
        b, loc, target, castTo(b, loc, input, ones),
        ArrayRef<ReassociationIndices>{});
  }
  // The collapsed type follows from the input's groups, then casts.
  if (inType.getRank() > target.getRank())
    if (auto groups = getReassociationIndicesForCollapse(
            inType.getShape(), target.getShape()))
      return tensor::CollapseShapeOp::create(b, loc, input, *groups);

  // Flatten, then expand to the result shape.
  Value flat = input;
  if (inType.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, input,
                                           allInOne(inType.getRank()));
  if (target.getRank() == 1)
    return flat;
  if (target.hasStaticShape())
    flat = castTo(b, loc, flat,
                  RankedTensorType::get({target.getNumElements()},
                                        target.getElementType()));
  return tensor::ExpandShapeOp::create(b, loc, target, flat,
                                       allInOne(target.getRank()),
                                       expandedSizes(b, loc, flat, target));
}

/// Reshapes become collapse/expand when the dimensions group, and otherwise
/// a collapse to one dimension followed by an expand. collapse_shape and
/// expand_shape need each group's static/dynamic sizes to agree on both
/// sides, so a reshape works on the most static types the element count
/// allows and tensor.cast bridges to the declared ones.
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    RankedTensorType outType = op.getType();
    // A static input fixes every result size.
    RankedTensorType target =
        inType.hasStaticShape()
            ? resolveDynamic(outType, inType.getNumElements())
            : outType;
    rewriter.replaceOp(
        op, castTo(rewriter, loc, reshapeTo(rewriter, loc, input, target),
                   outType));
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

/// A generic over the result whose body reads the input at the gathered
/// index (wrapped when negative) and the loop indices around it.
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), indices = adaptor.getIndices();
    RankedTensorType type = op.getType();
    int64_t axis = op.getAxis();
    int64_t indexRank = cast<RankedTensorType>(indices.getType()).getRank();
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> in = getDims(rewriter, loc, input);
    SmallVector<OpFoldResult> at = getDims(rewriter, loc, indices);
    SmallVector<OpFoldResult> dims(in.begin(), in.begin() + axis);
    dims.append(at.begin(), at.end());
    dims.append(in.begin() + axis + 1, in.end());
    Value init = createEmpty(rewriter, loc, type, dims);
    Value size = getValueOrCreateConstantIndexOp(rewriter, loc, in[axis]);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> indexDims;
    for (int64_t d = 0; d < indexRank; ++d)
      indexDims.push_back(getAffineDimExpr(axis + d, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, indexDims, ctx),
                                   identity(ctx, rank)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, indices, init, maps, iterators(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value negative =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
          Value wrapped = arith::SelectOp::create(
              b, l, negative, arith::AddIOp::create(b, l, i, size), i);
          // An index out of range (run-time data) reads nothing: the
          // element is 0 and the call reports the error to the runtime.
          Value outside = arith::OrIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, wrapped,
                                    zero),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, wrapped,
                                    size));
          // linalg.index must sit directly in the generic.
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          coords.push_back(wrapped);
          for (int64_t d = axis + indexRank; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          auto read = scf::IfOp::create(
              b, l, outside,
              [&](OpBuilder &t, Location tl) {
                func::CallOp::create(t, tl, kIndexOutOfRange, TypeRange());
                Value none = arith::ConstantOp::create(
                    t, tl, t.getZeroAttr(type.getElementType()));
                scf::YieldOp::create(t, tl, none);
              },
              [&](OpBuilder &e, Location el) {
                scf::YieldOp::create(
                    e, el,
                    tensor::ExtractOp::create(e, el, input, coords)
                        .getResult());
              });
          linalg::YieldOp::create(b, l, read.getResult(0));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void lowering::populateShapePatterns(RewritePatternSet &patterns) {
  patterns.add<ConcatLowering, TransposeLowering, SliceLowering,
               ReshapeLowering, RepeatInterleaveLowering, GatherLowering>(
      patterns.getContext());
}
