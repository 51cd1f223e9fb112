//===- BatchDecode.cpp - Entry points for continuous batching -------------===//
//
// @decode_batch<M> runs @forward on one token of each of M sequences: the
// GEMMs once on all rows, each row's attention on its own KV caches at its
// own position (the layer variants of RowAttention.h).
//
//===----------------------------------------------------------------------===//

#include "LayerChain.h"
#include "RowAttention.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"
#include "xfrt/ModelABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFBATCHDECODE
#include "xfc/Transforms/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// What the entry points are built from: @forward's layer calls and each
/// one's attention.
struct BatchPlan {
  func::FuncOp forward;
  SmallVector<func::CallOp> layers;
  SmallVector<func::FuncOp> callees;
  SmallVector<LayerAttention> attentions;
  Type tokens, positions;
};

FailureOr<BatchPlan> planBatch(func::FuncOp forward, StringRef pass) {
  BatchPlan plan;
  plan.forward = forward;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    StringRef name = argName(forward, i);
    if (name == "tokens")
      plan.tokens = forward.getArgumentTypes()[i];
    else if (name == "positions")
      plan.positions = forward.getArgumentTypes()[i];
  }
  if (!plan.tokens || !plan.positions || forward.getNumResults() < 1)
    return forward.emitError() << pass
                               << ": expected @forward(tokens, positions, "
                                  "...) returning the logits";
  FailureOr<SmallVector<func::CallOp>> layers = findLayerCalls(forward, pass);
  if (failed(layers))
    return failure();
  plan.layers = std::move(*layers);
  // Row r's caches are one slot laid out as @forward's caches (the
  // runtime's prefill writes it so): layer call l must use @forward's l-th
  // cache, and every cache must be some layer's.
  SmallVector<Value> caches;
  for (BlockArgument arg : forward.getArguments())
    if (isa<KVCacheType>(arg.getType()))
      caches.push_back(arg);
  if (caches.size() != plan.layers.size())
    return forward.emitError()
           << pass << ": expected one KV cache per layer call, found "
           << caches.size() << " caches and " << plan.layers.size()
           << " layer calls";
  auto module = forward->getParentOfType<ModuleOp>();
  for (auto [l, call] : llvm::enumerate(plan.layers)) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal())
      return call.emitError() << pass << ": the layer function has no body";
    FailureOr<LayerAttention> attn = findAttention(callee, pass);
    if (failed(attn))
      return failure();
    if (call.getOperand(attn->cacheArg) != caches[l])
      return call.emitError() << pass << ": layer call " << l
                              << " does not use @forward's KV cache " << l;
    plan.callees.push_back(callee);
    plan.attentions.push_back(*attn);
  }
  return plan;
}

struct XFBatchDecodePass : xf::impl::XFBatchDecodeBase<XFBatchDecodePass> {
  using XFBatchDecodeBase::XFBatchDecodeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (maxRows == 0 || !forward)
      return;
    if (maxRows < 0 || maxRows > XFM_MAX_BATCH_ROWS) {
      module.emitError() << getArgument() << ": max-rows must be 0 to "
                         << XFM_MAX_BATCH_ROWS << " (the runtime's limit)";
      return signalPassFailure();
    }
    if (module.lookupSymbol("decode_batch1")) {
      module.emitError() << getArgument()
                         << ": the module has batch entry points already";
      return signalPassFailure();
    }
    buildOrWarn(module, "batch decode entry points", [&]() -> LogicalResult {
      FailureOr<BatchPlan> plan = planBatch(forward, getArgument());
      if (failed(plan))
        return failure();
      SymbolTable symbols(module);
      for (int64_t m = 1; m <= maxRows; ++m)
        if (failed(buildEntry(*plan, m, symbols)))
          return failure();
      module->setAttr(
          "xf.batch_rows",
          IntegerAttr::get(IntegerType::get(&getContext(), 64), maxRows));
      return success();
    });
  }

  /// @decode_batch<M>(tokens, positions, cache.<r>.<l>...) -> logits.
  LogicalResult buildEntry(BatchPlan &plan, int64_t rows,
                           SymbolTable &symbols) {
    func::FuncOp forward = plan.forward;
    OpBuilder b(&getContext());
    Location loc = forward.getLoc();
    RowEntry entry =
        createRowEntry(b, getOperation(), loc, "decode_batch" + Twine(rows),
                       "tokens", plan.tokens, plan.positions, plan.callees,
                       plan.attentions, rows, forwardLogits(forward).getType());
    // The embedding, the weights and the classifier as @forward has them.
    Materializer copy(
        b, forward,
        {{"tokens", entry.first()}, {"positions", entry.positionsArg()}},
        getArgument());
    FailureOr<Value> x = copy.get(plan.layers.front().getOperand(0));
    if (failed(x))
      return failure();
    x = callLayersOnRows(b, entry, plan.layers, plan.callees, plan.attentions,
                         *x, copy, symbols);
    if (failed(x))
      return failure();
    FailureOr<Value> logits = copy.logitsAfter(plan.layers.back(), *x);
    if (failed(logits))
      return failure();
    func::ReturnOp::create(b, loc, *logits);
    return success();
  }
};

} // namespace
