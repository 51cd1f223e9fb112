//===- InitAll.h - Register everything XFC's tools use ----------*- C++ -*-===//

#ifndef XFC_INITALL_H
#define XFC_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace xfc {

/// Adds the xf dialect and every upstream dialect XFC's pipelines produce.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers XFC's passes and pipelines, plus the upstream passes, so that
/// `--pass-pipeline` can name any of them.
void registerAllPasses();

} // namespace xfc

#endif // XFC_INITALL_H
