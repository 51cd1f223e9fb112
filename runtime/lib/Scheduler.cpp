//===- Scheduler.cpp - Continuous batching of generation requests ---------===//

#include "xfrt/Scheduler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace xfrt;

//===----------------------------------------------------------------------===//
// Generation
//===----------------------------------------------------------------------===//

bool Generation::next(GeneratedToken &token) {
  bool timedOut = false;
  return next(token, std::chrono::milliseconds::max(), timedOut);
}

bool Generation::next(GeneratedToken &token, std::chrono::milliseconds timeout,
                      bool &timedOut) {
  std::unique_lock<std::mutex> lock(mutex);
  auto ready = [&] {
    return !tokens.empty() || reason != FinishReason::Running;
  };
  timedOut = false;
  if (timeout == std::chrono::milliseconds::max())
    this->ready.wait(lock, ready);
  else if (!this->ready.wait_for(lock, timeout, ready)) {
    timedOut = true;
    return false;
  }
  if (tokens.empty())
    return false;
  token = std::move(tokens.front());
  tokens.pop_front();
  return true;
}

FinishReason Generation::finishReason() const {
  std::lock_guard<std::mutex> lock(mutex);
  return reason;
}

std::string Generation::error() const {
  std::lock_guard<std::mutex> lock(mutex);
  return message;
}

void Generation::push(GeneratedToken token) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    tokens.push_back(std::move(token));
  }
  ready.notify_all();
}

void Generation::end(FinishReason why, std::string text) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (reason != FinishReason::Running)
      return;
    reason = why;
    message = std::move(text);
  }
  ready.notify_all();
}

//===----------------------------------------------------------------------===//
// Scheduler
//===----------------------------------------------------------------------===//

/// A request that holds a slot: prefilling until its whole prompt is in
/// the cache, then decoding one token per step.
struct Scheduler::Active {
  Active(GenerationRequest r, std::shared_ptr<Generation> g, int32_t slot)
      : request(std::move(r)), generation(std::move(g)), slot(slot),
        sampler(request.sampling) {}
  GenerationRequest request;
  std::shared_ptr<Generation> generation;
  int32_t slot;
  Sampler sampler;
  int64_t prefilled = 0, generated = 0;
  int32_t pending = 0; // the last token, not yet in the cache
  bool done = false;
  bool decoding() const {
    return !done && prefilled == static_cast<int64_t>(request.prompt.size());
  }
};

std::unique_ptr<Scheduler> Scheduler::create(xfrt_model *model,
                                             const SchedulerOptions &options,
                                             std::string &error) {
  if (options.slots < 1 || options.maxQueue < 0 || options.prefillChunk < 1 ||
      options.threads < 0) {
    error = "scheduler: slots and the prefill chunk must be at least 1, the "
            "queue limit and threads not negative";
    return nullptr;
  }
  if (xfrt_model_batch_rows(model) < 1) {
    error = "the model has no batch decode entry points: compile it with "
            "`xfc compile --batch-rows N` (N >= 1; not a model split across "
            "sockets)";
    return nullptr;
  }
  std::unique_ptr<Scheduler> s(new Scheduler());
  xfrt_batch *batch = nullptr;
  if (xfrt_batch_create(model, options.slots, options.threads, &batch) !=
      XFRT_OK) {
    error = "cannot create " + std::to_string(options.slots) +
            " KV-cache slots: " +
            (batch ? xfrt_batch_error(batch) : "out of memory");
    xfrt_batch_free(batch);
    return nullptr;
  }
  s->batch.reset(batch);
  s->options = options;
  s->context = xfrt_model_max_context(model);
  s->vocab = xfrt_model_vocab_size(model);
  s->maxRows = xfrt_batch_max_rows(batch);
  s->slotState.resize(options.slots);
  int64_t chunk = std::min(options.prefillChunk, s->context);
  s->options.prefillChunk = chunk;
  // The model writes every prompt row's logits; only the last is used.
  s->prefillLogits.resize(chunk * s->vocab);
  s->rankedIds.resize(s->vocab);
  s->stepLogits.resize(s->maxRows * s->vocab);
  s->stepSlots.resize(s->maxRows);
  s->stepTokens.resize(s->maxRows);
  s->stepRows.resize(s->maxRows);
  s->worker = std::thread([p = s.get()] { p->run(); });
  return s;
}

Scheduler::~Scheduler() { shutdown(std::chrono::milliseconds(0)); }

std::shared_ptr<Generation> Scheduler::submit(GenerationRequest request,
                                              Admission &admission,
                                              std::string &error) {
  admission = Admission::Invalid;
  int64_t n = static_cast<int64_t>(request.prompt.size());
  if (n == 0) {
    error = "the prompt is empty";
    return nullptr;
  }
  for (int64_t i = 0; i < n; ++i)
    if (request.prompt[i] < 0 || request.prompt[i] >= vocab) {
      error = "prompt token " + std::to_string(i) + " is " +
              std::to_string(request.prompt[i]) +
              ", outside the vocabulary of " + std::to_string(vocab);
      return nullptr;
    }
  if (request.maxTokens < 1) {
    error = "at least one token must be generated";
    return nullptr;
  }
  if (request.maxTokens > context - n) {
    error = "the prompt (" + std::to_string(n) + " tokens) and " +
            std::to_string(request.maxTokens) +
            " tokens to generate exceed the model's context of " +
            std::to_string(context) + " tokens";
    return nullptr;
  }
  if (request.topLogprobs > 20) {
    error = "at most 20 alternatives per token";
    return nullptr;
  }
  auto generation = std::make_shared<Generation>();
  generation->prompt = n;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!admitting) {
      admission = Admission::ShuttingDown;
      error = "the server is shutting down";
      return nullptr;
    }
    // Room: the free slots, and maxQueue requests waiting beyond them.
    auto full = [&] {
      return static_cast<int64_t>(queue.size()) + counters.running >=
             static_cast<int64_t>(options.slots) + options.maxQueue;
    };
    if (full())
      dropCancelledLocked();
    if (full()) {
      admission = Admission::QueueFull;
      error = "all " + std::to_string(options.slots) + " slots are busy and " +
              std::to_string(options.maxQueue) +
              " requests are waiting; try again later";
      return nullptr;
    }
    queue.push_back({std::move(request), generation});
    counters.queued = static_cast<int64_t>(queue.size());
  }
  wake.notify_one();
  admission = Admission::Accepted;
  return generation;
}

void Scheduler::shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    admitting = false;
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    SchedulerStats s = stats();
    if (s.running == 0 && s.queued == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  if (worker.joinable())
    worker.join();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(mutex);
  return counters;
}

void Scheduler::countEnd(FinishReason reason) {
  switch (reason) {
  case FinishReason::Cancelled:
    ++counters.cancelled;
    break;
  case FinishReason::Error:
    ++counters.failed;
    break;
  default:
    ++counters.completed;
  }
}

void Scheduler::finish(Active &a, FinishReason reason, std::string message) {
  Slot &slot = slotState[a.slot];
  // After a model error the cache's contents are unknown.
  if (!options.prefixCache || reason == FinishReason::Error)
    keepTokens(a.slot, 0);
  slot.busy = false;
  slot.freedAt = ++endings;
  a.done = true;
  {
    // Counted before the consumer can see the end.
    std::lock_guard<std::mutex> lock(mutex);
    countEnd(reason);
  }
  a.generation->end(reason, std::move(message));
}

void Scheduler::keepTokens(int32_t slot, int64_t n) {
  // Within the slot's length, so this cannot fail.
  xfrt_batch_trim(batch.get(), slot, n);
  slotState[slot].tokens.resize(n);
}

void Scheduler::endWaitingLocked(Waiting &w, std::string message) {
  FinishReason why = w.generation->earlyEnd();
  countEnd(why);
  w.generation->end(why, std::move(message));
}

void Scheduler::dropCancelledLocked() {
  auto cancelled = [&](Waiting &w) {
    if (!w.generation->cancelRequested())
      return false;
    endWaitingLocked(w);
    return true;
  };
  queue.erase(std::remove_if(queue.begin(), queue.end(), cancelled),
              queue.end());
  counters.queued = static_cast<int64_t>(queue.size());
}

int32_t Scheduler::chooseSlot(const std::vector<int32_t> &prompt,
                              int64_t &reuse) const {
  // The longest shared prefix, if it is at least half the prompt (a chat's
  // next turn, a common system prompt); else the slot left longest ago.
  int32_t longest = -1, oldest = -1;
  int64_t longestShared = 0, oldestShared = 0;
  for (int32_t s = 0; s < slots(); ++s) {
    const Slot &slot = slotState[s];
    if (slot.busy)
      continue;
    auto [end, unused] = std::mismatch(slot.tokens.begin(), slot.tokens.end(),
                                       prompt.begin(), prompt.end());
    (void)unused;
    int64_t shared = end - slot.tokens.begin();
    if (shared > longestShared) {
      longest = s;
      longestShared = shared;
    }
    if (oldest < 0 || slot.freedAt < slotState[oldest].freedAt) {
      oldest = s;
      oldestShared = shared;
    }
  }
  int64_t n = static_cast<int64_t>(prompt.size());
  bool continues = 2 * longestShared >= n;
  reuse = std::min(continues ? longestShared : oldestShared, n - 1);
  return continues ? longest : oldest;
}

void Scheduler::admit(std::vector<std::unique_ptr<Active>> &active) {
  std::lock_guard<std::mutex> lock(mutex);
  dropCancelledLocked();
  while (!queue.empty()) {
    Waiting &w = queue.front();
    int64_t reuse = 0;
    int32_t slot = chooseSlot(w.request.prompt, reuse);
    if (slot < 0)
      break;
    keepTokens(slot, reuse);
    slotState[slot].busy = true;
    w.generation->cached = reuse;
    counters.cachedPromptTokens += reuse;
    auto a = std::make_unique<Active>(std::move(w.request),
                                      std::move(w.generation), slot);
    a->prefilled = reuse;
    active.push_back(std::move(a));
    queue.pop_front();
  }
  counters.queued = static_cast<int64_t>(queue.size());
  counters.running = static_cast<int64_t>(active.size());
}

bool Scheduler::deliver(Active &a, const float *logits) {
  GeneratedToken t;
  t.token = a.sampler.sample(logits, vocab);
  if (a.request.topLogprobs >= 0) {
    float top = *std::max_element(logits, logits + vocab);
    double sum = 0;
    for (int64_t i = 0; i < vocab; ++i)
      sum += std::exp(static_cast<double>(logits[i] - top));
    float logZ = top + static_cast<float>(std::log(sum));
    t.logprob = logits[t.token] - logZ;
    std::vector<int32_t> &ids = rankedIds;
    std::iota(ids.begin(), ids.end(), 0);
    int64_t k = std::min<int64_t>(a.request.topLogprobs, vocab);
    std::partial_sort(
        ids.begin(), ids.begin() + k, ids.end(), [&](int32_t x, int32_t y) {
          return logits[x] > logits[y] || (logits[x] == logits[y] && x < y);
        });
    for (int64_t i = 0; i < k; ++i)
      t.top.push_back({ids[i], logits[ids[i]] - logZ});
  }
  if (a.request.keepLogits)
    t.logits.assign(logits, logits + vocab);
  ++a.generated;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ++counters.generatedTokens;
  }
  const std::vector<int32_t> &stops = a.request.stopTokens;
  if (std::find(stops.begin(), stops.end(), t.token) != stops.end()) {
    finish(a, FinishReason::Stop);
    return false;
  }
  a.pending = t.token;
  a.generation->push(std::move(t));
  if (a.generated >= a.request.maxTokens) {
    finish(a, FinishReason::Length);
    return false;
  }
  return true;
}

void Scheduler::prefillChunk(std::vector<std::unique_ptr<Active>> &active) {
  for (auto &owned : active) {
    Active &a = *owned;
    int64_t total = static_cast<int64_t>(a.request.prompt.size());
    if (a.done || a.prefilled == total)
      continue;
    int64_t n = std::min(options.prefillChunk, total - a.prefilled);
    bool last = a.prefilled + n == total;
    // Only the last chunk's logits are read (its last row).
    if (xfrt_batch_prefill(batch.get(), a.slot,
                           a.request.prompt.data() + a.prefilled, n,
                           last ? prefillLogits.data() : nullptr) != XFRT_OK) {
      finish(a, FinishReason::Error, xfrt_batch_error(batch.get()));
      return;
    }
    std::vector<int32_t> &cached = slotState[a.slot].tokens;
    cached.insert(cached.end(), a.request.prompt.begin() + a.prefilled,
                  a.request.prompt.begin() + a.prefilled + n);
    a.prefilled += n;
    {
      std::lock_guard<std::mutex> lock(mutex);
      counters.promptTokens += n;
    }
    if (last)
      deliver(a, prefillLogits.data() + (n - 1) * vocab);
    return; // one chunk per turn
  }
}

void Scheduler::decodeStep(std::vector<std::unique_ptr<Active>> &active) {
  size_t next = 0;
  while (true) {
    int64_t rows = 0;
    for (; next < active.size() && rows < maxRows; ++next) {
      Active &a = *active[next];
      if (!a.decoding())
        continue;
      stepRows[rows] = &a;
      stepSlots[rows] = a.slot;
      stepTokens[rows] = a.pending;
      ++rows;
    }
    if (rows == 0)
      return;
    if (xfrt_batch_decode(batch.get(), rows, stepSlots.data(),
                          stepTokens.data(), stepLogits.data()) != XFRT_OK) {
      std::string message = xfrt_batch_error(batch.get());
      for (int64_t r = 0; r < rows; ++r)
        finish(*stepRows[r], FinishReason::Error, message);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++counters.decodeSteps;
      counters.decodeRows += rows;
    }
    for (int64_t r = 0; r < rows; ++r) {
      slotState[stepSlots[r]].tokens.push_back(stepTokens[r]);
      deliver(*stepRows[r], stepLogits.data() + r * vocab);
    }
  }
}

void Scheduler::run() {
  std::vector<std::unique_ptr<Active>> active;
  auto sweep = [&] {
    active.erase(std::remove_if(active.begin(), active.end(),
                                [](const auto &a) { return a->done; }),
                 active.end());
  };
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock,
                [&] { return stopping || !active.empty() || !queue.empty(); });
      if (stopping)
        break;
    }
    if (options.onTurn)
      options.onTurn();
    for (auto &a : active)
      if (a->generation->cancelRequested())
        finish(*a, a->generation->earlyEnd());
    sweep();
    admit(active);
    prefillChunk(active);
    decodeStep(active);
    sweep();
    std::lock_guard<std::mutex> lock(mutex);
    counters.running = static_cast<int64_t>(active.size());
  }
  for (auto &a : active)
    if (!a->done)
      finish(*a, a->generation->earlyEnd(), "the server is shutting down");
  std::lock_guard<std::mutex> lock(mutex);
  for (Waiting &w : queue)
    endWaitingLocked(w, "the server is shutting down");
  queue.clear();
  counters.running = counters.queued = 0;
}
