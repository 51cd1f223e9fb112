//===- Target.h - From the LLVM dialect to machine code ---------*- C++ -*-===//

#ifndef XFC_LOWERING_TARGET_H
#define XFC_LOWERING_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace xfc {

/// The CPU to compile for.
struct TargetSpec {
  std::string cpu;      // LLVM CPU name, e.g. "x86-64-v4"
  std::string features; // "+avx512f,..." ("" = the CPU's defaults)
  unsigned optLevel = 2; // -O0..3
};

/// `native` (this machine's CPU and features), `x86-64-v3`, `x86-64-v4` or
/// `sapphirerapids`. Returns nullopt with `error` for anything else.
std::optional<TargetSpec> parseTarget(llvm::StringRef name, unsigned optLevel,
                                      std::string &error);

/// Whether code for `target` may use an x86 feature by LLVM's name (e.g.
/// "avx512vbmi2"): this CPU's for `native`, the named CPU's otherwise
/// (as LLVM lists them, without the features they imply).
bool targetHasFeature(const TargetSpec &target, llvm::StringRef feature);

enum class OutputKind { LLVMIR, Assembly, Object };

/// Translates a module in the LLVM dialect to LLVM IR, optimizes it for the
/// target and writes it in the requested form.
mlir::LogicalResult emitMachineCode(mlir::ModuleOp module,
                                    const TargetSpec &target, OutputKind kind,
                                    llvm::raw_pwrite_stream &os,
                                    std::string &error);

} // namespace xfc

#endif // XFC_LOWERING_TARGET_H
