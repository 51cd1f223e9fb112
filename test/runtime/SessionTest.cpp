//===- SessionTest.cpp - libxfrt sessions on a compiled model -------------===//
//
// Compiles a tiny random model once, then checks the runtime's promises:
// decode steps allocate nothing, the context limit is an error code,
// sessions are independent, trimming replays exactly, bad input is refused.
//
//===----------------------------------------------------------------------===//

#include "AllocationCounter.h"
#include "TestModels.h"

#include "xfrt/xfrt.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <string>
#include <vector>

namespace {

class SessionTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string script = "$XFC make-model --arch llama --ctx 32 -o m.gguf "
                         "> /dev/null\n"
                         "$XFC compile m.gguf -o m.so\n";
    if (*XFC_ONEDNN_ARCHIVE) // every GEMM through oneDNN's glue
      script += "$XFC compile m.gguf --kernels onednn -o onednn.so\n";
    dir = xfc::test::sharedModelDir("session", script);
    ASSERT_FALSE(dir.empty());
  }

  void SetUp() override {
    model = xfc::test::loadModel(dir + "/m.so");
    ASSERT_TRUE(model);
    vocab = xfrt_model_vocab_size(model);
  }
  void TearDown() override { xfrt_model_free(model); }

  xfrt_session *session() {
    xfrt_session *s = nullptr;
    EXPECT_EQ(xfrt_session_create(model, 0, 1, &s), XFRT_OK);
    return s;
  }

  static std::string dir;
  xfrt_model *model = nullptr;
  int64_t vocab = 0;
};

std::string SessionTest::dir;

TEST_F(SessionTest, DecodeStepsAllocateNothing) {
  if (!xfc::test::allocationCountingAvailable())
    GTEST_SKIP() << "the sanitizer owns malloc in this build";
  xfrt_session *s = session();
  std::vector<int32_t> prompt = {1, 20, 30, 40, 50, 60, 70, 80};
  std::vector<float> logits(prompt.size() * vocab);
  ASSERT_EQ(xfrt_session_eval(s, prompt.data(), prompt.size(), logits.data()),
            XFRT_OK);
  int32_t token = 5;
  long before = xfc::test::allocationCount();
  for (int step = 0; step < 16; ++step, token = (token * 7 + 3) % vocab)
    ASSERT_EQ(xfrt_session_eval(s, &token, 1, logits.data()), XFRT_OK);
  EXPECT_EQ(xfc::test::allocationCount() - before, 0);
  EXPECT_EQ(xfrt_session_position(s), 24);
  xfrt_session_free(s);
}

/// Steps on a session's thread pool: the same logits as on one thread,
/// and decode still allocates nothing (the pool dispatches without the
/// heap; the workers' buffers come from the caller's arena).
TEST_F(SessionTest, ThreadedStepsMatchAndAllocateNothing) {
  xfrt_session *one = nullptr, *two = nullptr, *automatic = nullptr;
  ASSERT_EQ(xfrt_session_create(model, 0, 1, &one), XFRT_OK);
  ASSERT_EQ(xfrt_session_create(model, 0, 2, &two), XFRT_OK);
  ASSERT_EQ(xfrt_session_create(model, 0, 0, &automatic), XFRT_OK);
  EXPECT_EQ(xfrt_session_threads(one), 1);
  EXPECT_EQ(xfrt_session_threads(two), 2);
  EXPECT_GE(xfrt_session_threads(automatic), 1);
  xfrt_session *bad = nullptr;
  EXPECT_EQ(xfrt_session_create(model, 0, -1, &bad),
            XFRT_ERROR_INVALID_ARGUMENT);

  std::vector<int32_t> prompt = {1, 20, 30, 40, 50, 60, 70, 80};
  std::vector<float> a(prompt.size() * vocab), b(prompt.size() * vocab);
  ASSERT_EQ(xfrt_session_eval(one, prompt.data(), prompt.size(), a.data()),
            XFRT_OK);
  ASSERT_EQ(xfrt_session_eval(two, prompt.data(), prompt.size(), b.data()),
            XFRT_OK);
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], 1e-5) << "prefill logit " << i;

  // 16 decode steps on two threads, counted, then the same on one.
  constexpr int steps = 16;
  std::vector<int32_t> tokens(steps);
  for (int i = 0; i < steps; ++i)
    tokens[i] = (5 + 7 * i) % vocab;
  std::vector<float> threaded(steps * vocab), serial(steps * vocab);
  long before = xfc::test::allocationCount();
  for (int i = 0; i < steps; ++i)
    ASSERT_EQ(xfrt_session_eval(two, &tokens[i], 1, &threaded[i * vocab]),
              XFRT_OK);
  if (xfc::test::allocationCountingAvailable()) {
    EXPECT_EQ(xfc::test::allocationCount() - before, 0);
  }
  for (int i = 0; i < steps; ++i)
    ASSERT_EQ(xfrt_session_eval(one, &tokens[i], 1, &serial[i * vocab]),
              XFRT_OK);
  for (size_t i = 0; i < serial.size(); ++i)
    ASSERT_NEAR(serial[i], threaded[i], 1e-5) << "decode logit " << i;
  xfrt_session_free(one);
  xfrt_session_free(two);
  xfrt_session_free(automatic);
}

TEST_F(SessionTest, AModelIsNotAGraph) {
  xfrt_graph *graph = nullptr;
  char error[256] = "";
  EXPECT_EQ(
      xfrt_graph_load((dir + "/m.so").c_str(), 1, &graph, error, sizeof error),
      XFRT_ERROR_NOT_A_MODEL);
  EXPECT_EQ(graph, nullptr);
  EXPECT_NE(std::string(error).find("a language model, not a compiled graph"),
            std::string::npos)
      << error;
}

TEST_F(SessionTest, PastTheContextIsAnError) {
  xfrt_session *s = session();
  ASSERT_EQ(xfrt_model_max_context(model), 32);
  std::vector<int32_t> tokens(32, 7);
  std::vector<float> logits(tokens.size() * vocab);
  ASSERT_EQ(xfrt_session_eval(s, tokens.data(), 32, logits.data()), XFRT_OK);
  EXPECT_EQ(xfrt_session_eval(s, tokens.data(), 1, logits.data()),
            XFRT_ERROR_CONTEXT_FULL);
  EXPECT_NE(std::string(xfrt_session_error(s)).find("context holds 32"),
            std::string::npos);
  EXPECT_EQ(xfrt_session_position(s), 32);
  xfrt_session_free(s);
}

TEST_F(SessionTest, SessionContextLimit) {
  xfrt_session *s = nullptr;
  ASSERT_EQ(xfrt_session_create(model, 8, 1, &s), XFRT_OK);
  std::vector<int32_t> tokens(9, 3);
  std::vector<float> logits(tokens.size() * vocab);
  EXPECT_EQ(xfrt_session_eval(s, tokens.data(), 9, logits.data()),
            XFRT_ERROR_CONTEXT_FULL);
  EXPECT_EQ(xfrt_session_eval(s, tokens.data(), 8, logits.data()), XFRT_OK);
  xfrt_session_free(s);
  xfrt_session *tooLong = nullptr;
  EXPECT_EQ(xfrt_session_create(model, 33, 1, &tooLong),
            XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tooLong, nullptr);
}

TEST_F(SessionTest, SessionsAreIndependentAndTrimReplays) {
  xfrt_session *a = session(), *b = session();
  std::vector<int32_t> tokens = {1, 9, 8, 7, 6, 5, 4, 3, 2, 100};
  std::vector<float> all(tokens.size() * vocab), other(vocab), again(vocab);
  ASSERT_EQ(xfrt_session_eval(a, tokens.data(), tokens.size(), all.data()),
            XFRT_OK);
  // Session b runs something else in between; a is unaffected.
  ASSERT_EQ(xfrt_session_eval(b, tokens.data() + 3, 1, other.data()), XFRT_OK);
  ASSERT_EQ(xfrt_session_trim(a, 5), XFRT_OK);
  for (size_t i = 5; i < tokens.size(); ++i) {
    ASSERT_EQ(xfrt_session_eval(a, &tokens[i], 1, again.data()), XFRT_OK);
    for (int64_t v = 0; v < vocab; ++v)
      ASSERT_NEAR(again[v], all[i * vocab + v], 1e-4) << "position " << i;
  }
  xfrt_session_free(a);
  xfrt_session_free(b);
}

/// A model built for another ABI is refused, naming both versions.
TEST_F(SessionTest, OtherAbiIsRefused) {
  std::string scratch = xfc::test::scratchDir("session");
  std::string source = scratch + "/old.cpp", library = scratch + "/old.so";
  FILE *f = std::fopen(source.c_str(), "w");
  ASSERT_TRUE(f);
  std::fputs("#include \"xfrt/ModelABI.h\"\n"
             "static const XfmModelInfo info = {999, \"0.0.1\", \"\", "
             "nullptr, 0, 0};\n"
             "extern \"C\" const XfmModelInfo *xfm_get_model_info() "
             "{ return &info; }\n"
             "extern \"C\" int xfm_forward(const XfmForwardArgs *) "
             "{ return 0; }\n",
             f);
  std::fclose(f);
  std::string cmd = "c++ -shared -fPIC -I" XFRT_INCLUDE_DIR " -o " + library +
                    " " + source;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  xfrt_model *old = nullptr;
  char error[256];
  EXPECT_EQ(xfrt_model_load(library.c_str(), &old, error, sizeof(error)),
            XFRT_ERROR_ABI);
  EXPECT_NE(std::string(error).find(
                "for model ABI 999, but this runtime reads ABI " +
                std::to_string(XFRT_ABI_VERSION)),
            std::string::npos)
      << error;
}

/// A process that loads many models in turn (a server switching models, a
/// test binary) unloads each one it frees: nothing in a model keeps its
/// library, and so its static TLS, after xfrt_model_free. Each copy is a
/// distinct library to the loader; glibc's spare static TLS holds about 20.
/// With oneDNN, every other copy runs its GEMMs through oneDNN's glue.
TEST_F(SessionTest, FreedModelsAreUnloaded) {
  std::vector<float> logits(vocab);
  std::string scratch = xfc::test::scratchDir("session");
  for (int copy = 0; copy < 64; ++copy) {
    std::string path = scratch + "/copy" + std::to_string(copy) + ".so";
    const char *source = *XFC_ONEDNN_ARCHIVE && copy % 2 ? "onednn" : "m";
    ASSERT_EQ(std::system(("cp " + dir + "/" + source + ".so " + path).c_str()),
              0);
    xfrt_model *m = xfc::test::loadModel(path);
    ASSERT_TRUE(m) << "copy " << copy;
    xfrt_session *s = nullptr;
    ASSERT_EQ(xfrt_session_create(m, 0, 2, &s), XFRT_OK);
    int32_t token = 1 + copy;
    EXPECT_EQ(xfrt_session_eval(s, &token, 1, logits.data()), XFRT_OK);
    xfrt_session_free(s);
    xfrt_model_free(m);
    if (void *still = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
      dlclose(still);
      FAIL() << "copy " << copy << " (" << source
             << ".so) stayed loaded after xfrt_model_free";
    }
    std::remove(path.c_str());
  }
}

TEST_F(SessionTest, BadInputIsRefused) {
  xfrt_session *s = session();
  std::vector<float> logits(vocab);
  int32_t bad = static_cast<int32_t>(vocab);
  EXPECT_EQ(xfrt_session_eval(s, &bad, 1, logits.data()),
            XFRT_ERROR_INVALID_TOKEN);
  EXPECT_EQ(xfrt_session_eval(s, &bad, 0, logits.data()),
            XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xfrt_session_trim(s, 3), XFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xfrt_session_position(s), 0);
  xfrt_session_free(s);

  xfrt_model *none = nullptr;
  char error[256];
  EXPECT_EQ(xfrt_model_load((dir + "/missing.so").c_str(), &none, error,
                            sizeof(error)),
            XFRT_ERROR_IO);
  EXPECT_EQ(xfrt_model_load(XFRT_LIBRARY, &none, error, sizeof(error)),
            XFRT_ERROR_NOT_A_MODEL);
  EXPECT_NE(std::string(error).find("not an XFC model"), std::string::npos);
  EXPECT_EQ(none, nullptr);
}

} // namespace
