//===- LowerToMicrokernels.cpp - xf.linear as microkernel calls -----------===//
//
// The contraction that dominates every transformer step runs in the
// hand-tuned microkernels of lowering/ukernels: xfk_linear over weights in
// rows, xfk_linear_packed over float panels, xfk_linear_sparse over sparse
// ones, xfk_linear_q8 over quantized
// tiles (after xfk_quantize_rows). The calls work on buffers (see
// BufferCalls.h); addresses cross them as i64 (see xfk/Kernels.h).
//
//===----------------------------------------------------------------------===//

#include "BufferCalls.h"
#include "KernelCoverage.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"
#include "xfk/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFLOWERTOMICROKERNELS
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr StringLiteral kLinearKernel = "xfk_linear";
constexpr StringLiteral kPackedLinearKernel = "xfk_linear_packed";
constexpr StringLiteral kSparseLinearKernel = "xfk_linear_sparse";
constexpr StringLiteral kQuantizeRowsKernel = "xfk_quantize_rows";
constexpr StringLiteral kRoundRowsKernel = "xfk_round_rows_int8";
constexpr StringLiteral kQ8LinearKernel = "xfk_linear_q8";
constexpr StringLiteral kQ8SparseLinearKernel = "xfk_linear_q8_sparse";
constexpr StringLiteral kQ8CodesLinearKernel = "xfk_linear_q8_codes";
constexpr StringLiteral kRoundRowsBf16Kernel = "xfk_round_rows_bf16";
constexpr StringLiteral kRoundRowsBf16F32Kernel = "xfk_round_rows_bf16_f32";
constexpr StringLiteral kBf16LinearKernel = "xfk_linear_bf16";
constexpr StringLiteral kEmbeddingKernel = "xfk_embedding";

/// A weight as the kernels read it: its kind, the tensor holding its data
/// (the bytes of a weight with a packed form, which xf-bind-weights casts
/// back to the declared type), and how its rows are laid out.
struct KernelWeight {
  XfkWeightKind kind;
  /// Values per scale of a quantized weight (xfk/Kernels.h), else 0.
  int64_t group;
  Value data;
  int64_t rows, cols;
  /// In the packed kernels' tiles or panels, which only they read.
  bool packed;
  /// The bytes between rows, for the kernels that read rows (not packed).
  int64_t rowBytes;
};

std::optional<KernelWeight> kernelWeight(Value weight) {
  Type type = weight.getType();
  std::optional<XfkWeightKind> kind = getKernelWeightKind(type);
  if (!kind)
    return std::nullopt;
  ArrayRef<int64_t> shape = getWeightShape(type);
  KernelWeight w{*kind,    getKernelWeightGroup(type), weight, shape[0],
                 shape[1], isInPackedLayout(type),     0};
  if (getPackedBytes(type)) {
    auto cast = weight.getDefiningOp<UnrealizedConversionCastOp>();
    if (!cast)
      return std::nullopt;
    w.data = cast.getOperand(0);
  }
  if (auto q = dyn_cast<QTensorType>(type)) {
    if (std::optional<int64_t> block = q.getBlockBytes())
      w.rowBytes = w.cols / w.group * *block;
  } else if (!w.packed) {
    w.rowBytes =
        w.cols * cast<RankedTensorType>(type).getElementTypeBitWidth() / 8;
  }
  return w;
}

/// An activation a kernel applies to a projection's sums in its epilogue,
/// in place of the ops that compute it from the projection's result.
struct FoldedActivation {
  XfkActivation act = XFK_ACT_NONE;
  /// Gated: the row where the up projection starts, F; else 0.
  int64_t up = 0;
  /// The op whose result the kernel's output is: the activation, or the
  /// gating product.
  Operation *result = nullptr;
  /// The ops between the projection and `result`, dead once it is gone.
  SmallVector<Operation *> between;
};

/// The activation the kernels apply for an xf.silu or xf.gelu tanh op of
/// the given input, if `op` is one.
std::optional<XfkActivation> kernelActivation(Operation *op, Value input) {
  if (auto silu = dyn_cast<SiluOp>(op); silu && silu.getInput() == input)
    return XFK_ACT_SILU;
  if (auto gelu = dyn_cast<GeluOp>(op);
      gelu && gelu.getInput() == input &&
      gelu.getApproximation() == GeluApprox::tanh)
    return XFK_ACT_GELU;
  return std::nullopt;
}

/// The sole user of `value`, or null.
Operation *soleUser(Value value) {
  return value.hasOneUse() ? *value.user_begin() : nullptr;
}

/// The activation of `op`'s result, ungated or gated, that the kernel can
/// fold; `act` is XFK_ACT_NONE if there is none.
FoldedActivation foldableActivation(LinearOp op, int64_t align) {
  FoldedActivation folded;
  Value result = op.getResult();
  uint64_t axis = op.getType().getRank() - 1;
  int64_t n = op.getType().getDimSize(axis);
  uint64_t half = n / 2;
  if (Operation *user = soleUser(result)) {
    if (std::optional<XfkActivation> act = kernelActivation(user, result)) {
      folded.act = *act;
      folded.result = user;
    }
    return folded;
  }
  // Gated: two slices, gate [0, F) and up [F, 2F), of the last axis.
  if (ShapedType::isDynamic(n) || n % 2 || (n / 2) % align ||
      !llvm::hasNItems(result.getUsers(), 2))
    return folded;
  SliceOp gate, up;
  for (Operation *user : result.getUsers()) {
    auto slice = dyn_cast<SliceOp>(user);
    if (!slice || slice.getAxis() != axis || slice.getSize() != half)
      return folded;
    (slice.getOffset() == 0 ? gate : up) = slice;
  }
  if (!gate || !up || up.getOffset() != half)
    return folded;
  Operation *activation = soleUser(gate.getResult());
  std::optional<XfkActivation> act =
      activation ? kernelActivation(activation, gate.getResult())
                 : std::nullopt;
  if (!act)
    return folded;
  auto mul = dyn_cast_or_null<MulOp>(soleUser(activation->getResult(0)));
  if (!mul || soleUser(up.getResult()) != mul ||
      mul.getType() != gate.getType() ||
      !llvm::is_contained(ValueRange{mul.getLhs(), mul.getRhs()},
                          up.getResult()))
    return folded;
  folded.act = *act;
  folded.up = n / 2;
  folded.result = mul;
  folded.between = {activation, gate, up};
  return folded;
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
    // Residual connections folded into the kernels' epilogue, found before
    // any rewrite changes the IR. (The residual itself is read from the
    // add when its projection is rewritten: it may be another projection,
    // replaced by then.)
    DominanceInfo dominance(getOperation());
    SmallVector<AddOp> residualAdds;
    SmallVector<FoldedActivation> activations;
    for (LinearOp op : linears) {
      residualAdds.push_back(foldableResidual(op, dominance));
      KernelWeight weight = *kernelWeight(op.getWeight());
      activations.push_back(
          fuseActivations
              ? foldableActivation(
                    op, weight.packed ? xfk_packed_tile_rows(weight.kind) : 1)
              : FoldedActivation());
    }
    for (auto [op, add, activation] :
         llvm::zip_equal(linears, residualAdds, activations))
      rewrite(op, add, activation);
    for (EmbeddingOp op : embeddings)
      rewrite(op, declareKernel(kEmbeddingKernel, 8));
    // The casts of packed bytes that only the kernels read.
    getOperation().walk([](UnrealizedConversionCastOp cast) {
      if (cast->use_empty() && getPackedBytes(cast.getType(0)))
        cast->erase();
    });
  }

  static bool covered(LinearOp op) {
    return getLinearKernel(op, op.getWeight().getType()) &&
           kernelWeight(op.getWeight());
  }

  /// The embedding kernel reads rows: not packed tables.
  static bool covered(EmbeddingOp op) {
    std::optional<KernelWeight> table = kernelWeight(op.getTable());
    return op.getType().getElementType().isF32() &&
           op.getIds().getType().getElementType().isInteger(32) && table &&
           !table->packed;
  }

  /// The address of a fresh 64-byte aligned buffer of `m` rows of
  /// `rowBytes` bytes: the activations as a kernel reads them.
  static Value allocRowBytes(OpBuilder &b, Location loc, Value m,
                             int64_t rowBytes) {
    Value bytes = arith::MulIOp::create(
        b, loc, m, arith::ConstantIndexOp::create(b, loc, rowBytes));
    Value buffer = memref::AllocOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
        ValueRange{bytes}, b.getI64IntegerAttr(64));
    return addressAndRowStride(b, loc, buffer).first;
  }

  /// The other operand of `add`, one of whose operands is `op`'s result.
  static Value residualOf(AddOp add, LinearOp op) {
    return add.getLhs() == op.getResult() ? add.getRhs() : add.getLhs();
  }

  /// The xf.add that adds a residual to `op`'s result when the kernel can
  /// fold it into its epilogue: the result's only user, adding a value of
  /// the same type that exists where the kernel runs.
  static AddOp foldableResidual(LinearOp op, DominanceInfo &dominance) {
    if (!op->hasOneUse())
      return {};
    auto add = dyn_cast<AddOp>(*op->user_begin());
    if (!add || add.getType() != op.getType())
      return {};
    Value residual = residualOf(add, op);
    if (residual == op.getResult() || residual.getType() != op.getType() ||
        !dominance.properlyDominates(residual, op))
      return {};
    return add;
  }

  func::FuncOp declareKernel(StringRef name, unsigned arguments) {
    return declareI64Function(getOperation(), name, arguments);
  }

  void rewrite(EmbeddingOp op, func::FuncOp kernel) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    KernelWeight table = *kernelWeight(op.getTable());
    Value count = tensor::DimOp::create(b, loc, op.getIds(), 0);
    Value tableAddr = addressAndRowStride(b, loc, toBuffer(b, loc, table.data)).first;
    Value ids = addressAndRowStride(b, loc, toBuffer(b, loc, op.getIds())).first;
    Value out = allocRows(b, loc, count, table.cols);
    Value outAddr = addressAndRowStride(b, loc, out).first;
    func::CallOp::create(
        b, loc, kernel,
        ValueRange{constI64(b, loc, table.kind), constI64(b, loc, table.group),
                   tableAddr, constI64(b, loc, table.rowBytes), ids,
                   toI64(b, loc, count), outAddr, constI64(b, loc, table.cols)});
    Value result = rowsTensor(b, loc, out);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(b, loc, op.getType(), result);
    op.replaceAllUsesWith(result);
    op.erase();
  }

  /// `op` as kernel calls; with `add`, the sum of its result and the
  /// residual too; with an `activation`, its result instead.
  void rewrite(LinearOp op, AddOp add, const FoldedActivation &activation) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    KernelWeight weight = *kernelWeight(op.getWeight());
    // The output features: the gated ones when gated.
    int64_t n = activation.up ? activation.up : weight.rows, k = weight.cols;
    auto outType = cast<RankedTensorType>(
        activation.result ? activation.result->getResult(0).getType()
                          : op.getType());

    RowMatrix rows(b, loc, op.getInput());
    Value x = rows.rows;
    Value m = tensor::DimOp::create(b, loc, x, 0);

    Value xAddr, ldx;
    std::tie(xAddr, ldx) = addressAndRowStride(b, loc, toBuffer(b, loc, x));
    LinearKernel kernel = *getLinearKernel(op, op.getWeight().getType());
    Value kValue = constI64(b, loc, k), rowsI64 = toI64(b, loc, m);
    ComputeKind compute = op.getCompute().value_or(ComputeKind::f32);
    if (kernel == LinearKernel::Rows && compute != ComputeKind::f32) {
      // INT8 or bf16 activations for a kernel that reads f32 ones: their
      // values.
      Value roundedAddr =
          addressAndRowStride(b, loc, allocRows(b, loc, m, k)).first;
      if (compute == ComputeKind::int8)
        func::CallOp::create(b, loc, declareKernel(kRoundRowsKernel, 6),
                             ValueRange{xAddr, ldx, rowsI64, kValue,
                                        constI64(b, loc,
                                                 getInt8ActivationGroup(
                                                     op.getWeight().getType())),
                                        roundedAddr});
      else
        func::CallOp::create(b, loc, declareKernel(kRoundRowsBf16F32Kernel, 5),
                             ValueRange{xAddr, ldx, rowsI64, kValue,
                                        roundedAddr});
      xAddr = roundedAddr;
      ldx = kValue;
    }
    Value wAddr = addressOrNull(b, loc, weight.data);
    Value biasAddr = addressOrNull(b, loc, op.getBias());
    Value residualAddr = constI64(b, loc, 0), ldr = residualAddr;
    if (add) {
      RowMatrix residualRows(b, loc, residualOf(add, op));
      std::tie(residualAddr, ldr) =
          addressAndRowStride(b, loc, toBuffer(b, loc, residualRows.rows));
    }
    Value y = allocRows(b, loc, m, n);
    Value yAddr = addressAndRowStride(b, loc, y).first;
    Value kind = constI64(b, loc, weight.kind);
    Value group = constI64(b, loc, weight.group);
    Value nValue = constI64(b, loc, n);
    Value act = constI64(b, loc, activation.act);
    Value up = constI64(b, loc, activation.up);

    // Block kinds in tiles: the rows are quantized to INT8 once, for every
    // chunk's integer dot products.
    Value qxAddr;
    if (kernel == LinearKernel::QuantizedTiles ||
        kernel == LinearKernel::SparseTiles ||
        kernel == LinearKernel::SparseCodes) {
      qxAddr =
          allocRowBytes(b, loc, m, xfk_quantized_row_bytes(k, weight.group));
      func::CallOp::create(
          b, loc, declareKernel(kQuantizeRowsKernel, 6),
          ValueRange{xAddr, ldx, rowsI64, kValue, group, qxAddr});
    }

    // BF16 panels: the rows are rounded to bf16 pairs once, likewise.
    Value xbAddr;
    if (kernel == LinearKernel::Bf16Panels) {
      xbAddr = allocRowBytes(b, loc, m, xfk_bf16_row_bytes(k));
      func::CallOp::create(b, loc, declareKernel(kRoundRowsBf16Kernel, 5),
                           ValueRange{xAddr, ldx, rowsI64, kValue, xbAddr});
    }

    // Output features in chunks: one kernel call per parallel iteration.
    // The packed kernels start chunks at a whole tile or panel.
    int64_t align = weight.packed ? xfk_packed_tile_rows(weight.kind) : 4;
    int64_t chunk = std::max<int64_t>(minChunk, (n + maxChunks - 1) / maxChunks);
    chunk = (chunk + align - 1) / align * align;
    int64_t chunks = (n + chunk - 1) / chunk;
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(chunks)},
        ValueRange{}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value c = toI64(b, loc, forall.getInductionVar(0));
      Value n0 = arith::MulIOp::create(b, loc, c, constI64(b, loc, chunk));
      Value n1 = arith::MinSIOp::create(
          b, loc, arith::AddIOp::create(b, loc, n0, constI64(b, loc, chunk)),
          nValue);
      Value yChunk = arith::AddIOp::create(
          b, loc, yAddr,
          arith::MulIOp::create(b, loc, n0, constI64(b, loc, 4)));
      if (kernel == LinearKernel::QuantizedTiles)
        func::CallOp::create(b, loc, declareKernel(kQ8LinearKernel, 15),
                             ValueRange{kind, group, qxAddr, wAddr, biasAddr,
                                        residualAddr, ldr, act, up, yChunk,
                                        nValue, rowsI64, kValue, n0, n1});
      else if (kernel == LinearKernel::Bf16Panels)
        func::CallOp::create(b, loc, declareKernel(kBf16LinearKernel, 13),
                             ValueRange{xbAddr, wAddr, biasAddr, residualAddr,
                                        ldr, act, up, yChunk, nValue, rowsI64,
                                        kValue, n0, n1});
      else if (kernel == LinearKernel::SparseTiles ||
               kernel == LinearKernel::SparseCodes)
        func::CallOp::create(
            b, loc,
            declareKernel(kernel == LinearKernel::SparseTiles
                              ? kQ8SparseLinearKernel
                              : kQ8CodesLinearKernel,
                          16),
            ValueRange{
                kind, group,
                constI64(b, loc, *getSparseSlots(op.getWeight().getType())),
                qxAddr, wAddr, biasAddr, residualAddr, ldr, act, up, yChunk,
                nValue, rowsI64, kValue, n0, n1});
      else if (kernel == LinearKernel::SparsePanels)
        func::CallOp::create(
            b, loc, declareKernel(kSparseLinearKernel, 16),
            ValueRange{
                kind,
                constI64(b, loc, *getSparseSlots(op.getWeight().getType())),
                xAddr, ldx, wAddr, biasAddr, residualAddr, ldr, act, up, yChunk,
                nValue, rowsI64, kValue, n0, n1});
      else if (kernel == LinearKernel::FloatPanels)
        func::CallOp::create(b, loc, declareKernel(kPackedLinearKernel, 15),
                             ValueRange{kind, xAddr, ldx, wAddr, biasAddr,
                                        residualAddr, ldr, act, up, yChunk,
                                        nValue, rowsI64, kValue, n0, n1});
      else
        func::CallOp::create(b, loc, declareKernel(kLinearKernel, 17),
                             ValueRange{kind, group, xAddr, ldx, wAddr,
                                        constI64(b, loc, weight.rowBytes),
                                        biasAddr, residualAddr, ldr, act, up,
                                        yChunk, nValue, rowsI64, kValue, n0,
                                        n1});
    }
    Value result = rows.restore(b, loc, rowsTensor(b, loc, y), outType);
    if (add) {
      add.replaceAllUsesWith(result);
      add.erase();
    }
    if (activation.result) {
      activation.result->replaceAllUsesWith(ValueRange{result});
      activation.result->erase();
      for (Operation *dead : activation.between)
        dead->erase();
    }
    op.replaceAllUsesWith(result);
    op.erase();
  }
};

} // namespace
