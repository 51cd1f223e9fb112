//===- Quantize.cpp - The arithmetic of GEMMs with quantized weights ------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFQUANTIZE
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The GEMM weights and reduction sizes of a linear or an FFN.
struct Gemms {
  SmallVector<Value> weights;
  SmallVector<int64_t> reductions;
};

Gemms gemmsOf(Operation *op) {
  Gemms g;
  if (auto linear = dyn_cast<LinearOp>(op)) {
    g.weights = {linear.getWeight()};
    g.reductions = {linear.getInput().getType().getShape().back()};
    return g;
  }
  auto ffn = cast<FfnOp>(op);
  for (Value w : {ffn.getUp(), ffn.getGate(), ffn.getGateUp(), ffn.getDown()})
    if (w)
      g.weights.push_back(w);
  g.reductions = {ffn.getInput().getType().getShape().back(),
                  ffn.getHiddenSize()};
  return g;
}

/// Why `op` cannot compute with INT8 activations, or empty if it can.
std::string int8Refusal(Operation *op) {
  Gemms g = gemmsOf(op);
  if (!llvm::all_of(g.weights,
                    [](Value w) { return isa<QTensorType>(w.getType()); }))
    return "float weights: INT8 activations need quantized weights";
  for (int64_t size : g.reductions)
    if (ShapedType::isDynamic(size) || size % 32 != 0)
      return "a reduction size is not a multiple of 32";
  return "";
}

struct XFQuantizePass : xf::impl::XFQuantizeBase<XFQuantizePass> {
  using XFQuantizeBase::XFQuantizeBase;

  void runOnOperation() override {
    std::optional<ComputeKind> kind = symbolizeComputeKind(compute);
    if (!kind) {
      getOperation()->emitError()
          << "xf-quantize: unknown compute '" << compute
          << "' (expected f32 or int8)";
      return signalPassFailure();
    }
    if (*kind == ComputeKind::f32)
      return;
    auto attr = ComputeKindAttr::get(&getContext(), *kind);
    getOperation()->walk([&](Operation *op) {
      if (!isa<LinearOp, FfnOp>(op) || op->getAttr("compute"))
        return;
      std::string refusal = int8Refusal(op);
      if (!refusal.empty()) {
        // Float GEMMs are the common case (embeddings aside, an f16 model
        // has only those): a remark only where a quantized weight is read.
        if (llvm::any_of(gemmsOf(op).weights, [](Value w) {
              return isa<QTensorType>(w.getType());
            }))
          op->emitRemark() << "xf-quantize: keeps f32 activations: "
                           << refusal;
        return;
      }
      op->setAttr("compute", attr);
    });
  }
};

} // namespace
