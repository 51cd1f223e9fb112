//===- ParallelizeContractions.cpp - Contractions as scf.forall tiles ------===//
//
// Tiles the batch and output-feature dimensions of large linalg
// contractions with scf.forall (xf-forall-to-parallel-for then runs the
// tiles on the session's threads) and fuses the accumulator's producer into
// the loop. Rows and the reduction stay whole: each tile streams its own
// slice of the weights once, which is what decode is bound by.
//
//===----------------------------------------------------------------------===//

#include "xfc/Lowering/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "xf-parallelize-contractions"

namespace mlir::xf {
#define GEN_PASS_DEF_XFPARALLELIZECONTRACTIONS
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;

namespace {

struct XFParallelizeContractionsPass
    : xf::impl::XFParallelizeContractionsBase<XFParallelizeContractionsPass> {
  using XFParallelizeContractionsBase::XFParallelizeContractionsBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    XFParallelizeContractionsBase::getDependentDialects(registry);
    // Tiling goes through linalg's TilingInterface models.
    linalg::registerTilingInterfaceExternalModels(registry);
  }

  /// Tile sizes for `op` (0: not tiled), or nothing when it stays serial.
  std::optional<SmallVector<int64_t>> tileSizes(linalg::LinalgOp op) const;

  void runOnOperation() override;
};

std::optional<SmallVector<int64_t>>
XFParallelizeContractionsPass::tileSizes(linalg::LinalgOp op) const {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->k.empty())
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t work = 1;
  for (int64_t r : ranges)
    work *= ShapedType::isDynamic(r) ? 1 : r;
  if (work < minWork) {
    LLVM_DEBUG(llvm::dbgs() << "too small (" << work << "): " << op << "\n");
    return std::nullopt;
  }

  // Batch dimensions (attention heads) first, one tile each.
  SmallVector<int64_t> sizes(ranges.size(), 0);
  int64_t tiles = 1;
  bool manyBatches = false;
  for (unsigned d : dims->batch) {
    sizes[d] = 1;
    if (ShapedType::isDynamic(ranges[d]))
      manyBatches = true;
    else
      tiles *= ranges[d];
  }
  // Then the output features, in chunks of whole vectors.
  auto n = llvm::find_if(
      dims->n, [&](unsigned d) { return !ShapedType::isDynamic(ranges[d]); });
  if (!manyBatches && tiles < chunks && n != dims->n.end()) {
    int64_t features = ranges[*n];
    int64_t wanted = llvm::divideCeil(chunks, tiles);
    int64_t size = llvm::alignTo(llvm::divideCeil(features, wanted), minTile);
    if (size < features) {
      sizes[*n] = size;
      tiles *= llvm::divideCeil(features, size);
    }
  }
  if (!manyBatches && tiles <= 1)
    return std::nullopt;
  return sizes;
}

void XFParallelizeContractionsPass::runOnOperation() {
  if (chunks < 1 || minTile < 1) {
    getOperation().emitError("chunks and min-tile must be positive");
    return signalPassFailure();
  }
  SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> candidates;
  getOperation().walk([&](linalg::LinalgOp op) {
    // Loops that are already parallel (kernels) keep their structure.
    if (!op.hasPureTensorSemantics() || op->getParentOfType<scf::ForallOp>() ||
        !isa<TilingInterface>(op.getOperation()))
      return;
    if (std::optional<SmallVector<int64_t>> sizes = tileSizes(op))
      candidates.push_back({op, std::move(*sizes)});
  });

  IRRewriter rewriter(&getContext());
  for (auto &[op, sizes] : candidates) {
    scf::SCFTilingOptions tiling;
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
        .setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    // Fuse what initializes the accumulator (fill, bias broadcast), not the
    // inputs: those are shared by every tile.
    options.setFusionControlFn(
        [](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (isDestination && isa<linalg::LinalgOp>(producer.getOwner()))
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          return std::nullopt;
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> tiled =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled)) {
      op.emitOpError("could not be tiled for the thread pool");
      return signalPassFailure();
    }
    for (OpResult result : op->getResults())
      rewriter.replaceAllUsesWith(result, tiled->replacements.lookup(result));
    rewriter.eraseOp(op);
    // Producers that only fed the accumulator are dead now.
    for (Operation *producer : tiled->fusedProducers)
      if (producer->use_empty())
        rewriter.eraseOp(producer);
  }
}

} // namespace
