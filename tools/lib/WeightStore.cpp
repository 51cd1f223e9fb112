//===- WeightStore.cpp - The data behind a module's weights ---------------===//

#include "xfc/WeightStore.h"

#include "xfc/Dialect/XF/IR/QuantMethods.h"
#include "xfc/Frontends/GGUF/GGMLType.h"
#include "xfc/Lowering/KernelWeightKind.h"
#include "xfk/Kernels.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallVector.h"

#include <cstring>

using namespace xfc;
namespace eval = mlir::xf::eval;

WeightStore::WeightStore(const ModelSource &model) : file(model) {
  external = [this](llvm::StringRef name,
                    mlir::Type) -> mlir::FailureOr<eval::Tensor> {
    const gguf::TensorInfo *info = this->file.findTensor(name);
    if (!info && extra)
      if (auto it = extra->find(name.str()); it != extra->end()) {
        eval::Tensor t({it->second.rows, it->second.cols});
        t.data.assign(it->second.values.begin(), it->second.values.end());
        return t;
      }
    if (!info) {
      providerError = this->file.path() + ": no tensor '" + name.str() + "'";
      return mlir::failure();
    }
    std::optional<std::vector<float>> values =
        this->file.readAsF32(*info, providerError);
    if (!values)
      return mlir::failure();
    eval::Tensor t = eval::Tensor::uninitialized(info->shape());
    std::copy(values->begin(), values->end(), t.data.begin());
    return t;
  };
}

void WeightStore::snapshot(mlir::ModuleOp module) {
  mlir::OpBuilder builder(module.getContext());
  declarations = mlir::ModuleOp::create(module.getLoc());
  builder.setInsertionPointToEnd(declarations->getBody());
  for (auto global : module.getOps<mlir::xf::GlobalWeightOp>())
    builder.clone(*global);
}

namespace {

/// The ggml encoding of a weight type stored as is: a float element type,
/// or a quantized type in the ggml layout (whose groups may be larger than
/// ggml's: see xf::QTensorType::getBlockBytes).
std::optional<gguf::GGMLType> storageType(mlir::Type type) {
  if (auto q = mlir::dyn_cast<mlir::xf::QTensorType>(type)) {
    if (!q.getBlockBytes())
      return std::nullopt;
    mlir::xf::QuantSchemeAttr scheme = q.getScheme();
    if (scheme.getBits() == 8)
      return gguf::GGMLType::Q8_0;
    return scheme.getMode() == mlir::xf::QuantMode::min_offset
               ? gguf::GGMLType::Q4_1
               : gguf::GGMLType::Q4_0;
  }
  mlir::Type element = mlir::cast<mlir::RankedTensorType>(type).getElementType();
  if (element.isF32())
    return gguf::GGMLType::F32;
  if (element.isF16())
    return gguf::GGMLType::F16;
  if (element.isBF16())
    return gguf::GGMLType::BF16;
  return std::nullopt;
}

/// The blocks of `values` quantized in groups of `group` by `method`.
void writeQuantized(const mlir::xf::QuantizationMethod &method,
                    mlir::xf::QTensorType type, gguf::GGMLType storage,
                    int64_t group, llvm::ArrayRef<float> values, bool f32Scales,
                    uint8_t *out) {
  mlir::xf::QuantSchemeAttr scheme = type.getScheme();
  mlir::xf::GroupLevels levels;
  int64_t blockBytes = *type.getBlockBytes();
  for (size_t start = 0; start < values.size(); start += group) {
    method.quantizeGroup(values.slice(start, group), scheme, levels);
    gguf::writeGroup(storage, group, levels.scale, levels.minimum,
                     levels.codes.data(), f32Scales, out);
    out += blockBytes;
  }
}

/// The type of a packed weight before packing, as xfk_pack reads it: ggml
/// blocks for quantized tiles, rows for float panels. Null for types that
/// are stored as they are.
mlir::Type unpackedType(mlir::Type type) {
  if (auto q = mlir::dyn_cast<mlir::xf::QTensorType>(type))
    return q.getLayout().getKind() == mlir::xf::LayoutKind::blocked ||
                   q.getLayout().getKind() == mlir::xf::LayoutKind::sparse
               ? mlir::xf::QTensorType::get(
                     type.getContext(), q.getShape(), q.getStorageType(),
                     q.getScheme(),
                     mlir::xf::PackedLayoutAttr::get(
                         type.getContext(), mlir::xf::LayoutKind::ggml))
               : mlir::Type();
  auto tensor = mlir::cast<mlir::RankedTensorType>(type);
  return tensor.getEncoding() ? tensor.dropEncoding() : mlir::Type();
}

/// The file's tensor that `value` loads, if it is an external weight.
const gguf::TensorInfo *externalTensor(mlir::Value value,
                                       const ModelSource &file) {
  auto load = value.getDefiningOp<mlir::xf::WeightOp>();
  auto source = load ? mlir::SymbolTable::lookupNearestSymbolFrom<
                           mlir::xf::GlobalWeightOp>(load, load.getNameAttr())
                     : nullptr;
  return source && !source.isDerived() ? file.findTensor(load.getName())
                                       : nullptr;
}

/// The stored tensors whose rows, one after the other, are `value`: an
/// external weight's load, or a concatenation of such loads along rows.
/// Empty when `value` must be computed. (A fast path: the evaluator gives
/// the same values, in double.)
std::vector<const gguf::TensorInfo *> storedRows(mlir::Value value,
                                                 const ModelSource &file) {
  std::vector<mlir::Value> inputs = {value};
  if (auto concat = value.getDefiningOp<mlir::xf::ConcatOp>();
      concat && concat.getAxis() == 0)
    inputs.assign(concat.getInputs().begin(), concat.getInputs().end());
  std::vector<const gguf::TensorInfo *> parts;
  for (mlir::Value input : inputs) {
    const gguf::TensorInfo *info = externalTensor(input, file);
    if (!info)
      return {};
    parts.push_back(info);
  }
  return parts;
}

/// The elements of stored tensors `parts`, one after the other, as f32.
std::optional<std::vector<float>>
readRowsAsF32(const std::vector<const gguf::TensorInfo *> &parts,
              const ModelSource &file, std::string &error) {
  std::vector<float> values;
  for (const gguf::TensorInfo *part : parts) {
    std::optional<std::vector<float>> rows = file.readAsF32(*part, error);
    if (!rows)
      return std::nullopt;
    values.insert(values.end(), rows->begin(), rows->end());
  }
  return values;
}

/// The value a derived weight's initializer yields; null if external.
mlir::Value yieldedValue(mlir::xf::GlobalWeightOp global) {
  if (!global.isDerived())
    return {};
  return global.getInitializer().front().getTerminator()->getOperand(0);
}

} // namespace

bool WeightStore::writeBlob(mlir::ModuleOp lowered, llvm::raw_ostream &os,
                            std::string &error) {
  auto layout = lowered->getAttrOfType<mlir::ArrayAttr>("xf.weight_layout");
  if (!layout) {
    error = "the lowered module has no weight layout";
    return false;
  }
  if (!declarations) {
    error = "the weight declarations were not kept before lowering";
    return false;
  }
  mlir::SymbolTable symbols(*declarations);
  uint64_t written = 0;
  for (mlir::Attribute entry : layout) {
    auto dict = mlir::cast<mlir::DictionaryAttr>(entry);
    llvm::StringRef name = mlir::cast<mlir::StringAttr>(dict.get("name"));
    uint64_t offset =
        mlir::cast<mlir::IntegerAttr>(dict.get("offset")).getInt();
    mlir::Type type = mlir::cast<mlir::TypeAttr>(dict.get("type")).getValue();
    // A packed weight is written in its unpacked form first, then packed.
    mlir::Type unpacked = unpackedType(type);
    mlir::Type stored = unpacked ? unpacked : type;
    std::optional<gguf::GGMLType> storage = storageType(stored);
    if (!storage) {
      std::string printed;
      llvm::raw_string_ostream(printed) << type;
      error = "weight '" + name.str() + "' of type " + printed +
              " has no storage format";
      return false;
    }
    os.write_zeros(offset - written);
    auto global = symbols.lookup<mlir::xf::GlobalWeightOp>(name);
    if (!global) {
      error = "weight '" + name.str() + "' has no declaration";
      return false;
    }
    uint64_t bytes = 0;
    if (!unpacked) {
      if (!writeStored(global, stored, *storage, os, bytes, error))
        return false;
    } else {
      llvm::SmallVector<char, 0> rows;
      llvm::raw_svector_ostream rowStream(rows);
      uint64_t rowsBytes = 0;
      if (!writeStored(global, stored, *storage, rowStream, rowsBytes, error))
        return false;
      llvm::ArrayRef<int64_t> shape = mlir::xf::getWeightShape(type);
      mlir::xf::PackedLayoutAttr sparse = mlir::xf::getSparseLayout(type);
      bool tiles = mlir::isa<mlir::xf::QTensorType>(type);
      int64_t packedBytes = mlir::xf::getKernelPackedBytes(stored, sparse);
      if (!packedBytes || packedBytes != mlir::xf::getPackedBytes(type)) {
        std::string printed;
        llvm::raw_string_ostream(printed) << type;
        error = "weight '" + name.str() + "' of type " + printed + " takes " +
                std::to_string(mlir::xf::getPackedBytes(type).value_or(0)) +
                " bytes, but the kernels pack it into " +
                std::to_string(packedBytes);
        return false;
      }
      std::vector<char> packed(packedBytes);
      int64_t ldw = rowsBytes / shape[0];
      if (rowsBytes % shape[0] != 0 ||
          !mlir::xf::packKernelWeight(stored, sparse, rows.data(), ldw,
                                      packed.data())) {
        error = "weight '" + name.str() + "': the kernels cannot pack it";
        if (sparse)
          error += std::string(tiles ? ": a block of 16 rows has more than "
                                     : ": a panel of 64 rows has more than ") +
                   std::to_string(*sparse.getValues()) +
                   (tiles && !sparse.isSparseCodes() ? " nonzero groups"
                                                     : " nonzero values") +
                   ", which its layout has room for";
        return false;
      }
      os.write(packed.data(), packed.size());
      bytes = packedBytes;
    }
    written = offset + bytes;
  }
  eval::releaseCachedBlocks(); // the weights are all computed
  return true;
}

namespace {

/// Zero values among `count` stored values of a float weight, of either
/// sign.
int64_t countFloatZeros(const char *data, int64_t count, int64_t element) {
  int64_t zeros = 0;
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, data + i * element, element);
    zeros += (bits << (32 - 8 * element)) << 1 == 0;
  }
  return zeros;
}

/// Zero values among rows of ggml blocks of `scheme` (Q8_0, Q4_0, Q4_1 in
/// groups of a multiple of 32): a code that stands for 0 (Q8_0's 0, Q4_0's
/// 8, Q4_1's 0 with a zero minimum), or any code of a zero scale.
int64_t countBlockZeros(const char *data, int64_t blocks,
                        mlir::xf::QuantSchemeAttr scheme, int64_t group) {
  bool minimum = scheme.getMode() == mlir::xf::QuantMode::min_offset;
  int64_t scaleBytes = scheme.getScaleBytes();
  int64_t header = (minimum ? 2 : 1) * scaleBytes;
  int64_t codeBytes = group * scheme.getBits() / 8;
  auto isZero = [&](const char *p) {
    uint32_t bits = 0;
    std::memcpy(&bits, p, scaleBytes);
    return (bits << (32 - 8 * scaleBytes)) << 1 == 0;
  };
  int64_t zeros = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const char *block = data + b * (header + codeBytes);
    if (minimum && !isZero(block + scaleBytes))
      continue; // Q4_1: w = d q + m, never 0 with m != 0 but for d q = -m
    if (isZero(block)) {
      zeros += group;
      continue;
    }
    const auto *codes = reinterpret_cast<const uint8_t *>(block + header);
    for (int64_t j = 0; j < codeBytes; ++j) {
      if (scheme.getBits() == 8) {
        zeros += codes[j] == 0;
        continue;
      }
      unsigned zero = minimum ? 0 : 8;
      zeros += (codes[j] & 15) == zero;
      zeros += (codes[j] >> 4) == zero;
    }
  }
  return zeros;
}

} // namespace

bool WeightStore::measureSparsity(mlir::ModuleOp module, std::string &error) {
  if (!declarations) {
    error = "the weight declarations were not kept before measuring";
    return false;
  }
  mlir::SymbolTable symbols(*declarations);
  for (auto global : module.getOps<mlir::xf::GlobalWeightOp>()) {
    mlir::Type type = global.getType();
    auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type);
    auto q = mlir::dyn_cast<mlir::xf::QTensorType>(type);
    std::optional<XfkWeightKind> kind = mlir::xf::getKernelWeightKind(type);
    std::optional<gguf::GGMLType> storage =
        kind ? storageType(type) : std::nullopt;
    // Float rows, or ggml blocks (those the model file holds, or computed).
    if (!storage || (tensor && tensor.getEncoding()) ||
        (q && q.getLayout().getKind() != mlir::xf::LayoutKind::ggml))
      continue;
    auto declared =
        symbols.lookup<mlir::xf::GlobalWeightOp>(global.getSymName());
    if (!declared)
      continue;
    llvm::SmallVector<char, 0> rows;
    llvm::raw_svector_ostream stream(rows);
    uint64_t bytes = 0;
    if (!writeStored(declared, type, *storage, stream, bytes, error))
      return false;
    llvm::ArrayRef<char> written = rows;
    llvm::ArrayRef<int64_t> shape = mlir::xf::getWeightShape(type);
    int64_t n = shape[0], k = shape[1], ldw = rows.size() / n;
    int64_t group = mlir::xf::getKernelWeightGroup(type);
    int64_t slots =
        q ? xfk_sparse_tile_groups(*kind, group, rows.data(), ldw, n, k)
          : xfk_sparse_panel_values(*kind, rows.data(), ldw, n, k);
    if (slots < 0)
      continue;
    int64_t zeros =
        q ? countBlockZeros(rows.data(), n * (k / group), q.getScheme(), group)
          : countFloatZeros(rows.data(), n * k,
                            tensor.getElementTypeBitWidth() / 8);
    // Q8_0-style weights may also lose their zero values one by one.
    int64_t codes =
        q ? xfk_sparse_code_values(*kind, group, rows.data(), ldw, n, k) : -1;
    global->setAttr("sparsity",
                    mlir::xf::SparsityAttr::get(
                        module.getContext(), double(zeros) / double(n * k),
                        slots,
                        codes >= 0 ? std::optional(codes) : std::nullopt));
    // Computing a derived weight (a prune, a folded adapter) is the
    // evaluator's work; the blob takes these rows instead of computing it
    // again.
    if (declared.isDerived())
      measured[global.getSymName()] = {
          type, std::vector<char>(written.begin(), written.end())};
  }
  return true;
}

bool WeightStore::writeStored(mlir::xf::GlobalWeightOp global,
                              mlir::Type type, gguf::GGMLType storage,
                              llvm::raw_ostream &os, uint64_t &bytes,
                              std::string &error) {
  llvm::StringRef name = global.getSymName();
  // A derived weight measureSparsity computed is written from its rows.
  if (auto it = measured.find(name);
      it != measured.end() && it->second.first == type) {
    os.write(it->second.second.data(), it->second.second.size());
    bytes += it->second.second.size();
    measured.erase(it);
    return true;
  }
  if (global.isDerived())
    return writeValue(global, yieldedValue(global), type, storage, os, bytes,
                      error);
  const gguf::TensorInfo *info = file.findTensor(name);
  if (!info && !(extra && extra->count(name.str()))) {
    error = file.path() + ": no tensor '" + name.str() + "'";
    return false;
  }
  if (info && copyStored({info}, type, storage, os, bytes))
    return true;
  if (mlir::isa<mlir::xf::QTensorType>(type)) {
    error = "weight '" + name.str() +
            "': quantized weights are stored as the model file holds them "
            "or as xf.quantize computes them";
    return false;
  }
  providerError.clear();
  mlir::FailureOr<eval::Tensor> values = eval::evaluateWeight(global, external);
  if (mlir::failed(values)) {
    error = providerError.empty() ? "cannot read weight '" + name.str() + "'"
                                  : providerError;
    return false;
  }
  std::vector<float> f32(values->data.begin(), values->data.end());
  return encode(f32, type, storage, os, bytes);
}

bool WeightStore::copyStored(const std::vector<const gguf::TensorInfo *> &parts,
                             mlir::Type type, gguf::GGMLType storage,
                             llvm::raw_ostream &os, uint64_t &bytes) {
  // Stored bytes are copied when the encodings agree (ggml's blocks hold
  // groups of 32).
  int64_t group = mlir::xf::getKernelWeightGroup(type);
  auto q = mlir::dyn_cast<mlir::xf::QTensorType>(type);
  if (parts.empty() || (group && group != 32) ||
      (q && q.getScheme().getScaleType().isF32()) ||
      !llvm::all_of(parts, [&](const gguf::TensorInfo *part) {
        return part->ggmlType() == storage;
      }))
    return false;
  for (const gguf::TensorInfo *part : parts) {
    os.write(reinterpret_cast<const char *>(part->data), part->numBytes);
    bytes += part->numBytes;
  }
  return true;
}

bool WeightStore::encode(llvm::ArrayRef<float> values, mlir::Type type,
                         gguf::GGMLType storage, llvm::raw_ostream &os,
                         uint64_t &bytes) {
  std::vector<uint8_t> encoded(*mlir::xf::getStoredBytes(type));
  gguf::encodeFromF32(storage, values.data(), values.size(), encoded.data());
  os.write(reinterpret_cast<const char *>(encoded.data()), encoded.size());
  bytes += encoded.size();
  return true;
}

bool WeightStore::writeValue(mlir::xf::GlobalWeightOp global, mlir::Value value,
                             mlir::Type type, gguf::GGMLType storage,
                             llvm::raw_ostream &os, uint64_t &bytes,
                             std::string &error) {
  llvm::StringRef name = global.getSymName();
  if (copyStored(storedRows(value, file), type, storage, os, bytes))
    return true;
  auto q = mlir::dyn_cast<mlir::xf::QTensorType>(type);
  // Quantized rows concatenated (fused projections, each perhaps with an
  // adapter folded in): each part's blocks in turn.
  if (auto concat = value.getDefiningOp<mlir::xf::ConcatOp>();
      q && concat && concat.getAxis() == 0) {
    for (mlir::Value part : concat.getInputs())
      if (!writeValue(global, part, part.getType(), storage, os, bytes, error))
        return false;
    return true;
  }
  if (auto load = value.getDefiningOp<mlir::xf::WeightOp>(); q && load) {
    auto source =
        mlir::SymbolTable::lookupNearestSymbolFrom<mlir::xf::GlobalWeightOp>(
            load, load.getNameAttr());
    if (source)
      return writeStored(source, type, storage, os, bytes, error) ||
             (error = "weight '" + name.str() + "': " + error, false);
  }
  // Computed: a float weight's values, or the float values an xf.quantize
  // quantizes (with the levels its method chooses, as the evaluator).
  auto quantize = value.getDefiningOp<mlir::xf::QuantizeOp>();
  if (q && !quantize) {
    // ggml blocks are copied, never re-encoded from dequantized values: a
    // mismatch here is a compiler bug or a bad file.
    error = "weight '" + name.str() +
            "': quantized weights are stored as the model file holds them "
            "or as xf.quantize computes them";
    return false;
  }
  mlir::Value input = quantize ? quantize.getInput() : value;
  std::optional<std::vector<float>> f32 = valuesOf(global, input, error);
  if (!f32)
    return false;
  if (!quantize)
    return encode(*f32, type, storage, os, bytes);
  std::vector<uint8_t> encoded(*mlir::xf::getStoredBytes(type));
  int64_t group = mlir::xf::getKernelWeightGroup(type);
  bool f32Scales = q.getScheme().getScaleType().isF32();
  writeQuantized(*mlir::xf::lookupQuantizationMethod(quantize.getMethodName()),
                 q, storage, group, *f32, f32Scales, encoded.data());
  if (!measureRequantization(global, input, *f32, storage, encoded, error))
    return false;
  os.write(reinterpret_cast<const char *>(encoded.data()), encoded.size());
  bytes += encoded.size();
  return true;
}

std::optional<std::vector<float>>
WeightStore::valuesOf(mlir::xf::GlobalWeightOp global, mlir::Value value,
                      std::string &error) {
  providerError.clear();
  // Stored rows (or a dequantized stored weight) are decoded directly.
  mlir::Value stored = value;
  if (auto dequantize = value.getDefiningOp<mlir::xf::DequantizeOp>())
    stored = dequantize.getInput();
  if (std::vector<const gguf::TensorInfo *> rows = storedRows(stored, file);
      !rows.empty())
    if (std::optional<std::vector<float>> values =
            readRowsAsF32(rows, file, providerError))
      return values;
  mlir::FailureOr<eval::Tensor> values =
      eval::evaluateInitializerValue(global, value, external);
  if (mlir::failed(values)) {
    error = providerError.empty()
                ? "cannot compute weight '" + global.getSymName().str() + "'"
                : providerError;
    return std::nullopt;
  }
  return std::vector<float>(values->data.begin(), values->data.end());
}

bool WeightStore::measureRequantization(mlir::xf::GlobalWeightOp global,
                                        mlir::Value input,
                                        llvm::ArrayRef<float> exact,
                                        gguf::GGMLType storage,
                                        llvm::ArrayRef<uint8_t> encoded,
                                        std::string &error) {
  // Only a weight that was quantized already: the quantized value computed
  // from a dequantized one (an adapter folded into a Q4_0 base).
  mlir::xf::DequantizeOp dequantize;
  llvm::SmallVector<mlir::Value> work = {input};
  while (!work.empty() && !dequantize) {
    mlir::Value v = work.pop_back_val();
    mlir::Operation *def = v.getDefiningOp();
    if (!def)
      continue;
    dequantize = llvm::dyn_cast<mlir::xf::DequantizeOp>(def);
    work.append(def->operand_begin(), def->operand_end());
  }
  if (!dequantize || dequantize.getType() != input.getType())
    return true;
  std::vector<float> requantized(exact.size());
  if (!gguf::decodeToF32(storage, encoded.data(), exact.size(),
                         requantized.data()))
    return true; // larger groups or f32 scales: no ggml decoder to compare
  // The weight before the computation.
  std::optional<std::vector<float>> base =
      valuesOf(global, dequantize.getResult(), error);
  if (!base)
    return false;
  ++requant.weights;
  requant.values += exact.size();
  for (size_t i = 0; i < exact.size(); ++i) {
    double e = double(requantized[i]) - exact[i];
    double d = double(exact[i]) - (*base)[i];
    requant.errorSquares += e * e;
    requant.changeSquares += d * d;
  }
  return true;
}
