//===- GraphTest.cpp - The runtime's plain-graph API
//-----------------------===//
//
// Compiles ONNX backend-test graphs (Debian's libonnx-testdata) with xfc and
// runs them through xfrt_graph_*: the signature the .so describes, results
// against a computation written here, no allocation once warm, and the
// errors for a graph loaded as a model and for bad arguments.
//
//===----------------------------------------------------------------------===//

#include "AllocationCounter.h"
#include "TestModels.h"

#include "xfrt/xfrt.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const std::string kNodeTests = "/usr/share/libonnx-testdata/data/node/";

class GraphTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string script;
    for (const char *test :
         {"test_gemm_all_attributes", "test_where_example", "test_gather_0"})
      script += "$XFC compile " + kNodeTests + test + "/model.onnx -o " + test +
                ".so\n";
    dir = xfc::test::sharedModelDir("graph", script);
    ASSERT_FALSE(dir.empty());
  }

  xfrt_graph *load(const std::string &test, int threads = 1) {
    xfrt_graph *graph = nullptr;
    char error[256] = "";
    EXPECT_EQ(xfrt_graph_load((dir + "/" + test + ".so").c_str(), threads,
                              &graph, error, sizeof error),
              XFRT_OK)
        << error;
    return graph;
  }

  static std::string dir;
};
std::string GraphTest::dir;

std::vector<float> randomFloats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

TEST_F(GraphTest, DescribesItsSignature) {
  xfrt_graph *graph = load("test_gemm_all_attributes");
  ASSERT_NE(graph, nullptr);
  ASSERT_EQ(xfrt_graph_num_inputs(graph), 3);
  ASSERT_EQ(xfrt_graph_num_outputs(graph), 1);
  const xfrt_graph_value *b = xfrt_graph_input(graph, 1);
  EXPECT_STREQ(b->name, "b");
  EXPECT_STREQ(b->element, "f32");
  ASSERT_EQ(b->rank, 2);
  EXPECT_EQ(b->shape[0], 5);
  EXPECT_EQ(b->shape[1], 4);
  EXPECT_EQ(b->bytes, 5u * 4 * sizeof(float));
  EXPECT_STREQ(xfrt_graph_output(graph, 0)->name, "y");
  EXPECT_EQ(xfrt_graph_input(graph, 3), nullptr);
  EXPECT_EQ(xfrt_graph_output(graph, -1), nullptr);
  xfrt_graph_free(graph);
}

// y = 0.25 a^T b^T + 0.35 c, a: [4, 3], b: [5, 4], c: [1, 5]; on two
// threads (the pool's path).
TEST_F(GraphTest, ComputesGemmAndAllocatesNothingOnceWarm) {
  xfrt_graph *graph = load("test_gemm_all_attributes", /*threads=*/2);
  ASSERT_NE(graph, nullptr);
  std::vector<float> a = randomFloats(12, 1), b = randomFloats(20, 2),
                     c = randomFloats(5, 3), y(15, -99.0f);
  const void *inputs[] = {a.data(), b.data(), c.data()};
  void *outputs[] = {y.data()};
  // The first call's scratch comes from the heap; the graph keeps an arena
  // of that size for the next.
  long cold = xfc::test::allocationCount();
  ASSERT_EQ(xfrt_graph_run(graph, inputs, outputs), XFRT_OK);
  cold = xfc::test::allocationCount() - cold;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j) {
      float sum = 0;
      for (int k = 0; k < 4; ++k)
        sum += a[k * 3 + i] * b[j * 4 + k];
      EXPECT_NEAR(y[i * 5 + j], 0.25f * sum + 0.35f * c[j], 1e-5)
          << "y[" << i << "][" << j << "]";
    }
  if (!xfc::test::allocationCountingAvailable())
    GTEST_SKIP() << "allocations are not counted in this build";
  std::vector<float> again(15);
  void *outputs2[] = {again.data()};
  EXPECT_GT(cold, 0);
  long before = xfc::test::allocationCount();
  ASSERT_EQ(xfrt_graph_run(graph, inputs, outputs2), XFRT_OK);
  EXPECT_EQ(xfc::test::allocationCount() - before, 0);
  EXPECT_EQ(again, y);
  xfrt_graph_free(graph);
}

// Booleans are one byte each.
TEST_F(GraphTest, ReadsBooleanInputs) {
  xfrt_graph *graph = load("test_where_example");
  ASSERT_NE(graph, nullptr);
  EXPECT_STREQ(xfrt_graph_input(graph, 0)->element, "i1");
  EXPECT_EQ(xfrt_graph_input(graph, 0)->bytes, 4u);
  unsigned char condition[4] = {1, 0, 0, 1};
  float x[4] = {1, 2, 3, 4}, y[4] = {-1, -2, -3, -4}, z[4] = {};
  const void *inputs[] = {condition, x, y};
  void *outputs[] = {z};
  ASSERT_EQ(xfrt_graph_run(graph, inputs, outputs), XFRT_OK);
  EXPECT_EQ(z[0], 1);
  EXPECT_EQ(z[1], -2);
  EXPECT_EQ(z[2], -3);
  EXPECT_EQ(z[3], 4);
  EXPECT_EQ(xfrt_graph_run(graph, inputs, nullptr),
            XFRT_ERROR_INVALID_ARGUMENT);
  xfrt_graph_free(graph);
}

// data [5, 4, 3, 2] gathered at indices [3] along axis 0; -1 is the last.
TEST_F(GraphTest, AnIndexOutOfRangeIsAnError) {
  xfrt_graph *graph = load("test_gather_0");
  ASSERT_NE(graph, nullptr);
  std::vector<float> data = randomFloats(120, 4), y(72);
  int64_t good[3] = {4, 0, -1};
  const void *inputs[] = {data.data(), good};
  void *outputs[] = {y.data()};
  ASSERT_EQ(xfrt_graph_run(graph, inputs, outputs), XFRT_OK);
  for (int k = 0; k < 24; ++k) {
    EXPECT_EQ(y[k], data[4 * 24 + k]);
    EXPECT_EQ(y[24 + k], data[k]);
    EXPECT_EQ(y[48 + k], data[4 * 24 + k]);
  }
  for (int64_t bad : {int64_t(5), int64_t(-6), int64_t(1) << 40}) {
    int64_t indices[3] = {0, bad, 1};
    inputs[1] = indices;
    EXPECT_EQ(xfrt_graph_run(graph, inputs, outputs),
              XFRT_ERROR_INVALID_ARGUMENT)
        << "index " << bad;
  }
  // The error does not stick to the graph.
  inputs[1] = good;
  EXPECT_EQ(xfrt_graph_run(graph, inputs, outputs), XFRT_OK);
  xfrt_graph_free(graph);
}

TEST_F(GraphTest, AGraphIsNotALanguageModel) {
  std::string path = dir + "/test_where_example.so";
  xfrt_model *model = nullptr;
  char error[256] = "";
  EXPECT_EQ(xfrt_model_load(path.c_str(), &model, error, sizeof error),
            XFRT_ERROR_NOT_A_MODEL);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(error).find("a compiled graph (kind=graph)"),
            std::string::npos)
      << error;
  xfrt_graph *graph = nullptr;
  EXPECT_EQ(xfrt_graph_load((dir + "/missing.so").c_str(), 1, &graph, error,
                            sizeof error),
            XFRT_ERROR_IO);
  EXPECT_NE(std::string(error).find("missing.so"), std::string::npos);
  EXPECT_EQ(xfrt_graph_load(path.c_str(), -1, &graph, error, sizeof error),
            XFRT_ERROR_INVALID_ARGUMENT);
}

} // namespace
