//===- ONNXModelTest.cpp - ONNX model validation and tensors --------------===//

#include "xfc/Frontends/ONNX/ONNXModel.h"

#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace xfc::onnxfile;

namespace {

/// y = MatMul(x, w) + b, with w and b initializers.
onnx::ModelProto linearModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto *g = m.mutable_graph();
  g->add_input()->set_name("x");
  onnx::TensorProto *w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(3);
  for (int i = 0; i < 6; ++i)
    w->add_float_data(float(i));
  onnx::TensorProto *b = g->add_initializer();
  b->set_name("b");
  b->set_data_type(onnx::TensorProto::FLOAT);
  b->add_dims(3);
  float values[3] = {1, 2, 3};
  b->set_raw_data(std::string(reinterpret_cast<char *>(values), 12));
  onnx::NodeProto *mm = g->add_node();
  mm->set_op_type("MatMul");
  mm->add_input("x");
  mm->add_input("w");
  mm->add_output("xw");
  onnx::NodeProto *add = g->add_node();
  add->set_op_type("Add");
  add->set_name("bias");
  add->add_input("xw");
  add->add_input("b");
  add->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

std::unique_ptr<Model> parse(const onnx::ModelProto &m, std::string &error) {
  return Model::parse(m.SerializeAsString(), "m.onnx", error);
}

TEST(ONNXModelTest, ValidModelAndItsInitializers) {
  std::string error;
  std::unique_ptr<Model> model = parse(linearModel(), error);
  ASSERT_TRUE(model) << error;
  EXPECT_EQ(model->opset(), 17);
  const onnx::TensorProto *w = model->findInitializer("w");
  ASSERT_TRUE(w);
  EXPECT_FALSE(model->findInitializer("x"));
  Tensor t;
  ASSERT_TRUE(decodeTensor(*w, t, "m.onnx", error)) << error;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(t.bytes.size(), 24u);
  float last;
  std::memcpy(&last, &t.bytes[20], 4);
  EXPECT_EQ(last, 5.0f);
}

TEST(ONNXModelTest, GraphOrderAndDefinitionsAreChecked) {
  std::string error;
  onnx::ModelProto m = linearModel();
  // The Add before the MatMul that feeds it.
  m.mutable_graph()->mutable_node()->SwapElements(0, 1);
  EXPECT_FALSE(parse(m, error));
  EXPECT_EQ(error, "m.onnx: node 'bias' (Add) reads 'xw', which no graph "
                   "input, initializer or earlier node defines");

  m = linearModel();
  m.mutable_graph()->mutable_node(1)->set_output(0, "xw");
  EXPECT_FALSE(parse(m, error));
  EXPECT_NE(error.find("node 'bias' (Add) defines 'xw', which is already "
                       "defined"),
            std::string::npos)
      << error;

  m = linearModel();
  m.mutable_graph()->mutable_output(0)->set_name("z");
  EXPECT_FALSE(parse(m, error));
  EXPECT_NE(error.find("graph output 'z' is not defined"), std::string::npos);

  // A graph of another domain's ops parses; the importer refuses it.
  m = linearModel();
  m.mutable_opset_import(0)->set_domain("com.microsoft");
  std::unique_ptr<Model> other = parse(m, error);
  ASSERT_TRUE(other) << error;
  EXPECT_EQ(other->opset(), 0);
}

TEST(ONNXModelTest, InitializerSizesAreChecked) {
  std::string error;
  onnx::ModelProto m = linearModel();
  m.mutable_graph()->mutable_initializer(1)->set_dims(0, 4);
  EXPECT_FALSE(parse(m, error));
  EXPECT_NE(error.find("initializer 'b' has 12 bytes of data for 4 elements "
                       "of float"),
            std::string::npos)
      << error;

  m = linearModel();
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, -2);
  EXPECT_FALSE(parse(m, error));
  EXPECT_NE(error.find("has the negative dimension -2"), std::string::npos);

  m = linearModel();
  onnx::TensorProto *w = m.mutable_graph()->mutable_initializer(0);
  for (int i = 0; i < 4; ++i)
    w->add_dims(int64_t(1) << 20);
  EXPECT_FALSE(parse(m, error));
  EXPECT_NE(error.find("more than 2^40 elements"), std::string::npos);
}

TEST(ONNXModelTest, EveryTruncationIsRefusedOrValid) {
  std::string bytes = linearModel().SerializeAsString();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    std::unique_ptr<Model> m =
        Model::parse(std::string_view(bytes).substr(0, n), "cut.onnx", error);
    // A cut at a field boundary can be a smaller valid message; it must
    // then still pass validation, else be refused with a message.
    EXPECT_TRUE(m || !error.empty()) << n;
  }
}

TEST(ONNXModelTest, TypedFieldsDecodeToLittleEndianBytes) {
  std::string error;
  onnx::TensorProto p;
  p.set_name("t");
  p.set_data_type(onnx::TensorProto::UINT8);
  p.add_dims(3);
  for (int v : {1, 200, 255})
    p.add_int32_data(v);
  Tensor t;
  ASSERT_TRUE(decodeTensor(p, t, "f", error)) << error;
  EXPECT_EQ(t.bytes, (std::vector<uint8_t>{1, 200, 255}));

  p.set_data_type(onnx::TensorProto::FLOAT16);
  p.clear_int32_data();
  for (int v : {0x3C00, 0xC000, 0x7BFF})
    p.add_int32_data(v);
  ASSERT_TRUE(decodeTensor(p, t, "f", error)) << error;
  EXPECT_EQ(t.bytes,
            (std::vector<uint8_t>{0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B}));

  p.set_data_type(onnx::TensorProto::INT64);
  p.clear_int32_data();
  p.add_int64_data(-1);
  EXPECT_FALSE(decodeTensor(p, t, "f", error));
  EXPECT_EQ(error, "f: tensor 't' holds 1 values for shape [3] (3 elements)");

  p.set_data_type(onnx::TensorProto::STRING);
  EXPECT_FALSE(decodeTensor(p, t, "f", error));
  EXPECT_NE(error.find("element type string, which XFC does not read"),
            std::string::npos);

  p.set_data_type(onnx::TensorProto::FLOAT);
  p.set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_FALSE(decodeTensor(p, t, "f", error));
  EXPECT_NE(error.find("external file"), std::string::npos);
}

} // namespace
