//===- ONNXModel.cpp - A validated ONNX model and its tensors -------------===//

#include "xfc/Frontends/ONNX/ONNXModel.h"

#include "xfc/Frontends/GGUF/GGMLType.h"

#include "onnx/onnx_pb.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>

using namespace xfc::onnxfile;

namespace {

/// No tensor of a model XFC compiles has more elements; a hostile shape
/// cannot size an allocation past it.
constexpr int64_t kMaxElements = int64_t(1) << 40;

/// The serialized size protobuf can parse.
constexpr std::streamoff kMaxModelBytes = std::numeric_limits<int32_t>::max();

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Narrows `values` (int32_data, uint64_data, ...) to `width` bytes each.
template <typename T>
void narrow(const T &values, size_t width, std::vector<uint8_t> &bytes) {
  bytes.resize(values.size() * width);
  for (int i = 0; i < values.size(); ++i) {
    uint64_t v = static_cast<uint64_t>(values.Get(i));
    std::memcpy(&bytes[i * width], &v, width); // little-endian low bytes
  }
}

/// The number of elements of `proto`'s shape, or -1 with `error` set.
int64_t checkedCount(const onnx::TensorProto &proto, const std::string &label,
                     std::string &error) {
  int64_t count = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0) {
      error = label + " has the negative dimension " + std::to_string(d);
      return -1;
    }
    if (d != 0 && count > kMaxElements / d) {
      error = label + " has more than 2^40 elements";
      return -1;
    }
    count *= d;
  }
  return count;
}

} // namespace

std::string xfc::onnxfile::elementTypeName(int32_t type) {
  static const char *const names[] = {
      "undefined", "float",  "uint8",     "int8",       "uint16",  "int16",
      "int32",     "int64",  "string",    "bool",       "float16", "double",
      "uint32",    "uint64", "complex64", "complex128", "bfloat16"};
  if (type >= 0 && type < int32_t(std::size(names)))
    return names[type];
  return "type " + std::to_string(type);
}

bool xfc::onnxfile::isFloatType(int32_t type) {
  switch (static_cast<ElementType>(type)) {
  case ElementType::Float:
  case ElementType::Double:
  case ElementType::Float16:
  case ElementType::BFloat16:
    return true;
  default:
    return false;
  }
}

bool xfc::onnxfile::isUnsignedType(int32_t type) {
  switch (static_cast<ElementType>(type)) {
  case ElementType::UInt8:
  case ElementType::UInt16:
  case ElementType::UInt32:
  case ElementType::UInt64:
    return true;
  default:
    return false;
  }
}

unsigned xfc::onnxfile::integerBits(int32_t type) {
  bool integer = !isFloatType(type) && type != int32_t(ElementType::Bool);
  return integer ? 8 * static_cast<unsigned>(elementBytes(type)) : 0;
}

size_t xfc::onnxfile::elementBytes(int32_t type) {
  switch (static_cast<ElementType>(type)) {
  case ElementType::UInt8:
  case ElementType::Int8:
  case ElementType::Bool:
    return 1;
  case ElementType::UInt16:
  case ElementType::Int16:
  case ElementType::Float16:
  case ElementType::BFloat16:
    return 2;
  case ElementType::Float:
  case ElementType::Int32:
  case ElementType::UInt32:
    return 4;
  case ElementType::Int64:
  case ElementType::UInt64:
  case ElementType::Double:
    return 8;
  default:
    return 0;
  }
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Whether `proto`'s raw data, if it has any, is `count` elements of its
/// element type (a type XFC does not read is refused elsewhere).
static bool rawSizeMatches(const onnx::TensorProto &proto,
                           const std::string &label, int64_t count,
                           std::string &error) {
  size_t width = elementBytes(proto.data_type());
  uint64_t bytes = static_cast<uint64_t>(count) * width;
  if (!width || !proto.has_raw_data() || proto.raw_data().size() == bytes)
    return true;
  error = label + " has " + std::to_string(proto.raw_data().size()) +
          " bytes of data for " + std::to_string(count) + " elements of " +
          elementTypeName(proto.data_type()) + " (" + std::to_string(bytes) +
          " bytes)";
  return false;
}

bool xfc::onnxfile::decodeTensor(const onnx::TensorProto &proto, Tensor &out,
                                 const std::string &where, std::string &error) {
  std::string label = where + ": tensor '" + proto.name() + "'";
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    error = label + " keeps its data in an external file, which XFC does "
                    "not read yet";
    return false;
  }
  size_t width = elementBytes(proto.data_type());
  if (width == 0) {
    error = label + " has element type " + elementTypeName(proto.data_type()) +
            ", which XFC does not read";
    return false;
  }
  int64_t count = checkedCount(proto, label, error);
  if (count < 0)
    return false;
  out.name = proto.name();
  out.elementType = proto.data_type();
  out.shape.assign(proto.dims().begin(), proto.dims().end());
  int64_t stored = -1;
  if (proto.has_raw_data()) {
    if (!rawSizeMatches(proto, label, count, error))
      return false;
    out.bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
    return true;
  }
  switch (static_cast<ElementType>(proto.data_type())) {
  case ElementType::Float:
    stored = proto.float_data_size();
    out.bytes.resize(stored * 4);
    std::memcpy(out.bytes.data(), proto.float_data().data(), stored * 4);
    break;
  case ElementType::Double:
    stored = proto.double_data_size();
    out.bytes.resize(stored * 8);
    std::memcpy(out.bytes.data(), proto.double_data().data(), stored * 8);
    break;
  case ElementType::Int64:
    stored = proto.int64_data_size();
    out.bytes.resize(stored * 8);
    std::memcpy(out.bytes.data(), proto.int64_data().data(), stored * 8);
    break;
  case ElementType::UInt32:
  case ElementType::UInt64:
    stored = proto.uint64_data_size();
    narrow(proto.uint64_data(), width, out.bytes);
    break;
  default: // the narrow types are stored in int32_data
    stored = proto.int32_data_size();
    narrow(proto.int32_data(), width, out.bytes);
    break;
  }
  if (stored != count) {
    error = label + " holds " + std::to_string(stored) + " values for shape " +
            shapeString(out.shape) + " (" + std::to_string(count) +
            " elements)";
    return false;
  }
  return true;
}

namespace {

template <typename T> double load(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return static_cast<double>(v);
}

} // namespace

std::vector<double> xfc::onnxfile::tensorValues(const Tensor &t) {
  size_t width = elementBytes(t.elementType);
  int64_t n = t.numElements();
  std::vector<double> values(n);
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t *p = &t.bytes[i * width];
    double &v = values[i];
    switch (static_cast<ElementType>(t.elementType)) {
    case ElementType::Float:
      v = load<float>(p);
      break;
    case ElementType::Double:
      v = load<double>(p);
      break;
    case ElementType::Float16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = xfc::gguf::halfToFloat(h);
      break;
    }
    case ElementType::BFloat16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = xfc::gguf::bf16ToFloat(h);
      break;
    }
    case ElementType::Int8:
      v = load<int8_t>(p);
      break;
    case ElementType::UInt8:
      v = load<uint8_t>(p);
      break;
    case ElementType::Bool:
      v = *p != 0;
      break;
    case ElementType::Int16:
      v = load<int16_t>(p);
      break;
    case ElementType::UInt16:
      v = load<uint16_t>(p);
      break;
    case ElementType::Int32:
      v = load<int32_t>(p);
      break;
    case ElementType::UInt32:
      v = load<uint32_t>(p);
      break;
    case ElementType::Int64:
      v = load<int64_t>(p);
      break;
    default:
      v = load<uint64_t>(p);
      break; // UInt64
    }
  }
  return values;
}

bool xfc::onnxfile::readTensorFile(const std::string &path, Tensor &out,
                                   std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot be read";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  onnx::TensorProto proto;
  if (!proto.ParseFromString(text.str())) {
    error = path + ": not a serialized ONNX TensorProto";
    return false;
  }
  return decodeTensor(proto, out, path, error);
}

std::string xfc::onnxfile::describeNode(const onnx::NodeProto &node,
                                        int index) {
  return (node.name().empty() ? "node #" + std::to_string(index)
                              : "node '" + node.name() + "'") +
         " (" + node.op_type() + ")";
}

Model::Model() : model(std::make_unique<onnx::ModelProto>()) {}
Model::~Model() = default;

const onnx::GraphProto &Model::graph() const { return model->graph(); }

const onnx::TensorProto *Model::findInitializer(std::string_view value) const {
  auto it = initializers.find(value);
  return it == initializers.end() ? nullptr : it->second;
}

std::unique_ptr<Model> Model::open(const std::string &path,
                                   std::string &error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = path + ": cannot be read";
    return nullptr;
  }
  std::streamoff size = in.tellg();
  if (size < 0) {
    error = path + ": cannot be read (not a regular file)";
    return nullptr;
  }
  if (size > kMaxModelBytes) {
    error = path + ": larger than the 2 GiB protobuf can parse (external "
                   "data is not read yet)";
    return nullptr;
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) {
    error = path + ": cannot be read";
    return nullptr;
  }
  return parse(bytes, path, error);
}

std::unique_ptr<Model> Model::parse(std::string_view bytes, std::string name,
                                    std::string &error) {
  std::unique_ptr<Model> m(new Model());
  m->name = std::move(name);
  if (bytes.size() > size_t(kMaxModelBytes) ||
      !m->model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = m->name + ": not a valid ONNX model (protobuf parsing failed)";
    return nullptr;
  }
  if (!m->validate(error))
    return nullptr;
  return m;
}

bool Model::validate(std::string &error) {
  for (const onnx::OperatorSetIdProto &set : model->opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      opsetVersion = set.version();
  if (!model->has_graph()) {
    error = name + ": has no graph";
    return false;
  }
  const onnx::GraphProto &g = model->graph();
  // Values in scope, in graph order: inputs, initializers, node outputs.
  std::unordered_set<std::string_view> defined;
  auto define = [&](const std::string &value, const std::string &what) {
    if (value.empty())
      return true;
    if (!defined.insert(value).second) {
      error = name + ": " + what + " defines '" + value +
              "', which is already defined";
      return false;
    }
    return true;
  };
  for (const onnx::ValueInfoProto &input : g.input())
    // Older models list initializers among the inputs too.
    if (!defined.count(input.name()) && !define(input.name(), "a graph input"))
      return false;
  for (const onnx::TensorProto &init : g.initializer()) {
    std::string label = name + ": initializer '" + init.name() + "'";
    if (init.name().empty()) {
      error = name + ": an initializer has no name";
      return false;
    }
    if (!initializers.emplace(init.name(), &init).second) {
      error = label + " is given twice";
      return false;
    }
    defined.insert(init.name());
    if (init.data_location() == onnx::TensorProto::EXTERNAL)
      continue; // refused when read, named then
    int64_t count = checkedCount(init, label, error);
    if (count < 0 || !rawSizeMatches(init, label, count, error))
      return false;
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto &node = g.node(i);
    for (const std::string &input : node.input())
      if (!input.empty() && !defined.count(input)) {
        error = name + ": " + describeNode(node, i) + " reads '" + input +
                "', which no graph input, initializer or earlier node "
                "defines";
        return false;
      }
    for (const std::string &output : node.output())
      if (!define(output, describeNode(node, i)))
        return false;
  }
  for (const onnx::ValueInfoProto &output : g.output())
    if (!defined.count(output.name())) {
      error = name + ": graph output '" + output.name() + "' is not defined";
      return false;
    }
  return true;
}
