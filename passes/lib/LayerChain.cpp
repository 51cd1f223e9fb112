//===- LayerChain.cpp - @forward's repeated layer calls -------------------===//

#include "LayerChain.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::xf;

SmallVector<Operation *>
xf::backwardSliceInBlock(ValueRange roots, Block *block, Operation *stop) {
  SetVector<Operation *> slice;
  SmallVector<Value> work(roots.begin(), roots.end());
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || def == stop || def->getBlock() != block ||
        slice.contains(def) || (stop && !stop->isBeforeInBlock(def)))
      continue;
    slice.insert(def);
    work.append(def->operand_begin(), def->operand_end());
  }
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ordered;
}

FailureOr<SmallVector<func::CallOp>> xf::findLayerCalls(func::FuncOp forward,
                                                        StringRef pass) {
  // The layer calls, in order: each takes the residual as operand 0.
  SmallVector<func::CallOp> layers;
  forward.walk([&](func::CallOp call) {
    if (call.getNumResults() == 1 && call.getNumOperands() > 0 &&
        call.getResult(0).getType() == call.getOperand(0).getType())
      layers.push_back(call);
  });
  if (layers.empty())
    return forward.emitError() << pass << ": @forward calls no layer function";
  for (size_t i = 1; i < layers.size(); ++i)
    if (layers[i].getOperand(0) != layers[i - 1].getResult(0))
      return layers[i].emitError()
             << pass
             << ": expected this layer call to read the previous layer's "
                "result";
  return layers;
}

FailureOr<LayerChain> xf::analyzeLayerChain(ModuleOp module, StringRef pass) {
  LayerChain chain;
  auto cycle = module->getAttrOfType<DenseI64ArrayAttr>("xf.layer_cycle");
  if (!cycle || cycle.size() != 2)
    return module.emitError()
           << pass << ": the module has no xf.layer_cycle (no repeated layers)";
  chain.distinct = cycle[0], chain.groups = cycle[1];
  if (chain.distinct < 1 || chain.groups < 2)
    return module.emitError() << pass
                              << ": xf.layer_cycle must name at least one "
                                 "layer repeated at least twice";
  chain.forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!chain.forward || chain.forward.isExternal() ||
      chain.forward.getNumResults() < 1)
    return module.emitError()
           << pass << ": expected a @forward returning the logits";
  FailureOr<SmallVector<func::CallOp>> layers =
      findLayerCalls(chain.forward, pass);
  if (failed(layers))
    return failure();
  chain.layers = std::move(*layers);
  int64_t expected = chain.distinct * chain.groups;
  if (static_cast<int64_t>(chain.layers.size()) != expected)
    return chain.forward.emitError()
           << pass << ": expected " << expected
           << " layer calls (xf.layer_cycle), found " << chain.layers.size();
  Block *body = &chain.forward.front();
  chain.tail = backwardSliceInBlock(body->getTerminator()->getOperand(0), body,
                                    chain.layers.back());
  return chain;
}
