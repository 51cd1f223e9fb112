//===- TokenizeCommand.cpp - xfc tokenize ---------------------------------===//
//
// Prints the token ids of a text with the model's own tokenizer: a GGUF
// model's, or an HF checkpoint's tokenizer.json.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfc/Frontends/GGUF/GGUFFile.h"
#include "xfc/Frontends/GGUF/Vocabulary.h"
#include "xfc/Frontends/HF/HFCheckpoint.h"
#include "xfc/Frontends/HF/HFTokenizer.h"
#include "xfrt/Tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("tokenize", "Print the token ids of a text");
cl::opt<std::string>
    input(cl::Positional,
          cl::desc("<model.gguf | hf-checkpoint-dir | tokenizer.json>"),
          cl::Required, cl::sub(command));
cl::opt<std::string> text(cl::Positional, cl::desc("<text>"), cl::sub(command));
cl::opt<std::string> inputs(
    "inputs",
    cl::desc("Tokenize each text of this file instead, texts ending with a "
             "line '__ggml_vocab_test__' (llama.cpp's test vectors); prints "
             "a line of ids per text, each id after a space"),
    cl::value_desc("file"), cl::sub(command));
cl::opt<bool> noBos("no-bos", cl::desc("Do not add the BOS token"),
                    cl::sub(command));
cl::opt<bool> parseSpecial(
    "parse-special",
    cl::desc("Turn the text of control tokens (e.g. </s>) into them"),
    cl::sub(command));
cl::opt<bool> showPieces("pieces",
                         cl::desc("Print each id with its token text"),
                         cl::sub(command));

/// The vocabulary of a GGUF model, an HF checkpoint directory or a lone
/// tokenizer.json.
std::optional<xfrt::Vocabulary> loadVocabulary(std::string &error) {
  if (sys::fs::is_directory(input))
    return xfc::hf::loadVocabulary(input, /*rows=*/0, error);
  if (StringRef(input).ends_with(".json")) {
    auto buffer = MemoryBuffer::getFile(input);
    if (!buffer) {
      error = input + ": " + buffer.getError().message();
      return std::nullopt;
    }
    return xfc::hf::parseTokenizerJson((*buffer)->getBuffer(), input,
                                       xfc::hf::TokenizerSettings(), error);
  }
  std::unique_ptr<xfc::gguf::File> file = xfc::gguf::File::open(input, error);
  if (!file)
    return std::nullopt;
  return xfc::gguf::loadVocabulary(*file, error);
}

int run() {
  std::string error;
  if (inputs.getNumOccurrences() == text.getNumOccurrences())
    return fail("give a text or --inputs (one of them)");
  std::optional<xfrt::Vocabulary> vocab = loadVocabulary(error);
  if (!vocab)
    return fail(error);
  std::unique_ptr<xfrt::Tokenizer> tokenizer =
      xfrt::Tokenizer::create(std::move(*vocab), error);
  if (!tokenizer)
    return fail(input + ": " + error);
  const xfrt::Vocabulary &v = tokenizer->vocabulary();
  auto print = [&](StringRef each, StringRef separator) {
    std::vector<int32_t> ids = tokenizer->encode(each, !noBos, parseSpecial);
    for (size_t i = 0; i < ids.size(); ++i) {
      outs() << (i ? " " : separator) << ids[i];
      if (showPieces)
        outs() << ":'" << v.tokens[ids[i]] << "'";
    }
    outs() << "\n";
  };
  if (text.getNumOccurrences()) {
    print(text, "");
    return 0;
  }
  auto buffer = MemoryBuffer::getFile(inputs);
  if (!buffer)
    return fail(inputs + ": " + buffer.getError().message());
  constexpr StringLiteral kEnd = "\n__ggml_vocab_test__\n";
  StringRef rest = (*buffer)->getBuffer();
  while (!rest.empty()) {
    size_t end = rest.find(kEnd);
    if (end == StringRef::npos)
      return fail(inputs + ": text after the last '__ggml_vocab_test__'");
    print(rest.take_front(end), " ");
    rest = rest.drop_front(end + kEnd.size());
  }
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
