//===- TokenizeCommand.cpp - xfc tokenize ---------------------------------===//
//
// Prints the token ids of a text with the model's own tokenizer.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfc/Frontends/GGUF/GGUFFile.h"
#include "xfc/Frontends/GGUF/Vocabulary.h"
#include "xfrt/Tokenizer.h"

#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("tokenize", "Print the token ids of a text");
cl::opt<std::string> input(cl::Positional, cl::desc("<model.gguf>"),
                           cl::Required, cl::sub(command));
cl::opt<std::string> text(cl::Positional, cl::desc("<text>"), cl::Required,
                          cl::sub(command));
cl::opt<bool> noBos("no-bos", cl::desc("Do not add the BOS token"),
                    cl::sub(command));
cl::opt<bool> parseSpecial(
    "parse-special",
    cl::desc("Turn the text of control tokens (e.g. </s>) into them"),
    cl::sub(command));
cl::opt<bool> showPieces("pieces",
                         cl::desc("Print each id with its token text"),
                         cl::sub(command));

int run() {
  std::string error;
  std::unique_ptr<xfc::gguf::File> file = xfc::gguf::File::open(input, error);
  if (!file)
    return fail(error);
  std::optional<xfrt::Vocabulary> vocab =
      xfc::gguf::loadVocabulary(*file, error);
  if (!vocab)
    return fail(error);
  std::unique_ptr<xfrt::Tokenizer> tokenizer =
      xfrt::Tokenizer::create(std::move(*vocab), error);
  if (!tokenizer)
    return fail(input + ": " + error);
  std::vector<int32_t> ids = tokenizer->encode(text, !noBos, parseSpecial);
  const xfrt::Vocabulary &v = tokenizer->vocabulary();
  for (size_t i = 0; i < ids.size(); ++i) {
    outs() << (i ? " " : "") << ids[i];
    if (showPieces)
      outs() << ":'" << v.tokens[ids[i]] << "'";
  }
  outs() << "\n";
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
