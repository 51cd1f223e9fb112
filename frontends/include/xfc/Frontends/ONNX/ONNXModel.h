//===- ONNXModel.h - A validated ONNX model and its tensors -----*- C++ -*-===//
//
// Reads an ONNX ModelProto with Debian's libonnx (the generated protobuf
// classes) and checks what the importer relies on before it looks at a
// node: a graph in topological order (every input is a
// graph input, an initializer or an earlier node's output; every value is
// produced once), and initializers whose shapes and data sizes agree.
// Tensor data is decoded to little-endian row-major bytes only when asked
// for, so inspecting a large model copies no weights.
//
// Errors name the file and the node (by name, or index and op type), the
// value or the tensor at fault.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_ONNX_ONNXMODEL_H
#define XFC_FRONTENDS_ONNX_ONNXMODEL_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace onnx {
class ModelProto;
class GraphProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace xfc::onnxfile {

/// ONNX's TensorProto.DataType numbering.
enum class ElementType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
};

/// "float", "int64", ... ("type 42" for numbers ONNX does not define).
std::string elementTypeName(int32_t type);
/// Bytes per element; 0 for types without a fixed width XFC reads
/// (string, complex, undefined).
size_t elementBytes(int32_t type);
/// Whether `type` is a floating-point type.
bool isFloatType(int32_t type);
/// Whether `type` is an unsigned integer type (MLIR's signless integers do
/// not say; ops that depend on it are told).
bool isUnsignedType(int32_t type);
/// The bits of an integer type (signed or not); 0 for the others, bool
/// included.
unsigned integerBits(int32_t type);

/// A tensor's values as little-endian, row-major bytes.
struct Tensor {
  std::string name;
  int32_t elementType = 0;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
};

/// Decodes `proto` (raw_data or the typed fields). `where` names the file
/// in errors. Refuses negative or overflowing dimensions, data whose size
/// does not match the shape, string and complex tensors, and external data.
bool decodeTensor(const onnx::TensorProto &proto, Tensor &out,
                  const std::string &where, std::string &error);

/// The tensor's values as doubles, which hold every value of the element
/// types XFC reads exactly (64-bit integers up to 2^53).
std::vector<double> tensorValues(const Tensor &tensor);

/// Reads a serialized TensorProto file (a backend test's input_0.pb).
bool readTensorFile(const std::string &path, Tensor &out, std::string &error);

/// "node 'name' (Op)" or "node #index (Op)", for messages.
std::string describeNode(const onnx::NodeProto &node, int index);

class Model {
public:
  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  /// Parses and validates `path`. On failure returns null and sets `error`.
  static std::unique_ptr<Model> open(const std::string &path,
                                     std::string &error);
  /// Parses and validates a serialized model; `name` names it in errors.
  static std::unique_ptr<Model> parse(std::string_view bytes, std::string name,
                                      std::string &error);

  const std::string &path() const { return name; }
  const onnx::ModelProto &proto() const { return *model; }
  const onnx::GraphProto &graph() const;
  /// The ai.onnx opset the model imports; 0 if none (a graph of other
  /// domains' ops only).
  int64_t opset() const { return opsetVersion; }
  /// The initializer of that name, or null.
  const onnx::TensorProto *findInitializer(std::string_view value) const;

private:
  Model();
  bool validate(std::string &error);

  std::string name;
  std::unique_ptr<onnx::ModelProto> model;
  int64_t opsetVersion = 0;
  std::unordered_map<std::string_view, const onnx::TensorProto *> initializers;
};

} // namespace xfc::onnxfile

#endif // XFC_FRONTENDS_ONNX_ONNXMODEL_H
