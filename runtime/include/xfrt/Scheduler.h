//===- Scheduler.h - Continuous batching of generation requests -*- C++ -*-===//
//
// Serves many generation requests on one model. A worker thread owns an
// xfrt_batch: each running request holds one KV-cache slot. Every turn of
// the worker runs one chunk of one waiting prompt (chunked prefill), then
// one decode step for every running request at once (as few batched
// calls as the model's batch rows allow), so a long prompt delays the
// running requests by one chunk, not by the whole prompt. Requests beyond
// the slots wait in a bounded first-come first-served queue; a full queue
// refuses new ones at once.
//
// Consumers read their request's tokens from its Generation, from any
// thread, and may cancel it at any time (the slot is freed between steps).
//
// Prefix caching: a slot keeps its tokens' keys and values after its
// request ends. A new request takes the free slot sharing the longest
// prefix with its prompt if that is at least half the prompt, else the
// slot left longest ago, and prefills only what it does not share: the
// turns of a chat and prompts with a common system prompt skip what was
// already computed, and the most recent conversations stay cached.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_SCHEDULER_H
#define XFRT_SCHEDULER_H

#include "xfrt/Sampler.h"
#include "xfrt/xfrt.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace xfrt {

struct GenerationRequest {
  std::vector<int32_t> prompt; // non-empty
  int64_t maxTokens = 16;      // >= 1; prompt + maxTokens <= the context
  SamplerOptions sampling;
  /// Generation ends, with reason Stop, when one of these is sampled; the
  /// token itself is not delivered.
  std::vector<int32_t> stopTokens;
  /// >= 0: each token carries its log-probability and this many of the
  /// most likely alternatives (at most 20).
  int32_t topLogprobs = -1;
  /// Each token carries the whole row of logits it was sampled from (for
  /// tests that compare them with a session's).
  bool keepLogits = false;
};

struct GeneratedToken {
  int32_t token = 0;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top; // (token, logprob), best first
  std::vector<float> logits;
};

enum class FinishReason { Running, Stop, Length, Cancelled, Error };

/// One request's progress, shared by the scheduler and its consumer.
class Generation {
public:
  /// Waits for the next token. False once the generation has ended and
  /// every token has been read; then see finishReason().
  bool next(GeneratedToken &token);
  /// Like next, but gives up after `timeout`, setting `timedOut`.
  bool next(GeneratedToken &token, std::chrono::milliseconds timeout,
            bool &timedOut);
  /// Asks the scheduler to stop this request (it ends as Cancelled unless it
  /// already ended); safe from any thread, and to call more than once.
  void cancel() { ending = FinishReason::Cancelled; }
  /// Ends the request as a stop does (FinishReason::Stop), for a consumer
  /// that found a stop string in its text.
  void stop() { ending = FinishReason::Stop; }
  bool cancelRequested() const { return ending != FinishReason::Running; }
  FinishReason finishReason() const;
  std::string error() const;
  int64_t promptTokens() const { return prompt; }
  /// Prompt tokens whose keys and values a slot already held (prefix
  /// caching); set when the request is admitted, before its first token.
  int64_t cachedTokens() const { return cached; }

private:
  friend class Scheduler;
  void push(GeneratedToken token);
  void end(FinishReason reason, std::string message = {});

  mutable std::mutex mutex;
  std::condition_variable ready;
  std::deque<GeneratedToken> tokens;
  FinishReason reason = FinishReason::Running;
  std::string message;
  /// How a request the scheduler ends early ends: as the consumer asked
  /// (stop), else Cancelled (cancel, or shutdown).
  FinishReason earlyEnd() const {
    return ending == FinishReason::Stop ? FinishReason::Stop
                                        : FinishReason::Cancelled;
  }

  /// What the consumer asked for: Running (nothing), Cancelled or Stop.
  std::atomic<FinishReason> ending{FinishReason::Running};
  int64_t prompt = 0;
  std::atomic<int64_t> cached{0};
};

struct SchedulerOptions {
  int32_t slots = 4;          // requests running at once (KV-cache slots)
  int32_t maxQueue = 64;      // requests waiting for a slot
  int64_t prefillChunk = 128; // prompt tokens per worker turn
  int threads = 0;            // 0: one per available core
  /// Reuse a free slot's cached prompt prefix (see above); false empties
  /// every slot its request leaves.
  bool prefixCache = true;
  /// Called by the worker at the start of every turn; tests use it to hold
  /// the worker at a known point.
  std::function<void()> onTurn;
};

struct SchedulerStats {
  int64_t running = 0, queued = 0;
  /// Requests that ended: at a stop or their length, cancelled (by their
  /// consumer or at shutdown, queued or running), or on a model error.
  int64_t completed = 0, cancelled = 0, failed = 0;
  /// Prompt tokens prefilled, and those a slot's cache already held.
  int64_t promptTokens = 0, cachedPromptTokens = 0;
  int64_t generatedTokens = 0;
  int64_t decodeSteps = 0, decodeRows = 0;
};

class Scheduler {
public:
  /// Null, with `error` set, when the model has no batch decode entry
  /// points or the options are out of range.
  static std::unique_ptr<Scheduler> create(xfrt_model *model,
                                           const SchedulerOptions &options,
                                           std::string &error);
  /// Cancels whatever is left and stops the worker.
  ~Scheduler();
  Scheduler(const Scheduler &) = delete;
  Scheduler &operator=(const Scheduler &) = delete;

  enum class Admission { Accepted, Invalid, QueueFull, ShuttingDown };
  /// Queues `request`. Unless Accepted, returns null and says why in
  /// `error` (Invalid: an empty prompt, a token out of the vocabulary,
  /// maxTokens < 1, or more tokens than the context).
  std::shared_ptr<Generation> submit(GenerationRequest request,
                                     Admission &admission, std::string &error);

  /// Stops admitting requests, lets the queued and running ones finish for
  /// up to `grace`, then cancels the rest and waits for the worker to stop.
  void shutdown(std::chrono::milliseconds grace);

  SchedulerStats stats() const;
  int64_t maxContext() const { return context; }
  int64_t vocabSize() const { return vocab; }
  int32_t slots() const { return static_cast<int32_t>(slotState.size()); }

private:
  struct Active;
  struct Waiting;
  Scheduler() = default;
  void run();
  void admit(std::vector<std::unique_ptr<Active>> &active);
  /// The free slot for `prompt` (see prefix caching above; sharing only a
  /// BOS or a template header does not count). Sets `reuse` to the cached
  /// tokens it keeps (at most all but the prompt's last token, whose
  /// logits are needed); -1 if no slot is free.
  int32_t chooseSlot(const std::vector<int32_t> &prompt, int64_t &reuse) const;
  /// Runs one chunk of the first request still prefilling.
  void prefillChunk(std::vector<std::unique_ptr<Active>> &active);
  void decodeStep(std::vector<std::unique_ptr<Active>> &active);
  /// Samples from `logits`, delivers the token, and says whether the
  /// request goes on.
  bool deliver(Active &a, const float *logits);
  void finish(Active &a, FinishReason reason, std::string message = {});
  /// Ends a request that never ran (mutex held).
  void endWaitingLocked(Waiting &w, std::string message = {});
  /// Keeps the first `n` tokens of `slot`'s cache, and its record of them.
  void keepTokens(int32_t slot, int64_t n);
  /// Ends the queued requests whose consumers cancelled them (mutex held).
  void dropCancelledLocked();
  void countEnd(FinishReason reason);

  std::unique_ptr<xfrt_batch, void (*)(xfrt_batch *)> batch{nullptr,
                                                            xfrt_batch_free};
  SchedulerOptions options;
  int64_t context = 0, vocab = 0;
  int32_t maxRows = 0;
  struct Slot {
    bool busy = false;
    std::vector<int32_t> tokens; // those its KV cache holds
    uint64_t freedAt = 0;        // when its last request ended
  };
  std::vector<Slot> slotState; // worker only
  uint64_t endings = 0;        // worker only: requests ended so far

  mutable std::mutex mutex;
  std::condition_variable wake;
  struct Waiting {
    GenerationRequest request;
    std::shared_ptr<Generation> generation;
  };
  std::deque<Waiting> queue;
  bool admitting = true, stopping = false;
  SchedulerStats counters;

  // Worker-only buffers, sized once: no allocation per decode step.
  std::vector<float> prefillLogits, stepLogits;
  std::vector<int32_t> stepSlots, stepTokens, rankedIds;
  std::vector<Active *> stepRows;
  std::thread worker;
};

} // namespace xfrt

#endif // XFRT_SCHEDULER_H
