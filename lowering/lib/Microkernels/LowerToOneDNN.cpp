//===- LowerToOneDNN.cpp - xf.linear ... backend onednn as oneDNN calls ---===//
//
// Each marked projection becomes one call of runtime/onednn's xfo_linear on
// its whole output: oneDNN threads itself, so the call is not split into
// the chunks of an scf.forall as the microkernel calls are. The weight is
// read where xf-bind-weights placed it, in plain rows (xf-pack-weights
// leaves these weights alone); the glue keeps its own copy in oneDNN's
// layout, made at the first call.
//
//===----------------------------------------------------------------------===//

#include "BufferCalls.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/KernelBackend.h"
#include "xfo/OneDNNLinear.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFLOWERTOONEDNN
XFC_BEGIN_GENERATED_CODE
#include "xfc/Lowering/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr StringLiteral kOneDNNLinear = "xfo_linear";

int64_t weightTypeCode(Type element) {
  if (element.isF16())
    return XFO_W_F16;
  if (element.isBF16())
    return XFO_W_BF16;
  return XFO_W_F32;
}

struct XFLowerToOneDNNPass
    : xf::impl::XFLowerToOneDNNBase<XFLowerToOneDNNPass> {
  using XFLowerToOneDNNBase::XFLowerToOneDNNBase;

  void runOnOperation() override {
    SmallVector<LinearOp> linears;
    bool refused = false;
    getOperation().walk([&](LinearOp op) {
      if (op.getBackend() != KernelBackend::onednn)
        return;
      if (std::string why = getOneDNNRefusal(op); !why.empty()) {
        op.emitOpError() << "is marked `backend onednn`, but oneDNN cannot "
                            "compute it: "
                         << why;
        refused = true;
      }
      linears.push_back(op);
    });
    if (refused)
      return signalPassFailure();
    for (LinearOp op : linears)
      rewrite(op);
  }

  void rewrite(LinearOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
    RowMatrix rows(b, loc, op.getInput());
    Value m = tensor::DimOp::create(b, loc, rows.rows, 0);
    auto [x, ldx] = addressAndRowStride(b, loc, toBuffer(b, loc, rows.rows));
    Value y = allocRows(b, loc, m, n);
    func::CallOp::create(
        b, loc, declareI64Function(getOperation(), kOneDNNLinear, 9),
        ValueRange{constI64(b, loc, weightTypeCode(weightType.getElementType())),
                   x, ldx, addressOrNull(b, loc, op.getWeight()),
                   addressOrNull(b, loc, op.getBias()),
                   addressAndRowStride(b, loc, y).first, toI64(b, loc, m),
                   constI64(b, loc, n), constI64(b, loc, k)});
    op.replaceAllUsesWith(
        rows.restore(b, loc, rowsTensor(b, loc, y), op.getType()));
    op.erase();
  }
};

} // namespace
