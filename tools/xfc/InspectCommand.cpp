//===- InspectCommand.cpp - xfc inspect -----------------------------------===//
//
// Prints a GGUF file's metadata and a table of its tensors, like gguf-dump;
// an ONNX model's summary (InspectONNX.cpp).
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfc/Frontends/GGUF/GGUFFile.h"
#include "xfc/Frontends/GGUF/TensorData.h"
#include "xfc/SparsityStats.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace xfc::driver;
using namespace xfc::gguf;

namespace {

cl::SubCommand command("inspect",
                       "Print a GGUF model's metadata and tensors, or an "
                       "ONNX model's graph");
cl::opt<std::string> input(cl::Positional,
                           cl::desc("<model.gguf | model.onnx>"), cl::Required,
                           cl::sub(command));
cl::opt<unsigned> arrayItems("array-items",
                             cl::desc("Array elements to show per key"),
                             cl::init(8), cl::sub(command));
cl::opt<bool> sparsity(
    "sparsity",
    cl::desc("Also measure each matrix's zeros: the fraction, whether it is "
             "2:4 sparse, and its all-zero 1x4 and 4x16 blocks"),
    cl::sub(command));

/// The zeros of each matrix, and of all of them together.
int printSparsity(const File &file, raw_ostream &os) {
  os << "\nSparsity:\n"
     << format("  %-40s %8s %5s %10s %10s\n", "name", "zeros", "2:4",
               "1x4 zero", "4x16 zero");
  double zeros = 0, values = 0;
  for (const TensorInfo &t : file.tensors()) {
    std::vector<int64_t> shape = t.shape();
    if (shape.size() != 2)
      continue;
    std::string error;
    std::optional<std::vector<float>> data = readAsF32(file.path(), t, error);
    if (!data)
      return fail(error);
    xfc::SparsityStats s = xfc::measureSparsity(*data, shape[0], shape[1]);
    os << format("  %-40s %7.2f%% %5s %9.2f%% %9.2f%%\n",
                 std::string(t.name).c_str(), 100 * s.zeros,
                 s.twoOfFour ? "yes" : "no", 100 * s.zeroBlocks1x4,
                 100 * s.zeroBlocks4x16);
    zeros += s.zeros * data->size();
    values += data->size();
  }
  os << format("\n%.2f%% of the matrices' values are zero\n",
               values ? 100 * zeros / values : 0.0);
  return 0;
}

int run() {
  if (StringRef(input).ends_with(".onnx"))
    return inspectONNX(input, outs());
  std::string error;
  std::unique_ptr<File> file = File::open(input, error);
  if (!file)
    return fail(error);
  raw_ostream &os = outs();
  os << input << ": GGUF v" << file->version() << ", "
     << file->metadata().size() << " metadata keys, "
     << file->tensors().size() << " tensors, alignment "
     << file->alignment() << "\n\nMetadata:\n";
  for (const KeyValue &kv : file->metadata()) {
    std::string type = valueTypeName(kv.value.type);
    if (kv.value.type == ValueType::Array)
      type += std::string("<") + valueTypeName(kv.value.elementType) + ">";
    os << format("  %-48s %-14s ", std::string(kv.key).c_str(), type.c_str())
       << kv.value.toString(arrayItems) << "\n";
  }

  os << "\nTensors:\n"
     << format("  %-40s %-24s %-8s %14s %14s\n", "name", "shape (ggml order)",
               "type", "bytes", "offset");
  uint64_t elements = 0, bytes = 0;
  for (const TensorInfo &t : file->tensors()) {
    std::string shape;
    for (size_t i = 0; i < t.dims.size(); ++i)
      shape += (i ? " x " : "") + std::to_string(t.dims[i]);
    os << format("  %-40s %-24s %-8s %14llu %14llu\n",
                 std::string(t.name).c_str(), shape.c_str(),
                 typeName(t.type).c_str(),
                 static_cast<unsigned long long>(t.numBytes),
                 static_cast<unsigned long long>(t.offset));
    elements += t.numElements;
    bytes += t.numBytes;
  }
  os << format("\n%llu parameters, %.2f MiB of tensor data\n",
               static_cast<unsigned long long>(elements),
               static_cast<double>(bytes) / (1024.0 * 1024.0));
  return sparsity ? printSparsity(*file, os) : 0;
}

RegisterCommand registration(command, run);

} // namespace
