//===- Sparsify.cpp - Magnitude pruning of GEMM weights -------------------===//
//
// Wraps GEMM weights in xf.prune: unstructured, N:M or block sparsity at a
// global or per-weight level. The pruned weights are computed once, as
// derived weights; the kernels then see their zeros.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Support/GeneratedCode.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlir::xf {
#define GEN_PASS_DEF_XFSPARSIFY
XFC_BEGIN_GENERATED_CODE
#include "xfc/Transforms/Passes.h.inc"
XFC_END_GENERATED_CODE
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// A parsed `pattern` option.
struct Pattern {
  SparsityPattern kind = SparsityPattern::unstructured;
  int64_t a = 0, b = 0; // N:M, or block R x C

  static std::optional<Pattern> parse(StringRef text) {
    Pattern p;
    if (text == "unstructured")
      return p;
    auto twoSizes = [&](StringRef sizes, char sep) {
      auto [first, second] = sizes.split(sep);
      return !first.getAsInteger(10, p.a) && !second.getAsInteger(10, p.b) &&
             p.a > 0 && p.b > 0;
    };
    if (text.consume_front("block:")) {
      p.kind = SparsityPattern::block;
      return twoSizes(text, 'x') ? std::optional(p) : std::nullopt;
    }
    p.kind = SparsityPattern::nm;
    return twoSizes(text, ':') && p.a <= p.b ? std::optional(p) : std::nullopt;
  }
};

struct XFSparsifyPass : xf::impl::XFSparsifyBase<XFSparsifyPass> {
  using XFSparsifyBase::XFSparsifyBase;

  void runOnOperation() override {
    std::optional<Pattern> parsed = Pattern::parse(pattern);
    if (!parsed)
      return fail("unknown pattern '" + pattern +
                  "' (expected unstructured, N:M such as 2:4, or block:RxC "
                  "such as block:4x16)");
    shape = *parsed;
    if (failed(checkLevel(level, "level")))
      return signalPassFailure();
    for (const std::string &entry : layerLevels) {
      auto [name, value] = StringRef(entry).rsplit('=');
      double parsedLevel;
      if (name.empty() || value.getAsDouble(parsedLevel))
        return fail("layer-levels entry '" + entry +
                    "' is not substring=level");
      if (failed(checkLevel(parsedLevel, "the level of '" + name.str() + "'")))
        return signalPassFailure();
      levels.push_back({name.str(), parsedLevel});
    }
    SmallVector<Operation *> gemms;
    getOperation()->walk([&](Operation *op) {
      if (isa<LinearOp, FfnOp>(op))
        gemms.push_back(op);
    });
    for (Operation *op : gemms)
      for (OpOperand *operand : gemmsOf(op).weights)
        if (failed(prune(op, *operand)))
          return signalPassFailure();
  }

  void fail(const std::string &message) {
    getOperation()->emitError() << "xf-sparsify: " << message;
    signalPassFailure();
  }

  /// N:M fixes the level; the others need one below 1.
  LogicalResult checkLevel(double value, const std::string &what) {
    if (!(value >= 0.0 && value < 1.0)) {
      fail(what + " " + std::to_string(value) + " is not in [0, 1)");
      return failure();
    }
    if (shape.kind == SparsityPattern::nm && value != 0.0) {
      double implied = 1.0 - double(shape.a) / double(shape.b);
      if (std::abs(value - implied) > 1e-9) {
        fail(what + " " + llvm::formatv("{0}", value).str() +
             " is impossible "
             "with " +
             pattern + ", which zeros " + std::to_string(shape.b - shape.a) +
             " of every " + std::to_string(shape.b) + " values (level " +
             llvm::formatv("{0}", implied).str() + ")");
        return failure();
      }
    }
    return success();
  }

  /// The level of the weight `names` name: the first layer-levels entry
  /// whose substring matches, else the global level. nullopt: left dense.
  std::optional<double> levelFor(ArrayRef<StringRef> names) const {
    auto matches = [&](StringRef pattern) {
      return llvm::any_of(names,
                          [&](StringRef n) { return n.contains(pattern); });
    };
    if (llvm::any_of(exclude, [&](const std::string &e) { return matches(e); }))
      return std::nullopt;
    // An explicit 0 leaves the weight dense, even with N:M.
    for (const auto &[pattern, value] : levels)
      if (matches(pattern))
        return value == 0.0 ? std::nullopt : std::optional(value);
    return level;
  }

  LogicalResult prune(Operation *op, OpOperand &operand) {
    Value weight = operand.get();
    Type type = weight.getType();
    auto q = dyn_cast<QTensorType>(type);
    if ((q && !q.getBlockBytes()) || getWeightShape(type).size() != 2)
      return success(); // no xf.quantize could rebuild it
    SmallVector<StringRef> names = weightNames(weight);
    std::optional<double> value = levelFor(names);
    bool nm = shape.kind == SparsityPattern::nm;
    if (!value || (*value == 0.0 && !nm))
      return success();
    ArrayRef<int64_t> dims = getWeightShape(type);
    std::string weightName =
        names.empty() ? "a weight" : "weight '" + names.front().str() + "'";
    if ((nm && dims[1] % shape.b != 0) ||
        (shape.kind == SparsityPattern::block &&
         (dims[0] % shape.a != 0 || dims[1] % shape.b != 0)))
      return op->emitError()
             << "xf-sparsify: " << weightName << " is [" << dims[0] << ", "
             << dims[1] << "], which " << pattern
             << " does not divide (exclude it, or choose another pattern)";
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto f32Type = RankedTensorType::get(dims, b.getF32Type());
    Value input = weight;
    if (q)
      input = DequantizeOp::create(b, loc, f32Type, weight);
    DenseI64ArrayAttr block = shape.kind == SparsityPattern::unstructured
                                  ? DenseI64ArrayAttr()
                                  : b.getDenseI64ArrayAttr({shape.a, shape.b});
    FloatAttr levelAttr = nm ? FloatAttr() : b.getF64FloatAttr(*value);
    Value pruned = PruneOp::create(b, loc, input, shape.kind, block, levelAttr);
    if (q)
      pruned = QuantizeOp::create(b, loc, type, pruned, StringAttr());
    operand.set(pruned);
    return success();
  }

  Pattern shape;
  SmallVector<std::pair<std::string, double>> levels;
};

} // namespace
