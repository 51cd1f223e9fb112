//===- ShardedSessionTest.cpp - Sessions of a tensor-parallel model -------===//
//
// A model compiled with --sockets 2 runs as two worker groups in one
// session: decode steps still allocate nothing, each group makes two
// all-reduces per layer and step and reads only its weights and the
// replicated ones, placed on its node. The same model run as two
// xfrt_session_create_shard sessions on two threads, summing through a
// collective of the test's own (as MPI ranks would), gives the same logits
// bit for bit; a collective that fails is an error, not garbage.
//
//===----------------------------------------------------------------------===//

#include "AllocationCounter.h"
#include "TestModels.h"

#include "xfrt/xfrt.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr int64_t kLayers = 2, kDim = 64; // make-model's llama defaults

class ShardedSessionTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir = xfc::test::sharedModelDir(
        "sharded",
        "$XFC make-model --arch llama --ctx 32 -o m.gguf > /dev/null\n"
        "$XFC compile m.gguf --sockets 2 -o m.so\n");
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
  std::vector<int32_t> prompt = {1, 20, 30, 40, 50, 60, 70, 80};
};

std::string ShardedSessionTest::dir;

TEST_F(ShardedSessionTest, GroupsSumAndAllocateNothing) {
  ASSERT_EQ(xfrt_model_shards(model), 2);
  xfrt_session *s = nullptr;
  ASSERT_EQ(xfrt_session_create(model, 0, 2, &s), XFRT_OK);
  ASSERT_EQ(xfrt_session_shards(s), 2);
  std::vector<float> logits(prompt.size() * vocab);
  ASSERT_EQ(xfrt_session_eval(s, prompt.data(), prompt.size(), logits.data()),
            XFRT_OK);
  xfrt_session_reset_stats(s);
  int32_t token = 5;
  long before = xfc::test::allocationCount();
  const int steps = 8;
  for (int step = 0; step < steps; ++step, token = (token * 7 + 3) % vocab)
    ASSERT_EQ(xfrt_session_eval(s, &token, 1, logits.data()), XFRT_OK);
  if (xfc::test::allocationCountingAvailable()) {
    EXPECT_EQ(xfc::test::allocationCount() - before, 0);
  }
  // shard_weights=b0-e0,b1-e1: the replicated weights end at b0.
  const char *metadata = xfrt_model_metadata(model);
  const char *ranges = std::strstr(metadata, "shard_weights=");
  ASSERT_NE(ranges, nullptr);
  unsigned long long b[2], e[2];
  ASSERT_EQ(std::sscanf(ranges, "shard_weights=%llu-%llu,%llu-%llu", &b[0],
                        &e[0], &b[1], &e[1]),
            4);
  for (int k = 0; k < 2; ++k) {
    xfrt_shard_stats stats;
    ASSERT_EQ(xfrt_session_shard_stats(s, k, &stats), XFRT_OK);
    EXPECT_EQ(stats.shard, k);
    EXPECT_EQ(stats.threads, 1);
    // Attention and FFN: one all-reduce each per layer and step.
    EXPECT_EQ(stats.all_reduce_calls, uint64_t(2 * kLayers * steps));
    EXPECT_EQ(stats.all_reduce_floats, uint64_t(2 * kLayers * steps * kDim));
    EXPECT_GT(stats.forward_seconds, 0.0);
    EXPECT_LE(stats.all_reduce_seconds, stats.forward_seconds);
    if (stats.node >= 0) { // placed where the group was told
      EXPECT_EQ(stats.cache_node, stats.node);
      EXPECT_EQ(stats.weights_node, stats.node);
    }
    // Its own weights (a non-empty range) and the replicated ones: less
    // than the blob, which holds the other shard's too.
    EXPECT_LT(b[k], e[k]);
    EXPECT_EQ(stats.weight_bytes, b[0] + (e[k] - b[k]));
    EXPECT_LT(stats.weight_bytes, e[1]);
  }
  EXPECT_EQ(xfrt_session_shard_stats(s, 2, nullptr),
            XFRT_ERROR_INVALID_ARGUMENT);
  xfrt_session_free(s);
}

/// The test's collective: two threads meet, and both get first + second
/// (the order the shared-memory reduction adds in).
struct PairSum {
  std::mutex lock;
  std::condition_variable changed;
  std::vector<float> parts[2];
  int arrived = 0, generation = 0;
  bool fail = false;

  struct Side {
    PairSum *pair;
    int index;
  };
  static int allReduce(void *context, float *data, int64_t count) {
    auto *side = static_cast<Side *>(context);
    PairSum &p = *side->pair;
    if (p.fail)
      return 1;
    std::unique_lock<std::mutex> hold(p.lock);
    p.parts[side->index].assign(data, data + count);
    int gen = p.generation;
    if (++p.arrived == 2) {
      p.arrived = 0;
      ++p.generation;
      p.changed.notify_all();
    } else {
      p.changed.wait(hold, [&] { return p.generation != gen; });
    }
    for (int64_t i = 0; i < count; ++i)
      data[i] = p.parts[0][i] + p.parts[1][i];
    // Both read the parts before either writes the next ones.
    if (++p.arrived == 2) {
      p.arrived = 0;
      ++p.generation;
      p.changed.notify_all();
    } else {
      int next = p.generation;
      p.changed.wait(hold, [&] { return p.generation != next; });
    }
    return 0;
  }
};

TEST_F(ShardedSessionTest, ShardSessionsMatchTheGroups) {
  std::vector<float> groups(prompt.size() * vocab);
  xfrt_session *s = nullptr;
  ASSERT_EQ(xfrt_session_create(model, 0, 2, &s), XFRT_OK);
  ASSERT_EQ(xfrt_session_eval(s, prompt.data(), prompt.size(), groups.data()),
            XFRT_OK);
  xfrt_session_free(s);

  PairSum pair;
  PairSum::Side sides[2] = {{&pair, 0}, {&pair, 1}};
  std::vector<float> logits[2];
  xfrt_status created[2] = {}, evaluated[2] = {};
  std::vector<std::thread> ranks;
  for (int k = 0; k < 2; ++k)
    ranks.emplace_back([&, k] {
      xfrt_collective c = {k, PairSum::allReduce, &sides[k]};
      xfrt_session *shard = nullptr;
      created[k] = xfrt_session_create_shard(model, 0, 1, &c, &shard);
      if (created[k] != XFRT_OK)
        return;
      EXPECT_EQ(xfrt_session_shards(shard), 1);
      logits[k].resize(prompt.size() * vocab);
      evaluated[k] = xfrt_session_eval(shard, prompt.data(), prompt.size(),
                                       logits[k].data());
      xfrt_session_free(shard);
    });
  for (std::thread &t : ranks)
    t.join();
  for (int k = 0; k < 2; ++k) {
    ASSERT_EQ(created[k], XFRT_OK);
    ASSERT_EQ(evaluated[k], XFRT_OK);
    EXPECT_EQ(logits[k], groups) << "shard " << k;
  }
}

/// A collective for one shard alone that leaves the partial sums as they
/// are, and fails on request.
struct Solo {
  bool fail = false;
  static int allReduce(void *context, float *, int64_t) {
    return static_cast<Solo *>(context)->fail ? 1 : 0;
  }
};

/// Once an all-reduce failed, the shards are out of step for good: the
/// session refuses further steps rather than pair them with a stale peer.
TEST_F(ShardedSessionTest, AFailedStepEndsTheSession) {
  Solo solo;
  xfrt_collective c = {0, Solo::allReduce, &solo};
  xfrt_session *s = nullptr;
  ASSERT_EQ(xfrt_session_create_shard(model, 0, 1, &c, &s), XFRT_OK);
  std::vector<float> logits(prompt.size() * vocab);
  ASSERT_EQ(xfrt_session_eval(s, prompt.data(), 2, logits.data()), XFRT_OK);
  solo.fail = true;
  EXPECT_EQ(xfrt_session_eval(s, prompt.data(), 2, logits.data()),
            XFRT_ERROR_ALL_REDUCE);
  EXPECT_NE(std::strstr(xfrt_session_error(s), "could not sum"), nullptr);
  solo.fail = false;
  EXPECT_EQ(xfrt_session_eval(s, prompt.data(), 2, logits.data()),
            XFRT_ERROR_ALL_REDUCE);
  EXPECT_EQ(xfrt_session_trim(s, 0), XFRT_ERROR_ALL_REDUCE);
  EXPECT_EQ(xfrt_session_position(s), 2);
  xfrt_session_free(s);
}

TEST_F(ShardedSessionTest, FailedOrBadCollectivesAreErrors) {
  PairSum pair;
  pair.fail = true;
  PairSum::Side side = {&pair, 0};
  xfrt_collective c = {0, PairSum::allReduce, &side};
  xfrt_session *s = nullptr;
  EXPECT_EQ(xfrt_session_create_shard(model, 0, 1, &c, &s),
            XFRT_ERROR_ALL_REDUCE);
  EXPECT_EQ(s, nullptr);
  c.shard = 2;
  EXPECT_EQ(xfrt_session_create_shard(model, 0, 1, &c, &s),
            XFRT_ERROR_INVALID_ARGUMENT);
  c.shard = 0;
  c.all_reduce = nullptr;
  EXPECT_EQ(xfrt_session_create_shard(model, 0, 1, &c, &s),
            XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xfrt_session_create_shard(model, 0, 1, nullptr, &s),
            XFRT_ERROR_INVALID_ARGUMENT);
}

} // namespace
