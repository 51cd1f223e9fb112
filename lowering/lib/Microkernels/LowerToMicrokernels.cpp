//===- LowerToMicrokernels.cpp - xf.linear as xfk_linear calls ------------===//
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
#define GEN_PASS_DEF_XFLOWERTOMICROKERNELS
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr StringLiteral kLinearKernel = "xfk_linear";
constexpr StringLiteral kEmbeddingKernel = "xfk_embedding";

/// A weight as the kernels read it: its kind and the tensor holding its
/// data (a quantized weight's bytes, which xf-bind-weights casts back to
/// the !xf.qtensor type).
struct KernelWeight {
  XfkWeightKind kind;
  Value data;
  int64_t rows, cols, rowBytes;
};

std::optional<KernelWeight> kernelWeight(Value weight) {
  if (auto q = dyn_cast<QTensorType>(weight.getType())) {
    auto cast = weight.getDefiningOp<UnrealizedConversionCastOp>();
    std::optional<int64_t> block = q.getGgmlBlockBytes();
    if (!cast || !block || q.getRank() != 2)
      return std::nullopt;
    QuantSchemeAttr scheme = q.getScheme();
    XfkWeightKind kind = scheme.getBits() == 8 ? XFK_W_Q8_0
                         : scheme.getMode() == QuantMode::min_offset
                             ? XFK_W_Q4_1
                             : XFK_W_Q4_0;
    int64_t cols = q.getShape()[1];
    return KernelWeight{kind, cast.getOperand(0), q.getShape()[0], cols,
                        cols / 32 * *block};
  }
  auto tensor = dyn_cast<RankedTensorType>(weight.getType());
  if (!tensor || tensor.getRank() != 2 || !tensor.hasStaticShape())
    return std::nullopt;
  Type element = tensor.getElementType();
  std::optional<XfkWeightKind> kind;
  if (element.isF32())
    kind = XFK_W_F32;
  else if (element.isF16())
    kind = XFK_W_F16;
  else if (element.isBF16())
    kind = XFK_W_BF16;
  if (!kind)
    return std::nullopt;
  int64_t cols = tensor.getDimSize(1);
  return KernelWeight{*kind, weight, tensor.getDimSize(0), cols,
                      cols * element.getIntOrFloatBitWidth() / 8};
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

struct XFLowerToMicrokernelsPass
    : xf::impl::XFLowerToMicrokernelsBase<XFLowerToMicrokernelsPass> {
  using XFLowerToMicrokernelsBase::XFLowerToMicrokernelsBase;

  void runOnOperation() override {
    if (minChunk < 1 || maxChunks < 1) {
      getOperation().emitError() << "min-chunk and max-chunks must be >= 1";
      return signalPassFailure();
    }
    SmallVector<LinearOp> linears;
    SmallVector<EmbeddingOp> embeddings;
    getOperation().walk([&](Operation *op) {
      if (auto linear = dyn_cast<LinearOp>(op); linear && covered(linear))
        linears.push_back(linear);
      if (auto embedding = dyn_cast<EmbeddingOp>(op);
          embedding && covered(embedding))
        embeddings.push_back(embedding);
    });
    for (LinearOp op : linears)
      rewrite(op, declareKernel(kLinearKernel, 12));
    for (EmbeddingOp op : embeddings)
      rewrite(op, declareKernel(kEmbeddingKernel, 7));
    // The casts of quantized bytes that only the kernels read.
    getOperation().walk([](UnrealizedConversionCastOp cast) {
      if (cast->use_empty() && isa<QTensorType>(cast.getType(0)))
        cast->erase();
    });
  }

  static bool covered(LinearOp op) {
    auto input = op.getInput().getType();
    return input.getElementType().isF32() &&
           op.getType().getElementType().isF32() &&
           kernelWeight(op.getWeight()) &&
           (!op.getBias() || op.getBias().getType().getElementType().isF32());
  }

  static bool covered(EmbeddingOp op) {
    return op.getType().getElementType().isF32() &&
           op.getIds().getType().getElementType().isInteger(32) &&
           kernelWeight(op.getTable());
  }

  func::FuncOp declareKernel(StringRef name, unsigned arguments) {
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    SmallVector<Type> args(arguments, b.getI64Type());
    auto kernel = func::FuncOp::create(b, module.getLoc(), name,
                                       b.getFunctionType(args, {}));
    kernel.setPrivate();
    return kernel;
  }

  /// Read-only access to a tensor's buffer.
  static Value toBuffer(OpBuilder &b, Location loc, Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    return bufferization::ToBufferOp::create(
        b, loc, anyLayout(type.getShape(), type.getElementType()), tensor,
        /*read_only=*/true);
  }

  void rewrite(EmbeddingOp op, func::FuncOp kernel) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    KernelWeight table = *kernelWeight(op.getTable());
    Value count = tensor::DimOp::create(b, loc, op.getIds(), 0);
    Value tableAddr = addressAndRowStride(b, loc, toBuffer(b, loc, table.data)).first;
    Value ids = addressAndRowStride(b, loc, toBuffer(b, loc, op.getIds())).first;
    Type f32 = b.getF32Type();
    Value out = memref::AllocOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, table.cols}, f32),
        ValueRange{count}, b.getI64IntegerAttr(64));
    Value outAddr = addressAndRowStride(b, loc, out).first;
    func::CallOp::create(
        b, loc, kernel,
        ValueRange{constI64(b, loc, table.kind), tableAddr,
                   constI64(b, loc, table.rowBytes), ids, i64(b, loc, count),
                   outAddr, constI64(b, loc, table.cols)});
    Value result = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get({ShapedType::kDynamic, table.cols}, f32),
        out, /*restrict=*/b.getUnitAttr(), /*writable=*/b.getUnitAttr());
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(b, loc, op.getType(), result);
    op.replaceAllUsesWith(result);
    op.erase();
  }

  void rewrite(LinearOp op, func::FuncOp kernel) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    RankedTensorType inType = op.getInput().getType(), outType = op.getType();
    KernelWeight weight = *kernelWeight(op.getWeight());
    int64_t n = weight.rows, k = weight.cols;
    Type f32 = b.getF32Type();

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

    Value xAddr, ldx;
    std::tie(xAddr, ldx) = addressAndRowStride(b, loc, toBuffer(b, loc, x));
    Value wAddr =
        addressAndRowStride(b, loc, toBuffer(b, loc, weight.data)).first;
    Value ldw = constI64(b, loc, weight.rowBytes);
    Value biasAddr = constI64(b, loc, 0);
    if (Value bias = op.getBias())
      biasAddr = addressAndRowStride(b, loc, toBuffer(b, loc, bias)).first;
    Value y = memref::AllocOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, n}, f32), ValueRange{m},
        b.getI64IntegerAttr(64));
    Value yAddr = addressAndRowStride(b, loc, y).first;

    // Output features in chunks: one kernel call per parallel iteration.
    int64_t chunk = std::max<int64_t>(minChunk, (n + maxChunks - 1) / maxChunks);
    chunk = (chunk + 3) / 4 * 4;
    int64_t chunks = (n + chunk - 1) / chunk;
    Value kind = constI64(b, loc, weight.kind);
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
};

} // namespace
