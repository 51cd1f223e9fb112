//===- ONNXImporterTest.cpp - ONNX graphs to xf IR ------------------------===//

#include "xfc/Frontends/ONNXImporter.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace xfc;

namespace {

/// A graph of one node `op` over a float input x of `shape`, with a
/// Constant-fed second input when `constant` has values.
onnx::ModelProto oneNode(const std::string &op, std::vector<int64_t> shape,
                         std::vector<int64_t> constant = {}) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto *g = m.mutable_graph();
  onnx::ValueInfoProto *x = g->add_input();
  x->set_name("x");
  onnx::TypeProto::Tensor *t = x->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) {
    if (d < 0)
      t->mutable_shape()->add_dim()->set_dim_param("batch");
    else
      t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  onnx::NodeProto *n = g->add_node();
  n->set_op_type(op);
  n->set_name("the_node");
  n->add_input("x");
  if (!constant.empty()) {
    onnx::TensorProto *c = g->add_initializer();
    c->set_name("c");
    c->set_data_type(onnx::TensorProto::INT64);
    c->add_dims(constant.size());
    for (int64_t v : constant)
      c->add_int64_data(v);
    n->add_input("c");
  }
  n->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

class ONNXImporterTest : public ::testing::Test {
protected:
  std::string import(const onnx::ModelProto &proto,
                     const ONNXImportOptions &options = {}) {
    std::unique_ptr<onnxfile::Model> model =
        onnxfile::Model::parse(proto.SerializeAsString(), "m.onnx", error);
    EXPECT_TRUE(model) << error;
    if (!model)
      return "";
    mlir::OwningOpRef<mlir::ModuleOp> module =
        importONNX(*model, context, options, error);
    if (!module)
      return "";
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return text;
  }

  mlir::MLIRContext context;
  std::string error;
};

TEST_F(ONNXImporterTest, ReshapeByAConstantShapeIsStatic) {
  std::string ir = import(oneNode("Reshape", {2, 3, 4}, {0, -1}));
  ASSERT_FALSE(ir.empty()) << error;
  EXPECT_NE(ir.find("xf.reshape %arg0 : tensor<2x3x4xf32> -> tensor<2x12xf32>"),
            std::string::npos)
      << ir;
  // The input is the caller's buffer, which bufferization must not write.
  EXPECT_NE(ir.find("func.func @main(%arg0: tensor<2x3x4xf32> "
                    "{bufferization.writable = false, xf.name = \"x\"}) -> "
                    "(tensor<2x12xf32> {xf.name = \"y\"})"),
            std::string::npos)
      << ir;
}

TEST_F(ONNXImporterTest, UnsupportedOpNamesOpNodeAndOpset) {
  EXPECT_TRUE(import(oneNode("Abs", {4})).empty());
  EXPECT_NE(error.find("m.onnx: node 'the_node' (Abs), opset 17: op 'Abs' is "
                       "not supported (supported: Add, "),
            std::string::npos)
      << error;
}

TEST_F(ONNXImporterTest, ShapeOperandsMustBeKnown) {
  onnx::ModelProto m = oneNode("Reshape", {2, 3});
  onnx::ValueInfoProto *s = m.mutable_graph()->add_input();
  s->set_name("s");
  s->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::INT64);
  s->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->add_dim()
      ->set_dim_value(1);
  m.mutable_graph()->mutable_node(0)->add_input("s");
  EXPECT_TRUE(import(m).empty());
  EXPECT_NE(error.find("input shape ('s') must be known at compile time"),
            std::string::npos)
      << error;
  // Bound by the caller, it folds.
  ONNXImportOptions options;
  onnxfile::Tensor six;
  six.elementType = int32_t(onnxfile::ElementType::Int64);
  six.shape = {1};
  int64_t v = 6;
  six.bytes.assign(reinterpret_cast<uint8_t *>(&v),
                   reinterpret_cast<uint8_t *>(&v) + 8);
  options.constants["s"] = six;
  std::string ir = import(m, options);
  EXPECT_NE(ir.find("-> tensor<6xf32>"), std::string::npos) << error << ir;
}

TEST_F(ONNXImporterTest, SymbolicDimensionsNeedAShape) {
  EXPECT_TRUE(import(oneNode("Relu", {-1, 4})).empty());
  EXPECT_NE(error.find("graph input 'x' has the symbolic dimension 'batch'"),
            std::string::npos)
      << error;
  ONNXImportOptions options;
  options.inputShapes["x"] = {3, 4};
  std::string ir = import(oneNode("Relu", {-1, 4}), options);
  EXPECT_NE(ir.find("xf.relu %arg0 : tensor<3x4xf32>"), std::string::npos)
      << error << ir;
}

TEST_F(ONNXImporterTest, BadShapesAreRefusedByName) {
  EXPECT_TRUE(import(oneNode("Reshape", {2, 3}, {4, -1})).empty());
  EXPECT_NE(error.find("cannot infer -1 in [4, -1] for [2, 3]"),
            std::string::npos)
      << error;
  EXPECT_TRUE(import(oneNode("Unsqueeze", {2}, {5})).empty());
  EXPECT_NE(error.find("axis 5 is outside rank 2"), std::string::npos) << error;
}

/// A graph builder for the cases oneNode cannot express.
struct Graph {
  onnx::ModelProto m;
  Graph() {
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
  }
  onnx::GraphProto &g() { return *m.mutable_graph(); }
  void input(const std::string &name, int type, std::vector<int64_t> shape) {
    onnx::ValueInfoProto *v = g().add_input();
    v->set_name(name);
    auto *t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    auto *s = t->mutable_shape();
    for (int64_t d : shape)
      s->add_dim()->set_dim_value(d);
  }
  void ints(const std::string &name, std::vector<int64_t> values) {
    onnx::TensorProto *c = g().add_initializer();
    c->set_name(name);
    c->set_data_type(onnx::TensorProto::INT64);
    c->add_dims(values.size());
    for (int64_t v : values)
      c->add_int64_data(v);
  }
  onnx::NodeProto *node(const std::string &op, std::vector<std::string> in,
                        std::vector<std::string> out) {
    onnx::NodeProto *n = g().add_node();
    n->set_op_type(op);
    for (auto &i : in)
      n->add_input(i);
    for (auto &o : out)
      n->add_output(o);
    return n;
  }
  void output(const std::string &name) { g().add_output()->set_name(name); }
};

TEST_F(ONNXImporterTest, SliceToTheEndAsPyTorchSpellsIt) {
  // x[:, 1:] with ends = INT64_MAX; x[::-1] with starts = INT64_MAX.
  Graph gr;
  gr.input("x", onnx::TensorProto::FLOAT, {2, 5});
  gr.ints("s", {1});
  gr.ints("e", {INT64_MAX});
  gr.ints("a", {1});
  gr.ints("rs", {INT64_MAX});
  gr.ints("re", {INT64_MIN});
  gr.ints("st", {-1});
  gr.node("Slice", {"x", "s", "e", "a"}, {"y"});
  gr.node("Slice", {"x", "rs", "re", "a", "st"}, {"r"});
  gr.output("y");
  gr.output("r");
  std::string ir = import(gr.m);
  EXPECT_NE(ir.find("xf.slice %arg0[1 : 1, 4] : tensor<2x5xf32> -> "
                    "tensor<2x4xf32>"),
            std::string::npos)
      << error << ir;
  // All five columns, last first: a gather of [4, 3, 2, 1, 0].
  EXPECT_NE(ir.find("dense<[4, 3, 2, 1, 0]> : tensor<5xi64>"),
            std::string::npos)
      << ir;
}

TEST_F(ONNXImporterTest, MatMulByAConstantMatrixIsALinear) {
  // x [2, 3, 2] times W [2, 3] = [[1, 2, 3], [4, 5, 6]]: one xf.linear with
  // W^T [3, 2] (the weight layout the kernels take); by a runtime matrix it
  // stays a batched matmul.
  Graph gr;
  gr.input("x", onnx::TensorProto::FLOAT, {2, 3, 2});
  gr.input("r", onnx::TensorProto::FLOAT, {2, 3});
  onnx::TensorProto *w = gr.g().add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(3);
  for (float v : {1, 2, 3, 4, 5, 6})
    w->add_float_data(v);
  gr.node("MatMul", {"x", "w"}, {"y"});
  gr.node("MatMul", {"x", "r"}, {"z"});
  gr.output("y");
  gr.output("z");
  std::string ir = import(gr.m);
  EXPECT_NE(ir.find("dense<[[1.000000e+00, 4.000000e+00], [2.000000e+00, "
                    "5.000000e+00], [3.000000e+00, 6.000000e+00]]> : "
                    "tensor<3x2xf32>"),
            std::string::npos)
      << error << ir;
  EXPECT_NE(ir.find(": (tensor<2x3x2xf32>, tensor<3x2xf32>) -> "
                    "tensor<2x3x3xf32>"),
            std::string::npos)
      << ir;
  EXPECT_NE(ir.find("xf.matmul"), std::string::npos) << ir;
}

TEST_F(ONNXImporterTest, IntegerTensorsMoveAtRunTime) {
  // input_ids.view(1, -1) feeding an embedding Gather.
  Graph gr;
  gr.input("ids", onnx::TensorProto::INT64, {4});
  gr.input("table", onnx::TensorProto::FLOAT, {10, 3});
  gr.ints("shape", {1, -1});
  gr.node("Reshape", {"ids", "shape"}, {"ids2"});
  gr.node("Gather", {"table", "ids2"}, {"y"});
  gr.output("y");
  std::string ir = import(gr.m);
  EXPECT_NE(ir.find("xf.reshape %arg0 : tensor<4xi64> -> tensor<1x4xi64>"),
            std::string::npos)
      << error << ir;
  EXPECT_NE(ir.find("-> tensor<1x4x3xf32>"), std::string::npos) << ir;
}

TEST_F(ONNXImporterTest, GemmWithAScalarCAndBeta) {
  Graph gr;
  gr.input("a", onnx::TensorProto::FLOAT, {2, 3});
  gr.input("b", onnx::TensorProto::FLOAT, {3, 4});
  gr.input("c", onnx::TensorProto::FLOAT, {});
  onnx::NodeProto *n = gr.node("Gemm", {"a", "b", "c"}, {"y"});
  onnx::AttributeProto *beta = n->add_attribute();
  beta->set_name("beta");
  beta->set_type(onnx::AttributeProto::FLOAT);
  beta->set_f(0.5f);
  gr.output("y");
  std::string ir = import(gr.m);
  EXPECT_NE(ir.find("xf.add"), std::string::npos) << error << ir;
  // A C that would stretch Y is refused, not left to the verifier.
  gr.g()
      .mutable_input(2)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->add_dim()
      ->set_dim_value(3);
  gr.g()
      .mutable_input(2)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->add_dim()
      ->set_dim_value(4);
  EXPECT_TRUE(import(gr.m).empty());
  EXPECT_NE(error.find("C of shape [3, 4] does not broadcast to [2, 4]"),
            std::string::npos)
      << error;
}

TEST_F(ONNXImporterTest, HostileGraphsAreRefusedByName) {
  auto refused = [&](Graph &gr, const std::string &message) {
    EXPECT_TRUE(import(gr.m).empty());
    EXPECT_NE(error.find(message), std::string::npos) << error;
  };
  {
    Graph gr;
    gr.ints("shape", {1 << 20, 1 << 20});
    gr.node("ConstantOfShape", {"shape"}, {"y"});
    gr.output("y");
    refused(gr, "more than 2^24 elements");
  }
  {
    Graph gr;
    gr.input("x", onnx::TensorProto::FLOAT, {3});
    gr.ints("shape", {-1});
    gr.node("Expand", {"x", "shape"}, {"y"});
    gr.output("y");
    refused(gr, "shape [-1] has a negative dimension");
  }
  {
    Graph gr;
    gr.input("x", onnx::TensorProto::FLOAT, {});
    gr.node("MatMul", {"x", "x"}, {"y"});
    gr.output("y");
    refused(gr, "operands must have rank 1 or more");
  }
  {
    Graph gr;
    gr.input("x", onnx::TensorProto::FLOAT, {3});
    gr.node("Relu", {"x"}, {"y", "z"});
    gr.output("z");
    refused(gr, "graph output 'z' is not computed by any node XFC imports");
  }
  {
    Graph gr;
    gr.input("x", onnx::TensorProto::FLOAT, {3});
    gr.ints("axes", {0, 0});
    gr.node("Unsqueeze", {"x", "axes"}, {"y"});
    gr.output("y");
    refused(gr, "axes [0, 0] repeat a dimension");
  }
  {
    Graph gr;
    gr.input("x", onnx::TensorProto::FLOAT, {2, 2});
    onnx::NodeProto *n = gr.node("Gemm", {"x", "x"}, {"y"});
    onnx::AttributeProto *alpha = n->add_attribute();
    alpha->set_name("alpha");
    alpha->set_type(onnx::AttributeProto::INT);
    alpha->set_i(2);
    gr.output("y");
    refused(gr, "attribute 'alpha' has the wrong type");
  }
  {
    Graph gr;
    gr.input("x", onnx::TensorProto::FLOAT, {4});
    gr.ints("split", {INT64_MAX, INT64_MAX, 2});
    gr.node("Split", {"x", "split"}, {"a", "b", "c"});
    gr.output("a");
    refused(gr, "split sizes");
  }
}

} // namespace
