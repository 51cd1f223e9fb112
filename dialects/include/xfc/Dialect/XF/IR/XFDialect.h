//===- XFDialect.h - The xf dialect -----------------------------*- C++ -*-===//
//
// Umbrella header for the xf dialect: the dialect, its attributes, types and
// operations.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_DIALECT_XF_IR_XFDIALECT_H
#define XFC_DIALECT_XF_IR_XFDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "xfc/Support/GeneratedCode.h"

XFC_BEGIN_GENERATED_CODE

#include "xfc/Dialect/XF/IR/XFDialect.h.inc"
#include "xfc/Dialect/XF/IR/XFEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "xfc/Dialect/XF/IR/XFAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "xfc/Dialect/XF/IR/XFTypes.h.inc"

#define GET_OP_CLASSES
#include "xfc/Dialect/XF/IR/XFOps.h.inc"

XFC_END_GENERATED_CODE

namespace mlir::xf {
/// The logical shape of a weight operand: a float tensor or an
/// `!xf.qtensor`. Quantized weights report their `[out, in]` shape.
ArrayRef<int64_t> getWeightShape(Type weightType);

/// The bytes of a weight whose type has a packed byte form: an
/// `!xf.qtensor` in the ggml or blocked layout, or a float weight tensor
/// whose encoding is the blocked `#xf.layout`. nullopt for other types
/// (plain tensors are stored as their elements).
std::optional<int64_t> getPackedBytes(Type weightType);

/// The sparse layout (#xf.layout<sparse, ...>) of a weight: a float
/// weight's encoding or a quantized one's layout; null for other types.
PackedLayoutAttr getSparseLayout(Type weightType);

/// The slots of a weight in a sparse layout (#xf.layout<sparse, ...,
/// values = C>): values per panel of a float weight, groups per block of
/// quantized tiles, values per block of sparse codes; nullopt for other
/// types.
std::optional<int64_t> getSparseSlots(Type weightType);

/// The input values sharing one INT8 activation scale when a GEMM with a
/// weight of `weightType` computes `int8`: those of one of the weight's
/// groups (a whole row for per-channel weights), so that a group's dot
/// product stays integer; 32 for float weights.
int64_t getInt8ActivationGroup(Type weightType);

/// The bytes a weight of `weightType` takes in the weight blob: its packed
/// form (getPackedBytes), or a plain float tensor's elements. nullopt for
/// a quantized weight in a layout with no byte format.
std::optional<int64_t> getStoredBytes(Type weightType);
} // namespace mlir::xf

#endif // XFC_DIALECT_XF_IR_XFDIALECT_H
