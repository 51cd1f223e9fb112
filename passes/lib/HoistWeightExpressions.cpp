//===- HoistWeightExpressions.cpp - Weight computations to derived weights ===//
//
// Graph passes express weight rewrites (concatenations, folded norms,
// quantization) as ordinary xf ops on weight values. This pass moves every
// such computation out of the code and into an `xf.global_weight` with an
// initializer region, which the compiler evaluates once when it writes the
// weight blob. Weights reach private functions as arguments (the importer's
// shared layer functions), so computations on arguments are first moved
// into the callers, where the arguments are `xf.weight` values again.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/CallUtils.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "xf-hoist-weight-expressions"

namespace mlir::xf {
#define GEN_PASS_DEF_XFHOISTWEIGHTEXPRESSIONS
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Ops that start an expression: a weight, or a float tensor constant.
bool isLeaf(Operation *op) {
  if (isa<WeightOp>(op))
    return true;
  auto constant = dyn_cast<arith::ConstantOp>(op);
  return constant && isa<RankedTensorType>(constant.getType());
}

/// Whether `op` may be computed at compile time when its operands are.
bool isHoistable(Operation *op) {
  if (!isa<XFDialect>(op->getDialect()) || op->getNumResults() != 1 ||
      op->getNumRegions() != 0 || !isMemoryEffectFree(op) || isa<WeightOp>(op))
    return false;
  return llvm::all_of(op->getOperandTypes(), [](Type t) {
    return isa<RankedTensorType, QTensorType>(t);
  });
}

/// The bits per element of the narrowest input that `op` expands
/// (dequantization, a widening conversion), if it expands one.
std::optional<unsigned> expandedFrom(Operation *op) {
  if (!isa<DequantizeOp, ConvertOp>(op))
    return std::nullopt;
  unsigned from = storedBits(op->getOperand(0).getType());
  if (from >= storedBits(op->getResult(0).getType()))
    return std::nullopt;
  return from;
}

/// The ops that compute `root` from leaves and arguments, in order.
SmallVector<Operation *> expressionOf(Operation *root) {
  llvm::SetVector<Operation *> ops;
  SmallVector<Operation *> worklist = {root};
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!ops.insert(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
  }
  SmallVector<Operation *> sorted(ops.begin(), ops.end());
  llvm::sort(sorted,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return sorted;
}

/// The values of one function that depend only on weights: leaves, and
/// hoistable ops over them. `weightArgs` are the arguments that receive
/// weights at every call.
struct WeightValues {
  llvm::DenseSet<Value> values;

  WeightValues(func::FuncOp func, const llvm::DenseSet<Value> &weightArgs) {
    values.insert(weightArgs.begin(), weightArgs.end());
    func.walk([&](Operation *op) {
      if (isLeaf(op) ||
          (isHoistable(op) && llvm::all_of(op->getOperands(), [&](Value v) {
             return values.contains(v);
           })))
        values.insert(op->getResult(0));
    });
  }

  bool contains(Value v) const { return values.contains(v); }

  /// Results of hoistable ops that code outside the expressions reads: each
  /// is the root of an expression worth hoisting.
  SmallVector<Operation *> roots(func::FuncOp func) const {
    SmallVector<Operation *> result;
    func.walk([&](Operation *op) {
      if (isLeaf(op) || op->getNumResults() != 1 ||
          !contains(op->getResult(0)))
        return;
      if (llvm::any_of(op->getResult(0).getUsers(), [&](Operation *user) {
            return user->getNumResults() != 1 ||
                   !contains(user->getResult(0));
          }))
        addRoot(op, result);
    });
    return result;
  }

private:
  /// Adds `op` as a root, unless its value is stored wider than a weight it
  /// expands: that would store the weight expanded, which is what
  /// quantization and narrow types avoid. Such an expression stays in the
  /// code, and its operands are the roots. (Dequantizing, folding an
  /// adapter and requantizing is hoisted whole.)
  void addRoot(Operation *op, SmallVector<Operation *> &result) const {
    unsigned bits = storedBits(op->getResult(0).getType());
    bool expands = false;
    for (Operation *inner : expressionOf(op))
      if (std::optional<unsigned> from = expandedFrom(inner))
        expands |= *from < bits;
    if (!expands) {
      result.push_back(op);
      return;
    }
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        if (!isLeaf(def) && contains(operand) &&
            !llvm::is_contained(result, def))
          addRoot(def, result);
  }
};

/// Erases the ops of `expression` that nothing uses any more.
void eraseDead(ArrayRef<Operation *> expression) {
  for (Operation *op : llvm::reverse(expression))
    if (op->use_empty())
      op->erase();
}

struct XFHoistWeightExpressionsPass
    : xf::impl::XFHoistWeightExpressionsBase<XFHoistWeightExpressionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    byInitializer.clear();
    // Each move into callers may expose expressions one call level up.
    for (bool changed = true; changed;) {
      changed = false;
      for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
        changed |= moveIntoCallers(func);
    }
    for (auto func : module.getOps<func::FuncOp>())
      if (failed(hoistIntoGlobals(func)))
        return signalPassFailure();
  }

  /// The arguments of `func` that receive a weight value at every call.
  llvm::DenseSet<Value> weightArguments(func::FuncOp func) {
    llvm::DenseSet<Value> args;
    std::optional<SmallVector<func::CallOp>> calls =
        onlyCallsOf(func, getOperation());
    // Recursive calls are not followed: their arguments count as unknown.
    if (!calls || calls->empty() || !visiting.insert(func).second)
      return args;
    llvm::scope_exit done([&] { visiting.erase(func); });
    llvm::DenseMap<func::FuncOp, WeightValues> callers;
    for (BlockArgument arg : func.getArguments()) {
      bool weight = llvm::all_of(*calls, [&](func::CallOp call) {
        auto caller = call->getParentOfType<func::FuncOp>();
        auto it = callers.find(caller);
        if (it == callers.end())
          it = callers.try_emplace(caller, caller, weightArguments(caller))
                   .first;
        return it->second.contains(call.getOperand(arg.getArgNumber()));
      });
      if (weight)
        args.insert(arg);
    }
    return args;
  }

  /// Moves the expressions over weight arguments of `func` into its
  /// callers, which pass their results as new arguments. Returns whether
  /// anything moved.
  bool moveIntoCallers(func::FuncOp func) {
    llvm::DenseSet<Value> weightArgs = weightArguments(func);
    if (weightArgs.empty())
      return false;
    WeightValues weights(func, weightArgs);
    SmallVector<func::CallOp> calls = *onlyCallsOf(func, getOperation());
    bool changed = false;
    for (Operation *root : weights.roots(func)) {
      SmallVector<Operation *> expression = expressionOf(root);
      bool readsArguments = llvm::any_of(expression, [&](Operation *op) {
        return llvm::any_of(op->getOperands(), [&](Value v) {
          return weightArgs.contains(v);
        });
      });
      if (!readsArguments)
        continue; // hoisted into a global where it is
      LLVM_DEBUG(llvm::dbgs() << "moving into the callers of @"
                              << func.getSymName() << ": " << *root << "\n");
      unsigned index = func.getNumArguments();
      Value result = root->getResult(0);
      if (failed(func.insertArgument(index, result.getType(), {},
                                     root->getLoc())))
        return changed;
      for (func::CallOp call : calls) {
        OpBuilder builder(call);
        IRMapping mapping;
        mapping.map(func.getArguments().drop_back(), call.getOperands());
        for (Operation *op : expression)
          builder.clone(*op, mapping);
        call->insertOperands(call->getNumOperands(), mapping.lookup(result));
      }
      result.replaceAllUsesWith(func.getArgument(index));
      eraseDead(expression);
      changed = true;
    }
    if (changed)
      eraseUnusedWeightArguments(func, weightArgs, calls);
    return changed;
  }

  void eraseUnusedWeightArguments(func::FuncOp func,
                                  const llvm::DenseSet<Value> &weightArgs,
                                  ArrayRef<func::CallOp> calls) {
    llvm::BitVector unused(func.getNumArguments());
    for (BlockArgument arg : func.getArguments())
      if (weightArgs.contains(arg) && arg.use_empty())
        unused.set(arg.getArgNumber());
    if (unused.none())
      return;
    (void)func.eraseArguments(unused);
    for (func::CallOp call : calls) {
      SmallVector<Operation *> feeders;
      for (int i = unused.find_last(); i >= 0; i = unused.find_prev(i)) {
        if (Operation *def = call.getOperand(i).getDefiningOp())
          feeders.push_back(def);
        call->eraseOperand(i);
      }
      // The weights nothing else reads in the caller.
      for (Operation *def : feeders)
        if (def->use_empty() && isLeaf(def))
          def->erase();
    }
  }

  /// Replaces each expression over weights in `func` by a load of a derived
  /// weight holding its value. Identical expressions share one weight.
  LogicalResult hoistIntoGlobals(func::FuncOp func) {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    WeightValues weights(func, /*weightArgs=*/{});
    for (Operation *root : weights.roots(func)) {
      SmallVector<Operation *> expression = expressionOf(root);
      Value result = root->getResult(0);
      auto global = createDerivedWeight(symbols, expression, result);
      if (!global)
        return root->emitError() << "cannot hoist a weight computation of "
                                 << result.getType();
      OpBuilder builder(root);
      Value load = WeightOp::create(builder, root->getLoc(), result.getType(),
                                    global.getSymName());
      result.replaceAllUsesWith(load);
      eraseDead(expression);
    }
    return success();
  }

  /// A private global computing `result` from the ops of `expression`, or
  /// an existing one with an identical initializer.
  GlobalWeightOp createDerivedWeight(SymbolTable &symbols,
                                     ArrayRef<Operation *> expression,
                                     Value result) {
    ModuleOp module = getOperation();
    OpBuilder builder(module.getBody(), module.getBody()->end());
    // Named after the first weight it reads and the op producing it.
    std::string name = "derived";
    for (Operation *op : expression)
      if (auto w = dyn_cast<WeightOp>(op)) {
        name = w.getName().str();
        break;
      }
    name += "." + result.getDefiningOp()->getName().stripDialect().str();
    // Created unnamed so that the printed op is the structural key.
    auto global = GlobalWeightOp::create(
        builder, result.getLoc(), builder.getStringAttr(""),
        builder.getStringAttr("private"), TypeAttr::get(result.getType()));
    builder.createBlock(&global.getInitializer());
    IRMapping mapping;
    for (Operation *op : expression)
      builder.clone(*op, mapping);
    YieldOp::create(builder, result.getLoc(), mapping.lookup(result));

    std::string key;
    llvm::raw_string_ostream os(key);
    global->print(os, OpPrintingFlags().useLocalScope().printGenericOpForm());
    if (GlobalWeightOp existing = byInitializer.lookup(key)) {
      global.erase();
      return existing;
    }
    global.setSymName(name);
    symbols.insert(global); // renames on collision
    byInitializer[key] = global;
    return global;
  }

  llvm::StringMap<GlobalWeightOp> byInitializer;
  llvm::SmallPtrSet<Operation *, 4> visiting;
};

} // namespace
