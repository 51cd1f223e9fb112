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

#include <cmath>

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

/// The product q k^T that `scores` scales, and the scale: a product by a
/// scalar constant (either side) or a division by one.
std::pair<MatmulOp, double> scaledProduct(Value scores) {
  std::optional<double> scale;
  Value qk;
  if (auto div = singleUseProducer<DivOp>(scores)) {
    std::optional<double> d = scalarConstant(div.getRhs());
    if (d && *d != 0)
      scale = 1 / *d, qk = div.getLhs();
  } else if (auto mul = singleUseProducer<MulOp>(scores)) {
    auto [factor, product] = splitOperands(
        mul, [](Value v) { return scalarConstant(v).has_value(); });
    if (factor)
      scale = scalarConstant(factor), qk = product;
  }
  auto matmul = qk ? singleUseProducer<MatmulOp>(qk) : MatmulOp();
  // xf.attention scales by a positive f32.
  float asFloat = scale ? static_cast<float>(*scale) : 0.0f;
  if (!scale || !(asFloat > 0) || !std::isfinite(asFloat) || !matmul ||
      matmul.getType() != scores.getType())
    return {MatmulOp(), 0.0};
  return {matmul, *scale};
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
    auto [qkMatmul, scale] = scaledProduct(scores);
    if (!qkMatmul || !qkMatmul.getTransposeRhs())
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
        rewriter, out.getLoc(), out.getType(), query, newKeys, newValues, cache,
        position, mask ? rewriter.getUnitAttr() : UnitAttr(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)));
    if (failed(attention.verify())) {
      rewriter.eraseOp(attention);
      return fail("the fused op would not verify");
    }
    rewriter.replaceOp(out, attention.getResult());
    for (Operation *op : absorbed)
      rewriter.eraseOp(op);
    return success();
  }
};

/// `[batch, tokens, heads, head_dim]` from its `[0, 2, 1, 3]` transpose to
/// heads-major.
Value tokenMajorOf(Value value) {
  auto t = singleUseProducer<TransposeOp>(value);
  if (!t || t.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return {};
  return t.getInput();
}

/// The keys `[batch, keys, heads, head_dim]` that `value` holds transposed
/// for q k^T: one `[0, 2, 3, 1]` transpose, or `[0, 1, 3, 2]` of the
/// heads-major keys.
Value keysOf(Value value) {
  auto t = singleUseProducer<TransposeOp>(value);
  if (!t)
    return {};
  if (t.getPermutation() == ArrayRef<int64_t>{0, 2, 3, 1})
    return t.getInput();
  if (t.getPermutation() == ArrayRef<int64_t>{0, 1, 3, 2})
    return tokenMajorOf(t.getInput());
  return {};
}

/// Fills at or below this hide a score as -inf does: their exponential
/// underflows to 0 in f32 unless a visible score of the row is below
/// -1e9 + 104 (PyTorch exports -1e9 or the f32 minimum).
constexpr double kMaskedScore = -1e9;

/// Whether `mask`, a constant of shape [1, ..., 1, n, n], holds `allowed`
/// at (i, j) for j <= i and `hidden` for j > i (element predicates).
template <typename T>
bool isCausalConstant(Value mask, int64_t n,
                      llvm::function_ref<bool(T)> allowed,
                      llvm::function_ref<bool(T)> hidden) {
  DenseElementsAttr attr;
  if (!matchPattern(mask, m_Constant(&attr)))
    return false;
  ArrayRef<int64_t> shape = attr.getType().getShape();
  if (shape.size() < 2 || shape.take_back(2) != ArrayRef<int64_t>{n, n} ||
      llvm::any_of(shape.drop_back(2), [](int64_t d) { return d != 1; }))
    return false;
  auto values = attr.getValues<T>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T v = values[i * n + j];
      if (!(j <= i ? allowed(v) : hidden(v)))
        return false;
    }
  return true;
}

/// The scores before a causal mask as exporters spell it for a sequence of
/// `n` tokens without a cache: `where(tril, s, fill)` with a very negative
/// fill, or `s + m` with m 0 at or below the diagonal and very negative
/// above; null if `masked` is neither.
Value unmaskedScores(Value masked, int64_t n) {
  auto type = cast<RankedTensorType>(masked.getType());
  if (auto where = singleUseProducer<WhereOp>(masked)) {
    std::optional<double> fill = scalarConstant(where.getRhs());
    if (fill && *fill <= kMaskedScore && where.getLhs().getType() == type &&
        isCausalConstant<bool>(
            where.getCondition(), n, [](bool v) { return v; },
            [](bool v) { return !v; }))
      return where.getLhs();
    return {};
  }
  auto add = singleUseProducer<AddOp>(masked);
  if (!add)
    return {};
  auto [mask, scores] = splitOperands(add, [&](Value v) {
    return isCausalConstant<APFloat>(
        v, n, [](APFloat e) { return e.isZero(); },
        [](APFloat e) {
          return e.isNegative() &&
                 (e.isInfinity() || e.convertToDouble() <= kMaskedScore);
        });
  });
  return mask && scores.getType() == type ? scores : Value();
}

/// Attention as PyTorch's ONNX exporter spells it, with a batch dimension:
///
///   transpose[0,2,1,3](matmul(softmax([mask](scale(matmul(
///       transpose[0,2,1,3](q), keys^T)))), transpose[0,2,1,3](v)))
///
/// on `[1, tokens, heads, head_dim]` q, k and v, the scale a division or
/// product by a scalar, the mask causal (where or add). xf.attention has
/// no batch dimension: a batch of one is reshaped away and back.
struct FuseBatchedMha : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp out,
                                PatternRewriter &rewriter) const override {
    auto fail = [&](const char *why) {
      return rewriter.notifyMatchFailure(out, why);
    };
    if (out.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
      return fail("not a batched head transpose");
    auto pv = singleUseProducer<MatmulOp>(out.getInput());
    if (!pv || pv.getTransposeRhs())
      return fail("not probabilities x values");
    auto softmax = singleUseProducer<SoftmaxOp>(pv.getLhs());
    if (!softmax)
      return fail("no softmax");
    auto scoresType = cast<RankedTensorType>(softmax.getType());
    int64_t queries = scoresType.getDimSize(2), keys = scoresType.getDimSize(3);
    Value scores = softmax.getInput();
    bool causal = false;
    if (Value unmasked = queries == keys && !ShapedType::isDynamic(keys)
                             ? unmaskedScores(scores, keys)
                             : Value()) {
      scores = unmasked;
      causal = true;
    }
    auto [qkMatmul, scale] = scaledProduct(scores);
    if (!qkMatmul || qkMatmul.getTransposeRhs())
      return fail("no scaled q k^T");
    Value query = tokenMajorOf(qkMatmul.getLhs());
    Value key = keysOf(qkMatmul.getRhs());
    Value value = tokenMajorOf(pv.getRhs());
    if (!query || !key || !value)
      return fail("query/key/value layout not recognized");
    auto qType = cast<RankedTensorType>(query.getType());
    auto kType = cast<RankedTensorType>(key.getType());
    if (qType.getDimSize(0) != 1 || kType.getDimSize(0) != 1 ||
        value.getType() != kType)
      return fail("xf.attention has no batch dimension: batch 1 only");
    // What xf.attention's verifier asks, checked before building it.
    int64_t heads = qType.getDimSize(2), kvHeads = kType.getDimSize(2);
    if (qType.getElementType() != kType.getElementType() ||
        qType.getDimSize(3) != kType.getDimSize(3) ||
        ShapedType::isDynamic(qType.getDimSize(3)) ||
        ShapedType::isDynamic(heads) || ShapedType::isDynamic(kvHeads) ||
        kvHeads == 0 || heads % kvHeads != 0)
      return fail("query heads do not match the key/value heads");
    Location loc = out.getLoc();
    auto dropBatch = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      return ReshapeOp::create(rewriter, loc,
                               t.clone(t.getShape().drop_front()), v);
    };
    auto attention = AttentionOp::create(
        rewriter, loc, qType.clone(qType.getShape().drop_front()),
        dropBatch(query), dropBatch(key), dropBatch(value), /*cache=*/Value(),
        /*position=*/Value(), causal ? rewriter.getUnitAttr() : UnitAttr(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)));
    rewriter.replaceOpWithNewOp<ReshapeOp>(out, out.getType(),
                                           attention.getResult());
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
  patterns.add<FuseMha, FuseBatchedMha>(patterns.getContext());
}
