//===- xfc-opt.cpp - XFC's mlir-opt ---------------------------------------===//
//
// Parses, verifies, transforms and prints xf IR. It accepts every mlir-opt
// flag, including --pass-pipeline, --mlir-print-ir-after-all,
// --mlir-timing, --load-pass-plugin and --load-dialect-plugin.
//
//===----------------------------------------------------------------------===//

#include "xfc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  xfc::registerAllDialects(registry);
  xfc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "XFC optimizer driver\n", registry));
}
