//===- Kernels.h - Link the microkernel bitcode into a model ----*- C++ -*-===//

#ifndef XFC_LOWERING_TARGET_KERNELS_H
#define XFC_LOWERING_TARGET_KERNELS_H

#include "llvm/IR/Module.h"

#include <string>

namespace xfc {

/// Links the microkernels (lowering/ukernels, embedded as bitcode) that
/// `module` calls into it, with internal linkage so that they are inlined
/// and specialized and the .so does not export them. Does nothing when the
/// module calls no kernel.
bool linkKernels(llvm::Module &module, std::string &error);

} // namespace xfc

#endif // XFC_LOWERING_TARGET_KERNELS_H
