//===- ForallToParallelFor.cpp - scf.forall on the runtime's thread pool ---===//
//
// Outlines the body of each outermost scf.forall into a function over a
// chunk [begin, end) of the linearized iteration space and replaces the
// loop with a call of xfm_parallel_for (ModelABI.h), passing the values
// the body uses in a stack struct. Runs after bufferization, before the
// conversion to LLVM.
//
//===----------------------------------------------------------------------===//

#include "xfc/Lowering/Passes.h"

#include "mlir/Conversion/LLVMCommon/LoweringOptions.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFFORALLTOPARALLELFOR
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;

namespace {

/// The loop's iteration space: per dimension the lower bound, step and trip
/// count, as constants where they are static.
struct IterationSpace {
  SmallVector<OpFoldResult> lbs, steps, counts;
};

/// Trip counts max(0, ceil((ub - lb) / step)), computed before the loop.
IterationSpace tripCounts(OpBuilder &b, scf::ForallOp loop) {
  Location loc = loop.getLoc();
  IterationSpace space;
  space.lbs = loop.getMixedLowerBound();
  space.steps = loop.getMixedStep();
  for (auto [lb, ub, step] :
       llvm::zip(space.lbs, loop.getMixedUpperBound(), space.steps)) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (l && u && s && *s > 0) {
      space.counts.push_back(
          b.getIndexAttr(std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s))));
      continue;
    }
    // Only the arithmetic the dynamic values need.
    auto value = [&](OpFoldResult v) {
      return getValueOrCreateConstantIndexOp(b, loc, v);
    };
    Value count = value(ub);
    if (l != 0)
      count = arith::SubIOp::create(b, loc, count, value(lb));
    if (s != 1)
      count = arith::CeilDivSIOp::create(b, loc, count, value(step));
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    space.counts.push_back(
        Value(arith::MaxSIOp::create(b, loc, count, zero)));
  }
  return space;
}

/// A value the outlined body needs from the caller.
struct Capture {
  Value value;
  Type llvmType; // its field type in the context struct
};

class ForallOutliner {
public:
  ForallOutliner(ModuleOp module, StringRef callee)
      : module(module), symbols(module), callee(callee),
        converter(module.getContext(),
                  LowerToLLVMOptions(module.getContext(), DataLayout(module))) {
  }

  LogicalResult run(scf::ForallOp loop);

private:
  FailureOr<func::FuncOp> runtimeFunction(Location loc);
  func::FuncOp outline(scf::ForallOp loop, FunctionOpInterface parent,
                       const IterationSpace &space,
                       ArrayRef<Capture> captures, ArrayRef<Value> constants);
  Value packContext(OpBuilder &b, scf::ForallOp loop,
                    FunctionOpInterface parent, ArrayRef<Capture> captures);

  ModuleOp module;
  SymbolTable symbols;
  std::string callee;
  LLVMTypeConverter converter;
  DenseMap<Operation *, unsigned> loopsPerFunction;
  DenseMap<Operation *, Operation *> lastOutlined;
};

/// The body signature: (ctx, begin, end) -> ().
FunctionType bodyType(MLIRContext *ctx) {
  Type i64 = IntegerType::get(ctx, 64);
  return FunctionType::get(ctx, {LLVM::LLVMPointerType::get(ctx), i64, i64},
                           {});
}

FailureOr<func::FuncOp> ForallOutliner::runtimeFunction(Location loc) {
  MLIRContext *ctx = module.getContext();
  auto type = FunctionType::get(
      ctx,
      {IntegerType::get(ctx, 64), bodyType(ctx), LLVM::LLVMPointerType::get(ctx)},
      {});
  if (Operation *existing = symbols.lookup(callee)) {
    auto func = dyn_cast<func::FuncOp>(existing);
    if (!func || func.getFunctionType() != type)
      return emitError(loc) << "'" << callee << "' is already defined with "
                            << "another type than " << type;
    return func;
  }
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto func = func::FuncOp::create(b, loc, callee, type);
  func.setPrivate();
  symbols.insert(func);
  return func;
}

Value ForallOutliner::packContext(OpBuilder &b, scf::ForallOp loop,
                                  FunctionOpInterface parent,
                                  ArrayRef<Capture> captures) {
  MLIRContext *ctx = b.getContext();
  Location loc = loop.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  if (captures.empty())
    return LLVM::ZeroOp::create(b, loc, ptrType);
  SmallVector<Type> fields;
  for (const Capture &c : captures)
    fields.push_back(c.llvmType);
  auto structType = LLVM::LLVMStructType::getLiteral(ctx, fields);

  // One slot per loop in the entry block, so that a loop inside another
  // loop does not grow the stack.
  OpBuilder entry = OpBuilder::atBlockBegin(&parent.getFunctionBody().front());
  Value one = arith::ConstantIntOp::create(entry, loc, 1, 64);
  Value slot = LLVM::AllocaOp::create(entry, loc, ptrType, structType, one,
                                      /*alignment=*/8);

  Value packed = LLVM::PoisonOp::create(b, loc, structType);
  for (auto [i, c] : llvm::enumerate(captures)) {
    Value field = c.value;
    if (field.getType().isIndex())
      field = arith::IndexCastOp::create(b, loc, c.llvmType, field);
    else if (field.getType() != c.llvmType)
      field = UnrealizedConversionCastOp::create(b, loc, c.llvmType, field)
                  .getResult(0);
    packed = LLVM::InsertValueOp::create(b, loc, packed, field,
                                         ArrayRef<int64_t>{int64_t(i)});
  }
  LLVM::StoreOp::create(b, loc, packed, slot);
  return slot;
}

func::FuncOp ForallOutliner::outline(scf::ForallOp loop,
                                     FunctionOpInterface parent,
                                     const IterationSpace &space,
                                     ArrayRef<Capture> captures,
                                     ArrayRef<Value> constants) {
  MLIRContext *ctx = loop.getContext();
  Location loc = loop.getLoc();
  std::string name = (SymbolTable::getSymbolName(parent).getValue() +
                      "_forall" + Twine(loopsPerFunction[parent]++))
                         .str();
  // After the parent and the bodies outlined from it before, in order.
  Operation *&previous = lastOutlined[parent];
  OpBuilder moduleBuilder(ctx);
  moduleBuilder.setInsertionPointAfter(previous ? previous : parent);
  auto func = func::FuncOp::create(moduleBuilder, loc, name, bodyType(ctx));
  func.setPrivate();
  // Called through a pointer from the stub only: not a symbol of the .so.
  func->setAttr("llvm.linkage",
                LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  symbols.insert(func); // renames on a clash
  previous = func;

  Block *entry = func.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  IRMapping mapping;
  for (Value c : constants)
    mapping.map(c, b.clone(*c.getDefiningOp())->getResult(0));
  if (!captures.empty()) {
    SmallVector<Type> fields;
    for (const Capture &c : captures)
      fields.push_back(c.llvmType);
    auto structType = LLVM::LLVMStructType::getLiteral(ctx, fields);
    Value packed =
        LLVM::LoadOp::create(b, loc, structType, entry->getArgument(0));
    for (auto [i, c] : llvm::enumerate(captures)) {
      Value field = LLVM::ExtractValueOp::create(b, loc, packed,
                                                 ArrayRef<int64_t>{int64_t(i)});
      if (c.value.getType().isIndex())
        field = arith::IndexCastOp::create(b, loc, b.getIndexType(), field);
      else if (c.value.getType() != c.llvmType)
        field = UnrealizedConversionCastOp::create(b, loc, c.value.getType(),
                                                   field)
                    .getResult(0);
      mapping.map(c.value, field);
    }
  }

  // for %i = begin to end: recover the induction variables, run the body.
  auto index = [&](Value v) {
    return Value(arith::IndexCastOp::create(b, loc, b.getIndexType(), v));
  };
  auto valueOf = [&](OpFoldResult v) {
    if (auto attr = dyn_cast<Attribute>(v))
      return Value(arith::ConstantIndexOp::create(
          b, loc, cast<IntegerAttr>(attr).getInt()));
    return mapping.lookup(cast<Value>(v));
  };
  Value begin = index(entry->getArgument(1));
  Value end = index(entry->getArgument(2));
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto chunk = scf::ForOp::create(b, loc, begin, end, one);
  b.setInsertionPointToStart(chunk.getBody());
  Value rest = chunk.getInductionVar();
  SmallVector<Value> ivs(loop.getRank());
  for (int64_t d = loop.getRank() - 1; d >= 0; --d) {
    Value position = rest;
    if (d > 0) {
      Value count = valueOf(space.counts[d]);
      position = b.createOrFold<arith::RemUIOp>(loc, rest, count);
      rest = b.createOrFold<arith::DivUIOp>(loc, rest, count);
    }
    Value iv = position;
    if (getConstantIntValue(space.steps[d]) != 1)
      iv = b.createOrFold<arith::MulIOp>(loc, iv, valueOf(space.steps[d]));
    if (getConstantIntValue(space.lbs[d]) != 0)
      iv = b.createOrFold<arith::AddIOp>(loc, iv, valueOf(space.lbs[d]));
    ivs[d] = iv;
  }
  mapping.map(loop.getInductionVars(), ivs);
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);

  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc);
  return func;
}

LogicalResult ForallOutliner::run(scf::ForallOp loop) {
  if (loop.getNumResults() != 0)
    return loop.emitOpError("has results: bufferize before running it on "
                            "the thread pool");
  auto parent = loop->getParentOfType<FunctionOpInterface>();
  if (!parent)
    return loop.emitOpError("is not inside a function");
  Location loc = loop.getLoc();
  FailureOr<func::FuncOp> runtime = runtimeFunction(loc);
  if (failed(runtime))
    return failure();

  // Only the outermost loop is parallel: nested ones become scf.for nests.
  SmallVector<scf::ForallOp> nested;
  loop.getBody()->walk([&](scf::ForallOp inner) { nested.push_back(inner); });
  IRRewriter rewriter(loop.getContext());
  for (scf::ForallOp inner : nested) { // inner loops first (post-order)
    rewriter.setInsertionPoint(inner);
    if (failed(scf::forallToForLoop(rewriter, inner)))
      return inner.emitOpError("cannot be made serial");
  }

  OpBuilder b(loop);
  IterationSpace space = tripCounts(b, loop);

  // Values from above: constants are cloned, the rest travel in the struct.
  SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  // The body also needs the dynamic bounds: lbs and steps to form the
  // induction variables, the counts of inner dimensions to delinearize.
  for (ArrayRef<OpFoldResult> list :
       {ArrayRef(space.lbs), ArrayRef(space.steps),
        ArrayRef(space.counts).drop_front()})
    for (OpFoldResult v : list)
      if (auto value = dyn_cast<Value>(v))
        used.insert(value);
  SmallVector<Capture> captures;
  SmallVector<Value> constants;
  for (Value v : used) {
    Operation *def = v.getDefiningOp();
    if (def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
        def->hasTrait<OpTrait::ConstantLike>()) {
      constants.push_back(v);
      continue;
    }
    Type llvmType = converter.convertType(v.getType());
    if (!llvmType)
      return loop.emitOpError("uses a value of type ")
             << v.getType() << " that cannot be passed to a thread";
    captures.push_back({v, llvmType});
  }

  func::FuncOp body = outline(loop, parent, space, captures, constants);
  Value ctx = packContext(b, loop, parent, captures);
  // n = the product of the trip counts, static ones folded.
  int64_t staticTotal = 1;
  Value total;
  for (OpFoldResult count : space.counts) {
    if (std::optional<int64_t> c = getConstantIntValue(count)) {
      staticTotal *= *c;
      continue;
    }
    total = total ? arith::MulIOp::create(b, loc, total, cast<Value>(count))
                  : cast<Value>(count);
  }
  Value n;
  if (total)
    n = arith::IndexCastOp::create(b, loc, b.getI64Type(), total);
  if (!n || staticTotal != 1) {
    Value c = arith::ConstantIntOp::create(b, loc, staticTotal, 64);
    n = n ? arith::MulIOp::create(b, loc, n, c) : c;
  }
  Value fn = func::ConstantOp::create(b, loc, body.getFunctionType(),
                                      SymbolRefAttr::get(body));
  func::CallOp::create(b, loc, *runtime, ValueRange{n, fn, ctx});
  loop.erase();
  return success();
}

struct XFForallToParallelForPass
    : xf::impl::XFForallToParallelForBase<XFForallToParallelForPass> {
  using XFForallToParallelForBase::XFForallToParallelForBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ForallOp> outermost;
    module.walk([&](scf::ForallOp loop) {
      if (!loop->getParentOfType<scf::ForallOp>())
        outermost.push_back(loop);
    });
    if (outermost.empty())
      return;
    ForallOutliner outliner(module, callee);
    for (scf::ForallOp loop : outermost)
      if (failed(outliner.run(loop)))
        return signalPassFailure();
  }
};

} // namespace
