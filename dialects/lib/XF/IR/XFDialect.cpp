//===- XFDialect.cpp - xf dialect registration ----------------------------===//

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "xfc/Support/GeneratedCode.h"

using namespace mlir;
using namespace mlir::xf;

XFC_BEGIN_GENERATED_CODE
#include "xfc/Dialect/XF/IR/XFDialect.cpp.inc"
XFC_END_GENERATED_CODE

Operation *XFDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  if (auto typed = dyn_cast<TypedAttr>(value);
      typed && arith::ConstantOp::isBuildableWith(typed, type))
    return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}

void XFDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "xfc/Dialect/XF/IR/XFOps.cpp.inc"
      >();
}
