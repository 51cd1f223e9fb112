//===- SchedulerTest.cpp - Continuous batching of requests ----------------===//
//
// The scheduler runs many requests at once on one batch: chunked prefills
// between decode steps, decode steps over all running requests, a bounded
// queue. Whatever the interleaving, each request must get the tokens and
// logits it gets alone in a session.
//
//===----------------------------------------------------------------------===//

#include "xfrt/Scheduler.h"
#include "TestModels.h"
#include "xfrt/xfrt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace xfrt;

namespace {

class SchedulerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir = xfc::test::sharedModelDir(
        "scheduler",
        "$XFC make-model --arch llama --ctx 48 -o m.gguf > /dev/null\n"
        "$XFC compile m.gguf --batch-rows 4 -o m.so\n"
        "$XFC compile m.gguf --batch-rows 0 -o plain.so\n");
    ASSERT_FALSE(dir.empty());
  }

  xfrt_model *load(const char *name) {
    return xfc::test::loadModel(dir + "/" + name);
  }
  void SetUp() override {
    model = load("m.so");
    ASSERT_TRUE(model);
    vocab = xfrt_model_vocab_size(model);
  }
  void TearDown() override { xfrt_model_free(model); }

  std::unique_ptr<Scheduler> make(int32_t slots, int32_t queue,
                                  int64_t chunk = 128,
                                  std::function<void()> onTurn = nullptr) {
    SchedulerOptions o;
    o.slots = slots, o.maxQueue = queue, o.prefillChunk = chunk;
    o.threads = 1;
    o.onTurn = std::move(onTurn);
    std::string error;
    std::unique_ptr<Scheduler> s = Scheduler::create(model, o, error);
    EXPECT_TRUE(s) << error;
    return s;
  }

  GenerationRequest greedy(std::vector<int32_t> prompt, int64_t maxTokens) {
    GenerationRequest r;
    r.prompt = std::move(prompt);
    r.maxTokens = maxTokens;
    r.sampling.temperature = 0;
    return r;
  }

  std::shared_ptr<Generation> submit(Scheduler &s, GenerationRequest r) {
    Scheduler::Admission admission;
    std::string error;
    auto g = s.submit(std::move(r), admission, error);
    EXPECT_EQ(admission, Scheduler::Admission::Accepted) << error;
    return g;
  }

  /// `out` (kept logits) is what `request` gets alone in a session:
  /// greedy tokens, and logits to 1e-4 relative.
  void expectMatchesSession(const GenerationRequest &request,
                            const std::vector<GeneratedToken> &out) {
    ASSERT_EQ(static_cast<int64_t>(out.size()), request.maxTokens);
    xfrt_session *session = nullptr;
    ASSERT_EQ(xfrt_session_create(model, 0, 1, &session), XFRT_OK);
    std::vector<int32_t> tokens = request.prompt;
    std::vector<float> logits(tokens.size() * vocab);
    ASSERT_EQ(
        xfrt_session_eval(session, tokens.data(), tokens.size(), logits.data()),
        XFRT_OK);
    const float *row = logits.data() + (tokens.size() - 1) * vocab;
    for (size_t t = 0; t < out.size(); ++t) {
      const std::vector<float> &got = out[t].logits;
      ASSERT_EQ(static_cast<int64_t>(got.size()), vocab);
      for (int64_t i = 0; i < vocab; ++i) {
        float tolerance =
            1e-4f * std::max(std::fabs(got[i]), std::fabs(row[i])) + 1e-5f;
        ASSERT_LE(std::fabs(got[i] - row[i]), tolerance)
            << "token " << t << ", logit " << i;
      }
      int32_t expected =
          static_cast<int32_t>(std::max_element(row, row + vocab) - row);
      ASSERT_EQ(out[t].token, expected) << "token " << t;
      ASSERT_EQ(xfrt_session_eval(session, &expected, 1, logits.data()),
                XFRT_OK);
      row = logits.data();
    }
    xfrt_session_free(session);
  }

  static std::vector<GeneratedToken> drain(Generation &g) {
    std::vector<GeneratedToken> out;
    GeneratedToken t;
    while (g.next(t))
      out.push_back(t);
    return out;
  }

  static std::string dir;
  xfrt_model *model = nullptr;
  int64_t vocab = 0;
};

std::string SchedulerTest::dir;

/// Holds the scheduler's worker at the start of turn `at` (counting from
/// 1) until released, so that a test acts at a known point.
class TurnGate {
public:
  explicit TurnGate(int at) : at(at) {}
  std::function<void()> hook() {
    return [this] {
      std::unique_lock<std::mutex> lock(mutex);
      if (++turns != at)
        return;
      held = true;
      changed.notify_all();
      changed.wait(lock, [&] { return !held; });
    };
  }
  void waitUntilHeld() {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return held; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    held = false;
    changed.notify_all();
  }

private:
  int at, turns = 0;
  bool held = false;
  std::mutex mutex;
  std::condition_variable changed;
};

/// Prompt k: k + 1 tokens, different for each k.
std::vector<int32_t> promptFor(int k, int64_t vocab) {
  std::vector<int32_t> p;
  for (int i = 0; i <= k; ++i)
    p.push_back(static_cast<int32_t>((7 * k + 13 * i + 1) % vocab));
  return p;
}

TEST_F(SchedulerTest, ConcurrentRequestsMatchSessions) {
  // 8 requests on 3 slots (5 wait), prompts of 1 to 27 tokens prefilled in
  // chunks of 4, different lengths: requests join and leave mid-batch.
  auto s = make(/*slots=*/3, /*queue=*/8, /*chunk=*/4);
  ASSERT_TRUE(s);
  const int n = 8;
  std::vector<std::shared_ptr<Generation>> gens;
  std::vector<GenerationRequest> requests;
  // All but the first begin with a common 12-token prefix (a system
  // prompt), which a slot an earlier one left serves while others run.
  std::vector<int32_t> prefix;
  for (int i = 0; i < 12; ++i)
    prefix.push_back(static_cast<int32_t>((5 * i + 2) % vocab));
  for (int k = 0; k < n; ++k) {
    std::vector<int32_t> prompt = promptFor(2 * k, vocab);
    if (k > 0)
      prompt.insert(prompt.begin(), prefix.begin(), prefix.end());
    GenerationRequest r = greedy(prompt, 3 + k);
    r.keepLogits = true;
    requests.push_back(r);
    gens.push_back(submit(*s, r));
    ASSERT_TRUE(gens.back());
  }
  // Each consumer on its own thread, as HTTP handlers are.
  std::vector<std::vector<GeneratedToken>> outs(n);
  std::vector<std::thread> readers;
  for (int k = 0; k < n; ++k)
    readers.emplace_back([&, k] { outs[k] = drain(*gens[k]); });
  for (std::thread &t : readers)
    t.join();

  for (int k = 0; k < n; ++k) {
    SCOPED_TRACE("request " + std::to_string(k));
    EXPECT_EQ(gens[k]->finishReason(), FinishReason::Length);
    expectMatchesSession(requests[k], outs[k]);
  }
  SchedulerStats stats = s->stats();
  EXPECT_EQ(stats.completed, n);
  EXPECT_GT(stats.cachedPromptTokens, 0);
  // Steps did batch: more rows than steps.
  EXPECT_GT(stats.decodeRows, stats.decodeSteps);
}

/// A chat's next turn (the last prompt, its answer, new text) prefills
/// only the new text, on the slot its first turn left, even after an
/// unrelated request ran; what it generates is what a session gets from
/// the whole prompt.
TEST_F(SchedulerTest, PrefixCacheServesFollowUpPrompts) {
  auto s = make(/*slots=*/2, /*queue=*/4, /*chunk=*/4);
  ASSERT_TRUE(s);
  GenerationRequest first = greedy(promptFor(9, vocab), 5);
  std::vector<GeneratedToken> answer = drain(*submit(*s, first));
  ASSERT_EQ(answer.size(), 5u);
  // A request sharing only the first token (as prompts share BOS) takes
  // the empty slot rather than discard the conversation's.
  auto other = submit(*s, greedy({first.prompt[0], 4, 5}, 2));
  drain(*other);
  EXPECT_EQ(other->cachedTokens(), 0);

  // The slot holds the prompt and the answer but its last token, which
  // was sampled and never fed.
  GenerationRequest next = greedy(first.prompt, 4);
  for (size_t i = 0; i + 1 < answer.size(); ++i)
    next.prompt.push_back(answer[i].token);
  int64_t held = static_cast<int64_t>(next.prompt.size());
  next.prompt.push_back(answer.back().token);
  next.prompt.push_back(static_cast<int32_t>(vocab / 2));
  next.keepLogits = true;
  auto g = submit(*s, next);
  std::vector<GeneratedToken> out = drain(*g);
  EXPECT_EQ(g->cachedTokens(), held);
  expectMatchesSession(next, out);

  // The same prompt again: all of it is cached but its last token, which
  // is prefilled again for its logits.
  auto again = submit(*s, next);
  std::vector<GeneratedToken> repeated = drain(*again);
  EXPECT_EQ(again->cachedTokens(),
            static_cast<int64_t>(next.prompt.size()) - 1);
  expectMatchesSession(next, repeated);

  SchedulerStats stats = s->stats();
  EXPECT_EQ(stats.cachedPromptTokens,
            held + static_cast<int64_t>(next.prompt.size()) - 1);
  EXPECT_EQ(stats.promptTokens, static_cast<int64_t>(first.prompt.size()) + 3 +
                                    static_cast<int64_t>(next.prompt.size()) -
                                    held + 1);
  EXPECT_EQ(stats.completed, 4);
}

/// Which free slot a request takes: the one holding its system prompt
/// even behind a long answer; for an unrelated request, the slot left
/// longest ago, however many tokens it holds, so that the conversation
/// that went on most recently keeps its cache.
TEST_F(SchedulerTest, SlotChoiceKeepsSystemPromptsAndRecentConversations) {
  auto s = make(/*slots=*/2, /*queue=*/4, /*chunk=*/8);
  ASSERT_TRUE(s);
  auto run = [&](std::vector<int32_t> prompt, int64_t maxTokens) {
    auto g = submit(*s, greedy(std::move(prompt), maxTokens));
    std::vector<int32_t> out;
    for (const GeneratedToken &t : drain(*g))
      out.push_back(t.token);
    return std::make_pair(g->cachedTokens(), out);
  };
  std::vector<int32_t> system;
  for (int i = 0; i < 12; ++i)
    system.push_back(static_cast<int32_t>((5 * i + 2) % vocab));
  std::vector<int32_t> a = system, tail = promptFor(19, vocab);
  a.insert(a.end(), tail.begin(), tail.end());
  run(a, 2); // slot 0: the system prompt, 20 more tokens and one answer
  std::vector<int32_t> b = {7, 8, 9};
  auto [bCached, bAnswer] = run(b, 2); // slot 1, left more recently
  EXPECT_EQ(bCached, 0);
  // 12 of 13 tokens are slot 0's: it wins although slot 1 holds fewer.
  std::vector<int32_t> d = system;
  d.push_back(3);
  EXPECT_EQ(run(d, 2).first, 12);
  // B's next turn refreshes slot 1; slot 0 was left before it.
  std::vector<int32_t> b2 = b;
  b2.push_back(bAnswer[0]);
  b2.push_back(11);
  auto [b2Cached, b2Answer] = run(b2, 2);
  EXPECT_EQ(b2Cached, 4);
  // An unrelated request sharing only the first token with slot 0 takes
  // the slot left longest ago, slot 0, though it holds more tokens.
  EXPECT_EQ(run({system[0], 13, 14}, 2).first, 1);
  // So B's third turn still finds its slot.
  std::vector<int32_t> b3 = b2;
  b3.push_back(b2Answer[0]);
  b3.push_back(12);
  EXPECT_EQ(run(b3, 2).first, static_cast<int64_t>(b2.size()) + 1);
}

TEST_F(SchedulerTest, WithoutPrefixCacheEveryPromptIsPrefilled) {
  SchedulerOptions o;
  o.slots = 1, o.maxQueue = 2, o.threads = 1, o.prefixCache = false;
  std::string error;
  auto s = Scheduler::create(model, o, error);
  ASSERT_TRUE(s) << error;
  GenerationRequest r = greedy(promptFor(6, vocab), 3);
  drain(*submit(*s, r));
  auto g = submit(*s, r);
  drain(*g);
  EXPECT_EQ(g->cachedTokens(), 0);
  EXPECT_EQ(s->stats().promptTokens, 2 * 7);
}

TEST_F(SchedulerTest, LogprobsAreTheLogSoftmax) {
  auto s = make(2, 2);
  ASSERT_TRUE(s);
  GenerationRequest r = greedy(promptFor(5, vocab), 4);
  r.keepLogits = true;
  r.topLogprobs = 3;
  auto g = submit(*s, r);
  for (const GeneratedToken &t : drain(*g)) {
    double top = *std::max_element(t.logits.begin(), t.logits.end()), sum = 0;
    for (float l : t.logits)
      sum += std::exp(l - top);
    double logZ = top + std::log(sum);
    EXPECT_NEAR(t.logprob, t.logits[t.token] - logZ, 1e-4);
    ASSERT_EQ(t.top.size(), 3u);
    EXPECT_EQ(t.top[0].first, t.token); // greedy: the best
    EXPECT_GE(t.top[0].second, t.top[1].second);
    EXPECT_GE(t.top[1].second, t.top[2].second);
    EXPECT_NEAR(t.top[2].second, t.logits[t.top[2].first] - logZ, 1e-4);
  }
}

TEST_F(SchedulerTest, StopTokenEndsTheRequest) {
  auto s = make(1, 1);
  ASSERT_TRUE(s);
  std::vector<GeneratedToken> all =
      drain(*submit(*s, greedy(promptFor(3, vocab), 6)));
  ASSERT_EQ(all.size(), 6u);
  GenerationRequest r = greedy(promptFor(3, vocab), 6);
  // Stop at the first occurrence of the third token.
  r.stopTokens = {all[2].token};
  size_t first = 0;
  while (all[first].token != all[2].token)
    ++first;
  auto g = submit(*s, r);
  std::vector<GeneratedToken> cut = drain(*g);
  EXPECT_EQ(g->finishReason(), FinishReason::Stop);
  ASSERT_EQ(cut.size(), first);
  for (size_t i = 0; i < cut.size(); ++i)
    EXPECT_EQ(cut[i].token, all[i].token);
}

TEST_F(SchedulerTest, FullQueueRefusesAndCancelFreesTheSlot) {
  // The worker is held before its first turn: A and B wait in the queue.
  TurnGate gate(1);
  auto s = make(/*slots=*/1, /*queue=*/1, 128, gate.hook());
  ASSERT_TRUE(s);
  auto a = submit(*s, greedy({1, 2}, 3));
  auto b = submit(*s, greedy({3}, 2));
  gate.waitUntilHeld();
  // One slot and one place in the queue: C is refused.
  Scheduler::Admission admission;
  std::string error;
  EXPECT_FALSE(s->submit(greedy({4}, 2), admission, error));
  EXPECT_EQ(admission, Scheduler::Admission::QueueFull);
  EXPECT_NE(error.find("1 requests are waiting"), std::string::npos) << error;
  // A cancelled request waiting in the queue frees its place at once.
  b->cancel();
  auto c = submit(*s, greedy({4}, 2));
  EXPECT_TRUE(c);
  gate.release();
  EXPECT_TRUE(drain(*b).empty());
  EXPECT_EQ(b->finishReason(), FinishReason::Cancelled);
  // A runs to its end, then C gets the slot.
  EXPECT_EQ(drain(*a).size(), 3u);
  EXPECT_EQ(a->finishReason(), FinishReason::Length);
  EXPECT_EQ(drain(*c).size(), 2u);
  EXPECT_EQ(c->finishReason(), FinishReason::Length);
}

TEST_F(SchedulerTest, CancelStopsARunningRequest) {
  // Held at turn 3: A has been admitted and decodes.
  TurnGate gate(3);
  auto s = make(1, 1, 128, gate.hook());
  ASSERT_TRUE(s);
  auto a = submit(*s, greedy({1, 2}, s->maxContext() - 2));
  gate.waitUntilHeld();
  a->cancel();
  gate.release();
  std::vector<GeneratedToken> got = drain(*a);
  EXPECT_EQ(a->finishReason(), FinishReason::Cancelled);
  // Turn 1 gave two tokens (the prefill's and a step's), turn 2 one; turn
  // 3 dropped the request before its step.
  EXPECT_EQ(got.size(), 3u);
  // Its slot is free: another request runs in it.
  auto b = submit(*s, greedy({3}, 2));
  EXPECT_EQ(drain(*b).size(), 2u);
  EXPECT_EQ(b->finishReason(), FinishReason::Length);
  SchedulerStats stats = s->stats();
  EXPECT_EQ(stats.cancelled, 1);
  EXPECT_EQ(stats.completed, 1);
}

/// A consumer that finds a stop string in the text ends its request as a
/// stop, counted as completed, not cancelled.
TEST_F(SchedulerTest, ConsumerStopEndsAsAStop) {
  TurnGate gate(3);
  auto s = make(1, 1, 128, gate.hook());
  ASSERT_TRUE(s);
  auto a = submit(*s, greedy({1, 2}, s->maxContext() - 2));
  gate.waitUntilHeld();
  a->stop();
  gate.release();
  EXPECT_EQ(drain(*a).size(), 3u);
  EXPECT_EQ(a->finishReason(), FinishReason::Stop);
  SchedulerStats stats = s->stats();
  EXPECT_EQ(stats.completed, 1);
  EXPECT_EQ(stats.cancelled, 0);
}

TEST_F(SchedulerTest, InvalidRequestsAreRefused) {
  auto s = make(1, 4);
  ASSERT_TRUE(s);
  int64_t context = s->maxContext();
  struct Case {
    GenerationRequest request;
    const char *message;
  } cases[] = {
      {greedy({}, 1), "the prompt is empty"},
      {greedy({1, static_cast<int32_t>(vocab)}, 1), "prompt token 1 is"},
      {greedy({1, -3}, 1), "prompt token 1 is -3"},
      {greedy({1}, 0), "at least one token"},
      {greedy({1, 2}, context - 1), "exceed the model's context"},
  };
  for (Case &c : cases) {
    Scheduler::Admission admission;
    std::string error;
    EXPECT_FALSE(s->submit(c.request, admission, error));
    EXPECT_EQ(admission, Scheduler::Admission::Invalid);
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
  }
}

TEST_F(SchedulerTest, ShutdownCancelsWhatIsLeftAndRefusesMore) {
  TurnGate gate(2);
  auto s = make(1, 2, 128, gate.hook());
  ASSERT_TRUE(s);
  int64_t context = s->maxContext();
  auto a = submit(*s, greedy({1}, context - 1));
  auto b = submit(*s, greedy({2}, context - 1));
  gate.waitUntilHeld();
  // A runs, B waits; shutting down without grace cancels both once the
  // worker goes on.
  std::thread stopper([&] { s->shutdown(std::chrono::milliseconds(0)); });
  while (true) {
    Scheduler::Admission admission;
    std::string error;
    if (!s->submit(greedy({1}, 1), admission, error) &&
        admission == Scheduler::Admission::ShuttingDown)
      break;
    std::this_thread::yield();
  }
  gate.release();
  stopper.join();
  drain(*a);
  drain(*b);
  EXPECT_EQ(a->finishReason(), FinishReason::Cancelled);
  EXPECT_EQ(b->finishReason(), FinishReason::Cancelled);
  EXPECT_NE(a->error().find("shutting down"), std::string::npos);
}

TEST_F(SchedulerTest, ModelWithoutBatchEntriesIsRefused) {
  xfrt_model *plain = load("plain.so");
  ASSERT_TRUE(plain);
  std::string error;
  EXPECT_FALSE(Scheduler::create(plain, SchedulerOptions(), error));
  EXPECT_NE(error.find("--batch-rows"), std::string::npos) << error;
  xfrt_model_free(plain);
}

} // namespace
