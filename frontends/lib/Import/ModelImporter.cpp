//===- ModelImporter.cpp - Models to fine-grained xf IR -------------------===//
//
// Maps the tensors of llama, qwen2 and gpt2 models (GGUF files, or HF
// checkpoints under GGUF's names) to xf.global_weight symbols and emits the
// forward pass as fine-grained xf ops. Fusion is left to the passes.
//
//===----------------------------------------------------------------------===//

#include "xfc/Frontends/ModelImporter.h"

#include "xfc/Dialect/XF/IR/XFBuilders.h"
#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cstring>
#include <map>

using namespace mlir;
using namespace xfc;
using gguf::Architecture;
using gguf::GGMLType;
using gguf::ModelConfig;
using gguf::TensorInfo;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class Importer {
public:
  Importer(const ModelSource &file, MLIRContext &context, std::string &error,
           std::vector<std::string> &warnings)
      : file(file), cfg(file.config()), ctx(context), builder(&context),
        error(error), warnings(warnings),
        fileLoc(FileLineColLoc::get(&context, file.path(), 0, 0)) {}

  OwningOpRef<ModuleOp> run(const ImportOptions &options);

private:
  // Weights.
  FailureOr<Type> weightType(const TensorInfo &info);
  Value weight(StringRef name, ArrayRef<int64_t> shape);
  Value optionalWeight(StringRef name, ArrayRef<int64_t> shape);
  Value storedWeight(StringRef name, ArrayRef<int64_t> shape);
  Value requantized(Value weight, const TensorInfo &info);
  Value vectorParam(StringRef name, int64_t size);
  Value optionalVectorParam(StringRef name, int64_t size);

  // Graph pieces, on [tokens, dim] f32 activations.
  Value linear(Value x, Value w, Value bias, int64_t out);
  Value norm(Value x, StringRef prefix);
  Value reshape(Value x, ArrayRef<int64_t> shape);
  Value add(Value a, Value b);
  Value attentionBlock(Value x, int64_t layer);
  Value ffnBlock(Value x, int64_t layer);
  // Shared layer functions.
  std::string layerSignature(int64_t layer);
  void findSharedLayers(bool enabled);
  bool sameTensors(int64_t earlier, int64_t layer);
  func::FuncOp buildLayerFunction(int64_t layer, StringRef name,
                                  Type cacheType);
  Value callLayer(func::FuncOp layerFn, int64_t layer, Value x, Value cache,
                  Value positionsArg, Value positionArg);

  RankedTensorType act(int64_t features) {
    return RankedTensorType::get({kDyn, features}, builder.getF32Type());
  }
  Location loc(StringRef what) {
    return NameLoc::get(builder.getStringAttr(what), fileLoc);
  }
  bool failed() const { return !error.empty(); }

  const ModelSource &file;
  const ModelConfig &cfg;
  MLIRContext &ctx;
  OpBuilder builder;
  std::string &error;
  std::vector<std::string> &warnings;
  Location fileLoc;

  ModuleOp module;
  func::FuncOp forward;
  /// While a shared layer function is built: the layer whose tensors stand
  /// for all layers of its signature, its entry block, and the argument of
  /// each weight (by name suffix after "blk.N.") in call order.
  int64_t templateLayer = -1;
  Block *layerBlock = nullptr;
  SmallVector<std::string> layerWeights;
  Value cache;
  llvm::StringMap<Type> declared;
  /// Layer l reads layer sharedSource[l]'s weights: its own, unless its
  /// tensors are byte for byte an earlier layer's (cyclic parameter
  /// sharing), which are then stored once.
  std::vector<int64_t> sharedSource;
  llvm::StringSet<> warned;
  Value positions, position;
};

FailureOr<Type> Importer::weightType(const TensorInfo &info) {
  std::vector<int64_t> shapeVec = info.shape();
  SmallVector<int64_t> shape(shapeVec.begin(), shapeVec.end());
  Type f32 = builder.getF32Type();
  std::string label = file.path() + ": tensor " + file.tensorLabel(info.name);
  auto qtensor = [&](unsigned bits, xf::QuantMode mode) -> Type {
    if (shape.size() != 2)
      return {};
    auto scheme =
        xf::QuantSchemeAttr::get(&ctx, bits, 32, mode, builder.getF16Type());
    auto layout = xf::PackedLayoutAttr::get(&ctx, xf::LayoutKind::ggml);
    return xf::QTensorType::get(&ctx, shape, builder.getIntegerType(bits),
                                scheme, layout);
  };
  Type type;
  switch (info.ggmlType()) {
  case GGMLType::F32:
    type = RankedTensorType::get(shape, f32);
    break;
  case GGMLType::F16:
    type = RankedTensorType::get(shape, builder.getF16Type());
    break;
  case GGMLType::BF16:
    type = RankedTensorType::get(shape, builder.getBF16Type());
    break;
  case GGMLType::Q8_0:
    type = qtensor(8, xf::QuantMode::symmetric);
    break;
  case GGMLType::Q4_0:
    type = qtensor(4, xf::QuantMode::symmetric);
    break;
  case GGMLType::Q4_1:
    type = qtensor(4, xf::QuantMode::min_offset);
    break;
  default: {
    std::optional<gguf::GGMLTypeInfo> t = gguf::getTypeInfo(info.type);
    if (t && t->import == gguf::ImportKind::DecodedToF32) {
      // Layer tensors are typed twice (layer function and call): warn once.
      if (warned.insert(info.name).second)
        warnings.push_back(
            label + " has type " + t->name +
            (shape.size() == 2
                 ? ", which XFC dequantizes and requantizes to Q8_0 (RTN, "
                   "xf.quantize) at compile time"
                 : ", which XFC expands to f32 at compile time"));
      type = RankedTensorType::get(shape, f32);
      break;
    }
    error = label + " has type " + gguf::typeName(info.type) +
            ", which XFC does not support (supported: F32, F16, BF16, Q8_0, "
            "Q4_0, Q4_1 exactly; Q5_0, Q5_1, Q4_K, Q5_K, Q6_K requantized to "
            "Q8_0)";
    return mlir::failure();
  }
  }
  if (!type) {
    error = label + ": quantized tensors must be 2-D, got " +
            std::to_string(shape.size()) + " dimensions";
    return mlir::failure();
  }
  return type;
}

/// A weight as the file stores it: a load of its declaration, or inside
/// the shared layer function a new argument. Null if absent or on error.
Value Importer::storedWeight(StringRef name, ArrayRef<int64_t> shape) {
  if (failed())
    return {};
  const TensorInfo *info = file.findTensor(name);
  if (!info)
    return {};
  std::vector<int64_t> actual = info->shape();
  if (ArrayRef<int64_t>(actual) != shape) {
    error = file.path() + ": tensor " + file.tensorLabel(name) + " has shape " +
            shapeStr(actual) + ", expected " + shapeStr(shape);
    return {};
  }
  std::string prefix = "blk." + std::to_string(templateLayer) + ".";
  if (templateLayer >= 0 && name.starts_with(prefix)) {
    // Inside the shared layer function: the weight is an argument.
    FailureOr<Type> type = weightType(*info);
    if (mlir::failed(type))
      return {};
    layerWeights.push_back(name.drop_front(prefix.size()).str());
    return layerBlock->addArgument(*type, loc(name));
  }
  auto it = declared.find(name);
  if (it == declared.end()) {
    FailureOr<Type> type = weightType(*info);
    if (mlir::failed(type))
      return {};
    // Declarations go before the functions, in the order the graph reads
    // them.
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(*module.getOps<func::FuncOp>().begin());
    xf::GlobalWeightOp::create(builder, loc(name), name,
                               builder.getStringAttr("private"), *type);
    it = declared.insert({name, *type}).first;
  }
  return xf::WeightOp::create(builder, loc(name), it->second, name);
}

Value Importer::optionalWeight(StringRef name, ArrayRef<int64_t> shape) {
  Value stored = storedWeight(name, shape);
  return stored ? requantized(stored, *file.findTensor(name)) : stored;
}

/// A 2-D weight stored in a format XFC decodes (K-quants, Q5_0, Q5_1) is
/// read as f32 and quantized again to Q8_0, the nearest format the kernels
/// compute with (the graph passes move this into a derived weight).
Value Importer::requantized(Value weight, const TensorInfo &info) {
  std::optional<gguf::GGMLTypeInfo> t = gguf::getTypeInfo(info.type);
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!t || t->import != gguf::ImportKind::DecodedToF32 || !type ||
      type.getRank() != 2 || type.getDimSize(1) % 32 != 0)
    return weight;
  auto scheme = xf::QuantSchemeAttr::get(&ctx, 8, 32, xf::QuantMode::symmetric,
                                         builder.getF16Type());
  auto q8 = xf::QTensorType::get(
      &ctx, type.getShape(), builder.getIntegerType(8), scheme,
      xf::PackedLayoutAttr::get(&ctx, xf::LayoutKind::ggml));
  return xf::QuantizeOp::create(builder, weight.getLoc(), q8, weight);
}

Value Importer::weight(StringRef name, ArrayRef<int64_t> shape) {
  Value v = optionalWeight(name, shape);
  if (!v && !failed())
    error = file.path() + ": missing tensor " + file.tensorLabel(name) + " (" +
            gguf::architectureName(cfg.arch) + " expects shape " +
            shapeStr(shape) + ")";
  return v;
}

Value Importer::optionalVectorParam(StringRef name, int64_t size) {
  Value v = optionalWeight(name, {size});
  if (!v)
    return {};
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type) {
    error = file.path() + ": tensor " + file.tensorLabel(name) +
            " must be a float vector";
    return {};
  }
  if (type.getElementType().isF32())
    return v;
  // Norm scales and biases join f32 activations.
  return xf::ConvertOp::create(
      builder, loc(name), RankedTensorType::get({size}, builder.getF32Type()),
      v);
}

Value Importer::vectorParam(StringRef name, int64_t size) {
  Value v = optionalVectorParam(name, size);
  if (!v && !failed())
    error = file.path() + ": missing tensor " + file.tensorLabel(name);
  return v;
}

Value Importer::linear(Value x, Value w, Value bias, int64_t out) {
  if (failed())
    return {};
  return xf::LinearOp::create(builder, x.getLoc(), act(out), x, w, bias);
}

Value Importer::add(Value a, Value b) {
  if (failed())
    return {};
  return xf::AddOp::create(builder, b.getLoc(), a.getType(), a, b);
}

Value Importer::reshape(Value x, ArrayRef<int64_t> shape) {
  return xf::ReshapeOp::create(
      builder, x.getLoc(), RankedTensorType::get(shape, builder.getF32Type()),
      x);
}

/// `<prefix>.weight` (and `.bias` for LayerNorm) applied to `x`.
Value Importer::norm(Value x, StringRef prefix) {
  Value gamma = vectorParam((prefix + ".weight").str(), cfg.dim);
  if (failed())
    return {};
  auto eps = builder.getF32FloatAttr(cfg.normEps);
  if (!cfg.usesLayerNorm())
    return xf::RmsNormOp::create(builder, loc(prefix), x, gamma, eps);
  Value beta = vectorParam((prefix + ".bias").str(), cfg.dim);
  if (failed())
    return {};
  return xf::LayerNormOp::create(builder, loc(prefix), x, gamma, beta, eps);
}

Value Importer::attentionBlock(Value x, int64_t layer) {
  std::string p = "blk." + std::to_string(layer) + ".";
  int64_t d = cfg.dim, hd = cfg.headDim, kvd = cfg.kvHeads * cfg.headDim;
  Value h = norm(x, p + "attn_norm");
  if (failed())
    return {};

  Value q, k, v;
  if (cfg.arch == Architecture::GPT2) {
    // One fused projection, split into Q, K and V.
    Value w = weight(p + "attn_qkv.weight", {3 * d, d});
    Value b = vectorParam(p + "attn_qkv.bias", 3 * d);
    Value qkv = linear(h, w, b, 3 * d);
    if (failed())
      return {};
    auto part = [&](int64_t index) -> Value {
      return xf::SliceOp::create(builder, loc(p + "attn_qkv"), act(d), qkv,
                                 builder.getI64IntegerAttr(1),
                                 builder.getI64IntegerAttr(index * d),
                                 builder.getI64IntegerAttr(d));
    };
    q = part(0), k = part(1), v = part(2);
  } else {
    bool biased = cfg.arch == Architecture::Qwen2;
    auto project = [&](const char *name, int64_t out) -> Value {
      std::string base = p + name;
      Value w = weight(base + ".weight", {out, d});
      Value b = biased ? vectorParam(base + ".bias", out) : Value();
      return linear(h, w, b, out);
    };
    q = project("attn_q", d);
    k = project("attn_k", kvd);
    v = project("attn_v", kvd);
  }
  if (failed())
    return {};
  q = reshape(q, {kDyn, cfg.heads, hd});
  k = reshape(k, {kDyn, cfg.kvHeads, hd});
  v = reshape(v, {kDyn, cfg.kvHeads, hd});
  if (cfg.hasRope()) {
    // GGUF llama stores Q/K permuted for adjacent-pair rotation; qwen2 and
    // HF checkpoints keep the NeoX half split.
    xf::RopeStyle style = cfg.ropeAdjacentPairs ? xf::RopeStyle::interleaved
                                                : xf::RopeStyle::neox;
    auto rope = [&](Value t) -> Value {
      IntegerAttr dims = cfg.ropeDims == cfg.headDim
                             ? IntegerAttr()
                             : builder.getI64IntegerAttr(cfg.ropeDims);
      return xf::RopeOp::create(builder, loc(p + "rope"), t.getType(),
                                xf::RopeStyleAttr::get(&ctx, style), t,
                                positions,
                                builder.getF32FloatAttr(cfg.ropeTheta), dims);
    };
    q = rope(q);
    k = rope(k);
  }
  xf::AttentionInputs in;
  in.query = q, in.key = k, in.value = v;
  in.cache = cache, in.position = position, in.causal = true;
  builder.setInsertionPointToEnd(builder.getInsertionBlock());
  Value attended = xf::buildAttention(builder, loc(p + "attention"), in);
  Value flat = reshape(attended, {kDyn, d});
  Value wo = weight(p + "attn_output.weight", {d, d});
  Value bo = cfg.arch == Architecture::GPT2
                 ? vectorParam(p + "attn_output.bias", d)
                 : Value();
  return linear(flat, wo, bo, d);
}

Value Importer::ffnBlock(Value x, int64_t layer) {
  std::string p = "blk." + std::to_string(layer) + ".";
  int64_t d = cfg.dim, f = cfg.ffn;
  Value h = norm(x, p + "ffn_norm");
  xf::FfnInputs in;
  in.input = h;
  in.up = weight(p + "ffn_up.weight", {f, d});
  in.down = weight(p + "ffn_down.weight", {d, f});
  if (cfg.arch == Architecture::GPT2) {
    in.kind = xf::FfnKind::gelu;
    in.upBias = vectorParam(p + "ffn_up.bias", f);
    in.downBias = vectorParam(p + "ffn_down.bias", d);
  } else {
    in.kind = xf::FfnKind::swiglu;
    in.gate = weight(p + "ffn_gate.weight", {f, d});
  }
  if (failed())
    return {};
  return xf::buildFfn(builder, loc(p + "ffn"), in);
}

/// The names, types and shapes of layer `layer`'s tensors: layers with the
/// same signature share one function.
std::string Importer::layerSignature(int64_t layer) {
  std::string prefix = "blk." + std::to_string(layer) + ".", signature;
  std::vector<std::string> parts;
  for (const TensorInfo &t : file.tensors()) {
    if (t.name.substr(0, prefix.size()) != prefix)
      continue;
    std::string part = std::string(t.name.substr(prefix.size())) + ":" +
                       gguf::typeName(t.type);
    for (uint64_t d : t.dims)
      part += "x" + std::to_string(d);
    parts.push_back(part);
  }
  std::sort(parts.begin(), parts.end());
  for (const std::string &p : parts)
    signature += p + ";";
  return signature;
}

void Importer::findSharedLayers(bool enabled) {
  sharedSource.resize(cfg.layers);
  for (int64_t l = 0; l < cfg.layers; ++l)
    sharedSource[l] = l;
  if (!enabled)
    return;
  // Candidates: layers with the same tensor names, types and shapes, and
  // the same first bytes of each tensor (a hash of at most 4 KiB each, so
  // a model without sharing is not read whole here). Only candidates are
  // compared in full.
  std::map<std::pair<std::string, uint64_t>, std::vector<int64_t>> earlier;
  for (int64_t l = 0; l < cfg.layers; ++l) {
    std::string prefix = "blk." + std::to_string(l) + ".";
    uint64_t hash = 0;
    for (const TensorInfo &t : file.tensors())
      if (t.name.substr(0, prefix.size()) == prefix)
        hash = llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
                   t.data, std::min<uint64_t>(t.numBytes, 4096))) ^
               (hash * 0x9E3779B97F4A7C15ull + 1);
    std::vector<int64_t> &same = earlier[{layerSignature(l), hash}];
    for (int64_t candidate : same)
      if (sameTensors(candidate, l)) {
        sharedSource[l] = candidate;
        break;
      }
    if (sharedSource[l] == l)
      same.push_back(l);
  }
  if (llvm::all_of(llvm::enumerate(sharedSource),
                   [](auto s) { return int64_t(s.index()) == s.value(); }))
    return;
  module->setAttr("xf.layer_sources",
                  builder.getDenseI64ArrayAttr(sharedSource));
  // The shortest cycle the layers repeat, if any: N distinct layers, each
  // layer l reading layer l mod N.
  for (int64_t n = 1; n < cfg.layers; ++n)
    if (cfg.layers % n == 0 &&
        llvm::all_of(llvm::seq<int64_t>(0, cfg.layers),
                     [&](int64_t l) { return sharedSource[l] == l % n; })) {
      module->setAttr("xf.layer_cycle",
                      builder.getDenseI64ArrayAttr({n, cfg.layers / n}));
      break;
    }
}

/// Whether every tensor of layer `l` has the bytes of layer `earlier`'s of
/// the same name (their signatures, hence names, types and shapes, agree).
bool Importer::sameTensors(int64_t earlier, int64_t l) {
  std::string prefix = "blk." + std::to_string(l) + ".";
  std::string other = "blk." + std::to_string(earlier) + ".";
  for (const TensorInfo &t : file.tensors()) {
    if (t.name.substr(0, prefix.size()) != prefix)
      continue;
    const TensorInfo *e =
        file.findTensor(other + std::string(t.name.substr(prefix.size())));
    if (!e || e->numBytes != t.numBytes ||
        std::memcmp(e->data, t.data, t.numBytes) != 0)
      return false;
  }
  return true;
}

/// Arguments of a layer function before its weights.
constexpr unsigned kLayerWeightArgs = 4;

/// Builds `func.func private @name(x, positions, position, cache,
/// weights...) -> x` from layer `layer`'s subgraph.
func::FuncOp Importer::buildLayerFunction(int64_t layer, StringRef name,
                                          Type cacheType) {
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(forward);
  auto ids = RankedTensorType::get({kDyn}, builder.getI32Type());
  SmallVector<Type> inputs = {act(cfg.dim), ids, builder.getIndexType(),
                              cacheType};
  auto fn = func::FuncOp::create(builder, loc(name), name,
                                 builder.getFunctionType(inputs, act(cfg.dim)));
  fn.setPrivate();
  // Kept out of line: one copy of the code serves every layer.
  fn.setNoInline(true);
  layerBlock = fn.addEntryBlock();
  builder.setInsertionPointToEnd(layerBlock);
  templateLayer = layer;
  layerWeights.clear();
  Value savedPositions = positions, savedPosition = position;
  positions = layerBlock->getArgument(1);
  position = layerBlock->getArgument(2);
  cache = layerBlock->getArgument(3);
  Value x = layerBlock->getArgument(0);
  x = add(x, attentionBlock(x, layer));
  if (!failed())
    x = add(x, ffnBlock(x, layer));
  if (!failed())
    func::ReturnOp::create(builder, loc(name), x);
  fn.setType(
      builder.getFunctionType(layerBlock->getArgumentTypes(), act(cfg.dim)));
  // Each weight argument names its tensor relative to the layer prefix;
  // as an argument attribute it stays right when passes change arguments.
  for (auto [i, suffix] : llvm::enumerate(layerWeights))
    fn.setArgAttr(kLayerWeightArgs + i, "xf.weight",
                  builder.getStringAttr(suffix));
  templateLayer = -1;
  positions = savedPositions, position = savedPosition;
  return fn;
}

/// Loads layer `layer`'s weights in the shared function's argument order
/// and calls it.
Value Importer::callLayer(func::FuncOp layerFn, int64_t layer, Value x,
                          Value layerCache, Value positionsArg,
                          Value positionArg) {
  SmallVector<Value> args = {x, positionsArg, positionArg, layerCache};
  // A shared layer passes its source layer's weights.
  std::string prefix = "blk." + std::to_string(sharedSource[layer]) + ".";
  for (unsigned i = kLayerWeightArgs; i < layerFn.getNumArguments(); ++i) {
    auto suffix = layerFn.getArgAttrOfType<StringAttr>(i, "xf.weight");
    std::string tensorName = prefix + suffix.getValue().str();
    const TensorInfo *info = file.findTensor(tensorName);
    if (!info) {
      error = file.path() + ": missing tensor " + file.tensorLabel(tensorName);
      return {};
    }
    // As stored: the layer function requantizes what needs it.
    args.push_back(storedWeight(tensorName, info->shape()));
    if (failed())
      return {};
  }
  return func::CallOp::create(builder,
                              loc("blk." + std::to_string(layer) + ".layer"),
                              layerFn, args)
      .getResult(0);
}

OwningOpRef<ModuleOp> Importer::run(const ImportOptions &options) {
  int64_t maxContext = options.maxContext;
  ctx.loadDialect<xf::XFDialect, func::FuncDialect, arith::ArithDialect,
                  tensor::TensorDialect>();
  OwningOpRef<ModuleOp> owned = ModuleOp::create(fileLoc);
  module = *owned;
  module->setAttr("xf.architecture",
                  builder.getStringAttr(gguf::architectureName(cfg.arch)));
  builder.setInsertionPointToStart(module.getBody());
  findSharedLayers(options.shareLayers);

  int64_t context = maxContext > 0 ? maxContext : cfg.context;
  auto ids = RankedTensorType::get({kDyn}, builder.getI32Type());
  SmallVector<Type> inputs = {ids, ids, builder.getIndexType()};
  auto cacheType = xf::KVCacheType::get(&ctx, context, cfg.kvHeads, cfg.headDim,
                                        builder.getF32Type());
  inputs.append(cfg.layers, cacheType);
  forward =
      func::FuncOp::create(builder, fileLoc, "forward",
                           builder.getFunctionType(inputs, {act(cfg.vocab)}));
  Block *body = forward.addEntryBlock();
  SmallVector<DictionaryAttr> argNames;
  auto named = [&](StringRef n) {
    return builder.getDictionaryAttr(
        builder.getNamedAttr("xf.name", builder.getStringAttr(n)));
  };
  argNames = {named("tokens"), named("positions"), named("position")};
  for (int64_t l = 0; l < cfg.layers; ++l)
    argNames.push_back(named("cache." + std::to_string(l)));
  forward.setAllArgAttrs(argNames);
  Value forwardPositions = body->getArgument(1);
  Value forwardPosition = body->getArgument(2);
  positions = forwardPositions;

  builder.setInsertionPointToEnd(body);
  Value table = weight("token_embd.weight", {cfg.vocab, cfg.dim});
  if (failed())
    return nullptr;
  Value x = xf::EmbeddingOp::create(builder, loc("token_embd"), act(cfg.dim),
                                    table, body->getArgument(0));
  if (cfg.arch == Architecture::GPT2) {
    Value posTable = weight("position_embd.weight", {cfg.context, cfg.dim});
    if (failed())
      return nullptr;
    x = add(x, xf::EmbeddingOp::create(builder, loc("position_embd"),
                                       act(cfg.dim), posTable, positions));
  }
  // One function per distinct layer signature, called once per layer, so
  // code size and compile time do not grow with the layer count.
  llvm::StringMap<func::FuncOp> layerFunctions;
  for (int64_t l = 0; l < cfg.layers && !failed(); ++l) {
    std::string signature = layerSignature(l);
    func::FuncOp &fn = layerFunctions[signature];
    if (!fn) {
      std::string name = "layer";
      if (layerFunctions.size() > 1)
        name += "." + std::to_string(layerFunctions.size() - 1);
      fn = buildLayerFunction(l, name, cacheType);
      builder.setInsertionPointToEnd(body);
    }
    if (!failed())
      x = callLayer(fn, l, x, body->getArgument(3 + l), forwardPositions,
                    forwardPosition);
  }
  if (failed())
    return nullptr;
  Value h = norm(x, "output_norm");
  // Without output.weight the embedding table doubles as the LM head.
  Value head = optionalWeight("output.weight", {cfg.vocab, cfg.dim});
  if (!head && !failed())
    head = table;
  Value logits = linear(h, head, Value(), cfg.vocab);
  if (failed())
    return nullptr;
  func::ReturnOp::create(builder, fileLoc, logits);

  if (mlir::failed(verify(module))) {
    error = file.path() + ": internal error: the imported graph does not "
                          "verify";
    return nullptr;
  }
  return owned;
}

} // namespace

OwningOpRef<ModuleOp> xfc::importModel(const ModelSource &source,
                                       MLIRContext &context,
                                       const ImportOptions &options,
                                       std::string &error,
                                       std::vector<std::string> &warnings) {
  const ModelConfig &config = source.config();
  if (options.maxContext < 0) {
    error = "the context length must be positive";
    return nullptr;
  }
  // Learned positions end with their table: past it there is no embedding.
  if (config.arch == Architecture::GPT2 &&
      options.maxContext > config.context) {
    error = "a context of " + std::to_string(options.maxContext) +
            " exceeds the " + std::to_string(config.context) +
            " positions position_embd.weight has";
    return nullptr;
  }
  // Past its window, sliding-window attention differs from the full
  // attention XFC computes; the cache stops at the window.
  if (config.slidingWindow > 0) {
    int64_t length =
        options.maxContext > 0 ? options.maxContext : config.context;
    if (length > config.slidingWindow) {
      if (options.maxContext > 0) {
        error = source.path() + ": a context of " + std::to_string(length) +
                " exceeds the model's sliding window of " +
                std::to_string(config.slidingWindow) +
                " tokens, which XFC does not implement";
        return nullptr;
      }
      warnings.push_back(source.path() +
                         ": the context is limited to the "
                         "sliding window of " +
                         std::to_string(config.slidingWindow) + " tokens");
      ImportOptions windowed = options;
      windowed.maxContext = config.slidingWindow;
      return Importer(source, context, error, warnings).run(windowed);
    }
  }
  return Importer(source, context, error, warnings).run(options);
}
