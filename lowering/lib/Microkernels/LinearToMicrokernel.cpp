//===- LinearToMicrokernel.cpp - xf.linear as xfk_linear calls ------------===//
//
// The contraction that dominates every transformer step runs in the
// hand-tuned microkernels of lowering/ukernels. The call works on buffers:
// operands enter through read-only `bufferization.to_buffer`, the result is
// a fresh buffer handed back with `bufferization.to_tensor restrict`, so
// one-shot bufferization treats the call as opaque and still needs no
// copies. Addresses cross the call as i64 (see xfk/Kernels.h).
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"
#include "xfk/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFLINEARTOMICROKERNEL
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr StringLiteral kLinearKernel = "xfk_linear";

/// The kernel's code for a weight element type, if it has one.
std::optional<XfkWeightKind> weightKind(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getRank() != 2 || !tensor.hasStaticShape())
    return std::nullopt;
  Type element = tensor.getElementType();
  if (element.isF32())
    return XFK_W_F32;
  if (element.isF16())
    return XFK_W_F16;
  if (element.isBF16())
    return XFK_W_BF16;
  return std::nullopt;
}

/// A memref type of `shape` with a fully dynamic strided layout: whatever
/// layout bufferization gives the tensor casts to it.
MemRefType anyLayout(ArrayRef<int64_t> shape, Type element) {
  SmallVector<int64_t> strides(shape.size(), ShapedType::kDynamic);
  return MemRefType::get(
      shape, element,
      StridedLayoutAttr::get(element.getContext(), ShapedType::kDynamic,
                             strides));
}

Value i64(OpBuilder &b, Location loc, Value index) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
}

Value constI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

/// A buffer's first element's address and its outermost stride (elements).
std::pair<Value, Value> addressAndRowStride(OpBuilder &b, Location loc,
                                            Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  int64_t bytes = type.getElementTypeBitWidth() / 8;
  Value offsetBytes = arith::MulIOp::create(
      b, loc, meta.getOffset(), arith::ConstantIndexOp::create(b, loc, bytes));
  Value address = arith::AddIOp::create(b, loc, base, offsetBytes);
  return {i64(b, loc, address), i64(b, loc, meta.getStrides().front())};
}

struct XFLinearToMicrokernelPass
    : xf::impl::XFLinearToMicrokernelBase<XFLinearToMicrokernelPass> {
  using XFLinearToMicrokernelBase::XFLinearToMicrokernelBase;

  void runOnOperation() override {
    if (minChunk < 1 || maxChunks < 1) {
      getOperation().emitError() << "min-chunk and max-chunks must be >= 1";
      return signalPassFailure();
    }
    SmallVector<LinearOp> linears;
    getOperation().walk([&](LinearOp op) {
      if (covered(op))
        linears.push_back(op);
    });
    if (linears.empty())
      return;
    func::FuncOp kernel = declareKernel();
    for (LinearOp op : linears)
      rewrite(op, kernel);
  }

  static bool covered(LinearOp op) {
    auto input = op.getInput().getType();
    return input.getElementType().isF32() && op.getType().getElementType().isF32() &&
           weightKind(op.getWeight().getType()) &&
           (!op.getBias() || op.getBias().getType().getElementType().isF32());
  }

  func::FuncOp declareKernel() {
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(kLinearKernel))
      return existing;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    SmallVector<Type> args(12, b.getI64Type());
    auto kernel = func::FuncOp::create(b, module.getLoc(), kLinearKernel,
                                       b.getFunctionType(args, {}));
    kernel.setPrivate();
    return kernel;
  }

  void rewrite(LinearOp op, func::FuncOp kernel) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    RankedTensorType inType = op.getInput().getType(), outType = op.getType();
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
    f32 = b.getF32Type();

    // Rows: every leading dimension collapsed into one.
    Value x = op.getInput();
    SmallVector<ReassociationIndices> rows;
    if (inType.getRank() == 1) {
      x = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1, k}, f32), x,
          SmallVector<ReassociationIndices>{{0, 1}});
    } else if (inType.getRank() > 2) {
      ReassociationIndices leading;
      for (int64_t i = 0; i + 1 < inType.getRank(); ++i)
        leading.push_back(i);
      rows = {leading, {inType.getRank() - 1}};
      x = tensor::CollapseShapeOp::create(b, loc, x, rows);
    }
    Value m = tensor::DimOp::create(b, loc, x, 0);

    auto toBuffer = [&](Value tensor) {
      auto type = cast<RankedTensorType>(tensor.getType());
      return bufferization::ToBufferOp::create(
          b, loc, anyLayout(type.getShape(), type.getElementType()), tensor,
          /*read_only=*/true);
    };
    auto [xAddr, ldx] = addressAndRowStride(b, loc, toBuffer(x));
    auto [wAddr, ldwElems] = addressAndRowStride(b, loc, toBuffer(op.getWeight()));
    Value ldw = arith::MulIOp::create(
        b, loc, ldwElems, constI64(b, loc, wType.getElementTypeBitWidth() / 8));
    Value biasAddr = constI64(b, loc, 0);
    if (Value bias = op.getBias())
      biasAddr = addressAndRowStride(b, loc, toBuffer(bias)).first;
    Value y = memref::AllocOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, n}, f32), ValueRange{m},
        b.getI64IntegerAttr(64));
    Value yAddr = addressAndRowStride(b, loc, y).first;

    // Output features in chunks: one kernel call per parallel iteration.
    int64_t chunk = std::max<int64_t>(minChunk, (n + maxChunks - 1) / maxChunks);
    chunk = (chunk + 3) / 4 * 4;
    int64_t chunks = (n + chunk - 1) / chunk;
    Value kind = constI64(b, loc, *weightKind(wType));
    Value kValue = constI64(b, loc, k), nValue = constI64(b, loc, n);
    Value rowsI64 = i64(b, loc, m);
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(chunks)},
        ValueRange{}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value c = i64(b, loc, forall.getInductionVar(0));
      Value n0 = arith::MulIOp::create(b, loc, c, constI64(b, loc, chunk));
      Value n1 = arith::MinSIOp::create(
          b, loc, arith::AddIOp::create(b, loc, n0, constI64(b, loc, chunk)),
          nValue);
      Value yChunk = arith::AddIOp::create(
          b, loc, yAddr,
          arith::MulIOp::create(b, loc, n0, constI64(b, loc, 4)));
      func::CallOp::create(b, loc, kernel,
                           ValueRange{kind, xAddr, ldx, wAddr, ldw, biasAddr,
                                      yChunk, nValue, rowsI64, kValue, n0,
                                      n1});
    }
    Value result = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get({ShapedType::kDynamic, n}, f32), y,
        /*restrict=*/b.getUnitAttr(), /*writable=*/b.getUnitAttr());
    if (outType.getRank() == 1)
      result = tensor::CollapseShapeOp::create(
          b, loc, result, SmallVector<ReassociationIndices>{{0, 1}});
    else if (outType.getRank() > 2) {
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(b, loc, op.getInput());
      sizes.back() = b.getIndexAttr(n);
      result = tensor::ExpandShapeOp::create(b, loc, outType, result, rows,
                                             sizes);
    }
    if (result.getType() != outType)
      result = tensor::CastOp::create(b, loc, outType, result);
    op.replaceAllUsesWith(result);
    op.erase();
  }

  Type f32;
};

} // namespace
