//===- LowerKronBranches.cpp - KronA^B branches to GEMMs ------------------===//
//
// A KronA^B branch, s x (A ⊗ B) + r x, is computed either factored (two
// small GEMMs per token row, in the cheaper order) or merged (s (A ⊗ B)
// appended along K to the GEMM the branch is added to). A cost model over
// the factor shapes and a few machine rates chooses; the pass description
// in Passes.td states it.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Debug.h"

#include <algorithm>

#define DEBUG_TYPE "xf-lower-kron-branches"

namespace mlir::xf {
#define GEN_PASS_DEF_XFLOWERKRONBRANCHES
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The factor shapes: A [m1, n1], B [m2, n2].
struct KronShape {
  int64_t m1, n1, m2, n2;
  explicit KronShape(KronLinearOp op)
      : m1(op.getA().getType().getDimSize(0)),
        n1(op.getA().getType().getDimSize(1)),
        m2(op.getB().getType().getDimSize(0)),
        n2(op.getB().getType().getDimSize(1)) {}
  int64_t in() const { return m1 * m2; }
  int64_t out() const { return n1 * n2; }
  /// Multiply-adds per token of (A^T X) B and of A^T (X B).
  int64_t aFirstMacs() const { return n1 * m1 * m2 + n1 * m2 * n2; }
  int64_t bFirstMacs() const { return m1 * m2 * n2 + n1 * m1 * n2; }
};

/// The GEMM the branch's result is added to, when `M` can join its K:
/// the other operand of the branch's only user, an xf.add, produced by an
/// xf.linear with a float weight in the same block, used once.
LinearOp gemmToJoin(KronLinearOp branch) {
  if (!branch->hasOneUse())
    return {};
  auto add = dyn_cast<AddOp>(*branch->getUsers().begin());
  if (!add || add.getType() != branch.getType())
    return {};
  Value other =
      add.getLhs() == branch.getResult() ? add.getRhs() : add.getLhs();
  auto gemm = singleUseProducer<LinearOp>(other);
  if (!gemm || gemm->getBlock() != branch->getBlock() || gemm.getCompute() ||
      !isa<RankedTensorType>(gemm.getWeight().getType()) ||
      gemm.getInput().getType().getRank() != 2)
    return {};
  return gemm;
}

struct XFLowerKronBranchesPass
    : xf::impl::XFLowerKronBranchesBase<XFLowerKronBranchesPass> {
  using XFLowerKronBranchesBase::XFLowerKronBranchesBase;

  void runOnOperation() override {
    if (strategy != "auto" && strategy != "factored" && strategy != "merged") {
      getOperation()->emitError()
          << "xf-lower-kron-branches: unknown strategy '" << strategy
          << "' (expected auto, factored or merged)";
      return signalPassFailure();
    }
    if (tokens < 1 || bandwidth <= 0 || gemmRate <= 0 || smallRate <= 0 ||
        callNs < 0) {
      getOperation()->emitError()
          << "xf-lower-kron-branches: tokens and the machine rates must be "
             "positive";
      return signalPassFailure();
    }
    SmallVector<KronLinearOp> branches;
    getOperation()->walk([&](KronLinearOp op) { branches.push_back(op); });
    for (KronLinearOp branch : branches) {
      if (branch.getInput().getType().getRank() != 2) {
        branch.emitError() << "xf-lower-kron-branches: the input must be "
                              "[tokens, features]";
        return signalPassFailure();
      }
      LinearOp gemm = gemmToJoin(branch);
      bool merge = strategy == "merged" ||
                   (strategy == "auto" &&
                    mergedNs(branch, gemm) < factoredNs(KronShape(branch)));
      if (merge)
        lowerMerged(branch, gemm);
      else
        lowerFactored(branch);
    }
  }

  double factoredNs(const KronShape &k) const {
    double macs = std::min(k.aFirstMacs(), k.bFirstMacs());
    return tokens * macs / smallRate + 2 * callNs;
  }

  double mergedNs(KronLinearOp branch, LinearOp gemm) const {
    KronShape k(branch);
    double weights = double(k.in()) * k.out();
    Type element = gemm ? cast<RankedTensorType>(gemm.getWeight().getType())
                              .getElementType()
                        : Type(Float32Type::get(branch.getContext()));
    double bytes = weights * element.getIntOrFloatBitWidth() / 8;
    double ns = std::max(bytes / bandwidth, tokens * weights / gemmRate);
    return gemm ? ns : ns + callNs; // a GEMM of its own
  }

  /// `s * transpose(kron(A, B))` in `element`: M as a linear's [out, in]
  /// weight.
  Value mergedWeight(OpBuilder &b, KronLinearOp branch, Type element) {
    KronShape k(branch);
    Location loc = branch.getLoc();
    Type f32 = b.getF32Type();
    Value kron = KronDeltaOp::create(
        b, loc, RankedTensorType::get({k.in(), k.out()}, f32), branch.getA(),
        branch.getB(), branch.getScaleAttr());
    Value m = TransposeOp::create(b, loc,
                                  RankedTensorType::get({k.out(), k.in()}, f32),
                                  kron, b.getDenseI64ArrayAttr({1, 0}));
    if (element != f32)
      m = ConvertOp::create(
          b, loc, RankedTensorType::get({k.out(), k.in()}, element), m);
    return m;
  }

  /// `y + r x` for a branch with a residual.
  Value addResidual(OpBuilder &b, KronLinearOp branch, Value y) {
    std::optional<APFloat> residual = branch.getResidual();
    if (!residual)
      return y;
    Location loc = branch.getLoc();
    auto scalarType = RankedTensorType::get({}, b.getF32Type());
    Value r = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(scalarType, *residual));
    Value scaled =
        MulOp::create(b, loc, branch.getType(), branch.getInput(), r);
    return AddOp::create(b, loc, branch.getType(), y, scaled);
  }

  void lowerMerged(KronLinearOp branch, LinearOp gemm) {
    OpBuilder b(branch);
    Location loc = branch.getLoc();
    if (!gemm) {
      Value m = mergedWeight(b, branch, b.getF32Type());
      auto y = LinearOp::create(b, loc, branch.getType(), branch.getInput(), m,
                                Value());
      y->setAttr(kAdapterBranchAttr, b.getUnitAttr());
      branch.replaceAllUsesWith(addResidual(b, branch, y));
      branch.erase();
      return;
    }
    // [h, x] [W^T; M]: one GEMM with K = K_gemm + in, built after the later
    // of the two producers, where both inputs are available.
    b.setInsertionPoint(gemm->isBeforeInBlock(branch) ? branch.getOperation()
                                                      : gemm.getOperation());
    b.setInsertionPointAfter(&*b.getInsertionPoint());
    auto weightType = cast<RankedTensorType>(gemm.getWeight().getType());
    Value m = mergedWeight(b, branch, weightType.getElementType());
    KronShape k(branch);
    int64_t joinedK = weightType.getDimSize(1) + k.in();
    Value weight = ConcatOp::create(
        b, loc, weightType.clone({weightType.getDimSize(0), joinedK}),
        ValueRange{gemm.getWeight(), m}, b.getI64IntegerAttr(1));
    auto inputType = gemm.getInput().getType();
    Value input = ConcatOp::create(
        b, loc, inputType.clone({inputType.getDimSize(0), joinedK}),
        ValueRange{gemm.getInput(), branch.getInput()}, b.getI64IntegerAttr(1));
    Value joined = LinearOp::create(
        b, gemm.getLoc(), gemm.getType(), input, weight, gemm.getBias(),
        gemm.getComputeAttr(), gemm.getBackendAttr());
    auto add = cast<AddOp>(*branch->getUsers().begin());
    b.setInsertionPoint(add);
    add.replaceAllUsesWith(addResidual(b, branch, joined));
    add.erase();
    branch.erase();
    gemm.erase();
  }

  void lowerFactored(KronLinearOp branch) {
    OpBuilder b(branch);
    Location loc = branch.getLoc();
    KronShape k(branch);
    Type f32 = b.getF32Type();
    // T tokens (static or not) and T * n rows.
    int64_t t = branch.getInput().getType().getDimSize(0);
    auto rows = [&](int64_t n) {
      return ShapedType::isDynamic(t) ? ShapedType::kDynamic : t * n;
    };
    auto type = [&](ArrayRef<int64_t> shape) {
      return RankedTensorType::get(shape, f32);
    };
    auto reshape = [&](Value v, ArrayRef<int64_t> shape) -> Value {
      return ReshapeOp::create(b, loc, type(shape), v);
    };
    // [T, p, q] -> [T, q, p]
    auto swap = [&](Value v, int64_t p, int64_t q) -> Value {
      return TransposeOp::create(b, loc, type({t, q, p}), v,
                                 b.getDenseI64ArrayAttr({0, 2, 1}));
    };
    auto linear = [&](Value x, Value w, int64_t outs) -> Value {
      int64_t n = cast<RankedTensorType>(x.getType()).getDimSize(0);
      auto gemm = LinearOp::create(b, loc, type({n, outs}), x, w, Value());
      gemm->setAttr(kAdapterBranchAttr, b.getUnitAttr());
      return gemm;
    };
    // The weights as linears read them ([out, in]), the scale in A's.
    auto transposed = [&](Value w, int64_t r, int64_t c) -> Value {
      return TransposeOp::create(b, loc, type({c, r}), w,
                                 b.getDenseI64ArrayAttr({1, 0}));
    };
    Value at = transposed(branch.getA(), k.m1, k.n1);
    if (!branch.getScaleAttr().getValue().isExactlyValue(1.0)) {
      Value scale = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(type({}), branch.getScaleAttr().getValue()));
      at = MulOp::create(b, loc, type({k.n1, k.m1}), at, scale);
    }
    Value bt = transposed(branch.getB(), k.m2, k.n2);
    Value x = branch.getInput(), y;
    if (k.bFirstMacs() <= k.aFirstMacs()) {
      // A^T (X B): rows (t, i) times B, then rows (t, l) times A.
      Value xb = linear(reshape(x, {rows(k.m1), k.m2}), bt, k.n2);
      Value z = reshape(swap(reshape(xb, {t, k.m1, k.n2}), k.m1, k.n2),
                        {rows(k.n2), k.m1});
      Value w = linear(z, at, k.n1); // [T n2, n1]
      y = reshape(swap(reshape(w, {t, k.n2, k.n1}), k.n2, k.n1), {t, k.out()});
    } else {
      // (A^T X) B: rows (t, k) times A, then rows (t, j) times B.
      Value z = reshape(swap(reshape(x, {t, k.m1, k.m2}), k.m1, k.m2),
                        {rows(k.m2), k.m1});
      Value xa = linear(z, at, k.n1); // [T m2, n1]
      Value w = reshape(swap(reshape(xa, {t, k.m2, k.n1}), k.m2, k.n1),
                        {rows(k.n1), k.m2});
      y = reshape(linear(w, bt, k.n2), {t, k.out()}); // [T n1, n2]
    }
    branch.replaceAllUsesWith(addResidual(b, branch, y));
    branch.erase();
  }
};

} // namespace
