//===- DialectTest.cpp - xf attributes, types and op helpers --------------===//
//
// Exercises the C++ API that passes use: building quantized types through
// the checked getters, and the helpers ops expose.
//
//===----------------------------------------------------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfk/Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <functional>

using namespace mlir;
using namespace mlir::xf;

namespace {

class XFDialectTest : public ::testing::Test {
protected:
  XFDialectTest() {
    context.loadDialect<XFDialect, func::FuncDialect>();
    // Collect diagnostics instead of printing them.
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics.push_back(diag.str());
          return success();
        });
  }

  QuantSchemeAttr scheme(unsigned bits, int64_t group) {
    return QuantSchemeAttr::getChecked(
        [&] { return emitError(UnknownLoc::get(&context)); }, &context, bits,
        group, QuantMode::symmetric, Type(Float16Type::get(&context)));
  }

  OwningOpRef<ModuleOp> parse(StringRef source) {
    return parseSourceString<ModuleOp>(source, &context);
  }

  MLIRContext context;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::vector<std::string> diagnostics;
};

TEST_F(XFDialectTest, QuantSchemeChecksBitsAndGroup) {
  QuantSchemeAttr ok = scheme(4, 32);
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok.isPerChannel());
  EXPECT_EQ(ok.getGroupsPerRow(4096), 128);
  EXPECT_TRUE(scheme(8, 0).isPerChannel());
  EXPECT_EQ(scheme(8, 0).getGroupsPerRow(4096), 1);

  EXPECT_FALSE(scheme(3, 32));
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].find("bits must be 4 or 8"), std::string::npos);
  EXPECT_FALSE(scheme(4, -1));
}

TEST_F(XFDialectTest, QTensorTypeChecksStorageAndGroups) {
  auto i4 = IntegerType::get(&context, 4);
  auto layout = PackedLayoutAttr::get(&context, LayoutKind::row_major);
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };

  auto type = QTensorType::getChecked(emit, &context, {128, 64}, i4,
                                      scheme(4, 32), layout);
  ASSERT_TRUE(type);
  EXPECT_EQ(type.getNumElements(), 128 * 64);
  EXPECT_EQ(getWeightShape(type), ArrayRef<int64_t>({128, 64}));

  // 64 inputs are not a whole number of 48-element groups.
  EXPECT_FALSE(QTensorType::getChecked(emit, &context, {128, 64}, i4,
                                       scheme(4, 48), layout));
  // i8 storage does not hold 4-bit values.
  EXPECT_FALSE(QTensorType::getChecked(emit, &context, {128, 64},
                                       IntegerType::get(&context, 8),
                                       scheme(4, 32), layout));
  EXPECT_EQ(diagnostics.size(), 2u);
}

// The dialect sizes packed weights on its own; the kernels' packing code
// must agree on every kind, including a partial last tile or panel.
TEST_F(XFDialectTest, PackedBytesMatchTheKernels) {
  auto f16 = Float16Type::get(&context);
  auto tiles = PackedLayoutAttr::getQuantizedTiles(&context);
  struct Kind {
    int64_t kind;
    std::function<Type(int64_t n, int64_t k)> type;
  };
  auto floats = [&](Type element) {
    return [=, this](int64_t n, int64_t k) -> Type {
      return RankedTensorType::get(
          {n, k}, element, PackedLayoutAttr::getFloatPanels(&context, element));
    };
  };
  // Groups of 32 (ggml's), 64, and one per row (group 0); f16 or f32
  // scales.
  auto blocks = [&](unsigned bits, QuantMode mode, int64_t group,
                    Type scale = {}) {
    Type scaleType = scale ? scale : Type(f16);
    return [=, this](int64_t n, int64_t k) -> Type {
      return QTensorType::get(
          &context, {n, k}, IntegerType::get(&context, bits),
          QuantSchemeAttr::get(&context, bits, group, mode, scaleType), tiles);
    };
  };
  auto f32 = Float32Type::get(&context);
  const Kind kinds[] = {
      {XFK_W_F32, floats(Float32Type::get(&context))},
      {XFK_W_F16, floats(f16)},
      {XFK_W_BF16, floats(BFloat16Type::get(&context))},
      {XFK_W_Q8_0, blocks(8, QuantMode::symmetric, 32)},
      {XFK_W_Q4_0, blocks(4, QuantMode::symmetric, 32)},
      {XFK_W_Q4_1, blocks(4, QuantMode::min_offset, 32)},
      {XFK_W_Q8_0, blocks(8, QuantMode::symmetric, 64)},
      {XFK_W_Q4_0, blocks(4, QuantMode::symmetric, 0)},
      {XFK_W_Q4_1, blocks(4, QuantMode::min_offset, 64)},
      {XFK_W_Q8_0 | XFK_W_F32_SCALES, blocks(8, QuantMode::symmetric, 32, f32)},
      {XFK_W_Q4_1 | XFK_W_F32_SCALES,
       blocks(4, QuantMode::min_offset, 0, f32)}};
  for (const Kind &kind : kinds) {
    PackedLayoutAttr layout =
        kind.kind <= XFK_W_BF16
            ? cast<PackedLayoutAttr>(
                  cast<RankedTensorType>(kind.type(1, 64)).getEncoding())
            : tiles;
    EXPECT_EQ(layout.getTile()[0], xfk_packed_tile_rows(kind.kind));
    EXPECT_EQ(layout.getVnni() == 2 ? 2 : 1, xfk_packed_k_pairs(kind.kind));
    // K odd: bf16 pairs are padded.
    for (int64_t n : {1, 16, 17, 64, 100})
      for (int64_t k : {64, 192, 7}) {
        if (kind.kind > XFK_W_BF16 && k % 32)
          continue;
        Type type = kind.type(n, k);
        auto q = dyn_cast<QTensorType>(type);
        int64_t group = q ? q.getScheme().getGroupValues(k) : 0;
        EXPECT_EQ(getPackedBytes(type),
                  xfk_packed_bytes(kind.kind, group, n, k))
            << "kind " << kind.kind << ", " << n << "x" << k << " group "
            << group;
      }
  }
  // Plain tensors have no packed form: they are stored as their elements.
  EXPECT_EQ(getPackedBytes(RankedTensorType::get({4, 32}, f16)),
            std::nullopt);
  EXPECT_TRUE(diagnostics.empty());
}

TEST_F(XFDialectTest, AttentionScaleDefaultsToInverseSqrtHeadDim) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    func.func @f(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>) -> (tensor<?x8x64xf32>, tensor<?x8x64xf32>) {
      %0 = xf.attention %q, %k, %k causal : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x8x64xf32>
      %1 = xf.attention %q, %k, %k scale = 0.5 : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x8x64xf32>
      return %0, %1 : tensor<?x8x64xf32>, tensor<?x8x64xf32>
    })mlir");
  ASSERT_TRUE(module);
  SmallVector<AttentionOp> ops;
  module->walk([&](AttentionOp op) { ops.push_back(op); });
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_FLOAT_EQ(ops[0].getEffectiveScale(), 0.125f);
  EXPECT_TRUE(ops[0].getCausal());
  EXPECT_FLOAT_EQ(ops[1].getEffectiveScale(), 0.5f);
  EXPECT_FALSE(ops[1].getCausal());
}

TEST_F(XFDialectTest, RopeRotaryDimDefaultsToHeadDim) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    func.func @f(%x: tensor<?x4x64xf32>, %p: tensor<?xi32>) -> (tensor<?x4x64xf32>, tensor<?x4x64xf32>) {
      %0 = xf.rope neox %x, %p theta = 1.0e4 : tensor<?x4x64xf32>, tensor<?xi32>
      %1 = xf.rope interleaved %x, %p theta = 1.0e4 dims = 32 : tensor<?x4x64xf32>, tensor<?xi32>
      return %0, %1 : tensor<?x4x64xf32>, tensor<?x4x64xf32>
    })mlir");
  ASSERT_TRUE(module);
  SmallVector<RopeOp> ops;
  module->walk([&](RopeOp op) { ops.push_back(op); });
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].getEffectiveRotaryDim(), 64);
  EXPECT_EQ(ops[0].getStyle(), RopeStyle::neox);
  EXPECT_EQ(ops[1].getEffectiveRotaryDim(), 32);
}

TEST_F(XFDialectTest, BuiltGraphVerifies) {
  // Build `linear(rms_norm(x))` with the C++ builders, as an importer does.
  OpBuilder b(&context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto f32 = b.getF32Type();
  auto weightType = RankedTensorType::get({32, 16}, f32);
  GlobalWeightOp::create(b, loc, "w", /*sym_visibility=*/StringAttr(),
                         weightType);
  auto act = RankedTensorType::get({ShapedType::kDynamic, 16}, f32);
  auto out = RankedTensorType::get({ShapedType::kDynamic, 32}, f32);
  auto gamma = RankedTensorType::get({16}, f32);
  auto func = func::FuncOp::create(b, loc, "f",
                                   b.getFunctionType({act, gamma}, {out}));
  b.setInsertionPointToStart(func.addEntryBlock());
  Value normed = RmsNormOp::create(b, loc, func.getArgument(0),
                                   func.getArgument(1), b.getF32FloatAttr(1e-5));
  Value w = WeightOp::create(b, loc, weightType, "w");
  Value y = LinearOp::create(b, loc, out, normed, w, Value());
  func::ReturnOp::create(b, loc, y);
  EXPECT_TRUE(succeeded(verify(*module)));
  EXPECT_TRUE(diagnostics.empty());

  // A linear whose weight does not match the input width must be rejected.
  b.setInsertionPoint(y.getDefiningOp());
  auto badWeightType = RankedTensorType::get({32, 8}, f32);
  OpBuilder top = OpBuilder::atBlockBegin(module->getBody());
  GlobalWeightOp::create(top, loc, "bad", StringAttr(),
                         badWeightType);
  Value bad = WeightOp::create(b, loc, badWeightType, "bad");
  y.getDefiningOp()->setOperand(1, bad);
  EXPECT_TRUE(failed(verify(*module)));
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_NE(diagnostics.back().find("weight must have shape [32, 16]"),
            std::string::npos);
}

} // namespace
