//===- XFBuilders.cpp - Build fine-grained xf subgraphs -------------------===//

#include "xfc/Dialect/XF/IR/XFBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::xf;

Value xf::buildScalar(OpBuilder &builder, Location loc, Type elementType,
                      double value) {
  auto type = RankedTensorType::get({}, elementType);
  auto attr = DenseElementsAttr::get(
      type, ArrayRef<Attribute>{builder.getFloatAttr(elementType, value)});
  return arith::ConstantOp::create(builder, loc, attr);
}

namespace {

RankedTensorType withShape(Value like, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(
      shape, cast<RankedTensorType>(like.getType()).getElementType());
}

/// Swaps the first two dimensions: [a, b, c] <-> [b, a, c].
Value swapLeadingDims(OpBuilder &builder, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return TransposeOp::create(
      builder, loc,
      withShape(value, {type.getDimSize(1), type.getDimSize(0),
                        type.getDimSize(2)}),
      value, builder.getDenseI64ArrayAttr({1, 0, 2}));
}

/// Repeats each KV head `repeats` times along dimension 1.
Value repeatHeads(OpBuilder &builder, Location loc, Value value,
                  int64_t repeats) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[1] *= repeats;
  return RepeatInterleaveOp::create(builder, loc, withShape(value, shape),
                                    value, builder.getI64IntegerAttr(1),
                                    builder.getI64IntegerAttr(repeats));
}

} // namespace

Value xf::buildAttention(OpBuilder &builder, Location loc,
                         const AttentionInputs &in) {
  auto queryType = cast<RankedTensorType>(in.query.getType());
  Type elementType = queryType.getElementType();
  int64_t tokens = queryType.getDimSize(0);
  int64_t heads = queryType.getDimSize(1);
  int64_t headDim = queryType.getDimSize(2);
  int64_t kvHeads = cast<RankedTensorType>(in.key.getType()).getDimSize(1);

  Value keys = in.key, values = in.value;
  // Position of the first query: earlier keys are visible to all queries.
  Value offset;
  if (in.cache) {
    KVAppendOp::create(builder, loc, in.cache, in.position, keys, values);
    Value newTokens = tensor::DimOp::create(builder, loc, in.query, 0);
    Value length =
        arith::AddIOp::create(builder, loc, in.position, newTokens);
    auto rowsType = RankedTensorType::get(
        {ShapedType::kDynamic, kvHeads, headDim}, elementType);
    auto read =
        KVReadOp::create(builder, loc, rowsType, rowsType, in.cache, length);
    keys = read.getKeys();
    values = read.getValues();
    offset = in.position;
  } else if (in.causal) {
    offset = arith::ConstantIndexOp::create(builder, loc, 0);
  }

  if (kvHeads != heads) {
    keys = repeatHeads(builder, loc, keys, heads / kvHeads);
    values = repeatHeads(builder, loc, values, heads / kvHeads);
  }

  // Head-major [heads, tokens, head_dim] operands for batched matmuls.
  Value q = swapLeadingDims(builder, loc, in.query);
  Value k = swapLeadingDims(builder, loc, keys);
  Value v = swapLeadingDims(builder, loc, values);

  int64_t kvTokens = cast<RankedTensorType>(keys.getType()).getDimSize(0);
  auto scoresType = withShape(in.query, {heads, tokens, kvTokens});
  Value scores = MatmulOp::create(builder, loc, scoresType, q, k,
                                  builder.getUnitAttr());
  double scale = in.scale > 0 ? in.scale
                              : 1.0 / std::sqrt(static_cast<double>(headDim));
  // Rounded to f32 first, as xf.attention's `scale` attribute stores it.
  scale = static_cast<float>(scale);
  scores = MulOp::create(builder, loc, scoresType, scores,
                         buildScalar(builder, loc, elementType, scale));
  if (in.causal)
    scores = CausalMaskOp::create(builder, loc, scoresType, scores, offset);
  Value probs = SoftmaxOp::create(builder, loc, scoresType, scores);

  Value out = MatmulOp::create(builder, loc,
                               withShape(in.query, {heads, tokens, headDim}),
                               probs, v, /*transpose_rhs=*/UnitAttr());
  return swapLeadingDims(builder, loc, out);
}

Value xf::buildFfn(OpBuilder &builder, Location loc, const FfnInputs &in) {
  auto inputType = cast<RankedTensorType>(in.input.getType());
  int64_t hidden = in.gateUp ? getWeightShape(in.gateUp.getType())[0] / 2
                             : getWeightShape(in.up.getType())[0];
  SmallVector<int64_t> hiddenShape(inputType.getShape());
  hiddenShape.back() = hidden;
  RankedTensorType hiddenType = withShape(in.input, hiddenShape);
  auto tanh = GeluApproxAttr::get(builder.getContext(), GeluApprox::tanh);

  Value up, gate;
  if (in.gateUp) {
    // One GEMM for both projections, then its two halves.
    hiddenShape.back() = 2 * hidden;
    Value both = LinearOp::create(builder, loc, withShape(in.input, hiddenShape),
                                  in.input, in.gateUp, /*bias=*/Value(),
                                  in.compute, in.backend);
    int64_t axis = inputType.getRank() - 1;
    gate = SliceOp::create(builder, loc, hiddenType, both, axis, 0, hidden);
    up = SliceOp::create(builder, loc, hiddenType, both, axis, hidden, hidden);
  } else {
    up = LinearOp::create(builder, loc, hiddenType, in.input, in.up,
                          in.upBias, in.compute, in.backend);
    if (in.gate)
      gate = LinearOp::create(builder, loc, hiddenType, in.input, in.gate,
                              /*bias=*/Value(), in.compute, in.backend);
  }
  Value hiddenValue;
  if (std::optional<GeluApprox> gelu = FfnOp::getUngatedGelu(in.kind)) {
    hiddenValue =
        GeluOp::create(builder, loc, hiddenType,
                       GeluApproxAttr::get(builder.getContext(), *gelu), up);
  } else {
    Value activated =
        in.kind == FfnKind::swiglu
            ? Value(SiluOp::create(builder, loc, hiddenType, gate))
            : Value(GeluOp::create(builder, loc, hiddenType, tanh, gate));
    hiddenValue = MulOp::create(builder, loc, hiddenType, activated, up);
  }
  return LinearOp::create(builder, loc, inputType, hiddenValue, in.down,
                          in.downBias, in.compute, in.backend);
}
