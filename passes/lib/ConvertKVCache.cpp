//===- ConvertKVCache.cpp - Choose the KV caches' element type -----------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFCONVERTKVCACHE
#include "xfc/Transforms/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The element type `name` asks for; null for `keep`.
FailureOr<Type> parseElement(MLIRContext *ctx, StringRef name) {
  Builder b(ctx);
  if (name == "keep")
    return Type();
  if (name == "f32")
    return Type(b.getF32Type());
  if (name == "f16")
    return Type(b.getF16Type());
  if (name == "bf16")
    return Type(b.getBF16Type());
  if (name == "int8")
    return Type(b.getI8Type());
  return failure();
}

struct XFConvertKVCachePass
    : xf::impl::XFConvertKVCacheBase<XFConvertKVCachePass> {
  using XFConvertKVCacheBase::XFConvertKVCacheBase;

  void runOnOperation() override {
    FailureOr<Type> target = parseElement(&getContext(), element);
    if (failed(target)) {
      getOperation().emitError()
          << "xf-convert-kv-cache: unknown element '" << element
          << "' (expected keep, f32, f16, bf16 or int8)";
      return signalPassFailure();
    }
    if (!*target)
      return;
    // Block arguments are the only values of cache type: retyping them and
    // their functions' signatures keeps every call consistent.
    auto convert = [&](Type type) -> Type {
      auto cache = dyn_cast<KVCacheType>(type);
      if (!cache)
        return type;
      return KVCacheType::get(&getContext(), cache.getMaxContext(),
                              cache.getKvHeads(), cache.getHeadDim(), *target);
    };
    getOperation().walk([&](func::FuncOp func) {
      for (BlockArgument arg : func.getArguments())
        arg.setType(convert(arg.getType()));
      auto inputs = llvm::map_to_vector(func.getArgumentTypes(), convert);
      func.setType(
          FunctionType::get(&getContext(), inputs, func.getResultTypes()));
    });
  }
};

} // namespace
