//===- KernelBackend.cpp - What oneDNN can compute ------------------------===//

#include "xfc/Transforms/KernelBackend.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"

using namespace mlir;
using namespace mlir::xf;

namespace {

bool isF32(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType().isF32();
}

/// Why the glue cannot read `weight`, or "".
std::string weightRefusal(Value weight) {
  if (isa<QTensorType>(weight.getType()))
    return "its weights are quantized (oneDNN 2.6 reads no ggml blocks)";
  auto type = cast<RankedTensorType>(weight.getType());
  if (type.getEncoding())
    return "its weights are in a packed layout";
  if (!isa<Float32Type, Float16Type, BFloat16Type>(type.getElementType()))
    return "its weights are neither f32, f16 nor bf16";
  return "";
}

} // namespace

std::string xf::getOneDNNRefusal(Operation *op) {
  SmallVector<Value> weights, activations;
  std::optional<ComputeKind> compute;
  if (auto linear = dyn_cast<LinearOp>(op)) {
    weights = {linear.getWeight()};
    activations = {linear.getInput(), linear.getResult()};
    if (Value bias = linear.getBias())
      activations.push_back(bias);
    compute = linear.getCompute();
  } else if (auto ffn = dyn_cast<FfnOp>(op)) {
    weights = ffn.getWeights();
    activations = {ffn.getInput(), ffn.getResult()};
    for (Value bias : {ffn.getUpBias(), ffn.getDownBias()})
      if (bias)
        activations.push_back(bias);
    compute = ffn.getCompute();
  } else {
    return "it is not an xf.linear or xf.ffn";
  }
  if (compute && *compute != ComputeKind::f32)
    return "it computes with " + stringifyComputeKind(*compute).str() +
           " activations";
  if (!llvm::all_of(activations, isF32))
    return "its activations are not f32";
  for (Value weight : weights)
    if (std::string why = weightRefusal(weight); !why.empty())
      return why;
  return "";
}
