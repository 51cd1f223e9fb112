//===- SpeedStages.cpp - Entry points for speculative pipelined decoding --===//
//
// SPEED (brief §6) runs the N distinct layers of a model whose layers
// repeat a cycle (xf.layer_cycle = [N, G]) once over several in-flight
// tokens that sit at different repetition groups: one GEMM per weight
// for all of them. Each token reads and writes its own group's KV caches
// at its own position, so the attention of the shared layer function is
// split per row. The runtime chains stages into pipelined decoding.
//
//===----------------------------------------------------------------------===//

#include "LayerChain.h"
#include "RowAttention.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFSPEEDSTAGES
#include "xfc/Transforms/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Whether `a` and `b` pass the same value, or loads of the same weight.
bool sameWeight(Value a, Value b) {
  if (a == b)
    return true;
  auto wa = a.getDefiningOp<WeightOp>(), wb = b.getDefiningOp<WeightOp>();
  return wa && wb && wa.getName() == wb.getName();
}

/// What the stages are built from: the chain of layer calls, and each
/// distinct layer's function and attention.
struct StagePlan {
  LayerChain chain;
  SmallVector<func::FuncOp> callees;
  SmallVector<LayerAttention> attentions;
  Type hidden, tokens, positions;
};

FailureOr<StagePlan> planStages(ModuleOp module, StringRef pass) {
  FailureOr<LayerChain> chain = analyzeLayerChain(module, pass);
  if (failed(chain))
    return failure();
  StagePlan plan{*chain, {}, {}, {}, {}, {}};
  func::FuncOp forward = chain->forward;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    StringRef name = argName(forward, i);
    if (name == "tokens")
      plan.tokens = forward.getArgumentTypes()[i];
    else if (name == "positions")
      plan.positions = forward.getArgumentTypes()[i];
  }
  if (!plan.tokens || !plan.positions)
    return forward.emitError() << pass
                               << ": expected @forward's arguments 'tokens' "
                                  "and 'positions'";
  plan.hidden = chain->layers.front().getOperand(0).getType();
  SymbolTable symbols(module);
  for (int64_t l = 0; l < chain->distinct; ++l) {
    func::CallOp call = chain->layers[l];
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal())
      return call.emitError() << pass << ": the layer function has no body";
    FailureOr<LayerAttention> attn = findAttention(callee, pass);
    if (failed(attn))
      return failure();
    plan.callees.push_back(callee);
    plan.attentions.push_back(*attn);
  }
  // A stage runs every group with group 0's calls: each later layer must
  // call the same function with the same weights.
  for (int64_t i = chain->distinct; i < chain->distinct * chain->groups; ++i) {
    int64_t l = i % chain->distinct;
    func::CallOp call = chain->layers[i], first = chain->layers[l];
    bool same = call.getCallee() == first.getCallee();
    for (unsigned k = 1; same && k < call.getNumOperands(); ++k)
      if (k != plan.attentions[l].cacheArg &&
          k != plan.attentions[l].positionArg)
        same = sameWeight(call.getOperand(k), first.getOperand(k));
    if (!same)
      return call.emitError()
             << pass << ": layer " << i << " does not repeat layer " << l
             << " (another function or other weights)";
  }
  return plan;
}

struct XFSpeedStagesPass : xf::impl::XFSpeedStagesBase<XFSpeedStagesPass> {
  using XFSpeedStagesBase::XFSpeedStagesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Only a model whose layers repeat has stages; a split model has no
    // @forward (its shards are entry points of their own).
    if (!module->hasAttr("xf.layer_cycle") || !module.lookupSymbol("forward"))
      return;
    if (maxRows < 1) {
      module.emitError() << "xf-speed-stages: max-rows must be positive";
      return signalPassFailure();
    }
    if (module.lookupSymbol("speed_embed")) {
      module.emitError() << "xf-speed-stages: the module has stages already";
      return signalPassFailure();
    }
    // A model the stages cannot be built for still compiles, without them.
    buildOrWarn(module, "SPEED stages", [&]() -> LogicalResult {
      FailureOr<StagePlan> plan = planStages(module, getArgument());
      return failed(plan) ? failure() : buildAll(*plan);
    });
  }

  LogicalResult buildAll(StagePlan &plan) {
    ModuleOp module = getOperation();
    int64_t rows = std::min<int64_t>(maxRows, plan.chain.groups);
    SymbolTable symbols(module);
    if (failed(buildEmbed(plan)))
      return failure();
    for (int64_t m = 1; m <= rows; ++m)
      if (failed(buildStage(plan, m, symbols)))
        return failure();
    module->setAttr(
        "xf.speed_rows",
        IntegerAttr::get(IntegerType::get(&getContext(), 64), rows));
    return success();
  }

  /// @speed_embed(tokens, positions): the residual a token enters with.
  LogicalResult buildEmbed(StagePlan &plan) {
    func::FuncOp forward = plan.chain.forward;
    OpBuilder b(forward);
    b.setInsertionPointAfter(forward);
    auto embed = func::FuncOp::create(
        b, forward.getLoc(), "speed_embed",
        FunctionType::get(&getContext(), {plan.tokens, plan.positions},
                          {plan.hidden}));
    embed.setArgAttr(0, "xf.name", b.getStringAttr("tokens"));
    embed.setArgAttr(1, "xf.name", b.getStringAttr("positions"));
    Block *body = embed.addEntryBlock();
    b.setInsertionPointToStart(body);
    Materializer copy(
        b, forward,
        {{"tokens", body->getArgument(0)}, {"positions", body->getArgument(1)}},
        getArgument());
    FailureOr<Value> x = copy.get(plan.chain.layers.front().getOperand(0));
    if (failed(x))
      return failure();
    func::ReturnOp::create(b, forward.getLoc(), *x);
    return success();
  }

  /// @speed_stage<M>(hidden, positions, caches): the N distinct layers on
  /// M rows, row r with the N caches `cache.<r>.<l>` (xf.cache_row = r) of
  /// its repetition group, then the shared classifier on every row.
  LogicalResult buildStage(StagePlan &plan, int64_t rows,
                           SymbolTable &symbols) {
    LayerChain &chain = plan.chain;
    func::FuncOp forward = chain.forward;
    OpBuilder b(&getContext());
    Location loc = forward.getLoc();
    RowEntry stage = createRowEntry(
        b, getOperation(), loc, "speed_stage" + Twine(rows), "hidden",
        plan.hidden, plan.positions, plan.callees, plan.attentions, rows,
        {plan.hidden, forwardLogits(forward).getType()});
    Materializer copy(b, forward, {{"positions", stage.positionsArg()}},
                      getArgument());
    FailureOr<Value> x = callLayersOnRows(
        b, stage, ArrayRef(chain.layers).take_front(chain.distinct),
        plan.callees, plan.attentions, stage.first(), copy, symbols);
    if (failed(x))
      return failure();
    FailureOr<Value> logits = copy.logitsAfter(chain.layers.back(), *x);
    if (failed(logits))
      return failure();
    func::ReturnOp::create(b, loc, ValueRange{*x, *logits});
    return success();
  }
};

} // namespace
