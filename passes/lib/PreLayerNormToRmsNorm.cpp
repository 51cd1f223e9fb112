//===- PreLayerNormToRmsNorm.cpp - Pre-LN to Pre-RMSNorm, exactly ---------===//
//
// In a Pre-LN transformer the residual stream is only ever read by
// LayerNorms (and by the next residual add), and every LayerNorm removes
// the mean. Centering every tensor written into the stream along the
// hidden dimension keeps the stream zero-mean, so each LayerNorm computes
// the same as an RMSNorm, and its gamma and beta fold into the linear
// layers that read it.
//
// The stream crosses function boundaries (the importer's shared layer
// functions take it as an argument and return the next one), so it is
// found as the closure of values linked by residual adds, calls, arguments
// and returns. The rewrite only builds weight computations; weight data is
// computed once when xf-hoist-weight-expressions has made them derived
// weights.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/CallUtils.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Debug.h"

#include <optional>
#include <string>

#define DEBUG_TYPE "xf-prelayernorm-to-rmsnorm"

namespace mlir::xf {
#define GEN_PASS_DEF_XFPRELAYERNORMTORMSNORM
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Why a stream cannot be rewritten: the op (or value) at fault and a
/// sentence about it.
struct Refusal {
  Location loc;
  std::string reason;
};

/// One residual stream: the values that carry it, the LayerNorms that read
/// it and the ops whose results are written into it.
struct ResidualStream {
  llvm::SetVector<Value> values;
  llvm::SetVector<LayerNormOp> norms;
  llvm::SetVector<Operation *> writers;
  std::optional<Refusal> refusal;
};

/// Whether a weight is held as floats: neither quantized nor dequantized
/// on the way (centering or scaling it would store it expanded).
bool isFloatWeight(Value weight) {
  return isa<RankedTensorType>(weight.getType()) &&
         !weight.getDefiningOp<DequantizeOp>();
}

std::string opName(Operation *op) {
  return "'" + op->getName().getStringRef().str() + "'";
}

/// Finds a residual stream from one of its values.
class StreamFinder {
public:
  StreamFinder(ModuleOp module) : module(module) {}

  ResidualStream find(Value seed) {
    ResidualStream stream;
    width = cast<RankedTensorType>(seed.getType()).getShape().back();
    SmallVector<Value> worklist = {seed};
    auto add = [&](Value v) {
      if (stream.values.insert(v))
        worklist.push_back(v);
    };
    stream.values.insert(seed);
    // The whole stream is explored even after a refusal, so that each
    // LayerNorm is reported once.
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      visitDefinition(v, stream, add);
      for (OpOperand &use : v.getUses())
        visitUse(use, stream, add);
    }
    return stream;
  }

private:
  void refuse(ResidualStream &stream, Location loc, const Twine &reason) {
    LLVM_DEBUG(llvm::dbgs() << "[" DEBUG_TYPE "] refused at " << loc << ": "
                            << reason << "\n");
    if (!stream.refusal)
      stream.refusal = Refusal{loc, reason.str()};
  }

  /// Where a stream value comes from: a writer, a residual add, or the
  /// value of a call or argument.
  template <typename AddFn>
  void visitDefinition(Value v, ResidualStream &stream, AddFn add) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() == 0 || type.getShape().back() != width)
      return refuse(stream, v.getLoc(),
                    "a residual value has type " + typeString(v.getType()) +
                        ", not the stream's width " + std::to_string(width));
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      std::optional<SmallVector<func::CallOp>> calls;
      if (func && arg.getOwner()->isEntryBlock())
        calls = onlyCallsOf(func, module);
      if (!calls)
        return refuse(stream, arg.getLoc(),
                      "the residual stream enters as argument #" +
                          std::to_string(arg.getArgNumber()) +
                          " of a function whose callers are not all known");
      for (func::CallOp call : *calls)
        add(call.getOperand(arg.getArgNumber()));
      return;
    }
    Operation *def = v.getDefiningOp();
    if (auto sum = dyn_cast<AddOp>(def)) {
      if (sum.getLhs().getType() != sum.getType() ||
          sum.getRhs().getType() != sum.getType())
        return refuse(stream, def->getLoc(),
                      "the residual add broadcasts an operand");
      add(sum.getLhs());
      add(sum.getRhs());
      return;
    }
    if (auto call = dyn_cast<func::CallOp>(def)) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      if (!callee || callee.isExternal())
        return refuse(stream, def->getLoc(),
                      "the residual stream is returned by a function without "
                      "a body");
      unsigned index = cast<OpResult>(v).getResultNumber();
      callee.walk([&](func::ReturnOp ret) { add(ret.getOperand(index)); });
      return;
    }
    if (isa<LayerNormOp, RmsNormOp>(def))
      return refuse(stream, def->getLoc(),
                    "the residual stream is a normalization's result (a "
                    "Post-LN block), whose mean cannot change");
    if (auto embedding = dyn_cast<EmbeddingOp>(def)) {
      if (!isFloatWeight(embedding.getTable()))
        return refuse(stream, def->getLoc(),
                      "the embedding table is quantized and cannot be "
                      "centered");
      stream.writers.insert(def);
      return;
    }
    if (auto linear = dyn_cast<LinearOp>(def)) {
      if (!isFloatWeight(linear.getWeight()))
        return refuse(stream, def->getLoc(),
                      "the projection's weight is quantized and cannot be "
                      "centered");
      stream.writers.insert(def);
      return;
    }
    if (auto ffn = dyn_cast<FfnOp>(def)) {
      if (!isFloatWeight(ffn.getDown()))
        return refuse(stream, def->getLoc(),
                      "the FFN's down weight is quantized and cannot be "
                      "centered");
      stream.writers.insert(def);
      return;
    }
    refuse(stream, def->getLoc(),
           "the residual stream is written by " + opName(def) +
               ", not by an embedding, a projection or a residual add");
  }

  /// Where a stream value goes: into a LayerNorm, the next residual add, or
  /// across a call.
  template <typename AddFn>
  void visitUse(OpOperand &use, ResidualStream &stream, AddFn add) {
    Operation *user = use.getOwner();
    if (auto norm = dyn_cast<LayerNormOp>(user)) {
      if (use.get() != norm.getInput())
        return refuse(stream, user->getLoc(),
                      "the residual stream is a LayerNorm parameter");
      stream.norms.insert(norm);
      return;
    }
    if (auto sum = dyn_cast<AddOp>(user)) {
      add(sum.getResult());
      return;
    }
    if (auto call = dyn_cast<func::CallOp>(user)) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      if (!callee || callee.isExternal())
        return refuse(stream, user->getLoc(),
                      "the residual stream is passed to a function without "
                      "a body");
      add(callee.getArgument(use.getOperandNumber()));
      return;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(user)) {
      auto func = cast<func::FuncOp>(ret->getParentOp());
      std::optional<SmallVector<func::CallOp>> calls =
          onlyCallsOf(func, module);
      if (!calls)
        return refuse(stream, user->getLoc(),
                      "the residual stream is returned from @" +
                          func.getSymName().str() +
                          ", whose callers are not all known");
      for (func::CallOp call : *calls)
        add(call.getResult(use.getOperandNumber()));
      return;
    }
    refuse(stream, user->getLoc(),
           "the residual stream is read by " + opName(user) +
               ", which would see its mean change");
  }

  static std::string typeString(Type type) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << type;
    return s;
  }

  ModuleOp module;
  int64_t width = 0;
};

/// Checks that every reader of a LayerNorm's result can take its gamma and
/// beta: a float linear, or the up projection of an `xf.ffn gelu`.
std::optional<Refusal> checkFoldable(LayerNormOp norm) {
  for (OpOperand &use : norm.getResult().getUses()) {
    Operation *user = use.getOwner();
    auto refusal = [&](const Twine &reason) {
      return Refusal{user->getLoc(), reason.str()};
    };
    if (auto compute = user->getAttrOfType<ComputeKindAttr>("compute");
        compute && compute.getValue() != ComputeKind::f32)
      return refusal("the projection rounds its input to INT8, so folding "
                     "the LayerNorm's scale into its weight is not exact");
    if (auto linear = dyn_cast<LinearOp>(user)) {
      if (use.get() != linear.getInput())
        return refusal("a LayerNorm result is a projection's weight or bias");
      if (!isFloatWeight(linear.getWeight()))
        return refusal("the LayerNorm's scale cannot fold into a quantized "
                       "weight");
      continue;
    }
    if (auto ffn = dyn_cast<FfnOp>(user)) {
      if (use.get() != ffn.getInput())
        return refusal("a LayerNorm result is an FFN weight or bias");
      if (!FfnOp::getUngatedGelu(ffn.getKind()))
        return refusal("xf.ffn " + stringifyFfnKind(ffn.getKind()).str() +
                       " has no gate bias to fold the LayerNorm's bias into");
      if (!isFloatWeight(ffn.getUp()))
        return refusal("the LayerNorm's scale cannot fold into a quantized "
                       "weight");
      continue;
    }
    return refusal("the LayerNorm's result is read by " + opName(user) +
                   ", which is not a projection its scale and bias can fold "
                   "into");
  }
  return std::nullopt;
}

/// `value - mean(value, axis)`.
Value centered(OpBuilder &b, Location loc, Value value, int64_t axis) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = 1;
  Value mean =
      ReduceMeanOp::create(b, loc, type.clone(shape), value, axis).getResult();
  return SubOp::create(b, loc, type, value, mean).getResult();
}

/// Centers the rows of embedding tables and the output dimension of
/// projections and biases that write into the stream.
void centerWriter(Operation *writer) {
  OpBuilder b(writer);
  Location loc = writer->getLoc();
  if (auto embedding = dyn_cast<EmbeddingOp>(writer)) {
    embedding.getTableMutable().assign(
        centered(b, loc, embedding.getTable(), /*axis=*/1));
    return;
  }
  if (auto linear = dyn_cast<LinearOp>(writer)) {
    linear.getWeightMutable().assign(
        centered(b, loc, linear.getWeight(), /*axis=*/0));
    if (Value bias = linear.getBias())
      linear.getBiasMutable().assign(centered(b, loc, bias, /*axis=*/0));
    return;
  }
  auto ffn = cast<FfnOp>(writer);
  ffn.getDownMutable().assign(centered(b, loc, ffn.getDown(), /*axis=*/0));
  if (Value bias = ffn.getDownBias())
    ffn.getDownBiasMutable().assign(centered(b, loc, bias, /*axis=*/0));
}

/// The weight that reads a LayerNorm's result in `user` (a projection or
/// the up projection of an `xf.ffn gelu`).
Value readingWeight(Operation *user) {
  if (auto linear = dyn_cast<LinearOp>(user))
    return linear.getWeight();
  return cast<FfnOp>(user).getUp();
}

/// Whether gamma folds into the readers' weights exactly, up to rounding
/// the product once: weights of gamma's element type. Narrower weights
/// would round gamma as well, so gamma then stays the RMSNorm's scale.
bool foldsScale(LayerNormOp norm) {
  Type gammaElt =
      cast<RankedTensorType>(norm.getWeight().getType()).getElementType();
  return llvm::all_of(norm->getUsers(), [&](Operation *user) {
    return cast<RankedTensorType>(readingWeight(user).getType())
               .getElementType() == gammaElt;
  });
}

/// A projection reads `LayerNorm(x) = n * gamma + beta`, with `n` the
/// RMSNorm of the centered stream: its bias becomes `bias + weight beta`
/// and, with `foldScale`, its weight `weight * gamma` (scaling the input
/// columns).
std::pair<Value, Value> foldNorm(OpBuilder &b, Location loc, LayerNormOp norm,
                                 bool foldScale, Value weight, Value bias) {
  auto weightType = cast<RankedTensorType>(weight.getType());
  Value scaled = weight;
  if (foldScale)
    scaled = MulOp::create(b, loc, weightType, weight, norm.getWeight());
  // The beta row through the original weight, plus the old bias.
  auto biasType = RankedTensorType::get(
      {weightType.getDimSize(0)},
      cast<RankedTensorType>(norm.getBias().getType()).getElementType());
  Value shifted =
      LinearOp::create(b, loc, biasType, norm.getBias(), weight, bias);
  return {scaled, shifted};
}

/// Replaces a LayerNorm reading the centered stream by an RMSNorm, and
/// folds its beta (and gamma, when exact) into its readers.
void rewriteNorm(LayerNormOp norm) {
  OpBuilder b(norm);
  Location loc = norm.getLoc();
  bool foldScale = foldsScale(norm);
  Value scale = norm.getWeight();
  if (foldScale) {
    auto type = cast<RankedTensorType>(scale.getType());
    scale = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), 1.0)));
  }
  LLVM_DEBUG(llvm::dbgs() << "[" DEBUG_TYPE "] " << norm << ": "
                          << (foldScale ? "gamma and beta fold"
                                        : "beta folds, gamma stays")
                          << " into " << std::distance(norm->user_begin(),
                                                       norm->user_end())
                          << " readers\n");
  Value rms = RmsNormOp::create(b, loc, norm.getType(), norm.getInput(), scale,
                                norm.getEpsilonAttr());
  for (Operation *user : llvm::make_early_inc_range(norm->getUsers())) {
    b.setInsertionPoint(user);
    Location userLoc = user->getLoc();
    if (auto linear = dyn_cast<LinearOp>(user)) {
      auto [weight, bias] = foldNorm(b, userLoc, norm, foldScale,
                                     linear.getWeight(), linear.getBias());
      Value folded = LinearOp::create(b, userLoc, linear.getType(), rms,
                                      weight, bias, linear.getComputeAttr(),
                                      linear.getBackendAttr());
      linear.getResult().replaceAllUsesWith(folded);
      linear.erase();
      continue;
    }
    auto ffn = cast<FfnOp>(user);
    auto [up, upBias] =
        foldNorm(b, userLoc, norm, foldScale, ffn.getUp(), ffn.getUpBias());
    Value folded = FfnOp::create(b, userLoc, ffn.getType(), ffn.getKind(), rms,
                                 up, /*gate=*/Value(), /*gate_up=*/Value(),
                                 ffn.getDown(), upBias, ffn.getDownBias(),
                                 ffn.getComputeAttr(), ffn.getBackendAttr());
    ffn.getResult().replaceAllUsesWith(folded);
    ffn.erase();
  }
  norm.erase();
}

struct XFPreLayerNormToRmsNormPass
    : xf::impl::XFPreLayerNormToRmsNormBase<XFPreLayerNormToRmsNormPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LayerNormOp> norms;
    module.walk([&](LayerNormOp norm) { norms.push_back(norm); });
    if (norms.empty()) {
      RmsNormOp rms;
      module.walk([&](RmsNormOp op) {
        rms = op;
        return WalkResult::interrupt();
      });
      if (rms)
        rms.emitRemark() << "not rewritten to RMSNorm: the model has no "
                            "LayerNorm (it normalizes with RMSNorm already)";
      LLVM_DEBUG(llvm::dbgs() << "[" DEBUG_TYPE "] no xf.layer_norm\n");
      return;
    }

    StreamFinder finder(module);
    llvm::DenseSet<Operation *> seen;
    SmallVector<ResidualStream> accepted;
    for (LayerNormOp norm : norms) {
      if (seen.contains(norm))
        continue;
      ResidualStream stream = finder.find(norm.getInput());
      for (LayerNormOp reader : stream.norms)
        seen.insert(reader);
      if (!stream.refusal)
        for (LayerNormOp reader : stream.norms)
          if ((stream.refusal = checkFoldable(reader)))
            break;
      LLVM_DEBUG(llvm::dbgs()
                 << "[" DEBUG_TYPE "] stream of " << stream.values.size()
                 << " values, " << stream.norms.size() << " LayerNorms, "
                 << stream.writers.size() << " writers: "
                 << (stream.refusal ? "refused" : "rewriting") << "\n");
      if (stream.refusal) {
        emitRemark(stream.refusal->loc)
            << "not rewritten to RMSNorm: " << stream.refusal->reason;
        continue;
      }
      accepted.push_back(std::move(stream));
    }

    // All writers first, in place: a projection that both reads a
    // LayerNorm and writes a stream is centered, then replaced by one that
    // also takes gamma and beta (centering rows and scaling columns
    // commute).
    for (ResidualStream &stream : accepted)
      for (Operation *writer : stream.writers)
        centerWriter(writer);
    for (ResidualStream &stream : accepted)
      for (LayerNormOp norm : stream.norms)
        rewriteNorm(norm);
  }
};

} // namespace
