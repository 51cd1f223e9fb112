//===- LowerAttention.cpp - xf.attention to the flash-attention kernel ----===//
//
// The pattern resolves the op's KV cache (append the new rows, read the
// cache in place) and hands the rest to the kernel builder.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFLOWERATTENTION
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

struct LowerAttention : OpRewritePattern<AttentionOp> {
  LowerAttention(MLIRContext *ctx, kernels::AttentionKernelOptions options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Type element = op.getQuery().getType().getElementType();
    Value cache = op.getCache();
    auto cacheType = cache ? cast<KVCacheType>(cache.getType()) : KVCacheType();
    if (!kernels::isSupportedElementType(element) ||
        (cacheType && !cacheType.isQuantized() &&
         !kernels::isSupportedElementType(cacheType.getElementType())))
      return rewriter.notifyMatchFailure(op, "no kernel for this element type");

    Location loc = op.getLoc();
    kernels::AttentionKernelInputs in;
    in.query = op.getQuery();
    in.causal = op.getCausal();
    in.scale = op.getEffectiveScale();
    if (cache) {
      // Append the new rows (xf-lower-kv-cache rounds or quantizes them to
      // the cache's type), then attend to the whole prefix read in place;
      // the kernel widens, or dequantizes, elements as it loads them.
      KVAppendOp::create(rewriter, loc, cache, op.getPosition(), op.getKey(),
                         op.getValue());
      Value tokens = tensor::DimOp::create(rewriter, loc, op.getQuery(), 0);
      Value length =
          arith::AddIOp::create(rewriter, loc, op.getPosition(), tokens);
      auto rowsType =
          RankedTensorType::get({ShapedType::kDynamic, cacheType.getKvHeads(),
                                 cacheType.getRowElements()},
                                cacheType.getElementType());
      Operation *read = cacheType.isQuantized()
                            ? KVReadRawOp::create(rewriter, loc, rowsType,
                                                  rowsType, cache, length)
                                  .getOperation()
                            : KVReadOp::create(rewriter, loc, rowsType,
                                               rowsType, cache, length)
                                  .getOperation();
      in.key = read->getResult(0);
      in.value = read->getResult(1);
      in.kvLength = length;
      in.offset = op.getPosition();
    } else {
      in.key = op.getKey();
      in.value = op.getValue();
      in.kvLength = tensor::DimOp::create(rewriter, loc, op.getKey(), 0);
      in.offset = arith::ConstantIndexOp::create(rewriter, loc, 0);
    }
    rewriter.replaceOp(op,
                       kernels::buildAttentionKernel(rewriter, loc, in, options));
    return success();
  }

  kernels::AttentionKernelOptions options;
};

struct XFLowerAttentionPass
    : xf::impl::XFLowerAttentionBase<XFLowerAttentionPass> {
  using XFLowerAttentionBase::XFLowerAttentionBase;

  void runOnOperation() override {
    if (decodeKvBlock < 1 || accumulatorVectors < 1) {
      getOperation()->emitError()
          << "xf-lower-attention: decode-kv-block and accumulator-vectors "
             "must be positive";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateLowerAttentionPatterns(patterns,
                                   {decodeKvBlock, accumulatorVectors});
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void xf::populateLowerAttentionPatterns(RewritePatternSet &patterns,
                                        const XFLowerAttentionOptions &options) {
  kernels::AttentionKernelOptions kernel;
  kernel.decodeKvBlock = options.decodeKvBlock;
  kernel.accumulatorVectors = options.accumulatorVectors;
  patterns.add<LowerAttention>(patterns.getContext(), kernel);
}
