//===- PerplexityCommand.cpp - xfc perplexity -----------------------------===//
//
// Perplexity exactly as llama-perplexity defines it: tokenize the whole
// file once (with BOS when the model adds one), cut it into consecutive
// chunks of --ctx tokens (dropping the rest, at most --chunks of them),
// put BOS first in each chunk, evaluate each from an empty cache, and score
// the predictions of positions ctx/2 .. ctx-2 for the token that follows.
// PPL = exp(mean negative log-likelihood).
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "ModelSession.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <fstream>

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("perplexity",
                       "Compute perplexity as llama-perplexity defines it");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.so or model.gguf>"),
                               cl::Required, cl::sub(command));
cl::opt<std::string> textPath("f", cl::desc("Text file"), cl::Required,
                              cl::value_desc("file"), cl::sub(command));
cl::opt<int64_t> context("ctx", cl::desc("Tokens per chunk"), cl::init(512),
                         cl::sub(command));
cl::opt<int64_t> maxChunks("chunks", cl::desc("At most this many chunks"),
                           cl::init(-1), cl::sub(command));
cl::opt<int> threads("t",
                     cl::desc("Threads to run on (0: one per available core)"),
                     cl::init(0), cl::sub(command));
// The alias takes the subcommand of the option it aliases.
cl::alias threadsLong("threads", cl::desc("Alias for -t"),
                      cl::aliasopt(threads));
cl::opt<std::string> tokensOut(
    "tokens-out", cl::desc("Write the token ids used here, for testing"),
    cl::sub(command));

int run() {
  if (threads < 0)
    return fail("-t must not be negative");
  std::unique_ptr<LoadedModel> m = openModel(modelPath);
  if (!m)
    return 1;
  ErrorOr<std::unique_ptr<MemoryBuffer>> text =
      MemoryBuffer::getFile(textPath, /*IsText=*/false);
  if (!text)
    return fail(textPath + ": " + text.getError().message());
  if (context < 4 || context > m->maxContext)
    return fail("--ctx must be between 4 and the model's context of " +
                std::to_string(m->maxContext));

  const xfrt::Vocabulary &vocab = m->tokenizer->vocabulary();
  std::vector<int32_t> tokens =
      m->tokenizer->encode((*text)->getBuffer(), /*addBos=*/true, false);
  if (static_cast<int64_t>(tokens.size()) < 2 * context)
    return fail(textPath + ": " + std::to_string(tokens.size()) +
                " tokens; perplexity with a context of " +
                std::to_string(context) + " needs at least " +
                std::to_string(2 * context));
  int64_t chunks = static_cast<int64_t>(tokens.size()) / context;
  if (maxChunks >= 0)
    chunks = std::min<int64_t>(chunks, maxChunks);
  if (!tokensOut.empty()) {
    std::ofstream out(tokensOut);
    for (int64_t i = 0; i < chunks * context; ++i)
      out << (i ? "," : "") << tokens[i];
    out << "\n";
  }

  auto session = m->newSession(threads);
  if (!session)
    return fail("cannot create a session");
  std::vector<float> logits(context * m->vocabSize);
  double nll = 0, nll2 = 0;
  int64_t count = 0;
  errs() << "perplexity: " << tokens.size() << " tokens, " << chunks
         << " chunks of " << context << "\n";
  for (int64_t c = 0; c < chunks; ++c) {
    std::vector<int32_t> chunk(tokens.begin() + c * context,
                               tokens.begin() + (c + 1) * context);
    if (vocab.addBos && vocab.bos >= 0)
      chunk[0] = vocab.bos;
    xfrt_session_trim(session.get(), 0);
    if (xfrt_session_eval(session.get(), chunk.data(), context,
                          logits.data()) != XFRT_OK)
      return fail(xfrt_session_error(session.get()));
    for (int64_t j = context / 2; j < context - 1; ++j) {
      const float *row = logits.data() + j * m->vocabSize;
      float max = *std::max_element(row, row + m->vocabSize);
      double sum = 0;
      for (int64_t v = 0; v < m->vocabSize; ++v)
        sum += std::exp(static_cast<double>(row[v]) - max);
      double logProb = row[chunk[j + 1]] - max - std::log(sum);
      nll -= logProb;
      nll2 += logProb * logProb;
      ++count;
    }
    errs() << format("[%lld]%.4f,", static_cast<long long>(c + 1),
                     std::exp(nll / count));
  }
  errs() << "\n";
  double mean = nll / count, ppl = std::exp(mean);
  double variance = nll2 / count - mean * mean;
  double uncertainty =
      variance > 0 && count > 1 ? std::sqrt(variance / (count - 1)) * ppl : 0;
  outs() << format("Final estimate: PPL = %.4f +/- %.5f\n", ppl, uncertainty);
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
