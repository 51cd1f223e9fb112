//===- xfc.cpp - The XFC user driver --------------------------------------===//
//
// `xfc <command> [options]`. Each command is a function; commands whose
// implementation has not landed yet say so and exit non-zero.
//
//===----------------------------------------------------------------------===//

#include "xfrt/xfrt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace {

struct Command {
  llvm::StringRef name;
  llvm::StringRef usage;
  llvm::StringRef summary;
  // The issue whose work implements it; 0 once implemented.
  int pendingIssue;
};

const Command kCommands[] = {
    {"compile", "compile MODEL.gguf -o MODEL.so [--target=...] [--emit=...]",
     "Compile a model to a native shared object", 4},
    {"run", "run MODEL.so -p PROMPT [-n N] [--temp T] [--seed S]",
     "Generate text from a prompt", 4},
    {"bench", "bench MODEL.so [-p N] [-n N] [-r N] [-t THREADS]",
     "Measure prefill and decode tokens/s", 4},
    {"perplexity", "perplexity MODEL.so -f TEXT [--ctx N] [--chunks N]",
     "Compute perplexity as llama-perplexity does", 4},
    {"tokenize", "tokenize MODEL.gguf TEXT", "Print the token ids of a text",
     3},
    {"inspect", "inspect MODEL.gguf", "Print a model's metadata and tensors",
     3},
    {"make-model", "make-model --arch A --preset P -o OUT.gguf",
     "Write a random-weight GGUF model", 3},
};

void printVersion(llvm::raw_ostream &os) {
  os << "xfc " << XFC_VERSION_STRING << " (runtime " << xfrt_version()
     << ", model ABI " << xfrt_abi_version() << ")\n";
}

void printHelp(llvm::raw_ostream &os) {
  os << "XFC: an ahead-of-time transformer compiler for x86 CPUs\n\n"
     << "Usage: xfc <command> [options]\n\nCommands:\n";
  for (const Command &c : kCommands)
    os << llvm::format("  %-12s", c.name.str().c_str()) << c.summary << "\n";
  os << "\nOptions:\n"
     << "  -h, --help     Show this help (or `xfc <command> --help`)\n"
     << "  --version      Show the compiler and runtime versions\n\n"
     << "The IR at every stage is available through `xfc-opt`.\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::raw_ostream &out = llvm::outs(), &err = llvm::errs();
  if (argc < 2) {
    printHelp(err);
    return 2;
  }
  llvm::StringRef first = argv[1];
  if (first == "-h" || first == "--help" || first == "help") {
    printHelp(out);
    return 0;
  }
  if (first == "--version") {
    printVersion(out);
    return 0;
  }
  const Command *command = llvm::find_if(
      kCommands, [&](const Command &c) { return c.name == first; });
  if (command == std::end(kCommands)) {
    err << "xfc: unknown command '" << first
        << "'; run 'xfc --help' for the list of commands\n";
    return 2;
  }
  if (argc > 2 && (llvm::StringRef(argv[2]) == "--help" ||
                   llvm::StringRef(argv[2]) == "-h")) {
    out << "Usage: xfc " << command->usage << "\n" << command->summary << "\n";
    return 0;
  }
  err << "xfc: '" << command->name << "' is not implemented yet (issue #"
      << command->pendingIssue << ")\n";
  return 1;
}
