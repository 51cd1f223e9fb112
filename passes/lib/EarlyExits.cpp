//===- EarlyExits.cpp - A shared classifier after each repetition group ---===//
//
// In a model whose layers repeat a cycle (xf.layer_cycle = [N, G]), the
// final norm and LM head can read the residual stream after any group of N
// layers: an early prediction, what speculative pipelined decoding (SPEED)
// starts the next token from. This pass clones @forward's tail (everything
// after the last layer call that the logits depend on) onto the residual
// after each of the first G - 1 groups and returns those logits too.
//
//===----------------------------------------------------------------------===//

#include "LayerChain.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFEARLYEXITS
#include "xfc/Transforms/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

struct XFEarlyExitsPass : xf::impl::XFEarlyExitsBase<XFEarlyExitsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<LayerChain> chain = analyzeLayerChain(module, getArgument());
    if (failed(chain))
      return signalPassFailure();
    func::FuncOp forward = chain->forward;
    if (forward.getNumResults() != 1) {
      forward.emitError() << "xf-early-exits: expected a @forward returning "
                             "the logits";
      return signalPassFailure();
    }
    int64_t distinct = chain->distinct, groups = chain->groups;
    SmallVector<func::CallOp> &layers = chain->layers;
    Operation *ret = forward.front().getTerminator();
    Value last = layers.back().getResult(0);
    ArrayRef<Operation *> ordered = chain->tail;
    SmallVector<Value> results = {ret->getOperand(0)};
    OpBuilder b(ret);
    for (int64_t g = 0; g + 1 < groups; ++g) {
      IRMapping map;
      map.map(last, layers[(g + 1) * distinct - 1].getResult(0));
      for (Operation *op : ordered)
        b.clone(*op, map);
      results.push_back(map.lookup(ret->getOperand(0)));
    }
    ret->setOperands(results);
    forward.setType(FunctionType::get(&getContext(), forward.getArgumentTypes(),
                                      ValueRange(results).getTypes()));
    forward->setAttr("xf.early_exits", b.getI64IntegerAttr(groups - 1));
  }
};

} // namespace
