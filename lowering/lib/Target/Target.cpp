//===- Target.cpp - From the LLVM dialect to machine code -----------------===//

#include "xfc/Lowering/Target.h"

#include "Kernels.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace xfc;

std::optional<TargetSpec> xfc::parseTarget(llvm::StringRef name,
                                           unsigned optLevel,
                                           std::string &error) {
  if (optLevel > 3) {
    error = "optimization level must be 0 to 3";
    return std::nullopt;
  }
  TargetSpec spec;
  spec.optLevel = optLevel;
  if (name == "native") {
    spec.cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      spec.features += std::string(spec.features.empty() ? "" : ",") +
                       (feature.second ? "+" : "-") + feature.first().str();
    return spec;
  }
  if (name == "x86-64-v3" || name == "x86-64-v4" || name == "sapphirerapids") {
    spec.cpu = name.str();
    return spec;
  }
  error = "unknown --target '" + name.str() +
          "' (expected native, x86-64-v3, x86-64-v4 or sapphirerapids)";
  return std::nullopt;
}

bool xfc::targetHasFeature(const TargetSpec &target, llvm::StringRef feature) {
  std::string plus = ("+" + feature).str();
  if (!target.features.empty())
    return llvm::is_contained(llvm::split(target.features, ','), plus);
  llvm::SmallVector<llvm::StringRef> features;
  llvm::X86::getFeaturesForCPU(target.cpu, features, /*NeedPlus=*/true);
  return llvm::is_contained(features, plus);
}

mlir::LogicalResult xfc::emitMachineCode(mlir::ModuleOp module,
                                         const TargetSpec &target,
                                         OutputKind kind,
                                         llvm::raw_pwrite_stream &os,
                                         std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // The kernels detect the CPU with inline assembly (cpuid, xgetbv).
  llvm::InitializeNativeTargetAsmParser();
  mlir::registerBuiltinDialectTranslation(*module.getContext());
  mlir::registerLLVMDialectTranslation(*module.getContext());

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return mlir::failure();
  llvm::CodeGenOptLevel level =
      target.optLevel == 0   ? llvm::CodeGenOptLevel::None
      : target.optLevel == 1 ? llvm::CodeGenOptLevel::Less
      : target.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                             : llvm::CodeGenOptLevel::Aggressive;
  // Position-independent: the code goes into a shared object.
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.cpu, target.features, llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, level));
  if (!machine) {
    error = "cannot create a target machine for " + target.cpu;
    return mlir::failure();
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return mlir::failure();
  }
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  if (!linkKernels(*llvmModule, error))
    return mlir::failure();
  auto optimize = mlir::makeOptimizingTransformer(target.optLevel,
                                                  /*sizeLevel=*/0,
                                                  machine.get());
  if (llvm::Error e = optimize(llvmModule.get())) {
    error = llvm::toString(std::move(e));
    return mlir::failure();
  }
  if (kind == OutputKind::LLVMIR) {
    llvmModule->print(os, nullptr);
    return mlir::success();
  }
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   kind == OutputKind::Object
                                       ? llvm::CodeGenFileType::ObjectFile
                                       : llvm::CodeGenFileType::AssemblyFile)) {
    error = "the target cannot emit this file type";
    return mlir::failure();
  }
  codegen.run(*llvmModule);
  return mlir::success();
}
