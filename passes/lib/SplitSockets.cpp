//===- SplitSockets.cpp - Tensor parallelism across sockets --------------===//
//
// Splits every attention and FFN block N ways (brief §2), as one program
// each shard runs on its part of the weights:
//
//   attention: the Q/K/V projections keep the shard's heads (whole GQA
//              groups) and the cache its KV heads; the output projection
//              keeps the matching input columns, and its partial sums meet
//              in an xf.all_reduce.
//   FFN:       up/gate keep the shard's hidden rows, down the matching
//              columns, then one xf.all_reduce.
//
// Heads and hidden rows are split evenly, so one layer function serves
// every shard; each shard has its own entry point, @forward_shard<k>, which
// passes its slices of the weights (xf.slice and xf.concat of xf.weight,
// which xf-hoist-weight-expressions turns into per-shard weights) and its
// own caches. Everything else is replicated.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFSPLITSOCKETS
#include "xfc/Transforms/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Indices [offset, offset + size) along one dimension.
struct Range {
  int64_t offset, size;
};

/// How a layer function's weight argument is split: for each shard, the
/// ranges it keeps along `axis` (0: rows, 1: columns; a 1-D bias splits
/// along 0), concatenated in order.
struct ArgSplit {
  int64_t axis = 0;
  SmallVector<SmallVector<Range>> shards;

  /// The size along `axis` of a shard's slice (the same for every shard).
  int64_t width() const {
    int64_t size = 0;
    for (Range r : shards.front())
      size += r.size;
    return size;
  }
};

/// One head-split input of an attention op, as the projection produced it:
/// linear -> [slice] -> reshape [?, heads, head_dim] -> [rope].
struct ProjectionPart {
  int64_t offset, heads, headDim;
  SliceOp slice; // null when the part is the whole projection
  ReshapeOp reshape;
  RopeOp rope; // may be null
};

RankedTensorType withDim(Type type, int64_t dim, int64_t size) {
  auto ranked = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(ranked.getShape());
  shape[dim] = size;
  return ranked.clone(shape);
}

/// A weight's type, float or quantized, with `size` along `dim`.
Type weightWithDim(Type type, int64_t dim, int64_t size) {
  auto q = dyn_cast<QTensorType>(type);
  if (!q)
    return withDim(type, dim, size);
  SmallVector<int64_t> shape(q.getShape());
  shape[dim] = size;
  return QTensorType::get(q.getContext(), shape, q.getStorageType(),
                          q.getScheme(), q.getLayout());
}

/// The ranges shard `s` of `n` keeps of each range in `whole`.
SmallVector<SmallVector<Range>> shardRanges(ArrayRef<Range> whole, int64_t n) {
  SmallVector<SmallVector<Range>> shards(n);
  for (int64_t s = 0; s < n; ++s)
    for (Range r : whole)
      shards[s].push_back({r.offset + s * r.size / n, r.size / n});
  return shards;
}

/// Splits one function's attention and FFN blocks.
class BlockSplitter {
public:
  BlockSplitter(func::FuncOp fn, int64_t n) : fn(fn), n(n) {}

  /// Checks that every block splits, and records how.
  LogicalResult analyze();
  /// Gives the function its shard-local types and inserts the all-reduces.
  void rewrite();

  /// The split weight arguments, by argument number.
  llvm::MapVector<unsigned, ArgSplit> args;
  bool empty() const { return attentions.empty() && ffns.empty(); }

private:
  /// The function argument `value` is, for a weight that must be split.
  FailureOr<BlockArgument> weightArg(Operation *user, Value value,
                                     StringRef what);
  LogicalResult recordArg(Operation *user, Value value, StringRef what,
                          ArgSplit split);
  LogicalResult analyzeAttention(AttentionOp op);
  LogicalResult analyzeFfn(FfnOp op);
  /// Reduces `partial` (the result of `op`, whose bias operand `bias` has
  /// been dropped) over the shards, then adds `bias`.
  void reduceAfter(Operation *op, Value bias);

  func::FuncOp fn;
  int64_t n;
  SmallVector<AttentionOp> attentions;
  SmallVector<FfnOp> ffns;
  llvm::MapVector<LinearOp, SmallVector<ProjectionPart>> projections;
  SmallVector<LinearOp> outputs; // the attention output projections
};

FailureOr<BlockArgument> BlockSplitter::weightArg(Operation *user, Value value,
                                                  StringRef what) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != &fn.getBody().front())
    return user->emitError()
           << "xf-split-sockets: the " << what
           << " is not a weight argument of @" << fn.getSymName();
  if (!arg.hasOneUse())
    return user->emitError()
           << "xf-split-sockets: the " << what << " has other uses";
  return arg;
}

LogicalResult BlockSplitter::recordArg(Operation *user, Value value,
                                       StringRef what, ArgSplit split) {
  FailureOr<BlockArgument> arg = weightArg(user, value, what);
  if (failed(arg))
    return failure();
  // A quantized weight (as the model file stores it) is split in whole
  // rows, or in whole groups along its rows, so that each shard's groups
  // are the file's.
  if (auto q = dyn_cast<QTensorType>(arg->getType());
      q && split.axis == q.getRank() - 1) {
    int64_t group = q.getScheme().getGroupSize();
    if (q.getScheme().isPerChannel())
      return user->emitError()
             << "xf-split-sockets: cannot split the columns of the " << what
             << " (" << arg->getType()
             << "): each row's one scale covers all of them";
    for (ArrayRef<Range> ranges : split.shards)
      for (Range r : ranges)
        if (r.offset % group || r.size % group)
          return user->emitError()
                 << "xf-split-sockets: cannot split the " << what << " ("
                 << arg->getType() << ") at column " << r.offset << ", "
                 << r.size << " wide: not in whole groups of " << group;
  }
  args[arg->getArgNumber()] = std::move(split);
  return success();
}

LogicalResult BlockSplitter::analyzeAttention(AttentionOp op) {
  RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType();
  int64_t heads = q.getDimSize(1), kvHeads = k.getDimSize(1);
  int64_t headDim = q.getDimSize(2);
  if (heads % n || kvHeads % n)
    return op.emitError() << "xf-split-sockets: cannot split " << heads
                          << " query heads on " << kvHeads << " KV heads " << n
                          << " ways: every shard needs whole KV heads "
                          << "and their query groups";
  // Each attention op owns its cache argument, which gets 1/n of the KV
  // heads.
  auto cache = dyn_cast_or_null<BlockArgument>(op.getCache());
  if (!cache || cache.getOwner() != &fn.getBody().front() || !cache.hasOneUse())
    return op.emitError() << "xf-split-sockets: expected the attention's KV "
                             "cache to be an argument of @"
                          << fn.getSymName() << " used by it alone";

  for (auto [value, partHeads] : {std::pair{op.getQuery(), heads},
                                  {op.getKey(), kvHeads},
                                  {op.getValue(), kvHeads}}) {
    ProjectionPart part{0, partHeads, headDim, {}, {}, {}};
    Value x = value;
    if ((part.rope = x.getDefiningOp<RopeOp>())) {
      if (!x.hasOneUse())
        return op.emitError() << "xf-split-sockets: a rotated input has "
                                 "other uses";
      x = part.rope.getInput();
    }
    part.reshape = x.getDefiningOp<ReshapeOp>();
    if (!part.reshape || !x.hasOneUse() ||
        part.reshape.getInput().getType().getRank() != 2)
      return op.emitError() << "xf-split-sockets: expected each attention "
                               "input to be a projection reshaped to heads";
    x = part.reshape.getInput();
    if ((part.slice = x.getDefiningOp<SliceOp>())) {
      if (part.slice.getAxis() != 1 || !x.hasOneUse())
        return op.emitError() << "xf-split-sockets: expected the fused "
                                 "projection to be sliced by columns";
      part.offset = part.slice.getOffset();
      x = part.slice.getInput();
    }
    auto linear = x.getDefiningOp<LinearOp>();
    if (!linear)
      return op.emitError() << "xf-split-sockets: an attention input is not "
                               "computed by xf.linear";
    projections[linear].push_back(part);
  }

  Value result = op.getResult();
  auto reshape = result.hasOneUse()
                     ? dyn_cast<ReshapeOp>(*result.getUsers().begin())
                     : ReshapeOp();
  auto output =
      reshape && reshape.getResult().hasOneUse()
          ? dyn_cast<LinearOp>(*reshape.getResult().getUsers().begin())
          : LinearOp();
  if (!output || output.getInput() != reshape.getResult() ||
      reshape.getResult().getType().getRank() != 2)
    return op.emitError() << "xf-split-sockets: expected the attention result "
                             "to be reshaped and projected by xf.linear";
  int64_t width = heads * headDim;
  ArgSplit split{1, shardRanges({{0, width}}, n)};
  if (failed(recordArg(output, output.getWeight(), "output projection", split)))
    return failure();
  outputs.push_back(output);
  attentions.push_back(op);
  return success();
}

LogicalResult BlockSplitter::analyzeFfn(FfnOp op) {
  int64_t hidden = op.getHiddenSize();
  if (hidden % n)
    return op.emitError() << "xf-split-sockets: cannot split " << hidden
                          << " hidden rows " << n << " ways";
  SmallVector<Range> rows = {{0, hidden}};
  if (Value up = op.getUp())
    if (failed(recordArg(op, up, "FFN up weight", {0, shardRanges(rows, n)})))
      return failure();
  if (Value gate = op.getGate())
    if (failed(
            recordArg(op, gate, "FFN gate weight", {0, shardRanges(rows, n)})))
      return failure();
  if (Value gateUp = op.getGateUp())
    if (failed(recordArg(op, gateUp, "FFN gate_up weight",
                         {0, shardRanges({{0, hidden}, {hidden, hidden}}, n)})))
      return failure();
  if (Value bias = op.getUpBias())
    if (failed(recordArg(op, bias, "FFN up bias", {0, shardRanges(rows, n)})))
      return failure();
  if (failed(recordArg(op, op.getDown(), "FFN down weight",
                       {1, shardRanges(rows, n)})))
    return failure();
  ffns.push_back(op);
  return success();
}

LogicalResult BlockSplitter::analyze() {
  WalkResult walk = fn.walk([&](Operation *op) {
    LogicalResult ok = success();
    if (auto attention = dyn_cast<AttentionOp>(op))
      ok = analyzeAttention(attention);
    else if (auto ffn = dyn_cast<FfnOp>(op))
      ok = analyzeFfn(ffn);
    return failed(ok) ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  // A projection's users must all be the parts found, so that its new
  // width covers every use.
  for (auto &[linear, parts] : projections) {
    size_t users = std::distance(linear->user_begin(), linear->user_end());
    if (users != parts.size())
      return linear.emitError() << "xf-split-sockets: a projection feeding "
                                   "attention has other uses";
    llvm::sort(parts, [](const ProjectionPart &a, const ProjectionPart &b) {
      return a.offset < b.offset;
    });
    SmallVector<Range> whole;
    for (const ProjectionPart &p : parts)
      whole.push_back({p.offset, p.heads * p.headDim});
    if (failed(recordArg(linear, linear.getWeight(), "projection weight",
                         {0, shardRanges(whole, n)})))
      return failure();
    if (Value bias = linear.getBias())
      if (failed(recordArg(linear, bias, "projection bias",
                           {0, shardRanges(whole, n)})))
        return failure();
  }
  return success();
}

void BlockSplitter::reduceAfter(Operation *op, Value bias) {
  OpBuilder b(op->getContext());
  b.setInsertionPointAfter(op);
  Value partial = op->getResult(0);
  auto reduce =
      AllReduceOp::create(b, op->getLoc(), partial.getType(), partial, n);
  Value sum = reduce.getResult();
  if (bias)
    sum = AddOp::create(b, op->getLoc(), sum.getType(), sum, bias);
  partial.replaceAllUsesExcept(sum, reduce);
}

void BlockSplitter::rewrite() {
  Block &body = fn.getBody().front();
  // Weight arguments: the first shard's shape (all shards have it).
  for (auto &[index, split] : args) {
    BlockArgument arg = body.getArgument(index);
    arg.setType(weightWithDim(arg.getType(), split.axis, split.width()));
  }
  // Projections, their parts and the attention ops keep 1/n of the heads.
  for (auto &[linear, parts] : projections) {
    int64_t offset = 0;
    for (ProjectionPart &p : parts) {
      int64_t width = p.heads / n * p.headDim;
      if (p.slice) {
        p.slice.setOffset(offset);
        p.slice.setSize(width);
        p.slice.getResult().setType(
            withDim(p.slice.getResult().getType(), 1, width));
      }
      p.reshape.getResult().setType(
          withDim(p.reshape.getResult().getType(), 1, p.heads / n));
      if (p.rope)
        p.rope.getResult().setType(p.reshape.getResult().getType());
      offset += width;
    }
    linear.getResult().setType(
        withDim(linear.getResult().getType(), 1, offset));
  }
  for (auto [attention, output] : llvm::zip_equal(attentions, outputs)) {
    Value result = attention.getResult();
    int64_t heads = cast<RankedTensorType>(result.getType()).getDimSize(1) / n;
    result.setType(withDim(result.getType(), 1, heads));
    Value flat = output.getInput();
    auto flatType = cast<RankedTensorType>(flat.getType());
    flat.setType(withDim(flatType, 1, flatType.getDimSize(1) / n));
    auto cache = cast<BlockArgument>(attention.getCache());
    auto type = cast<KVCacheType>(cache.getType());
    cache.setType(KVCacheType::get(type.getContext(), type.getMaxContext(),
                                   type.getKvHeads() / n, type.getHeadDim(),
                                   type.getElementType()));
    // Each shard adds its partial product; the bias is added once.
    Value bias = output.getBias();
    if (bias)
      output.getBiasMutable().clear();
    reduceAfter(output, bias);
  }
  for (FfnOp ffn : ffns) {
    Value bias = ffn.getDownBias();
    if (bias)
      ffn.getDownBiasMutable().clear();
    reduceAfter(ffn, bias);
  }
  fn.setType(FunctionType::get(fn.getContext(), body.getArgumentTypes(),
                               fn.getResultTypes()));
}

/// Shard `shard`'s slice of the weight `value` (an xf.weight in a caller),
/// built at the builder's insertion point.
/// A quantized weight is sliced as its dequantized values and quantized
/// again: its groups are whole (recordArg), so every group keeps its values,
/// and ggml's round-to-nearest finds the same scale and codes again (the
/// compiler reports any requantization error).
Value sliceWeight(OpBuilder &b, Location loc, Value value,
                  const ArgSplit &split, int64_t shard) {
  auto quantized = dyn_cast<QTensorType>(value.getType());
  if (quantized)
    value = DequantizeOp::create(
        b, loc, RankedTensorType::get(quantized.getShape(), b.getF32Type()),
        value);
  SmallVector<Value> pieces;
  auto type = cast<RankedTensorType>(value.getType());
  for (Range r : split.shards[shard])
    pieces.push_back(SliceOp::create(b, loc, withDim(type, split.axis, r.size),
                                     value, split.axis, r.offset, r.size));
  Value slice =
      pieces.size() == 1
          ? pieces.front()
          : ConcatOp::create(b, loc, withDim(type, split.axis, split.width()),
                             pieces, split.axis)
                .getResult();
  if (!quantized)
    return slice;
  return QuantizeOp::create(b, loc,
                            weightWithDim(quantized, split.axis, split.width()),
                            slice, StringAttr());
}

struct XFSplitSocketsPass : xf::impl::XFSplitSocketsBase<XFSplitSocketsPass> {
  using XFSplitSocketsBase::XFSplitSocketsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (sockets < 1) {
      module.emitError() << "xf-split-sockets: sockets must be positive, got "
                         << sockets;
      return signalPassFailure();
    }
    if (sockets == 1)
      return;
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || forward.isExternal()) {
      module.emitError() << "xf-split-sockets: the module has no @forward";
      return signalPassFailure();
    }
    // The layer functions @forward calls, each split once.
    llvm::MapVector<func::FuncOp, std::unique_ptr<BlockSplitter>> splitters;
    WalkResult walk = forward.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal() || splitters.count(callee))
        return WalkResult::advance();
      auto splitter = std::make_unique<BlockSplitter>(callee, sockets);
      if (failed(splitter->analyze()))
        return WalkResult::interrupt();
      splitters[callee] = std::move(splitter);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (llvm::all_of(splitters,
                     [](auto &entry) { return entry.second->empty(); }) ||
        !forward.getOps<AttentionOp>().empty() ||
        !forward.getOps<FfnOp>().empty()) {
      forward.emitError() << "xf-split-sockets: expected @forward to call "
                             "layer functions holding its attention and FFN "
                             "blocks";
      return signalPassFailure();
    }
    for (auto &[fn, splitter] : splitters)
      splitter->rewrite();

    // One entry point per shard: @forward with that shard's slices of the
    // split weights and caches of its KV heads.
    OpBuilder b(module.getContext());
    for (int64_t shard = 0; shard < sockets; ++shard) {
      b.setInsertionPoint(forward);
      auto clone = cast<func::FuncOp>(b.clone(*forward));
      clone.setSymName(("forward_shard" + Twine(shard)).str());
      clone->setAttr("xf.shard", b.getI64IntegerAttr(shard));
      if (failed(rewriteCalls(clone, splitters, shard)))
        return signalPassFailure();
    }
    forward.erase();
    module->setAttr("xf.shards", b.getI64IntegerAttr(sockets));
  }

  LogicalResult rewriteCalls(
      func::FuncOp entry,
      const llvm::MapVector<func::FuncOp, std::unique_ptr<BlockSplitter>>
          &splitters,
      int64_t shard) {
    Block &body = entry.getBody().front();
    WalkResult walk = entry.walk([&](func::CallOp call) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      auto it = splitters.find(callee);
      if (it == splitters.end())
        return WalkResult::advance();
      OpBuilder b(call);
      // In argument order, so that the slices read in the call's order.
      SmallVector<unsigned> indices;
      for (auto &entry : it->second->args)
        indices.push_back(entry.first);
      llvm::sort(indices);
      for (unsigned index : indices) {
        const ArgSplit &split = it->second->args.find(index)->second;
        Value weight = call.getOperand(index);
        if (!weight.getDefiningOp<WeightOp>()) {
          call.emitError() << "xf-split-sockets: argument " << index
                           << " of the call is not an xf.weight";
          return WalkResult::interrupt();
        }
        call.setOperand(index,
                        sliceWeight(b, call.getLoc(), weight, split, shard));
      }
      // Caches: the callee's (already shard-local) type.
      for (auto [operand, type] :
           llvm::zip_equal(call.getOperands(), callee.getArgumentTypes()))
        if (auto arg = dyn_cast<BlockArgument>(operand);
            arg && arg.getOwner() == &body && isa<KVCacheType>(type))
          arg.setType(type);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    entry.setType(FunctionType::get(entry.getContext(), body.getArgumentTypes(),
                                    entry.getResultTypes()));
    return success();
  }
};

} // namespace
