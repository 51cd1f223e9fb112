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
  EXPECT_NE(ir.find("func.func @main(%arg0: tensor<2x3x4xf32> {xf.name = "
                    "\"x\"}) -> (tensor<2x12xf32> {xf.name = \"y\"})"),
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

} // namespace
