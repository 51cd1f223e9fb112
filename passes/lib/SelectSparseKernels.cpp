//===- SelectSparseKernels.cpp - Dense or sparse panels per weight --------===//
//
// Reads the zeros measured on each float GEMM weight and records, as the
// layout xf-pack-weights is to give it, whether its decode is predicted to
// run faster in the sparse kernels (see the pass description for the cost
// model). Weights that reach one shared layer function's argument are
// decided together, so the function keeps one argument type.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFSELECTSPARSEKERNELS
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr int64_t kPanelRows = 64;
constexpr StringLiteral kSparsityAttr = "sparsity";
constexpr StringLiteral kPackingAttr = "packing";

/// The weight types the sparse kernels read: static 2-D f32, f16 or bf16
/// tensors in plain rows, and ggml blocks with a byte form.
bool isSparseCandidate(Type type) {
  if (auto q = dyn_cast<QTensorType>(type))
    return q.getLayout().getKind() == LayoutKind::ggml &&
           q.getScheme().hasBlockEncoding() && q.getShape()[1] % 32 == 0;
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 2 && tensor.hasStaticShape() &&
         !tensor.getEncoding() &&
         (tensor.getElementType().isF32() || tensor.getElementType().isF16() ||
          tensor.getElementType().isBF16());
}

/// A weight or a function argument that weights flow into.
using Node = std::pair<Operation *, unsigned>;

struct XFSelectSparseKernelsPass
    : xf::impl::XFSelectSparseKernelsBase<XFSelectSparseKernelsPass> {
  using XFSelectSparseKernelsBase::XFSelectSparseKernelsBase;

  void runOnOperation() override {
    if (!llvm::is_contained({"auto", "always", "never"}, mode)) {
      getOperation()->emitError()
          << "xf-select-sparse-kernels: unknown mode '" << mode
          << "' (expected auto, always or never)";
      return signalPassFailure();
    }
    if (minSpeedup <= 0 || expandBytes < 0 || streamOverhead <= 0 ||
        codeOverhead <= 0) {
      getOperation()->emitError()
          << "xf-select-sparse-kernels: min-speedup, stream-overhead and "
             "code-overhead must be > 0, expand-bytes >= 0";
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    groupWeights(module, symbols);
    for (const auto *group : groups) {
      if (!group->isLeader())
        continue;
      SmallVector<GlobalWeightOp> members;
      bool eligible = true;
      for (const Node &member : groups.members(*group)) {
        if (member.second == kComputed)
          eligible = false;
        else if (auto global = dyn_cast<GlobalWeightOp>(member.first))
          members.push_back(global);
      }
      if (eligible && !members.empty())
        decide(members);
    }
  }

  /// Unites each weight with the function arguments it is passed as; an
  /// argument some call passes a computed value is marked kComputed.
  void groupWeights(ModuleOp module, SymbolTable &symbols) {
    module.walk([&](GlobalWeightOp global) { groups.insert({global, 0}); });
    module.walk([&](func::CallOp call) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return;
      for (auto [i, operand] : llvm::enumerate(call.getOperands())) {
        Node arg{callee, i};
        if (auto load = operand.getDefiningOp<WeightOp>()) {
          if (auto global = symbols.lookup<GlobalWeightOp>(load.getName()))
            groups.unionSets({global, 0}, arg);
          continue;
        }
        auto blockArg = dyn_cast<BlockArgument>(operand);
        auto caller =
            blockArg
                ? dyn_cast<func::FuncOp>(blockArg.getOwner()->getParentOp())
                : func::FuncOp();
        if (caller && blockArg.getOwner()->isEntryBlock())
          groups.unionSets({caller, blockArg.getArgNumber()}, arg);
        else
          groups.unionSets({callee, kComputed}, arg);
      }
    });
  }

  /// Chooses the layout of weights that must share one.
  void decide(MutableArrayRef<GlobalWeightOp> members) {
    int64_t values = 0;
    std::optional<int64_t> codes = 0; // none if a member has no count
    double zeros = 1.0;
    for (GlobalWeightOp global : members) {
      auto sparsity = global->getAttrOfType<SparsityAttr>(kSparsityAttr);
      if (!sparsity || !isSparseCandidate(global.getType()))
        return; // not measured, or not a float weight in rows
      values = std::max(values, sparsity.getSlots());
      codes = codes && sparsity.getCodes()
                  ? std::optional(std::max(*codes, *sparsity.getCodes()))
                  : std::nullopt;
      zeros = std::min(zeros, sparsity.getZeroFraction());
    }
    // The bytes decode reads, dense and sparse, as the packed types give
    // them (the layouts' one definition of their sizes).
    Type type = members.front().getType();
    MLIRContext *context = &getContext();
    ArrayRef<int64_t> shape = getWeightShape(type);
    auto withLayout = [&](PackedLayoutAttr layout) -> Type {
      if (auto q = dyn_cast<QTensorType>(type))
        return QTensorType::get(context, shape, q.getStorageType(),
                                q.getScheme(), layout);
      return RankedTensorType::get(
          shape, cast<RankedTensorType>(type).getElementType(), layout);
    };
    PackedLayoutAttr layout;
    if (auto q = dyn_cast<QTensorType>(type)) {
      if (values > q.getScheme().getGroupsPerRow(shape[1]))
        return;
      layout = PackedLayoutAttr::getSparseTiles(context, values);
    } else {
      if (values > kPanelRows * shape[1])
        return;
      layout = PackedLayoutAttr::getSparsePanels(context, values);
    }
    PackedLayoutAttr blocked =
        isa<QTensorType>(type)
            ? PackedLayoutAttr::getQuantizedTiles(context)
            : PackedLayoutAttr::getFloatPanels(
                  context, cast<RankedTensorType>(type).getElementType());
    double dense = *getPackedBytes(withLayout(blocked));
    double sparse = *getPackedBytes(withLayout(layout));
    // Quantized tiles skip the groups left out outright, so the bytes
    // alone decide; sparse panels also pay for expanding every position.
    double predicted =
        isa<QTensorType>(type)
            ? dense / sparse
            : dense / std::max(streamOverhead * sparse,
                               expandBytes *
                                   double(llvm::alignTo(shape[0], kPanelRows)) *
                                   shape[1]);
    // Q8_0-style tiles may instead leave out every zero value, and expand
    // the rest back.
    if (PackedLayoutAttr byCodes =
            codes && sparseCodes
                ? PackedLayoutAttr::getSparseCodes(context, *codes)
                : PackedLayoutAttr();
        byCodes && succeeded(QTensorType::verify(
                       [] { return InFlightDiagnostic(); }, shape,
                       cast<QTensorType>(type).getStorageType(),
                       cast<QTensorType>(type).getScheme(), byCodes))) {
      double codeBytes = *getPackedBytes(withLayout(byCodes));
      double byCodesPredicted = dense / (codeOverhead * codeBytes);
      if (mode == "always" ? codeBytes < sparse
                           : byCodesPredicted > predicted) {
        layout = byCodes;
        sparse = codeBytes;
        predicted = byCodesPredicted;
      }
    }
    bool choose = mode == "always"  ? sparse < dense
                  : mode == "never" ? false
                                    : predicted >= minSpeedup;
    for (GlobalWeightOp global : members) {
      if (emitRemarks)
        global.emitRemark(
            llvm::formatv("{0} zeros, predicted decode speedup {1:F2}: {2} {3}",
                          llvm::formatv("{0:P1}", zeros).str(), predicted,
                          choose ? "sparse" : "dense",
                          layout.isSparseCodes()   ? "codes"
                          : isa<QTensorType>(type) ? "tiles"
                                                   : "panels"));
      if (choose)
        global->setAttr(kPackingAttr, layout);
    }
  }

  /// The second member of a node that stands for computed values.
  static constexpr unsigned kComputed = ~0u;
  llvm::EquivalenceClasses<Node> groups;
};

} // namespace
