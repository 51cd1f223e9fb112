//===- Kernels.cpp - Link the microkernel bitcode into a model ------------===//

#include "Kernels.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/GlobalValue.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/MemoryBuffer.h"

#include <set>

extern const unsigned char xfcKernelBitcode[];
extern const unsigned long xfcKernelBitcodeSize;

bool xfc::linkKernels(llvm::Module &module, std::string &error) {
  bool calls = llvm::any_of(module.functions(), [](llvm::Function &f) {
    return f.isDeclaration() && f.getName().starts_with("xfk_");
  });
  if (!calls)
    return true;
  llvm::MemoryBufferRef buffer(
      llvm::StringRef(reinterpret_cast<const char *>(xfcKernelBitcode),
                      xfcKernelBitcodeSize),
      "xfk.bc");
  llvm::Expected<std::unique_ptr<llvm::Module>> kernels =
      llvm::parseBitcodeFile(buffer, module.getContext());
  if (!kernels) {
    error = "cannot read the kernel bitcode: " +
            llvm::toString(kernels.takeError());
    return false;
  }
  (*kernels)->setTargetTriple(module.getTargetTriple());
  (*kernels)->setDataLayout(module.getDataLayout());
  std::set<std::string> names;
  for (llvm::GlobalValue &g : (*kernels)->global_values())
    if (!g.isDeclaration())
      names.insert(g.getName().str());
  if (llvm::Linker::linkModules(module, std::move(*kernels),
                                llvm::Linker::LinkOnlyNeeded)) {
    error = "cannot link the kernel bitcode into the model";
    return false;
  }
  for (const std::string &name : names)
    if (llvm::GlobalValue *g = module.getNamedValue(name))
      if (!g->isDeclaration())
        g->setLinkage(llvm::GlobalValue::InternalLinkage);
  return true;
}
