//===- xfc.cpp - The XFC user driver --------------------------------------===//
//
// `xfc <command> [options]`; see `xfc --help` and `xfc <command> --help`.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfrt/xfrt.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace xfc::driver;

std::vector<Command> &xfc::driver::commands() {
  static std::vector<Command> all;
  return all;
}

int xfc::driver::fail(const std::string &message) {
  llvm::errs() << "xfc: error: " << message << "\n";
  return 1;
}

void xfc::driver::warn(const std::string &message) {
  llvm::errs() << "xfc: warning: " << message << "\n";
}

static void printVersion(llvm::raw_ostream &os) {
  os << "xfc " << XFC_VERSION_STRING << " (runtime " << xfrt_version()
     << ", model ABI " << xfrt_abi_version() << ")\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::SetVersionPrinter(printVersion);
  // Keep the options libLLVM registers out of `xfc --help`; each
  // subcommand's own options stay visible in `xfc <command> --help`.
  static llvm::cl::OptionCategory driverCategory("xfc options");
  llvm::cl::HideUnrelatedOptions(driverCategory);
  if (!llvm::cl::ParseCommandLineOptions(
          argc, argv,
          "XFC: an ahead-of-time transformer compiler for x86 CPUs\n\n"
          "  xfc <command> --help   shows a command's options\n",
          &llvm::errs()))
    return 2;
  for (const Command &command : commands())
    if (*command.sub)
      return command.run();
  llvm::errs() << "xfc: error: no command given; run 'xfc --help'\n";
  return 2;
}
