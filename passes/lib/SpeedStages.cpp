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
    // Row r attends to its own group's cache at its own position.
    Location loc = op.getLoc();
    auto rowOf = [&](Value v, int64_t r) {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = 1;
      return SliceOp::create(b, loc, type.clone(shape), map.lookup(v),
                             b.getI64IntegerAttr(0), b.getI64IntegerAttr(r),
                             b.getI64IntegerAttr(1))
          .getResult();
    };
    SmallVector<Value> outputs;
    for (int64_t r = 0; r < rows; ++r) {
      Value q = rowOf(attn.op.getQuery(), r);
      auto out = AttentionOp::create(
          b, loc, q.getType(), q, rowOf(attn.op.getKey(), r),
          rowOf(attn.op.getValue(), r),
          body->getArgument(firstOf[attn.cacheArg] + r),
          body->getArgument(firstOf[attn.positionArg] + r),
          attn.op.getCausalAttr(), attn.op.getScaleAttr());
      outputs.push_back(out);
    }
    Value joined = ConcatOp::create(b, loc, attn.op.getType(), outputs,
                                    b.getI64IntegerAttr(0));
    map.map(attn.op.getResult(), joined);
  }
  symbols.insert(variant);
  return variant;
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
    FailureOr<LayerChain> chain = analyzeLayerChain(module, getArgument());
    if (failed(chain))
      return signalPassFailure();
    int64_t rows = std::min<int64_t>(maxRows, chain->groups);
    if (failed(buildEmbed(*chain)))
      return signalPassFailure();
    for (int64_t m = 1; m <= rows; ++m)
      if (failed(buildStage(*chain, m)))
        return signalPassFailure();
    module->setAttr(
        "xf.speed_rows",
        IntegerAttr::get(IntegerType::get(&getContext(), 64), rows));
  }

  /// @speed_embed(tokens, positions): the residual a token enters with.
  LogicalResult buildEmbed(LayerChain &chain) {
    func::FuncOp forward = chain.forward;
    llvm::StringMap<unsigned> byName;
    for (unsigned i = 0; i < forward.getNumArguments(); ++i)
      byName[argName(forward, i)] = i;
    if (!byName.count("tokens") || !byName.count("positions"))
      return forward.emitError() << "xf-speed-stages: expected @forward's "
                                    "arguments 'tokens' and 'positions'";
    Type tokens = forward.getArgumentTypes()[byName["tokens"]];
    Type positions = forward.getArgumentTypes()[byName["positions"]];
    Type hidden = chain.layers.front().getOperand(0).getType();
    OpBuilder b(forward);
    b.setInsertionPointAfter(forward);
    auto embed = func::FuncOp::create(
        b, forward.getLoc(), "speed_embed",
        FunctionType::get(&getContext(), {tokens, positions}, {hidden}));
    embed.setArgAttr(0, "xf.name", b.getStringAttr("tokens"));
    embed.setArgAttr(1, "xf.name", b.getStringAttr("positions"));
    Block *body = embed.addEntryBlock();
    b.setInsertionPointToStart(body);
    Materializer copy(b, forward,
                      {{"tokens", body->getArgument(0)},
                       {"positions", body->getArgument(1)}});
    FailureOr<Value> x = copy.get(chain.layers.front().getOperand(0));
    if (failed(x))
      return failure();
    func::ReturnOp::create(b, forward.getLoc(), *x);
    return success();
  }

  /// @speed_stage<M>(hidden, positions, caches): the N distinct layers on
  /// M rows, row r with the N caches `cache.<r>.<l>` (xf.cache_row = r) of
  /// its repetition group, then the shared classifier on every row.
  LogicalResult buildStage(LayerChain &chain, int64_t rows) {
    func::FuncOp forward = chain.forward;
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    Type hidden = chain.layers.front().getOperand(0).getType();
    Type positions;
    for (unsigned i = 0; i < forward.getNumArguments(); ++i)
      if (argName(forward, i) == "positions")
        positions = forward.getArgumentTypes()[i];
    // Each distinct layer's callee, its attention and its cache type.
    SmallVector<func::FuncOp> callees;
    SmallVector<LayerAttention> attentions;
    SmallVector<Type> inputs = {hidden, positions};
    for (int64_t l = 0; l < chain.distinct; ++l) {
      auto callee = symbols.lookup<func::FuncOp>(chain.layers[l].getCallee());
      if (!callee || callee.isExternal())
        return chain.layers[l].emitError()
               << "xf-speed-stages: the layer function has no body";
      FailureOr<LayerAttention> attn = findAttention(callee);
      if (failed(attn))
        return failure();
      callees.push_back(callee);
      attentions.push_back(*attn);
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t l = 0; l < chain.distinct; ++l)
        inputs.push_back(callees[l].getArgumentTypes()[attentions[l].cacheArg]);
    Value forwardLogits = forward.front().getTerminator()->getOperand(0);
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = forward.getLoc();
    auto stage = func::FuncOp::create(
        b, loc, "speed_stage" + std::to_string(rows),
        FunctionType::get(&getContext(), inputs,
                          {hidden, forwardLogits.getType()}));
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
    stage->setAttr("xf.speed_rows", b.getI64IntegerAttr(rows));
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
      std::string name =
          (callees[l].getName() + "_rows" + std::to_string(rows)).str();
      auto variant = symbols.lookup<func::FuncOp>(name);
      if (!variant)
        variant = buildRowsVariant(callees[l], attentions[l], rows, symbols);
      SmallVector<Value> operands;
      for (auto [k, operand] : llvm::enumerate(call.getOperands())) {
        if (k == 0) {
          operands.push_back(x);
        } else if (k == attentions[l].positionArg) {
          operands.append(rowPositions);
        } else if (k == attentions[l].cacheArg) {
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
