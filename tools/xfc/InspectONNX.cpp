//===- InspectONNX.cpp - xfc inspect of an ONNX model ---------------------===//
//
// The opset, the graph's inputs and outputs with their types and shapes,
// the initializers' size, and how often each op occurs.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfc/Frontends/ONNX/ONNXModel.h"

#include "onnx/onnx_pb.h"

#include "llvm/Support/Format.h"

#include <map>

using namespace llvm;
using namespace xfc::onnxfile;

namespace {

/// "float [batch, 128]" for a value's declared type.
std::string describeValue(const onnx::ValueInfoProto &value) {
  if (!value.type().has_tensor_type())
    return "(not a tensor)";
  const onnx::TypeProto::Tensor &t = value.type().tensor_type();
  std::string s = elementTypeName(t.elem_type());
  if (!t.has_shape())
    return s + " (unranked)";
  s += " [";
  for (int i = 0; i < t.shape().dim_size(); ++i) {
    const onnx::TensorShapeProto::Dimension &d = t.shape().dim(i);
    s += (i ? ", " : "") + (d.has_dim_value() ? std::to_string(d.dim_value())
                            : d.dim_param().empty() ? "?"
                                                    : d.dim_param());
  }
  return s + "]";
}

} // namespace

int xfc::driver::inspectONNX(const std::string &path, raw_ostream &os) {
  std::string error;
  std::unique_ptr<Model> model = Model::open(path, error);
  if (!model)
    return fail(error);
  const onnx::ModelProto &m = model->proto();
  const onnx::GraphProto &g = model->graph();
  os << path << ": ONNX IR v" << m.ir_version() << ", opset " << model->opset();
  if (!m.producer_name().empty())
    os << ", produced by " << m.producer_name() << " " << m.producer_version();
  os << "\n\nInputs:\n";
  for (const onnx::ValueInfoProto &v : g.input())
    if (!model->findInitializer(v.name()))
      os << format("  %-40s ", v.name().c_str()) << describeValue(v) << "\n";
  os << "\nOutputs:\n";
  for (const onnx::ValueInfoProto &v : g.output())
    os << format("  %-40s ", v.name().c_str()) << describeValue(v) << "\n";
  uint64_t elements = 0, bytes = 0;
  for (const onnx::TensorProto &t : g.initializer()) {
    uint64_t n = 1;
    for (int64_t d : t.dims())
      n *= static_cast<uint64_t>(d);
    elements += n;
    bytes += n * elementBytes(t.data_type());
  }
  os << format("\n%d initializers: %llu values, %.2f MiB\n",
               g.initializer_size(), static_cast<unsigned long long>(elements),
               static_cast<double>(bytes) / (1024.0 * 1024.0));
  std::map<std::string, int> ops;
  for (const onnx::NodeProto &node : g.node())
    ++ops[(node.domain().empty() ? "" : node.domain() + ".") + node.op_type()];
  os << "\n" << g.node_size() << " nodes:\n";
  for (const auto &[op, count] : ops)
    os << format("  %-40s %d\n", op.c_str(), count);
  return 0;
}
