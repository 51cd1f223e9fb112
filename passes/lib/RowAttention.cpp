//===- RowAttention.cpp - Layer functions with one KV cache per row -------===//

#include "RowAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace mlir::xf;

StringRef xf::argName(func::FuncOp func, unsigned index) {
  auto name = func.getArgAttrOfType<StringAttr>(index, "xf.name");
  return name ? name.getValue() : StringRef();
}

FailureOr<LayerAttention> xf::findAttention(func::FuncOp layer,
                                            StringRef pass) {
  SmallVector<AttentionOp> found;
  layer.walk([&](AttentionOp op) {
    if (op.getCache())
      found.push_back(op);
  });
  if (found.size() != 1)
    return layer.emitError()
           << pass << ": expected one attention with a KV cache in @"
           << layer.getName() << ", found " << found.size();
  AttentionOp op = found.front();
  auto cache = dyn_cast<BlockArgument>(op.getCache());
  auto position = dyn_cast<BlockArgument>(op.getPosition());
  if (!cache || !position || cache.getOwner() != &layer.front() ||
      position.getOwner() != &layer.front() ||
      op->getBlock() != &layer.front() || !cache.hasOneUse() ||
      !position.hasOneUse())
    return op.emitError() << pass
                          << ": expected the attention to read its cache and "
                             "position from arguments of the layer function "
                             "that nothing else reads";
  return LayerAttention{op, cache.getArgNumber(), position.getArgNumber()};
}

namespace {

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

} // namespace

func::FuncOp xf::getRowsVariant(func::FuncOp layer, LayerAttention attn,
                                int64_t rows, SymbolTable &symbols) {
  std::string name = (layer.getName() + "_rows" + std::to_string(rows)).str();
  if (auto existing = symbols.lookup<func::FuncOp>(name))
    return existing;
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
      b, layer.getLoc(), name,
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

bool xf::buildOrWarn(ModuleOp module, StringRef what,
                     function_ref<LogicalResult()> build) {
  std::string why;
  Location where = module.getLoc();
  llvm::SmallPtrSet<Operation *, 16> before;
  for (Operation &op : *module.getBody())
    before.insert(&op);
  LogicalResult result = success();
  {
    ScopedDiagnosticHandler capture(module.getContext(), [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Error)
        return failure(); // passed on
      if (why.empty())
        why = diag.str(), where = diag.getLocation();
      return success();
    });
    result = build();
  }
  if (succeeded(result))
    return true;
  for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
    if (!before.contains(&op))
      op.erase();
  emitWarning(where) << why << "; compiling without " << what;
  return false;
}

SmallVector<Value> RowEntry::caches(int64_t l) const {
  SmallVector<Value> out;
  for (int64_t r = 0; r < rows; ++r)
    out.push_back(body->getArgument(2 + r * layers + l));
  return out;
}

Value xf::forwardLogits(func::FuncOp forward) {
  return forward.front().getTerminator()->getOperand(0);
}

RowEntry xf::createRowEntry(OpBuilder &b, ModuleOp module, Location loc,
                            const Twine &name, StringRef firstName, Type first,
                            Type positions, ArrayRef<func::FuncOp> callees,
                            ArrayRef<LayerAttention> attentions, int64_t rows,
                            TypeRange results) {
  RowEntry e;
  e.rows = rows;
  e.layers = static_cast<int64_t>(callees.size());
  SmallVector<Type> cacheTypes;
  for (size_t l = 0; l < callees.size(); ++l)
    cacheTypes.push_back(
        func::FuncOp(callees[l]).getArgumentTypes()[attentions[l].cacheArg]);
  SmallVector<Type> inputs = {first, positions};
  for (int64_t r = 0; r < rows; ++r)
    llvm::append_range(inputs, cacheTypes);
  b.setInsertionPointToEnd(module.getBody());
  e.func = func::FuncOp::create(
      b, loc, name.str(), FunctionType::get(b.getContext(), inputs, results));
  e.func.setArgAttr(0, "xf.name", b.getStringAttr(firstName));
  e.func.setArgAttr(1, "xf.name", b.getStringAttr("positions"));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t l = 0; l < e.layers; ++l) {
      unsigned index = 2 + r * e.layers + l;
      e.func.setArgAttr(index, "xf.name",
                        b.getStringAttr("cache." + std::to_string(r) + "." +
                                        std::to_string(l)));
      e.func.setArgAttr(index, "xf.cache_row", b.getI64IntegerAttr(r));
    }
  e.body = e.func.addEntryBlock();
  b.setInsertionPointToStart(e.body);
  // Each row's position, as an index, from the [rows] positions tensor.
  for (int64_t r = 0; r < rows; ++r) {
    Value index = arith::ConstantIndexOp::create(b, loc, r);
    Value p = tensor::ExtractOp::create(b, loc, e.positionsArg(), index);
    e.positions.push_back(
        arith::IndexCastOp::create(b, loc, b.getIndexType(), p));
  }
  return e;
}

FailureOr<Value> xf::callLayersOnRows(OpBuilder &b, const RowEntry &entry,
                                      ArrayRef<func::CallOp> calls,
                                      ArrayRef<func::FuncOp> callees,
                                      ArrayRef<LayerAttention> attentions,
                                      Value x, Materializer &copy,
                                      SymbolTable &symbols) {
  for (size_t l = 0; l < calls.size(); ++l) {
    func::CallOp call = calls[l];
    LayerAttention attn = attentions[l];
    func::FuncOp variant =
        getRowsVariant(callees[l], attn, entry.rows, symbols);
    SmallVector<Value> caches = entry.caches(l);
    // The call with the rows' positions and caches in place of its own.
    SmallVector<Value> operands;
    for (auto [k, operand] : llvm::enumerate(call.getOperands())) {
      if (k == 0) {
        operands.push_back(x);
      } else if (k == attn.positionArg) {
        llvm::append_range(operands, entry.positions);
      } else if (k == attn.cacheArg) {
        llvm::append_range(operands, caches);
      } else {
        FailureOr<Value> value = copy.get(operand);
        if (failed(value))
          return failure();
        operands.push_back(*value);
      }
    }
    x = func::CallOp::create(b, call.getLoc(), variant, operands).getResult(0);
  }
  return x;
}
