//===- Quantize.cpp - Quantized GEMM weights and arithmetic ---------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/QuantMethods.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFQUANTIZE
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

bool isQuantized(OpOperand *operand) {
  return isa<QTensorType>(operand->get().getType());
}

bool isBf16(OpOperand *operand) {
  auto type = dyn_cast<RankedTensorType>(operand->get().getType());
  return type && type.getElementType().isBF16();
}

/// Why `op` cannot compute with `kind` (int8 or bf16) arithmetic, or empty
/// if it can.
std::string refusal(Operation *op, ComputeKind kind) {
  Gemms g = gemmsOf(op);
  if (kind == ComputeKind::bf16)
    return llvm::all_of(g.weights, isBf16)
               ? ""
               : "BF16 activations need bf16 weights";
  if (!llvm::all_of(g.weights, isQuantized))
    return "float weights: INT8 activations need quantized weights";
  for (int64_t size : g.reductions)
    if (ShapedType::isDynamic(size) || size % 32 != 0)
      return "a reduction size is not a multiple of 32";
  return "";
}

struct XFQuantizePass : xf::impl::XFQuantizeBase<XFQuantizePass> {
  using XFQuantizeBase::XFQuantizeBase;

  void runOnOperation() override {
    std::optional<ComputeKind> kind = symbolizeComputeKind(compute);
    if (!kind)
      return fail("unknown compute '" + compute +
                  "' (expected f32, int8 or bf16)");
    if (!llvm::is_contained({"keep", "f16", "bf16", "int8", "int4"}, weights))
      return fail("unknown weights '" + weights +
                  "' (expected keep, f16, bf16, int8 or int4)");
    if (groupSize != -1 && (groupSize <= 0 || groupSize % 32 != 0))
      return fail("group size " + std::to_string(groupSize) +
                  " is not a multiple of 32 (or -1, per channel)");
    if (asym && weights != "int4")
      return fail("asym applies to int4 only (Q4_1)");
    if (scaleType != "f16" && scaleType != "f32")
      return fail("unknown scale type '" + scaleType +
                  "' (expected f16 or f32)");
    if (!lookupQuantizationMethod(method))
      return fail("unknown quantization method '" + method + "' (registered: " +
                  llvm::join(getQuantizationMethodNames(), ", ") + ")");

    SmallVector<Operation *> gemms;
    // GEMMs of an adapter branch's own small factors stay in f32.
    getOperation()->walk([&](Operation *op) {
      if (isa<LinearOp, FfnOp>(op) && !op->hasAttr(kAdapterBranchAttr))
        gemms.push_back(op);
    });
    if (weights != "keep")
      for (Operation *op : gemms)
        for (OpOperand *operand : gemmsOf(op).weights)
          if (failed(convertWeight(op, *operand)))
            return signalPassFailure();
    if (*kind != ComputeKind::f32)
      for (Operation *op : gemms)
        chooseCompute(op, *kind);
  }

  void fail(const std::string &message) {
    getOperation()->emitError() << "xf-quantize: " << message;
    signalPassFailure();
  }

  bool kept(Value weight) {
    for (StringRef name : weightNames(weight))
      for (const std::string &pattern : keepWeights)
        if (name.contains(pattern))
          return true;
    return false;
  }

  /// `weights` applied to one float weight operand of `op`.
  LogicalResult convertWeight(Operation *op, OpOperand &operand) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type || type.getRank() != 2 || kept(operand.get()))
      return success();
    OpBuilder b(op);
    MLIRContext *ctx = &getContext();
    if (weights == "f16" || weights == "bf16") {
      Type element = weights == "f16" ? Type(b.getF16Type()) : b.getBF16Type();
      if (type.getElementType() != element)
        operand.set(ConvertOp::create(b, op->getLoc(), type.clone(element),
                                      operand.get()));
      return success();
    }
    // Per channel (-1) is stored as group 0; its rows are one group, which
    // the kernels read in runs of 32, so they too must be whole runs.
    int64_t group = groupSize == -1 ? 32 : groupSize;
    if (type.getDimSize(1) % group != 0) {
      SmallVector<StringRef> names = weightNames(operand.get());
      std::string weight =
          names.empty() ? "a weight" : "weight '" + names.front().str() + "'";
      return op->emitError()
             << "xf-quantize: " << weight << " has rows of "
             << type.getDimSize(1) << " values, not whole groups of " << group
             << " (keep it with keep-weights, or choose another group size)";
    }
    unsigned bits = weights == "int8" ? 8 : 4;
    auto scheme = QuantSchemeAttr::get(
        ctx, bits, groupSize == -1 ? 0 : groupSize,
        asym ? QuantMode::min_offset : QuantMode::symmetric,
        scaleType == "f32" ? Type(b.getF32Type()) : Type(b.getF16Type()));
    auto qtype = QTensorType::get(ctx, type.getShape(),
                                  IntegerType::get(ctx, bits), scheme,
                                  PackedLayoutAttr::get(ctx, LayoutKind::ggml));
    // RTN is the op's default: no attribute.
    StringAttr methodAttr =
        method == "rtn" ? StringAttr() : b.getStringAttr(method);
    operand.set(
        QuantizeOp::create(b, op->getLoc(), qtype, operand.get(), methodAttr));
    // oneDNN 2.6 reads no ggml blocks: the generated kernels compute it.
    op->removeAttr("backend");
    return success();
  }

  void chooseCompute(Operation *op, ComputeKind kind) {
    if (op->getAttr("compute"))
      return;
    std::string why = refusal(op, kind);
    if (why.empty()) {
      op->setAttr("compute", ComputeKindAttr::get(&getContext(), kind));
      return;
    }
    // GEMMs of other weight types are the common case (an f16 model has
    // no quantized weights): a remark only where a weight of the kind's
    // type is read.
    auto reads = kind == ComputeKind::bf16 ? isBf16 : isQuantized;
    if (llvm::any_of(gemmsOf(op).weights, reads))
      op->emitRemark() << "xf-quantize: keeps f32 activations: " << why;
  }
};

} // namespace
