//===- X86Dialects.h - The one place naming the x86 dialects ----*- C++ -*-===//
//
// MLIR 22 calls the x86 SIMD dialect `x86vector` and keeps AMX apart; LLVM 23
// merges both into `x86`. Everything in XFC names them through these aliases
// so that the move touches this file only.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_LOWERING_X86DIALECTS_H
#define XFC_LOWERING_X86DIALECTS_H

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

namespace xfc {
/// AVX-512 (VNNI, BF16, FP16) intrinsics dialect.
using X86SimdDialect = mlir::x86vector::X86VectorDialect;
/// Intel AMX tile dialect.
using X86AmxDialect = mlir::amx::AMXDialect;
} // namespace xfc

#endif // XFC_LOWERING_X86DIALECTS_H
