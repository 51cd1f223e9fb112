//===- SpeedTest.cpp - SPEED decoding against plain decoding --------------===//
//
// A model of 2 distinct layers repeated 3 times, whose early predictions
// are mostly wrong (no --early-exit-friendly): SPEED starts most tokens
// from a wrong guess, invalidates them and rolls their KV entries back.
// Whatever the point it stops at, its tokens are plain greedy decoding's
// and its KV cache is the one plain decoding leaves; right after each
// invalidation, the rolled-back positions are, in every layer, what plain
// decoding's cache has at that position (f32 and INT8 caches).
//
//===----------------------------------------------------------------------===//

#include "Speed.h" // the invalidation hook
#include "AllocationCounter.h"
#include "TestModels.h"

#include "xfrt/xfrt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

class SpeedTest : public ::testing::TestWithParam<const char *> {
protected:
  static void SetUpTestSuite() {
    dir = xfc::test::sharedModelDir(
        "speed",
        "$XFC make-model --arch llama --ctx 64 --share-cycle 2 --repeats 3 "
        "--seed 31 -o m.gguf > /dev/null\n"
        "$XFC compile m.gguf -o f32.so\n"
        "$XFC compile m.gguf --kv-cache int8 -o int8.so\n"
        "$XFC make-model --arch llama --ctx 64 -o plain.gguf > /dev/null\n"
        "$XFC compile plain.gguf -o plain.so\n");
    ASSERT_FALSE(dir.empty());
  }

  void SetUp() override {
    model = xfc::test::loadModel(dir + "/" + GetParam() + ".so");
    ASSERT_TRUE(model);
    vocab = xfrt_model_vocab_size(model);
  }
  void TearDown() override { xfrt_model_free(model); }

  xfrt_session *newSession() {
    xfrt_session *s = nullptr;
    EXPECT_EQ(xfrt_session_create(model, 0, 1, &s), XFRT_OK);
    return s;
  }

  /// Prefills the prompt; returns the greedy next token.
  int32_t prefill(xfrt_session *s) {
    std::vector<float> logits(prompt.size() * vocab);
    EXPECT_EQ(xfrt_session_eval(s, prompt.data(), prompt.size(), logits.data()),
              XFRT_OK);
    return argmax(logits.data() + (prompt.size() - 1) * vocab);
  }

  int32_t argmax(const float *l) const {
    return static_cast<int32_t>(std::max_element(l, l + vocab) - l);
  }

  static std::string dir;
  xfrt_model *model = nullptr;
  int64_t vocab = 0;
  std::vector<int32_t> prompt = {1, 20, 30, 40, 50, 60, 70, 80};
};

std::string SpeedTest::dir;

struct Collected {
  std::vector<int32_t> tokens;
  size_t stopAfter = 0; // 0: never
};

int collect(void *context, int32_t token, const float *) {
  auto *c = static_cast<Collected *>(context);
  c->tokens.push_back(token);
  return c->stopAfter && c->tokens.size() >= c->stopAfter;
}

int64_t metadataInt(const xfrt_model *model, const std::string &key) {
  std::string text = xfrt_model_metadata(model);
  size_t at = text.find("\n" + key + "=");
  return at == std::string::npos
             ? -1
             : std::atoll(text.c_str() + at + key.size() + 2);
}

/// The cache's values: f32 as stored, INT8 rows (head_dim codes, then the
/// row's f32 scale) dequantized; in `steps`, each value's rounding step.
std::vector<float> cacheValues(const xfrt_session *s, const xfrt_model *model,
                               bool quantized, std::vector<float> &steps) {
  size_t bytes = 0;
  auto *data = static_cast<const uint8_t *>(xfrt_session_kv_cache(s, &bytes));
  std::vector<float> values;
  if (!quantized) {
    values.resize(bytes / sizeof(float));
    std::memcpy(values.data(), data, bytes);
    steps.assign(values.size(), 0);
    return values;
  }
  int64_t headDim = metadataInt(model, "head_dim");
  int64_t rowBytes = metadataInt(model, "kv_row_bytes");
  EXPECT_EQ(rowBytes, headDim + 4);
  steps.clear();
  for (size_t row = 0; row + rowBytes <= bytes; row += rowBytes) {
    float scale;
    std::memcpy(&scale, data + row + headDim, sizeof(scale));
    for (int64_t i = 0; i < headDim; ++i) {
      values.push_back(static_cast<int8_t>(data[row + i]) * scale);
      steps.push_back(std::fabs(scale));
    }
  }
  return values;
}

/// The caches agree: to 1e-4 of the largest value, and INT8 codes to one
/// rounding step (a code may round the other way where a stage's sums
/// differ in the last bit; a rolled-back row left behind differs whole).
void expectSameCache(const xfrt_session *a, const xfrt_session *b,
                     const xfrt_model *model, bool quantized) {
  std::vector<float> stepsA, stepsB;
  std::vector<float> va = cacheValues(a, model, quantized, stepsA);
  std::vector<float> vb = cacheValues(b, model, quantized, stepsB);
  ASSERT_EQ(va.size(), vb.size());
  float scale = 0;
  for (float v : vb)
    scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < va.size(); ++i)
    ASSERT_LE(std::fabs(va[i] - vb[i]),
              1e-4f * scale + 1.01f * std::max(stepsA[i], stepsB[i]))
        << "value " << i << ": " << va[i] << " vs " << vb[i];
}

TEST_P(SpeedTest, RolledBackCacheIsPlainDecodings) {
  ASSERT_GT(xfrt_model_speed_rows(model), 0);
  bool quantized = std::string(GetParam()) == "int8";
  uint64_t invalidated = 0, rolledBack = 0;
  for (int64_t n : {1, 2, 5, 13, 30}) {
    xfrt_session *plain = newSession(), *speed = newSession();
    int32_t first = prefill(plain);
    ASSERT_EQ(prefill(speed), first);
    std::vector<int32_t> expected;
    std::vector<float> logits(vocab);
    int32_t next = first;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(xfrt_session_eval(plain, &next, 1, logits.data()), XFRT_OK);
      next = argmax(logits.data());
      expected.push_back(next);
    }
    Collected got;
    xfrt_speed_stats stats;
    ASSERT_EQ(
        xfrt_session_generate_speed(speed, first, n, collect, &got, &stats),
        XFRT_OK)
        << xfrt_session_error(speed);
    EXPECT_EQ(got.tokens, expected) << n << " tokens";
    EXPECT_EQ(stats.tokens, static_cast<uint64_t>(n));
    EXPECT_EQ(xfrt_session_position(speed), xfrt_session_position(plain));
    expectSameCache(speed, plain, model, quantized);
    for (int g = 0; g < stats.groups; ++g)
      invalidated += stats.invalidated[g];
    rolledBack += stats.rolled_back;
    // Plain decoding continues from the cache SPEED left.
    std::vector<float> after(vocab), afterPlain(vocab);
    ASSERT_EQ(xfrt_session_eval(speed, &next, 1, after.data()), XFRT_OK);
    ASSERT_EQ(xfrt_session_eval(plain, &next, 1, afterPlain.data()), XFRT_OK);
    EXPECT_EQ(argmax(after.data()), argmax(afterPlain.data()));
    xfrt_session_free(plain);
    xfrt_session_free(speed);
  }
  // The test means something only if speculation was undone.
  EXPECT_GT(invalidated, 0u);
  EXPECT_GT(rolledBack, 0u);
}

/// Plain decoding's cache after each step, and what an invalidation hook
/// found against it.
struct Snapshots {
  std::vector<std::vector<uint8_t>> caches; // [k]: k tokens after the prompt
  int64_t start = 0, rowBytes = 0, context = 0, layers = 0;
  const xfrt_session *speed = nullptr;
  int checked = 0, mismatched = 0;
};

/// Right after an invalidation, the rows of every layer at the positions
/// rolled back and after are plain decoding's cache at the rolled-back
/// position: not written yet (only the session's warm-up step wrote the
/// last position, in both).
void compareAfterInvalidation(void *context, int64_t from, int64_t) {
  auto *s = static_cast<Snapshots *>(context);
  ++s->checked;
  if (from < s->start ||
      from - s->start >= static_cast<int64_t>(s->caches.size())) {
    ++s->mismatched; // no token was started there
    return;
  }
  const std::vector<uint8_t> &plain = s->caches[from - s->start];
  size_t bytes = 0;
  auto *cache =
      static_cast<const uint8_t *>(xfrt_session_kv_cache(s->speed, &bytes));
  for (int64_t block = 0; block < s->layers * 2; ++block) {
    size_t at = (block * s->context + from) * s->rowBytes;
    if (std::memcmp(cache + at, plain.data() + at,
                    (s->context - from) * s->rowBytes) != 0) {
      ++s->mismatched;
      return;
    }
  }
}

TEST_P(SpeedTest, InvalidationRollsTheCacheBack) {
  xfrt_session *plain = newSession(), *speed = newSession();
  int32_t first = prefill(plain);
  prefill(speed);
  Snapshots snapshots;
  snapshots.start = xfrt_session_position(plain);
  snapshots.layers = metadataInt(model, "layers");
  snapshots.rowBytes =
      metadataInt(model, "kv_heads") * metadataInt(model, "kv_row_bytes");
  snapshots.context = xfrt_model_max_context(model);
  snapshots.speed = speed;
  auto snapshot = [&] {
    size_t bytes = 0;
    auto *c =
        static_cast<const uint8_t *>(xfrt_session_kv_cache(plain, &bytes));
    snapshots.caches.emplace_back(c, c + bytes);
  };
  snapshot();
  std::vector<float> logits(vocab);
  int32_t next = first;
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(xfrt_session_eval(plain, &next, 1, logits.data()), XFRT_OK);
    next = argmax(logits.data());
    snapshot();
  }
  {
    // Unset however the block ends: the hook points at this frame.
    struct Hooked {
      explicit Hooked(Snapshots *s) {
        xfrt::setSpeedInvalidationHook(compareAfterInvalidation, s);
      }
      ~Hooked() { xfrt::setSpeedInvalidationHook(nullptr, nullptr); }
    } hooked(&snapshots);
    EXPECT_EQ(xfrt_session_generate_speed(speed, first, 30, nullptr, nullptr,
                                          nullptr),
              XFRT_OK);
  }
  EXPECT_GT(snapshots.checked, 5);
  EXPECT_EQ(snapshots.mismatched, 0) << "of " << snapshots.checked;
  xfrt_session_free(plain);
  xfrt_session_free(speed);
}

TEST_P(SpeedTest, StopsWhenTheCallbackSays) {
  xfrt_session *plain = newSession(), *speed = newSession();
  int32_t first = prefill(plain);
  prefill(speed);
  Collected got;
  got.stopAfter = 4;
  ASSERT_EQ(
      xfrt_session_generate_speed(speed, first, 20, collect, &got, nullptr),
      XFRT_OK);
  ASSERT_EQ(got.tokens.size(), 4u);
  std::vector<float> logits(vocab);
  int32_t next = first;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(xfrt_session_eval(plain, &next, 1, logits.data()), XFRT_OK);
    next = argmax(logits.data());
    EXPECT_EQ(got.tokens[i], next);
  }
  EXPECT_EQ(xfrt_session_position(speed), xfrt_session_position(plain));
  expectSameCache(speed, plain, model, std::string(GetParam()) == "int8");
  xfrt_session_free(plain);
  xfrt_session_free(speed);
}

TEST_P(SpeedTest, RefusesWhatItCannotDo) {
  xfrt_session *s = newSession();
  int32_t first = prefill(s);
  EXPECT_EQ(
      xfrt_session_generate_speed(s, first, 64, nullptr, nullptr, nullptr),
      XFRT_ERROR_CONTEXT_FULL);
  EXPECT_NE(std::strstr(xfrt_session_error(s), "the context holds 64"),
            nullptr);
  EXPECT_EQ(xfrt_session_generate_speed(s, static_cast<int32_t>(vocab), 4,
                                        nullptr, nullptr, nullptr),
            XFRT_ERROR_INVALID_TOKEN);
  EXPECT_EQ(
      xfrt_session_generate_speed(s, first, -1, nullptr, nullptr, nullptr),
      XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xfrt_session_position(s), 8);
  xfrt_session_free(s);

  xfrt_model *plain = xfc::test::loadModel(dir + "/plain.so");
  ASSERT_TRUE(plain);
  EXPECT_EQ(xfrt_model_speed_rows(plain), 0);
  ASSERT_EQ(xfrt_session_create(plain, 0, 1, &s), XFRT_OK);
  EXPECT_EQ(xfrt_session_generate_speed(s, 1, 4, nullptr, nullptr, nullptr),
            XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(xfrt_session_error(s), "no SPEED stages"), nullptr);
  xfrt_session_free(s);
  xfrt_model_free(plain);
}

// The first generation sizes the arena for the largest stage, so that no
// stage grows it: 4 and 24 tokens allocate alike (the call's buffers).
// With a one-token prompt, mostly right early predictions (8 tokens in
// flight) and a large vocabulary, a stage's logits (rows x vocabulary)
// outgrow the arena plain decoding needed.
TEST(SpeedArenaTest, StagesAllocateNothing) {
  if (!xfc::test::allocationCountingAvailable())
    GTEST_SKIP() << "allocation counting is not available";
  std::string dir = xfc::test::sharedModelDir(
      "speed-arena",
      "$XFC make-model --arch llama --ctx 64 --share-cycle 1 --repeats 8 "
      "--early-exit-friendly 0.001 --vocab-size 100000 -o m.gguf "
      "> /dev/null\n"
      "$XFC compile m.gguf -o m.so\n");
  ASSERT_FALSE(dir.empty());
  xfrt_model *model = xfc::test::loadModel(dir + "/m.so");
  ASSERT_TRUE(model);
  xfrt_session *s = nullptr;
  ASSERT_EQ(xfrt_session_create(model, 0, 1, &s), XFRT_OK);
  int32_t bos = 1;
  std::vector<float> logits(xfrt_model_vocab_size(model));
  ASSERT_EQ(xfrt_session_eval(s, &bos, 1, logits.data()), XFRT_OK);
  Collected got;
  got.tokens.reserve(64);
  xfrt_speed_stats stats;
  auto allocations = [&](int64_t n) {
    long before = xfc::test::allocationCount();
    EXPECT_EQ(xfrt_session_generate_speed(s, got.tokens.back(), n, collect,
                                          &got, &stats),
              XFRT_OK);
    return xfc::test::allocationCount() - before;
  };
  got.tokens.push_back(2);
  allocations(1); // sizes the arena
  long few = allocations(4), many = allocations(24);
  EXPECT_GT(stats.rows, 4 * stats.stages) << "a pipeline of few rows";
  EXPECT_EQ(few, many);
  xfrt_session_free(s);
  xfrt_model_free(model);
}

INSTANTIATE_TEST_SUITE_P(Caches, SpeedTest, ::testing::Values("f32", "int8"));

} // namespace
