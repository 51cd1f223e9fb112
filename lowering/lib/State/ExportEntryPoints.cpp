//===- ExportEntryPoints.cpp - C interface for public functions -----------===//

#include "xfc/Lowering/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::xf {
#define GEN_PASS_DEF_XFEXPORTENTRYPOINTS
#include "xfc/Lowering/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;

namespace {
struct XFExportEntryPointsPass
    : xf::impl::XFExportEntryPointsBase<XFExportEntryPointsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (func.isPublic())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(&getContext()));
      else // e.g. the shared layer function: not a symbol of the .so
        func->setAttr("llvm.linkage",
                      LLVM::LinkageAttr::get(&getContext(),
                                             LLVM::Linkage::Internal));
    }
  }
};
} // namespace
