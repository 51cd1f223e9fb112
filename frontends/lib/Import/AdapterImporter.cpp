//===- AdapterImporter.cpp - Adapters as side branches in xf IR -----------===//

#include "xfc/Frontends/AdapterImporter.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Frontends/Adapters/GgufLoraAdapter.h"
#include "xfc/Frontends/GGUF/ModelConfig.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>

using namespace mlir;
using namespace xfc;
namespace ad = xfc::adapters;

namespace {

const char *optionFor(ad::DeltaKind kind) {
  return kind == ad::DeltaKind::LoRA ? "--lora" : "--lokr";
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool startsWithGgufMagic(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string(magic, 4) == "GGUF";
}

std::unique_ptr<ad::Adapter> loadAdapter(const AdapterSpec &spec,
                                         const std::string &architecture,
                                         std::string &error) {
  std::unique_ptr<ad::Adapter> adapter =
      startsWithGgufMagic(spec.path)
          ? ad::loadGgufLoraAdapter(spec.path, architecture, error)
          : ad::loadPeftAdapter(spec.path, error);
  if (adapter && adapter->kind != spec.kind) {
    error = spec.path + ": a " +
            (adapter->kind == ad::DeltaKind::LoRA ? "LoRA" : "LoKr") +
            " adapter; pass it with " + optionFor(adapter->kind);
    return nullptr;
  }
  return adapter;
}

/// One adapter's delta on one weight, as the IR builds it from the factor
/// weights `first` and `second`.
struct FactoredDelta {
  ad::DeltaKind kind;
  std::string first, second;
  RankedTensorType firstType, secondType;
  float scale;
  /// Heads of the projection whose rows GGUF llama permutes for its RoPE
  /// convention; 0 when the rows stay as they are.
  int64_t ropeHeads = 0;
};

/// HF's rows of a Q/K projection in GGUF llama's order: within each head,
/// row i * (dh / 2) + j goes to row 2 j + i (rotation pairs interleaved
/// instead of split in halves), as llama.cpp's converter permutes them.
Value permuteForRope(OpBuilder &b, Location loc, Value delta, int64_t heads) {
  auto type = cast<RankedTensorType>(delta.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  int64_t half = rows / heads / 2;
  Type f32 = type.getElementType();
  Value split = xf::ReshapeOp::create(
      b, loc, RankedTensorType::get({heads, 2, half, cols}, f32), delta);
  Value swapped = xf::TransposeOp::create(
      b, loc, RankedTensorType::get({heads, half, 2, cols}, f32), split,
      b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  return xf::ReshapeOp::create(b, loc, type, swapped);
}

/// The sum of `deltas`, built at `b`'s insertion point.
Value buildDelta(OpBuilder &b, Location loc, RankedTensorType type,
                 ArrayRef<FactoredDelta> deltas) {
  Value sum;
  for (const FactoredDelta &d : deltas) {
    Value first = xf::WeightOp::create(b, loc, d.firstType, d.first);
    Value second = xf::WeightOp::create(b, loc, d.secondType, d.second);
    FloatAttr scale = b.getF32FloatAttr(d.scale);
    Value delta =
        d.kind == ad::DeltaKind::LoRA
            ? Value(xf::LoraDeltaOp::create(b, loc, type, first, second, scale))
            : Value(
                  xf::KronDeltaOp::create(b, loc, type, first, second, scale));
    if (d.ropeHeads)
      delta = permuteForRope(b, loc, delta, d.ropeHeads);
    sum = sum ? Value(xf::AddOp::create(b, loc, type, sum, delta)) : delta;
  }
  return sum;
}

/// A call that passes adapted weights: the operand indices and the delta
/// of each.
struct AdaptedCall {
  func::CallOp call;
  SmallVector<std::pair<unsigned, Value>> deltas;
};

class Attacher {
public:
  Attacher(ModuleOp module) : module(module), symbols(module) {}

  /// Adds a side branch with `delta` to every projection that reads
  /// `weight`, directly or through calls (recorded in `pending`).
  LogicalResult adaptUses(Value weight, llvm::function_ref<Value()> delta,
                          StringRef target, std::string &error) {
    for (OpOperand &use : llvm::make_early_inc_range(weight.getUses())) {
      Operation *user = use.getOwner();
      if (auto linear = dyn_cast<xf::LinearOp>(user);
          linear && &use == &linear.getWeightMutable()) {
        addSideBranch(linear, delta());
        continue;
      }
      if (auto call = dyn_cast<func::CallOp>(user)) {
        AdaptedCall &entry = pending[call];
        entry.call = call;
        entry.deltas.push_back({use.getOperandNumber(), delta()});
        continue;
      }
      error = "tensor '" + target.str() + "' is read by '" +
              user->getName().getStringRef().str() +
              "', not as a projection's weight: an adapter cannot change it";
      return failure();
    }
    return success();
  }

  /// Passes the deltas of the pending calls into specialized copies of
  /// their callees, which add the side branches, until no call is left.
  LogicalResult specializeCalls(std::string &error) {
    while (!pending.empty()) {
      // Calls of one callee with deltas for the same arguments share a copy.
      std::map<std::pair<std::string, SmallVector<unsigned>>,
               SmallVector<AdaptedCall>>
          groups;
      for (auto &[op, entry] : pending) {
        llvm::sort(entry.deltas, llvm::less_first());
        SmallVector<unsigned> indices;
        for (auto &[index, delta] : entry.deltas)
          indices.push_back(index);
        groups[{entry.call.getCallee().str(), indices}].push_back(entry);
      }
      pending.clear();
      for (auto &[key, calls] : groups)
        if (failed(specialize(key.first, key.second, calls, error)))
          return failure();
    }
    return success();
  }

private:
  void addSideBranch(xf::LinearOp linear, Value delta) {
    OpBuilder b(linear->getContext());
    b.setInsertionPointAfter(linear);
    Location loc = linear.getLoc();
    Value branch = xf::LinearOp::create(b, loc, linear.getType(),
                                        linear.getInput(), delta, Value());
    auto sum =
        xf::AddOp::create(b, loc, linear.getType(), linear.getResult(), branch);
    linear.getResult().replaceAllUsesExcept(sum, sum);
  }

  LogicalResult specialize(const std::string &calleeName,
                           ArrayRef<unsigned> indices,
                           ArrayRef<AdaptedCall> calls, std::string &error) {
    auto callee = symbols.lookup<func::FuncOp>(calleeName);
    if (!callee || callee.isExternal()) {
      error = "@" + calleeName + " receives an adapted weight but has no body";
      return failure();
    }
    func::FuncOp copy = callee.clone();
    copy.setSymName(calleeName + ".adapted");
    symbols.insert(copy, Block::iterator(callee->getNextNode())); // renames
    for (unsigned index : indices) {
      unsigned deltaIndex = copy.getNumArguments();
      auto base = copy.getArgAttrOfType<StringAttr>(index, "xf.weight");
      OpBuilder b(copy.getContext());
      NamedAttribute name(
          b.getStringAttr("xf.weight"),
          b.getStringAttr((base ? base.str() : "weight") + ".adapter"));
      Type deltaType = llvm::find_if(calls.front().deltas, [&](auto &d) {
                         return d.first == index;
                       })->second.getType();
      if (failed(copy.insertArgument(deltaIndex, deltaType,
                                     b.getDictionaryAttr(name), copy.getLoc())))
        return failure();
      Value arg = copy.getArgument(deltaIndex);
      if (failed(adaptUses(
              copy.getArgument(index), [&] { return arg; },
              base ? base.getValue() : StringRef("a weight"), error)))
        return failure();
    }
    for (const AdaptedCall &adapted : calls) {
      func::CallOp call = adapted.call;
      call.setCallee(copy.getSymName());
      for (auto &[index, delta] : adapted.deltas)
        call->insertOperands(call->getNumOperands(), delta);
    }
    if (SymbolTable::symbolKnownUseEmpty(callee, module))
      callee.erase();
    return success();
  }

  ModuleOp module;
  SymbolTable symbols;
  llvm::MapVector<Operation *, AdaptedCall> pending;
};

} // namespace

namespace {

std::optional<AdapterSpec> parseAdapterSpec(const std::string &text,
                                            ad::DeltaKind kind,
                                            std::string &error) {
  AdapterSpec spec;
  spec.kind = kind;
  spec.path = text;
  if (size_t colon = text.rfind(':'); colon != std::string::npos) {
    std::string tail = text.substr(colon + 1);
    char *end = nullptr;
    errno = 0;
    float scale = std::strtof(tail.c_str(), &end);
    if (!tail.empty() && end == tail.c_str() + tail.size()) {
      if (errno != 0 || !std::isfinite(scale)) {
        error = std::string(optionFor(kind)) + " " + text + ": scale '" + tail +
                "' is not a finite number";
        return std::nullopt;
      }
      spec.path = text.substr(0, colon);
      spec.scale = scale;
    }
  }
  if (spec.path.empty()) {
    error = std::string(optionFor(kind)) + " " + text + ": no adapter path";
    return std::nullopt;
  }
  return spec;
}

} // namespace

bool xfc::parseAdapterOptions(const std::vector<std::string> &lora,
                              const std::vector<std::string> &lokr,
                              std::vector<AdapterSpec> &specs,
                              std::string &error) {
  for (auto [values, kind] : {std::pair(&lora, ad::DeltaKind::LoRA),
                              std::pair(&lokr, ad::DeltaKind::LoKr)})
    for (const std::string &text : *values) {
      std::optional<AdapterSpec> spec = parseAdapterSpec(text, kind, error);
      if (!spec)
        return false;
      specs.push_back(*spec);
    }
  return true;
}

LogicalResult xfc::attachAdapters(ModuleOp module, const gguf::File &file,
                                  const std::vector<AdapterSpec> &specs,
                                  AdapterTensors &tensors, std::string &error) {
  if (specs.empty())
    return success();
  std::optional<gguf::ModelConfig> config = gguf::readModelConfig(file, error);
  if (!config)
    return failure();
  std::string architecture = gguf::architectureName(config->arch);
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  Type f32 = b.getF32Type();
  SymbolTable symbols(module);

  // The deltas on each tensor, in the order the adapters were given.
  std::map<std::string, SmallVector<FactoredDelta>> byTarget;
  for (size_t i = 0; i < specs.size(); ++i) {
    const AdapterSpec &spec = specs[i];
    std::unique_ptr<ad::Adapter> adapter =
        loadAdapter(spec, architecture, error);
    if (!adapter)
      return failure();
    for (ad::WeightDelta &d : adapter->deltas) {
      auto fail = [&](const std::string &why) {
        error = spec.path + ": module '" + d.module + "': " + why;
        return failure();
      };
      auto global = symbols.lookup<xf::GlobalWeightOp>(d.target);
      if (!global)
        return fail("the model (" + architecture + ") has no tensor '" +
                    d.target +
                    "' to adapt; is the adapter for another "
                    "architecture or size?");
      ArrayRef<int64_t> shape = xf::getWeightShape(global.getType());
      if (shape.size() != 2 || shape[0] != d.rows() || shape[1] != d.cols())
        return fail("its delta is " + shapeString({d.rows(), d.cols()}) +
                    " but tensor '" + d.target + "' is " + shapeString(shape));
      FactoredDelta f;
      f.kind = d.kind;
      f.scale = d.scale * spec.scale;
      std::string prefix = "adapter" + std::to_string(i) + "." + d.target;
      bool lora = d.kind == ad::DeltaKind::LoRA;
      f.first = prefix + (lora ? ".lora_b" : ".lokr_w1");
      f.second = prefix + (lora ? ".lora_a" : ".lokr_w2");
      f.firstType = RankedTensorType::get({d.first.rows, d.first.cols}, f32);
      f.secondType = RankedTensorType::get({d.second.rows, d.second.cols}, f32);
      // GGUF llama keeps Q and K rows in its RoPE order; qwen2 does not.
      if (d.permuteRope && config->arch == gguf::Architecture::Llama) {
        bool isKey = d.target.find("attn_k") != std::string::npos;
        f.ropeHeads = isKey ? config->kvHeads : config->heads;
        if (f.ropeHeads <= 0 || d.rows() % (2 * f.ropeHeads) != 0)
          return fail("its " + std::to_string(d.rows()) +
                      " rows are not whole heads of " +
                      std::to_string(f.ropeHeads));
      }
      for (const std::string &name : {f.first, f.second})
        if (symbols.lookup(name))
          return fail("weight '" + name + "' is declared twice");
      b.setInsertionPointToStart(module.getBody());
      for (auto [name, type] :
           {std::pair(f.first, f.firstType), std::pair(f.second, f.secondType)})
        symbols.insert(xf::GlobalWeightOp::create(
            b, module.getLoc(), b.getStringAttr(name),
            b.getStringAttr("private"), TypeAttr::get(type)));
      tensors[f.first] = std::move(d.first);
      tensors[f.second] = std::move(d.second);
      byTarget[d.target].push_back(std::move(f));
    }
  }

  Attacher attacher(module);
  for (auto &[target, deltas] : byTarget) {
    auto global = symbols.lookup<xf::GlobalWeightOp>(target);
    auto type =
        RankedTensorType::get(xf::getWeightShape(global.getType()), f32);
    SmallVector<xf::WeightOp> loads;
    module.walk([&](xf::WeightOp load) {
      if (load.getName() == target)
        loads.push_back(load);
    });
    for (xf::WeightOp load : loads) {
      Value delta; // built once per load, next to it
      auto getDelta = [&]() -> Value {
        if (!delta) {
          OpBuilder at(load);
          at.setInsertionPointAfter(load);
          delta = buildDelta(at, load.getLoc(), type, deltas);
        }
        return delta;
      };
      if (failed(attacher.adaptUses(load, getDelta, target, error)))
        return failure();
    }
  }
  return attacher.specializeCalls(error);
}
