//===- RunCommand.cpp - xfc run -------------------------------------------===//
//
// Generates text from a compiled model: tokenizes the prompt with the
// model's embedded tokenizer, prefills it, then decodes token by token,
// streaming the text, and reports prefill and decode tokens/s. Under
// mpirun, each rank runs one shard of a split model (MpiWorld.h).
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "ModelSession.h"
#include "MpiWorld.h"

#include "xfrt/Sampler.h"
#include "xfrt/TextStream.h"
#include "xfrt/Tokenizer.h"
#include "xfrt/xfrt.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <fstream>
#include <sys/resource.h>

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("run", "Generate text from a compiled model");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.so or model.gguf>"),
                               cl::Required, cl::sub(command));
cl::opt<std::string> prompt("p", cl::desc("Prompt"), cl::init(""),
                            cl::sub(command));
cl::list<int32_t> promptIds("prompt-ids",
                            cl::desc("Prompt as token ids (no tokenizer)"),
                            cl::CommaSeparated, cl::sub(command));
cl::opt<int64_t> count("n", cl::desc("Tokens to generate"), cl::init(64),
                       cl::sub(command));
cl::opt<float> temperature("temp", cl::desc("Temperature (0: greedy)"),
                           cl::init(0.8f), cl::sub(command));
cl::opt<int32_t> topK("top-k", cl::desc("Top-k (0: off)"), cl::init(40),
                      cl::sub(command));
cl::opt<float> topP("top-p", cl::desc("Top-p (1: off)"), cl::init(0.95f),
                    cl::sub(command));
cl::opt<uint64_t> seed("seed", cl::desc("Sampling seed"), cl::init(0),
                       cl::sub(command));
cl::opt<int> threads("t",
                     cl::desc("Threads to run on (0: one per available core)"),
                     cl::init(0), cl::sub(command));
// The alias takes the subcommand of the option it aliases.
cl::alias threadsLong("threads", cl::desc("Alias for -t"),
                      cl::aliasopt(threads));
cl::opt<std::string> logitsOut(
    "logits-out",
    cl::desc("Write every position's logits (raw f32) here, for testing"),
    cl::sub(command));
cl::opt<std::string> idsOut("ids-out",
                            cl::desc("Write prompt and generated ids here"),
                            cl::sub(command));

cl::opt<std::string> isa("isa", cl::desc(kKernelIsaHelp), cl::sub(command));
cl::opt<bool> speed(
    "speed",
    cl::desc("Decode with SPEED (speculative pipelined decoding) when the "
             "model's layers repeat a cycle: greedy (--temp 0), the same "
             "tokens as plain decoding"),
    cl::sub(command));
cl::opt<bool> stats("stats",
                    cl::desc("With --speed: print the pipeline's statistics"),
                    cl::sub(command));

/// The session: all shards here, or under mpirun this rank's.
std::unique_ptr<xfrt_session, void (*)(xfrt_session *)>
createSession(const LoadedModel &m, const MpiWorld *mpi) {
  if (!mpi)
    return m.newSession(threads);
  int32_t shards = xfrt_model_shards(m.model.get());
  if (shards != mpi->size())
    mpi->abort(modelPath + " has " + std::to_string(shards) +
               " shard(s) (xfc compile --sockets N), but mpirun started " +
               std::to_string(mpi->size()) + " ranks");
  return m.newShardSession(threads, mpi->collective());
}

void printSpeedStats(const xfrt_speed_stats &s) {
  double perToken = s.tokens ? 1.0 / s.tokens : 0;
  errs() << format("speed: %llu tokens in %llu stages, %.1f tokens/s, "
                   "%.2f tokens in flight on average\n",
                   static_cast<unsigned long long>(s.tokens),
                   static_cast<unsigned long long>(s.stages),
                   s.tokens / std::max(s.seconds, 1e-9),
                   s.stages ? double(s.rows) / s.stages : 0.0);
  errs() << "speed: invalidated by group (changed / checked):";
  for (int g = 1; g < s.groups && g < XFRT_SPEED_MAX_GROUPS; ++g)
    errs() << format(" %d: %llu/%llu (%.1f%%)", g,
                     static_cast<unsigned long long>(s.invalidated[g]),
                     static_cast<unsigned long long>(s.checked[g]),
                     s.checked[g] ? 100.0 * s.invalidated[g] / s.checked[g]
                                  : 0.0);
  errs() << format("; %llu tokens rolled back\n",
                   static_cast<unsigned long long>(s.rolled_back));
  errs() << format("speed: weights read per generated token %.2f MiB "
                   "(plain decoding: %.2f MiB)\n",
                   s.weight_bytes * perToken / 1048576.0,
                   s.sequential_weight_bytes_per_token / 1048576.0);
}

int run() {
  std::string error;
  std::unique_ptr<MpiWorld> mpi = MpiWorld::join(error);
  if (!error.empty())
    return fail(error);
  // Under mpirun, any failure stops every rank (the others would wait in
  // the next all-reduce forever).
  auto failRank = [&](const std::string &message) {
    if (mpi)
      mpi->abort(message);
    return fail(message);
  };
  // Rank 0 alone prints and writes files.
  bool leader = !mpi || mpi->rank() == 0;
  std::string isaError;
  if (!isa.empty() && !selectKernelIsa(isa, isaError))
    return failRank(isaError);
  if (threads < 0)
    return failRank("-t must not be negative");
  std::unique_ptr<LoadedModel> m = openModel(modelPath);
  if (!m)
    return failRank("cannot open " + modelPath);
  xfrt::Tokenizer *tokenizer = m->tokenizer.get();
  std::vector<int32_t> ids(promptIds.begin(), promptIds.end());
  if (ids.empty())
    ids = tokenizer->encode(prompt, /*addBos=*/true, /*parseSpecial=*/false);
  if (ids.empty())
    return failRank("the prompt is empty");
  int64_t vocabSize = m->vocabSize, context = m->maxContext;
  if (count < 0)
    return failRank("-n must not be negative");
  if (static_cast<int64_t>(ids.size()) + count > context)
    return failRank("the prompt (" + std::to_string(ids.size()) +
                    " tokens) and " + std::to_string(count) +
                    " new tokens exceed the context of " +
                    std::to_string(context));

  if (speed && (mpi || temperature != 0.0f))
    return failRank(mpi ? "--speed does not run under mpirun (split models "
                          "have no SPEED stages)"
                        : "--speed decodes greedily: add --temp 0");
  if (speed && xfrt_model_speed_rows(m->model.get()) == 0)
    return failRank(modelPath +
                    " has no SPEED stages: its layers do not repeat a cycle "
                    "(xfc make-model --share-cycle N --repeats G), or it is "
                    "split across sockets");
  if (stats && !speed)
    return failRank("--stats goes with --speed");
  auto sessionOwner = createSession(*m, mpi.get());
  if (!sessionOwner)
    return failRank("cannot create a session");
  xfrt_session *session = sessionOwner.get();

  std::vector<float> logits(ids.size() * vocabSize);
  std::ofstream dump;
  if (!logitsOut.empty() && leader)
    dump.open(logitsOut, std::ios::binary);
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  if (xfrt_session_eval(session, ids.data(), ids.size(), logits.data()) !=
      XFRT_OK)
    return failRank(xfrt_session_error(session));
  double prefillSeconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  if (dump)
    dump.write(reinterpret_cast<const char *>(logits.data()),
               logits.size() * sizeof(float));

  xfrt::SamplerOptions options;
  options.temperature = temperature, options.topK = topK;
  options.topP = topP, options.seed = seed;
  xfrt::Sampler sampler(options);
  const float *last = logits.data() + (ids.size() - 1) * vocabSize;
  std::vector<int32_t> generated;
  // Streamed as xfc serve streams it: the continuation of the prompt,
  // whole UTF-8 characters only.
  xfrt::TextStream text(*tokenizer, {});
  auto emit = [&](int32_t token) {
    generated.push_back(token);
    if (leader) {
      outs() << text.push(token);
      outs().flush();
    }
  };
  auto decodeStart = Clock::now();
  xfrt_speed_stats speedStats{};
  if (speed && count > 0) {
    emit(sampler.sample(last, vocabSize));
    struct Sink {
      decltype(emit) &print;
      std::ofstream &dump;
      int64_t vocab;
    } sink{emit, dump, vocabSize};
    auto onToken = [](void *context, int32_t token, const float *l) {
      auto *k = static_cast<Sink *>(context);
      if (k->dump)
        k->dump.write(reinterpret_cast<const char *>(l),
                      k->vocab * sizeof(float));
      k->print(token);
      return 0;
    };
    if (xfrt_session_generate_speed(session, generated.front(), count - 1,
                                    onToken, &sink, &speedStats) != XFRT_OK)
      return failRank(xfrt_session_error(session));
  }
  for (int64_t i = 0; !speed && i < count; ++i) {
    int32_t next = leader ? sampler.sample(last, vocabSize) : 0;
    if (mpi)
      mpi->broadcast(next);
    emit(next);
    if (i + 1 == count)
      break;
    if (xfrt_session_eval(session, &next, 1, logits.data()) != XFRT_OK)
      return failRank(xfrt_session_error(session));
    if (dump)
      dump.write(reinterpret_cast<const char *>(logits.data()),
                 vocabSize * sizeof(float));
    last = logits.data();
  }
  double decodeSeconds =
      std::chrono::duration<double>(Clock::now() - decodeStart).count();
  // Per rank: a rank holds its shard's weights and the replicated ones.
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::string peak =
      formatv("peak resident memory {0:F1} MiB", usage.ru_maxrss / 1024.0);
  if (mpi)
    errs() << "rank " << mpi->rank() << ": " << peak << "\n";
  if (!leader)
    return 0;
  outs() << text.finish() << "\n";
  outs().flush(); // the statistics below go to stderr
  if (!idsOut.empty()) {
    std::ofstream idsFile(idsOut);
    for (size_t i = 0; i < ids.size() + generated.size(); ++i)
      idsFile << (i ? "," : "")
              << (i < ids.size() ? ids[i] : generated[i - ids.size()]);
    idsFile << "\n";
  }
  errs() << format(
      "prefill: %zu tokens, %.1f tokens/s (threads: %d%s)\n", ids.size(),
      ids.size() / std::max(prefillSeconds, 1e-9),
      xfrt_session_threads(session),
      mpi ? (", per rank of " + std::to_string(mpi->size())).c_str() : "");
  if (count > 1)
    errs() << format("decode: %lld tokens, %.1f tokens/s\n",
                     static_cast<long long>(count - 1),
                     (count - 1) / std::max(decodeSeconds, 1e-9));
  if (speed && stats)
    printSpeedStats(speedStats);
  if (!mpi)
    errs() << peak << "\n";
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
