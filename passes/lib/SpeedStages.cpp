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

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFSPEEDSTAGES
#include "xfc/Transforms/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

StringRef argName(func::FuncOp func, unsigned index) {
  auto name = func.getArgAttrOfType<StringAttr>(index, "xf.name");
  return name ? name.getValue() : StringRef();
}

/// Clones into a new function what values of @forward depend on (weights
/// and their expressions), mapping @forward's arguments by name.
class Materializer {
public:
  Materializer(OpBuilder &b, func::FuncOp forward,
               llvm::StringMap<Value> arguments)
      : b(b), forward(forward), arguments(std::move(arguments)) {}

  IRMapping map;

  FailureOr<Value> get(Value value) {
    if (Value mapped = map.lookupOrNull(value))
      return mapped;
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      StringRef name = argName(forward, arg.getArgNumber());
      if (Value replacement = arguments.lookup(name)) {
        map.map(value, replacement);
        return replacement;
      }
      return emitError(arg.getLoc())
             << "xf-speed-stages: a stage cannot read @forward's argument '"
             << name << "'";
    }
    Operation *def = value.getDefiningOp();
    if (def->getNumRegions() != 0)
      return def->emitError()
             << "xf-speed-stages: cannot copy an op with regions into a stage";
    for (Value operand : def->getOperands())
      if (failed(get(operand)))
        return failure();
    b.clone(*def, map);
    return map.lookup(value);
  }

private:
  OpBuilder &b;
  func::FuncOp forward;
  llvm::StringMap<Value> arguments;
};

/// The one cached attention of a layer function, reading its cache and
/// position straight from arguments that nothing else reads.
struct LayerAttention {
  AttentionOp op;
  unsigned cacheArg, positionArg;
};

FailureOr<LayerAttention> findAttention(func::FuncOp layer) {
  SmallVector<AttentionOp> found;
  layer.walk([&](AttentionOp op) {
    if (op.getCache())
      found.push_back(op);
  });
  if (found.size() != 1)
    return layer.emitError()
           << "xf-speed-stages: expected one attention with a KV cache in @"
           << layer.getName() << ", found " << found.size();
  AttentionOp op = found.front();
  auto cache = dyn_cast<BlockArgument>(op.getCache());
  auto position = dyn_cast<BlockArgument>(op.getPosition());
  if (!cache || !position || cache.getOwner() != &layer.front() ||
      position.getOwner() != &layer.front() ||
      op->getBlock() != &layer.front() || !cache.hasOneUse() ||
      !position.hasOneUse())
    return op.emitError() << "xf-speed-stages: expected the attention to read "
                             "its cache and position from arguments of the "
                             "layer function that nothing else reads";
  return LayerAttention{op, cache.getArgNumber(), position.getArgNumber()};
}

/// One row's type of a [tokens, ...] tensor.
RankedTensorType oneRow(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = 1;
  return type.clone(shape);
}

/// @<layer>_attention_row(query, key, value, cache, position): the layer's
/// attention on one token.
func::FuncOp getRowAttention(func::FuncOp layer, LayerAttention attn,
                             SymbolTable &symbols) {
  std::string name = (layer.getName() + "_attention_row").str();
  if (auto existing = symbols.lookup<func::FuncOp>(name))
    return existing;
  AttentionOp op = attn.op;
  Type result = oneRow(op.getQuery());
  OpBuilder b(layer);
  auto func = func::FuncOp::create(
      b, op.getLoc(), name,
      FunctionType::get(layer.getContext(),
                        {result, oneRow(op.getKey()), oneRow(op.getValue()),
                         op.getCache().getType(), op.getPosition().getType()},
                        {result}));
  func.setPrivate();
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  // The operands by position: key and value may be one value.
  Operation *clone = b.clone(*op);
  clone->setOperands(body->getArguments());
  clone->getResult(0).setType(result);
  func::ReturnOp::create(b, op.getLoc(), clone->getResult(0));
  symbols.insert(func);
  return func;
}

/// @<layer>_rows<M>: the layer function with one cache and position per
/// row, in place of the cache and position arguments.
func::FuncOp buildRowsVariant(func::FuncOp layer, LayerAttention attn,
                              int64_t rows, SymbolTable &symbols) {
  MLIRContext *ctx = layer.getContext();
  SmallVector<Type> inputs;
  SmallVector<int64_t> firstOf; // the new index of each old argument
  for (auto [i, type] : llvm::enumerate(layer.getArgumentTypes())) {
    firstOf.push_back(inputs.size());
    bool perRow = i == attn.cacheArg || i == attn.positionArg;
    inputs.append(perRow ? rows : 1, type);
  }
  OpBuilder b(layer);
  b.setInsertionPointAfter(layer);
  auto variant = func::FuncOp::create(
      b, layer.getLoc(),
      (layer.getName() + "_rows" + std::to_string(rows)).str(),
      FunctionType::get(ctx, inputs, layer.getResultTypes()));
  variant.setPrivate();
  for (unsigned i = 0; i < layer.getNumArguments(); ++i)
    if (DictionaryAttr attrs = layer.getArgAttrDict(i))
      for (NamedAttribute attr : attrs)
        variant.setArgAttr(firstOf[i], attr.getName(), attr.getValue());
  Block *body = variant.addEntryBlock();
  IRMapping map;
  for (unsigned i = 0; i < layer.getNumArguments(); ++i)
    map.map(layer.getArgument(i), body->getArgument(firstOf[i]));
  b.setInsertionPointToStart(body);
  for (Operation &op : layer.front()) {
    if (&op != attn.op.getOperation()) {
      b.clone(op, map);
      continue;
    }
    // Row r attends to its own group's cache at its own position: a call
    // of the one-row attention (one copy of its kernel for every M).
    Location loc = op.getLoc();
    func::FuncOp rowAttention = getRowAttention(layer, attn, symbols);
    auto rowOf = [&](Value v, int64_t r) {
      return SliceOp::create(b, loc, oneRow(v), map.lookup(v),
                             b.getI64IntegerAttr(0), b.getI64IntegerAttr(r),
                             b.getI64IntegerAttr(1))
          .getResult();
    };
    SmallVector<Value> outputs;
    for (int64_t r = 0; r < rows; ++r) {
      Value operands[] = {rowOf(attn.op.getQuery(), r),
                          rowOf(attn.op.getKey(), r),
                          rowOf(attn.op.getValue(), r),
                          body->getArgument(firstOf[attn.cacheArg] + r),
                          body->getArgument(firstOf[attn.positionArg] + r)};
      outputs.push_back(
          func::CallOp::create(b, loc, rowAttention, operands).getResult(0));
    }
    Value joined = ConcatOp::create(b, loc, attn.op.getType(), outputs,
                                    b.getI64IntegerAttr(0));
    map.map(attn.op.getResult(), joined);
  }
  symbols.insert(variant);
  return variant;
}

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
    FailureOr<LayerAttention> attn = findAttention(callee);
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
    // A model the stages cannot be built for still compiles, without them:
    // what stopped them becomes a warning.
    std::string why;
    Location where = module.getLoc();
    llvm::SmallPtrSet<Operation *, 16> before;
    for (Operation &op : *module.getBody())
      before.insert(&op);
    LogicalResult result = success();
    {
      ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &diag) {
        if (diag.getSeverity() != DiagnosticSeverity::Error)
          return failure(); // passed on
        if (why.empty())
          why = diag.str(), where = diag.getLocation();
        return success();
      });
      FailureOr<StagePlan> plan = planStages(module, getArgument());
      result = failed(plan) ? failure() : buildAll(*plan);
    }
    if (failed(result)) {
      for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
        if (!before.contains(&op))
          op.erase();
      emitWarning(where) << why << "; compiling without SPEED stages";
      return;
    }
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
    Materializer copy(b, forward,
                      {{"tokens", body->getArgument(0)},
                       {"positions", body->getArgument(1)}});
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
    SmallVector<Type> inputs = {plan.hidden, plan.positions};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t l = 0; l < chain.distinct; ++l)
        inputs.push_back(
            plan.callees[l].getArgumentTypes()[plan.attentions[l].cacheArg]);
    Value forwardLogits = forward.front().getTerminator()->getOperand(0);
    OpBuilder b(&getContext());
    b.setInsertionPointToEnd(getOperation().getBody());
    Location loc = forward.getLoc();
    auto stage = func::FuncOp::create(
        b, loc, "speed_stage" + std::to_string(rows),
        FunctionType::get(&getContext(), inputs,
                          {plan.hidden, forwardLogits.getType()}));
    stage.setArgAttr(0, "xf.name", b.getStringAttr("hidden"));
    stage.setArgAttr(1, "xf.name", b.getStringAttr("positions"));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t l = 0; l < chain.distinct; ++l) {
        unsigned index = 2 + r * chain.distinct + l;
        stage.setArgAttr(index, "xf.name",
                         b.getStringAttr("cache." + std::to_string(r) + "." +
                                         std::to_string(l)));
        stage.setArgAttr(index, "xf.cache_row", b.getI64IntegerAttr(r));
      }
    Block *body = stage.addEntryBlock();
    b.setInsertionPointToStart(body);
    Value positionsArg = body->getArgument(1);
    SmallVector<Value> rowPositions;
    for (int64_t r = 0; r < rows; ++r) {
      Value index = arith::ConstantIndexOp::create(b, loc, r);
      Value p = tensor::ExtractOp::create(b, loc, positionsArg, index);
      rowPositions.push_back(
          arith::IndexCastOp::create(b, loc, b.getIndexType(), p));
    }
    Materializer copy(b, forward, {{"positions", positionsArg}});
    Value x = body->getArgument(0);
    for (int64_t l = 0; l < chain.distinct; ++l) {
      func::CallOp call = chain.layers[l];
      LayerAttention attn = plan.attentions[l];
      std::string name =
          (plan.callees[l].getName() + "_rows" + std::to_string(rows)).str();
      auto variant = symbols.lookup<func::FuncOp>(name);
      if (!variant)
        variant = buildRowsVariant(plan.callees[l], attn, rows, symbols);
      SmallVector<Value> operands;
      for (auto [k, operand] : llvm::enumerate(call.getOperands())) {
        if (k == 0) {
          operands.push_back(x);
        } else if (k == attn.positionArg) {
          operands.append(rowPositions);
        } else if (k == attn.cacheArg) {
          for (int64_t r = 0; r < rows; ++r)
            operands.push_back(body->getArgument(2 + r * chain.distinct + l));
        } else {
          FailureOr<Value> value = copy.get(operand);
          if (failed(value))
            return failure();
          operands.push_back(*value);
        }
      }
      x = func::CallOp::create(b, call.getLoc(), variant, operands)
              .getResult(0);
    }
    copy.map.map(chain.layers.back().getResult(0), x);
    FailureOr<Value> logits = copy.get(forwardLogits);
    if (failed(logits))
      return failure();
    func::ReturnOp::create(b, loc, ValueRange{x, *logits});
    return success();
  }
};

} // namespace
