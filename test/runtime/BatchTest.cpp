//===- BatchTest.cpp - Continuous batching on a compiled model ------------===//
//
// A batch decode step advances several sequences, each in its own KV-cache
// slot at its own position, as one call. Its logits must be those of the
// same sequences run one at a time in sessions, while sequences join and
// leave between steps and slots are reused; steps allocate nothing; bad
// steps are refused with nothing changed.
//
//===----------------------------------------------------------------------===//

#include "AllocationCounter.h"
#include "TestModels.h"

#include "xfrt/xfrt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

class BatchTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    // llama with f32 and int8 KV caches, a layer-shared llama (its SPEED
    // stages share the per-row layers), gpt2 (learned positions), and one
    // without batch entry points.
    dir = xfc::test::sharedModelDir(
        "batch",
        "$XFC make-model --arch llama --ctx 32 -o m.gguf > /dev/null\n"
        "$XFC make-model --arch llama --ctx 32 --share-cycle 1 --repeats 2 "
        "-o cyc.gguf > /dev/null\n"
        "$XFC make-model --arch gpt2 --ctx 32 -o g.gguf > /dev/null\n"
        "$XFC compile m.gguf --batch-rows 4 -o m.so\n"
        "$XFC compile m.gguf --batch-rows 4 --kv-cache int8 -o int8.so\n"
        "$XFC compile cyc.gguf --batch-rows 4 -o cyc.so\n"
        "$XFC compile g.gguf --batch-rows 4 -o g.so\n"
        "$XFC compile m.gguf --batch-rows 0 -o plain.so\n"
        "$XFC make-model --arch llama --ctx 1024 -o long.gguf > /dev/null\n"
        "$XFC compile long.gguf --batch-rows 2 -o long.so\n");
    ASSERT_FALSE(dir.empty());
  }

  void SetUp() override {
    model = xfc::test::loadModel(dir + "/m.so");
    ASSERT_TRUE(model);
    vocab = xfrt_model_vocab_size(model);
  }
  void TearDown() override { xfrt_model_free(model); }

  static std::string dir;
  xfrt_model *model = nullptr;
  int64_t vocab = 0;
};

std::string BatchTest::dir;

/// |a - b| <= 1e-4 max(|a|, |b|) + 1e-5, for every logit.
void expectClose(const float *a, const float *b, int64_t n,
                 const std::string &what) {
  for (int64_t i = 0; i < n; ++i) {
    float tolerance =
        1e-4f * std::max(std::fabs(a[i]), std::fabs(b[i])) + 1e-5f;
    ASSERT_LE(std::fabs(a[i] - b[i]), tolerance) << what << ", logit " << i;
  }
}

/// One sequence: its session (the reference), its slot in the batch.
struct Sequence {
  xfrt_session *session = nullptr;
  int32_t slot = -1;
  int32_t next = 0; // the token it decodes next
};

/// Runs sequences through a batch on `threads` threads while they join,
/// leave and reuse slots, and checks every logit against the same sequence
/// in its own session.
void stepsMatchSessions(xfrt_model *model, int threads) {
  int64_t vocab = xfrt_model_vocab_size(model);
  ASSERT_EQ(xfrt_model_batch_rows(model), 4);
  xfrt_batch *batch = nullptr;
  ASSERT_EQ(xfrt_batch_create(model, 5, threads, &batch), XFRT_OK);
  EXPECT_EQ(xfrt_batch_slots(batch), 5);
  EXPECT_EQ(xfrt_batch_max_rows(batch), 4);
  std::vector<Sequence> seqs(6);
  std::vector<float> expected(vocab), prefill(32 * vocab);
  // Prompt lengths: sequence 4 reuses sequence 1's slot with a shorter
  // prompt, so stale rows of the longer one lie past its end.
  const int promptLength[6] = {2, 12, 8, 5, 2, 3};
  auto start = [&](int k, int32_t slot) {
    Sequence &s = seqs[k];
    ASSERT_EQ(xfrt_session_create(model, 0, 1, &s.session), XFRT_OK);
    std::vector<int32_t> prompt;
    for (int i = 0; i < promptLength[k]; ++i)
      prompt.push_back((11 * k + 7 * i + 1) % vocab);
    ASSERT_EQ(xfrt_batch_prefill(batch, slot, prompt.data(), prompt.size(),
                                 prefill.data()),
              XFRT_OK)
        << xfrt_batch_error(batch);
    std::vector<float> reference(prompt.size() * vocab);
    ASSERT_EQ(xfrt_session_eval(s.session, prompt.data(), prompt.size(),
                                reference.data()),
              XFRT_OK);
    expectClose(prefill.data(), reference.data(), prompt.size() * vocab,
                "prefill of sequence " + std::to_string(k));
    s.slot = slot;
    s.next = (5 * k + 3) % vocab;
  };
  auto stop = [&](int k) {
    ASSERT_EQ(xfrt_batch_release(batch, seqs[k].slot), XFRT_OK);
    EXPECT_EQ(xfrt_batch_length(batch, seqs[k].slot), 0);
    xfrt_session_free(seqs[k].session);
    seqs[k].session = nullptr;
  };
  // Which sequences decode at each step: 0-2 start together; 3 joins at
  // step 2; 1 leaves after step 4 and 4 takes its slot; 2 pauses at step
  // 5; 5 joins in the free slot at step 6; some steps have one row.
  start(0, 0), start(1, 1), start(2, 2);
  std::vector<std::vector<int>> plan = {
      {0, 1, 2}, {2, 0, 1}, {0, 1, 2, 3}, {3, 1},       {1},
      {0, 3},    {4},       {4, 2, 5, 0}, {5, 4, 3, 2}, {2}};
  std::vector<float> logits(4 * vocab);
  for (size_t step = 0; step < plan.size(); ++step) {
    if (step == 2)
      start(3, 3);
    if (step == 5) {
      stop(1);
      start(4, 1);
    }
    if (step == 7)
      start(5, 4);
    std::vector<int32_t> slots, tokens;
    for (int k : plan[step]) {
      slots.push_back(seqs[k].slot);
      tokens.push_back(seqs[k].next);
    }
    ASSERT_EQ(xfrt_batch_decode(batch, slots.size(), slots.data(),
                                tokens.data(), logits.data()),
              XFRT_OK)
        << xfrt_batch_error(batch);
    for (size_t r = 0; r < plan[step].size(); ++r) {
      Sequence &s = seqs[plan[step][r]];
      ASSERT_EQ(xfrt_session_eval(s.session, &s.next, 1, expected.data()),
                XFRT_OK);
      expectClose(&logits[r * vocab], expected.data(), vocab,
                  "step " + std::to_string(step) + ", sequence " +
                      std::to_string(plan[step][r]));
      EXPECT_EQ(xfrt_batch_length(batch, s.slot),
                xfrt_session_position(s.session));
      // Greedy from the batch's logits: both sides follow one path.
      s.next = static_cast<int32_t>(
          std::max_element(&logits[r * vocab], &logits[(r + 1) * vocab]) -
          &logits[r * vocab]);
    }
  }
  for (int k : {0, 2, 3, 4, 5})
    xfrt_session_free(seqs[k].session);
  xfrt_batch_free(batch);
}

TEST_F(BatchTest, StepsMatchSessionsAsSequencesJoinAndLeave) {
  for (const char *name : {"m.so", "int8.so", "cyc.so", "g.so"})
    for (int threads : {1, 2}) {
      SCOPED_TRACE(std::string(name) + ", " + std::to_string(threads) +
                   " threads");
      xfrt_model *m = xfc::test::loadModel(dir + "/" + name);
      ASSERT_TRUE(m);
      stepsMatchSessions(m, threads);
      xfrt_model_free(m);
    }
}

TEST_F(BatchTest, StepsAllocateNothing) {
  if (!xfc::test::allocationCountingAvailable())
    GTEST_SKIP() << "the sanitizer owns malloc in this build";
  xfrt_batch *batch = nullptr;
  ASSERT_EQ(xfrt_batch_create(model, 4, 2, &batch), XFRT_OK);
  std::vector<int32_t> prompt = {1, 20, 30, 40};
  for (int32_t slot = 0; slot < 4; ++slot)
    ASSERT_EQ(
        xfrt_batch_prefill(batch, slot, prompt.data(), prompt.size(), nullptr),
        XFRT_OK);
  int32_t slots[4] = {3, 1, 0, 2}, tokens[4] = {5, 6, 7, 8};
  std::vector<float> logits(4 * vocab);
  long before = xfc::test::allocationCount();
  for (int step = 0; step < 8; ++step)
    ASSERT_EQ(
        xfrt_batch_decode(batch, 1 + step % 4, slots, tokens, logits.data()),
        XFRT_OK);
  EXPECT_EQ(xfc::test::allocationCount() - before, 0);
  xfrt_batch_free(batch);
}

TEST_F(BatchTest, BadStepsAreRefusedAndChangeNothing) {
  xfrt_batch *batch = nullptr;
  EXPECT_EQ(xfrt_batch_create(model, 0, 1, &batch),
            XFRT_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(xfrt_batch_create(model, 3, 1, &batch), XFRT_OK);
  int32_t prompt[30] = {};
  ASSERT_EQ(xfrt_batch_prefill(batch, 0, prompt, 30, nullptr), XFRT_OK);
  ASSERT_EQ(xfrt_batch_prefill(batch, 1, prompt, 2, nullptr), XFRT_OK);
  EXPECT_EQ(xfrt_batch_prefill(batch, 0, prompt, 3, nullptr),
            XFRT_ERROR_CONTEXT_FULL);
  EXPECT_EQ(xfrt_batch_prefill(batch, 3, prompt, 1, nullptr),
            XFRT_ERROR_INVALID_ARGUMENT);
  std::vector<float> logits(5 * vocab);
  int32_t same[2] = {1, 1}, empty[2] = {1, 2}, ok[2] = {0, 1};
  int32_t tokens[5] = {1, 2, 3, 4, 5};
  EXPECT_EQ(xfrt_batch_decode(batch, 2, same, tokens, logits.data()),
            XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(xfrt_batch_error(batch)).find("two rows"),
            std::string::npos);
  EXPECT_EQ(xfrt_batch_decode(batch, 2, empty, tokens, logits.data()),
            XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xfrt_batch_decode(batch, 5, ok, tokens, logits.data()),
            XFRT_ERROR_INVALID_ARGUMENT);
  int32_t badTokens[2] = {1, static_cast<int32_t>(vocab)};
  EXPECT_EQ(xfrt_batch_decode(batch, 2, ok, badTokens, logits.data()),
            XFRT_ERROR_INVALID_TOKEN);
  EXPECT_EQ(xfrt_batch_length(batch, 0), 30);
  EXPECT_EQ(xfrt_batch_length(batch, 1), 2);
  // Two more fill slot 0's context; the next step finds it full.
  ASSERT_EQ(xfrt_batch_decode(batch, 2, ok, tokens, logits.data()), XFRT_OK);
  ASSERT_EQ(xfrt_batch_decode(batch, 2, ok, tokens, logits.data()), XFRT_OK);
  EXPECT_EQ(xfrt_batch_decode(batch, 2, ok, tokens, logits.data()),
            XFRT_ERROR_CONTEXT_FULL);
  EXPECT_EQ(xfrt_batch_length(batch, 1), 4);
  EXPECT_EQ(xfrt_batch_trim(batch, 1, 5), XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(xfrt_batch_error(batch)).find("holds 4"),
            std::string::npos)
      << xfrt_batch_error(batch);
  EXPECT_EQ(xfrt_batch_trim(batch, 3, 0), XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xfrt_batch_length(batch, 1), 4);
  xfrt_batch_free(batch);

  // A model compiled without batch entry points has no batches.
  xfrt_model *plain = xfc::test::loadModel(dir + "/plain.so");
  ASSERT_TRUE(plain);
  EXPECT_EQ(xfrt_model_batch_rows(plain), 0);
  EXPECT_EQ(xfrt_batch_create(plain, 2, 1, &batch),
            XFRT_ERROR_INVALID_ARGUMENT);
  xfrt_model_free(plain);
}

/// Resident and whole pages inside [begin, end).
std::pair<int64_t, int64_t> residentPages(const uint8_t *begin,
                                          const uint8_t *end) {
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page;
  uintptr_t last = reinterpret_cast<uintptr_t>(end) / page;
  if (first >= last)
    return {0, 0};
  std::vector<unsigned char> in(last - first);
  if (mincore(reinterpret_cast<void *>(first * page), (last - first) * page,
              in.data()) != 0)
    return {-1, -1};
  int64_t resident = 0;
  for (unsigned char flag : in)
    resident += flag & 1;
  return {resident, static_cast<int64_t>(in.size())};
}

/// A slot's memory follows the tokens it holds: trimming gives the pages
/// of the dropped positions back (every layer's keys and values), keeps
/// the others, and the sequence then goes on as in a session.
TEST_F(BatchTest, TrimGivesTheDroppedPositionsMemoryBack) {
  xfrt_model *m = xfc::test::loadModel(dir + "/long.so");
  ASSERT_TRUE(m);
  std::string metadata = xfrt_model_metadata(m);
  size_t at = metadata.find("layers=");
  ASSERT_NE(at, std::string::npos) << metadata;
  int64_t layers = std::stoll(metadata.substr(at + 7));
  int64_t context = xfrt_model_max_context(m),
          vocabulary = xfrt_model_vocab_size(m);
  xfrt_batch *batch = nullptr;
  ASSERT_EQ(xfrt_batch_create(m, 1, 1, &batch), XFRT_OK);
  std::vector<int32_t> prompt(600);
  for (size_t i = 0; i < prompt.size(); ++i)
    prompt[i] = static_cast<int32_t>((7 * i + 3) % vocabulary);
  ASSERT_EQ(xfrt_batch_prefill(batch, 0, prompt.data(), 600, nullptr), XFRT_OK);
  size_t bytes = 0;
  auto *cache =
      static_cast<const uint8_t *>(xfrt_batch_kv_cache(batch, 0, &bytes));
  ASSERT_TRUE(cache);
  size_t rowBytes = bytes / (layers * 2 * context);
  // Pages of positions [from, to) of every layer's keys and values.
  auto pages = [&](int64_t from, int64_t to) {
    std::pair<int64_t, int64_t> sum = {0, 0};
    for (int64_t region = 0; region < 2 * layers; ++region) {
      const uint8_t *base = cache + region * context * rowBytes;
      auto [resident, whole] =
          residentPages(base + from * rowBytes, base + to * rowBytes);
      sum.first += resident;
      sum.second += whole;
    }
    return sum;
  };
  auto [written, writable] = pages(100, 600);
  ASSERT_GT(writable, 0) << "no whole page in 500 positions";
  EXPECT_EQ(written, writable);
  ASSERT_EQ(xfrt_batch_trim(batch, 0, 100), XFRT_OK);
  EXPECT_EQ(pages(100, 600).first, 0);
  auto [kept, keepable] = pages(0, 100);
  EXPECT_EQ(kept, keepable);

  // It goes on from its first 100 tokens as a session does.
  std::vector<int32_t> more = {5, 9, 2};
  std::vector<float> logits(more.size() * vocabulary);
  ASSERT_EQ(
      xfrt_batch_prefill(batch, 0, more.data(), more.size(), logits.data()),
      XFRT_OK);
  xfrt_session *session = nullptr;
  ASSERT_EQ(xfrt_session_create(m, 0, 1, &session), XFRT_OK);
  std::vector<int32_t> whole(prompt.begin(), prompt.begin() + 100);
  whole.insert(whole.end(), more.begin(), more.end());
  std::vector<float> expected(whole.size() * vocabulary);
  ASSERT_EQ(
      xfrt_session_eval(session, whole.data(), whole.size(), expected.data()),
      XFRT_OK);
  expectClose(logits.data() + 2 * vocabulary,
              expected.data() + (whole.size() - 1) * vocabulary, vocabulary,
              "after the trim");
  xfrt_session_free(session);
  xfrt_batch_free(batch);
  xfrt_model_free(m);
}

} // namespace
