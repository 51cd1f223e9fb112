//===- BenchCommand.cpp - xfc bench ---------------------------------------===//
//
// Prefill (pp) and generation (tg) tokens/s, as llama-bench measures them:
// pp evaluates -p tokens at once, tg generates -n tokens one at a time,
// each from an empty cache, or after -d tokens (llama-bench's depth: not
// timed) so that attention reads a long context; each test runs once to
// warm up, then -r times, and reports mean +/- standard deviation. With
// -b B, "tgN xB" decodes N tokens in each of B sequences as batched steps
// (xfrt_batch_decode) and reports the tokens/s of all of them.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "ModelSession.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("bench", "Measure prefill and decode tokens/s");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.so or model.gguf>"),
                               cl::Required, cl::sub(command));
cl::opt<int64_t> prompt("p", cl::desc("Prompt tokens (0 skips pp)"),
                        cl::init(512), cl::sub(command));
cl::opt<int64_t> generate("n", cl::desc("Generated tokens (0 skips tg)"),
                          cl::init(128), cl::sub(command));
cl::opt<int64_t> depth("d",
                       cl::desc("Tokens already in the cache when each test "
                                "starts (evaluated first, not timed)"),
                       cl::init(0), cl::sub(command));
cl::opt<int> repetitions("r", cl::desc("Repetitions"), cl::init(5),
                         cl::sub(command));
cl::opt<int> threads("t",
                     cl::desc("Threads to run on (0: one per available core)"),
                     cl::init(0), cl::sub(command));
// The alias takes the subcommand of the option it aliases.
cl::alias threadsLong("threads", cl::desc("Alias for -t"),
                      cl::aliasopt(threads));
cl::list<int64_t> batches(
    "b",
    cl::desc("Also run tg as batched decode steps of B sequences at once "
             "(continuous batching; comma-separated B values): t/s counts "
             "the tokens of all B"),
    cl::CommaSeparated, cl::sub(command));
cl::opt<std::string> format_("o", cl::desc("Output: md, csv or json"),
                             cl::init("md"), cl::sub(command));

struct Result {
  std::string test;
  int64_t prompt = 0, generated = 0, depth = 0;
  double mean = 0, stddev = 0;
};

cl::opt<std::string> isa("isa", cl::desc(kKernelIsaHelp), cl::sub(command));

/// The mean and sample standard deviation of `rates`.
std::pair<double, double> meanAndDeviation(const std::vector<double> &rates) {
  double mean = 0, var = 0;
  for (double x : rates)
    mean += x / rates.size();
  for (double x : rates)
    var += (x - mean) * (x - mean) / std::max<size_t>(rates.size() - 1, 1);
  return {mean, std::sqrt(var)};
}

/// The cost of a split model's all-reduces in one test, per worker group
/// (stderr: the table on stdout keeps llama-bench's format).
void reportShards(const std::string &test,
                  const std::vector<xfrt_shard_stats> &totals, int64_t tokens,
                  xfrt_session *s) {
  for (size_t k = 0; k < totals.size(); ++k) {
    const xfrt_shard_stats &t = totals[k];
    xfrt_shard_stats placement;
    xfrt_session_shard_stats(s, static_cast<int32_t>(k), &placement);
    double calls =
        static_cast<double>(std::max<uint64_t>(t.all_reduce_calls, 1));
    errs() << format(
        "%s shard %zu (node %d, %d threads, cache on node %d, weights on "
        "node %d): %.3f ms/token forward; all-reduce %.2f calls/token of "
        "%.1f KiB, %.1f us/call (%.1f us waiting for the other groups, %.1f "
        "us summing) = %.1f%% of the forward time (%.1f%% summing)\n",
        test.c_str(), k, placement.node, placement.threads,
        placement.cache_node, placement.weights_node,
        1e3 * t.forward_seconds / tokens,
        t.all_reduce_calls / static_cast<double>(tokens),
        t.all_reduce_floats * 4.0 / 1024 / calls,
        1e6 * t.all_reduce_seconds / calls,
        1e6 * t.all_reduce_wait_seconds / calls,
        1e6 * (t.all_reduce_seconds - t.all_reduce_wait_seconds) / calls,
        100 * t.all_reduce_seconds / std::max(t.forward_seconds, 1e-12),
        100 * (t.all_reduce_seconds - t.all_reduce_wait_seconds) /
            std::max(t.forward_seconds, 1e-12));
  }
}

int run() {
  std::string isaError;
  if (!isa.empty() && !selectKernelIsa(isa, isaError))
    return fail(isaError);
  if (format_ != "md" && format_ != "csv" && format_ != "json")
    return fail("unknown -o '" + format_ + "' (expected md, csv or json)");
  if (prompt < 0 || generate < 0 || depth < 0 || repetitions < 1 || threads < 0)
    return fail("-p, -n, -d and -t must not be negative and -r must be "
                "positive");
  std::unique_ptr<LoadedModel> m = openModel(modelPath);
  if (!m)
    return 1;
  if (depth + prompt > m->maxContext || depth + generate > m->maxContext)
    return fail("-d plus -p, and -d plus -n, must fit the model's context "
                "of " +
                std::to_string(m->maxContext));
  auto session = m->newSession(threads);
  if (!session)
    return fail("cannot create a session");
  xfrt_session *s = session.get();
  int threadCount = xfrt_session_threads(s);

  std::vector<int32_t> tokens(depth + std::max(prompt, generate));
  for (size_t i = 0; i < tokens.size(); ++i)
    tokens[i] = static_cast<int32_t>((i * 7919 + 13) % m->vocabSize);
  std::vector<float> logits(std::max<int64_t>({prompt, depth, 1}) *
                            m->vocabSize);

  // A split model's worker groups: what each spent in all-reduces, summed
  // over the timed steps.
  int shards = xfrt_session_shards(s);
  std::vector<xfrt_shard_stats> totals(shards);
  auto addShardStats = [&] {
    for (int k = 0; k < shards; ++k) {
      xfrt_shard_stats now;
      xfrt_session_shard_stats(s, k, &now);
      totals[k].all_reduce_calls += now.all_reduce_calls;
      totals[k].all_reduce_floats += now.all_reduce_floats;
      totals[k].all_reduce_seconds += now.all_reduce_seconds;
      totals[k].all_reduce_wait_seconds += now.all_reduce_wait_seconds;
      totals[k].forward_seconds += now.forward_seconds;
    }
  };

  // One timed test: returns tokens/s, or a negative value on error.
  auto once = [&](bool isPrompt) -> double {
    xfrt_session_trim(s, 0);
    if (depth > 0 &&
        xfrt_session_eval(s, tokens.data(), depth, logits.data()) != XFRT_OK)
      return -1;
    xfrt_session_reset_stats(s);
    const int32_t *next = tokens.data() + depth;
    auto start = std::chrono::steady_clock::now();
    if (isPrompt) {
      if (xfrt_session_eval(s, next, prompt, logits.data()) != XFRT_OK)
        return -1;
    } else {
      for (int64_t i = 0; i < generate; ++i)
        if (xfrt_session_eval(s, &next[i], 1, logits.data()) != XFRT_OK)
          return -1;
    }
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    addShardStats();
    return (isPrompt ? prompt : generate) / std::max(seconds, 1e-9);
  };

  std::vector<Result> results;
  for (bool isPrompt : {true, false}) {
    int64_t n = isPrompt ? prompt : generate;
    if (n == 0)
      continue;
    once(isPrompt); // warm-up
    totals.assign(shards, xfrt_shard_stats{});
    std::vector<double> rates;
    for (int r = 0; r < repetitions; ++r) {
      double rate = once(isPrompt);
      if (rate < 0)
        return fail(xfrt_session_error(s));
      rates.push_back(rate);
    }
    auto [mean, stddev] = meanAndDeviation(rates);
    std::string name = (isPrompt ? "pp" : "tg") + std::to_string(n);
    if (depth > 0)
      name += " @ d" + std::to_string(depth); // llama-bench's name
    results.push_back(
        {name, isPrompt ? n : 0, isPrompt ? 0 : n, depth, mean, stddev});
    if (shards > 1)
      reportShards(name, totals, n * repetitions, s);
  }

  for (int64_t rows : batches) {
    if (generate == 0)
      break;
    if (depth + 1 + generate > m->maxContext)
      return fail("-b: -d plus -n plus the one token each sequence starts "
                  "with must fit the model's context of " +
                  std::to_string(m->maxContext));
    if (rows < 1 || rows > xfrt_model_batch_rows(m->model.get()))
      return fail("-b " + std::to_string(rows) + ": the model decodes 1 to " +
                  std::to_string(xfrt_model_batch_rows(m->model.get())) +
                  " sequences per step (xfc compile --batch-rows)");
    xfrt_batch *raw = nullptr;
    if (xfrt_batch_create(m->model.get(), static_cast<int32_t>(rows), threads,
                          &raw) != XFRT_OK)
      return fail("cannot create a batch of " + std::to_string(rows) +
                  " slots");
    std::unique_ptr<xfrt_batch, void (*)(xfrt_batch *)> batch(raw,
                                                              xfrt_batch_free);
    std::vector<int32_t> slots(rows), step(rows);
    std::vector<float> rowLogits(rows * m->vocabSize);
    // Each sequence starts with depth + 1 tokens (not timed): a decode step
    // needs a token in its slot.
    auto onceBatched = [&]() -> double {
      for (int32_t k = 0; k < rows; ++k) {
        slots[k] = k;
        xfrt_batch_release(raw, k);
        if (xfrt_batch_prefill(raw, k, tokens.data(), depth + 1, nullptr) !=
            XFRT_OK)
          return -1;
      }
      auto start = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < generate; ++i) {
        for (int64_t k = 0; k < rows; ++k)
          step[k] = tokens[(depth + 1 + i + k) % tokens.size()];
        if (xfrt_batch_decode(raw, rows, slots.data(), step.data(),
                              rowLogits.data()) != XFRT_OK)
          return -1;
      }
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      return rows * generate / std::max(seconds, 1e-9);
    };
    onceBatched(); // warm-up
    std::vector<double> rates;
    for (int r = 0; r < repetitions; ++r) {
      double rate = onceBatched();
      if (rate < 0)
        return fail(xfrt_batch_error(raw));
      rates.push_back(rate);
    }
    auto [mean, stddev] = meanAndDeviation(rates);
    std::string name = "tg" + std::to_string(generate.getValue()) + " x" +
                       std::to_string(rows);
    if (depth > 0)
      name += " @ d" + std::to_string(depth);
    results.push_back({name, 0, generate * rows, depth, mean, stddev});
  }

  raw_ostream &os = outs();
  if (format_ == "json") {
    os << "[\n";
    for (size_t i = 0; i < results.size(); ++i)
      os << format("  {\"model\": \"%s\", \"test\": \"%s\", \"n_prompt\": "
                   "%lld, \"n_gen\": %lld, \"n_depth\": %lld, "
                   "\"n_threads\": %d, \"avg_ts\": %.6f, \"stddev_ts\": "
                   "%.6f}%s\n",
                   modelPath.c_str(), results[i].test.c_str(),
                   static_cast<long long>(results[i].prompt),
                   static_cast<long long>(results[i].generated),
                   static_cast<long long>(results[i].depth), threadCount,
                   results[i].mean, results[i].stddev,
                   i + 1 < results.size() ? "," : "");
    os << "]\n";
  } else if (format_ == "csv") {
    os << "model,test,n_prompt,n_gen,n_depth,n_threads,avg_ts,stddev_ts\n";
    for (const Result &r : results)
      os << format("%s,%s,%lld,%lld,%lld,%d,%.6f,%.6f\n", modelPath.c_str(),
                   r.test.c_str(), static_cast<long long>(r.prompt),
                   static_cast<long long>(r.generated),
                   static_cast<long long>(r.depth), threadCount, r.mean,
                   r.stddev);
  } else {
    os << "| model | threads | test | t/s |\n| --- | ---: | ---: | ---: |\n";
    for (const Result &r : results)
      os << format("| %s | %d | %s | %.2f ± %.2f |\n", modelPath.c_str(),
                   threadCount, r.test.c_str(), r.mean, r.stddev);
  }
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
