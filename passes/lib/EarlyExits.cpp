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

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

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
    auto cycle = module->getAttrOfType<DenseI64ArrayAttr>("xf.layer_cycle");
    if (!cycle || cycle.size() != 2) {
      module.emitError() << "xf-early-exits: the module has no "
                            "xf.layer_cycle (no repeated layers)";
      return signalPassFailure();
    }
    int64_t distinct = cycle[0], groups = cycle[1];
    if (distinct < 1 || groups < 2) {
      module.emitError() << "xf-early-exits: xf.layer_cycle must name at "
                            "least one layer repeated at least twice";
      return signalPassFailure();
    }
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || forward.isExternal() || forward.getNumResults() != 1) {
      module.emitError() << "xf-early-exits: expected a @forward returning "
                            "the logits";
      return signalPassFailure();
    }
    // The layer calls, in order: each takes the residual as operand 0.
    SmallVector<func::CallOp> layers;
    forward.walk([&](func::CallOp call) {
      if (call.getNumResults() == 1 && call.getNumOperands() > 0 &&
          call.getResult(0).getType() == call.getOperand(0).getType())
        layers.push_back(call);
    });
    if (static_cast<int64_t>(layers.size()) != distinct * groups) {
      forward.emitError() << "xf-early-exits: expected " << distinct * groups
                          << " layer calls (xf.layer_cycle), found "
                          << layers.size();
      return signalPassFailure();
    }
    // A chain: each layer reads the residual the previous one returned.
    for (size_t i = 1; i < layers.size(); ++i)
      if (layers[i].getOperand(0) != layers[i - 1].getResult(0)) {
        layers[i].emitError() << "xf-early-exits: expected this layer call "
                                 "to read the previous layer's result";
        return signalPassFailure();
      }
    // The tail: the ops between the last layer call and the return that
    // the logits depend on.
    Operation *ret = forward.front().getTerminator();
    Value last = layers.back().getResult(0);
    SetVector<Operation *> tail;
    SmallVector<Value> work = {ret->getOperand(0)};
    while (!work.empty()) {
      Operation *def = work.pop_back_val().getDefiningOp();
      if (!def || def == layers.back() || tail.contains(def) ||
          !layers.back()->isBeforeInBlock(def))
        continue;
      tail.insert(def);
      work.append(def->operand_begin(), def->operand_end());
    }
    SmallVector<Operation *> ordered(tail.begin(), tail.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
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
