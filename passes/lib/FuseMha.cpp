//===- FuseMha.cpp - Attention subgraphs to xf.attention ------------------===//
//
// Matches backwards from the head-major-to-token-major transpose that ends
// the attention graph XFBuilders.h builds, through the two batched
// matmuls, the softmax, the optional causal mask and the scaling, down to
// the query and the keys/values (plain, or read back from a KV cache just
// after appending them).
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFFUSEMHA
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The input of a [1, 0, 2] transpose (token-major <-> head-major).
Value swappedFrom(Value value) {
  auto t = singleUseProducer<TransposeOp>(value);
  if (!t || t.getPermutation() != ArrayRef<int64_t>{1, 0, 2})
    return {};
  return t.getInput();
}

/// Peels an optional GQA head repetition; `repeats` is 1 without one.
Value withoutRepeat(Value value, int64_t &repeats) {
  repeats = 1;
  if (auto r = singleUseProducer<RepeatInterleaveOp>(value)) {
    if (r.getAxis() != 1)
      return {};
    repeats = r.getRepeats();
    return r.getInput();
  }
  return value;
}

/// The scalar of a rank-0 splat constant.
std::optional<double> scalarConstant(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

struct FuseMha : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp out,
                                PatternRewriter &rewriter) const override {
    auto fail = [&](const char *why) {
      return rewriter.notifyMatchFailure(out, why);
    };
    if (out.getPermutation() != ArrayRef<int64_t>{1, 0, 2})
      return fail("not a head transpose");
    auto pv = singleUseProducer<MatmulOp>(out.getInput());
    if (!pv || pv.getTransposeRhs())
      return fail("not probabilities x values");
    auto softmax = singleUseProducer<SoftmaxOp>(pv.getLhs());
    if (!softmax)
      return fail("no softmax");
    Value scores = softmax.getInput();
    CausalMaskOp mask = singleUseProducer<CausalMaskOp>(scores);
    if (mask)
      scores = mask.getInput();
    auto scaled = singleUseProducer<MulOp>(scores);
    if (!scaled)
      return fail("no scaling");
    std::optional<double> scale = scalarConstant(scaled.getRhs());
    Value qk = scaled.getLhs();
    if (!scale) {
      scale = scalarConstant(scaled.getLhs());
      qk = scaled.getRhs();
    }
    auto qkMatmul = singleUseProducer<MatmulOp>(qk);
    if (!scale || !qkMatmul || !qkMatmul.getTransposeRhs())
      return fail("no scaled q k^T");

    Value query = swappedFrom(qkMatmul.getLhs());
    int64_t kRepeats, vRepeats;
    Value keys = withoutRepeat(swappedFrom(qkMatmul.getRhs()), kRepeats);
    Value values = withoutRepeat(swappedFrom(pv.getRhs()), vRepeats);
    if (!query || !keys || !values || kRepeats != vRepeats)
      return fail("query/key/value layout not recognized");

    // Keys and values read back from a cache right after this step's append.
    Value cache, position, newKeys = keys, newValues = values;
    SmallVector<Operation *> absorbed;
    if (auto read = keys.getDefiningOp<KVReadOp>()) {
      if (values.getDefiningOp<KVReadOp>() != read ||
          read.getKeys() != keys || read.getValues() != values ||
          !keys.hasOneUse() || !values.hasOneUse())
        return fail("keys and values are not one cache read");
      auto length = read.getLength().getDefiningOp<arith::AddIOp>();
      auto tokens = length ? length.getRhs().getDefiningOp<tensor::DimOp>()
                           : tensor::DimOp();
      KVAppendOp append;
      for (Operation *user : read.getCache().getUsers())
        if (auto a = dyn_cast<KVAppendOp>(user); a && a->isBeforeInBlock(read))
          append = a;
      if (!tokens || tokens.getSource() != query || !append ||
          append.getPosition() != length.getLhs() ||
          append->getBlock() != read->getBlock())
        return fail("the cache read is not position + tokens after an append");
      // Nothing else may touch the cache between the append and the read.
      for (Operation *op = append->getNextNode(); op != read;
           op = op->getNextNode())
        if (llvm::is_contained(op->getOperands(), read.getCache()))
          return fail("the cache is used between append and read");
      cache = read.getCache();
      position = append.getPosition();
      newKeys = append.getKeys();
      newValues = append.getValues();
      absorbed.push_back(append);
      if (mask && mask.getOffset() != position)
        return fail("the mask offset is not the cache position");
    } else if (mask) {
      IntegerAttr zero;
      if (!matchPattern(mask.getOffset(), m_Constant(&zero)) || zero.getInt())
        return fail("a mask without a cache must start at 0");
    }

    auto attention = AttentionOp::create(
        rewriter, out.getLoc(), out.getType(), query, newKeys, newValues,
        cache, position, mask ? rewriter.getUnitAttr() : UnitAttr(),
        rewriter.getF32FloatAttr(static_cast<float>(*scale)));
    if (failed(attention.verify()))
      return fail("the fused op would not verify");
    rewriter.replaceOp(out, attention.getResult());
    for (Operation *op : absorbed)
      rewriter.eraseOp(op);
    return success();
  }
};

struct XFFuseMhaPass : xf::impl::XFFuseMhaBase<XFFuseMhaPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseMhaPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void xf::populateFuseMhaPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseMha>(patterns.getContext());
}
