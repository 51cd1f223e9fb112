//===- Commands.h - The xfc driver's subcommands ----------------*- C++ -*-===//
//
// Each subcommand lives in its own file: an llvm::cl::SubCommand with its
// options, and a run function registered here.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TOOLS_XFC_COMMANDS_H
#define XFC_TOOLS_XFC_COMMANDS_H

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace xfc::driver {

struct Command {
  llvm::cl::SubCommand *sub;
  int (*run)();
};

/// All registered subcommands, in registration order.
std::vector<Command> &commands();

/// Registers a subcommand at static-initialization time.
struct RegisterCommand {
  RegisterCommand(llvm::cl::SubCommand &sub, int (*run)()) {
    commands().push_back({&sub, run});
  }
};

/// Prints "xfc: error: <message>" to stderr and returns the exit code 1.
int fail(const std::string &message);
/// Prints "xfc: warning: <message>" to stderr.
void warn(const std::string &message);

/// `xfc inspect model.onnx`: the graph's summary on `os`; the exit code.
int inspectONNX(const std::string &path, llvm::raw_ostream &os);

} // namespace xfc::driver

#endif // XFC_TOOLS_XFC_COMMANDS_H
