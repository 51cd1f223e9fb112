//===- AdapterImporter.cpp - Adapters as side branches in xf IR -----------===//

#include "xfc/Frontends/AdapterImporter.h"

#include "xfc/Dialect/XF/IR/XFDialect.h"
#include "xfc/Frontends/Adapters/GgufLoraAdapter.h"
#include "xfc/Frontends/Adapters/KronaBranches.h"
#include "xfc/Frontends/GGUF/ModelConfig.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/bit.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>

using namespace mlir;
using namespace xfc;
namespace ad = xfc::adapters;

namespace {

using Kind = AdapterSpec::Kind;

const char *optionFor(Kind kind) {
  return kind == Kind::LoRA   ? "--lora"
         : kind == Kind::LoKr ? "--lokr"
                              : "--krona-ffn";
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
  Kind kind =
      adapter && adapter->kind == ad::DeltaKind::LoRA ? Kind::LoRA : Kind::LoKr;
  if (adapter && kind != spec.kind) {
    error = spec.path + ": a " + (kind == Kind::LoRA ? "LoRA" : "LoKr") +
            " adapter; pass it with " + optionFor(kind);
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

/// What attaching does at each projection that reads the adapted weight,
/// with the values (`payload`) it needs there.
struct Attachment {
  enum Kind { SideBranch, KronaBranch } kind = SideBranch;
  float scale = 1.0f;            // KronaBranch
  std::optional<float> residual; // KronaBranch
  /// Calls whose attachments have equal keys share a specialized callee:
  /// the kind and the exact bits of the scales.
  std::string key() const {
    if (kind == SideBranch)
      return "delta";
    auto bits = [](float f) {
      return std::to_string(llvm::bit_cast<uint32_t>(f));
    };
    return "krona " + bits(scale) + " " + (residual ? bits(*residual) : "-");
  }
};

/// A call that passes adapted weights: per operand, the payload and what
/// the callee does with it.
struct AdaptedCall {
  func::CallOp call;
  struct Entry {
    unsigned index;
    SmallVector<Value> payload;
    Attachment what;
  };
  SmallVector<Entry> entries;
};

/// The input of the FFN block whose second GEMM is `down`: the input of the
/// first projection found behind down's input (the up or gate projection,
/// through the activation and the gating product).
Value ffnInput(xf::LinearOp down) {
  SmallVector<Value> work = {down.getInput()};
  for (int steps = 0; !work.empty() && steps < 16; ++steps) {
    Operation *def = work.front().getDefiningOp();
    work.erase(work.begin());
    if (!def)
      continue;
    if (auto linear = dyn_cast<xf::LinearOp>(def))
      return linear.getInput();
    work.append(def->operand_begin(), def->operand_end());
  }
  return {};
}

class Attacher {
public:
  Attacher(ModuleOp module) : module(module), symbols(module) {}

  /// Attaches `what` at every projection that reads `weight`, directly or
  /// through calls (recorded, and specialized by specializeCalls).
  LogicalResult adaptUses(Value weight,
                          llvm::function_ref<SmallVector<Value>()> payload,
                          const Attachment &what, StringRef target,
                          std::string &error) {
    for (OpOperand &use : llvm::make_early_inc_range(weight.getUses())) {
      Operation *user = use.getOwner();
      if (auto linear = dyn_cast<xf::LinearOp>(user);
          linear && &use == &linear.getWeightMutable()) {
        if (failed(attach(linear, payload(), what, target, error)))
          return failure();
        continue;
      }
      // The importer re-encodes some weights (K-quants to Q8_0) on their
      // way to the projection: the adapter goes where they arrive.
      if (isa<xf::QuantizeOp, xf::ConvertOp, xf::DequantizeOp>(user)) {
        if (failed(adaptUses(user->getResult(0), payload, what, target, error)))
          return failure();
        continue;
      }
      if (auto call = dyn_cast<func::CallOp>(user)) {
        AdaptedCall &entry = pending[call];
        entry.call = call;
        entry.entries.push_back({use.getOperandNumber(), payload(), what});
        continue;
      }
      error = "tensor '" + target.str() + "' is read by '" +
              user->getName().getStringRef().str() +
              "', not as a projection's weight: an adapter cannot change it";
      return failure();
    }
    return success();
  }

  /// Passes the payloads of the pending calls into specialized copies of
  /// their callees, which attach them, until no call is left.
  LogicalResult specializeCalls(std::string &error) {
    while (!pending.empty()) {
      // Calls of one callee with the same attachments share a copy.
      std::map<std::pair<std::string, std::string>, SmallVector<AdaptedCall>>
          groups;
      for (auto &[op, adapted] : pending) {
        llvm::stable_sort(adapted.entries,
                          [](auto &a, auto &b) { return a.index < b.index; });
        // ...and the payload's types, which become the copy's arguments.
        std::string key;
        llvm::raw_string_ostream os(key);
        for (const AdaptedCall::Entry &e : adapted.entries) {
          os << e.index << ":" << e.what.key();
          for (Value v : e.payload)
            os << " " << v.getType();
          os << ";";
        }
        groups[{adapted.call.getCallee().str(), key}].push_back(adapted);
      }
      pending.clear();
      for (auto &[key, calls] : groups)
        if (failed(specialize(key.first, calls, error)))
          return failure();
      // Callees every call now bypasses, erased once no group of this round
      // can still refer to calls inside them.
      for (func::FuncOp callee : bypassed)
        if (SymbolTable::symbolKnownUseEmpty(callee, module))
          callee.erase();
      bypassed.clear();
    }
    return success();
  }

private:
  LogicalResult attach(xf::LinearOp linear, ArrayRef<Value> payload,
                       const Attachment &what, StringRef target,
                       std::string &error) {
    OpBuilder b(linear->getContext());
    b.setInsertionPointAfter(linear);
    Location loc = linear.getLoc();
    Value branch;
    if (what.kind == Attachment::SideBranch) {
      branch = xf::LinearOp::create(b, loc, linear.getType(), linear.getInput(),
                                    payload[0], Value());
    } else {
      Value input = ffnInput(linear);
      if (!input) {
        error = "tensor '" + target.str() +
                "' is not the second GEMM of an FFN block whose input a "
                "KronA^B branch can read";
        return failure();
      }
      if (input.getType() != linear.getType()) {
        error = "the FFN block of '" + target.str() +
                "' changes the width; a KronA^B branch needs it kept";
        return failure();
      }
      FloatAttr residual =
          what.residual ? b.getF32FloatAttr(*what.residual) : FloatAttr();
      branch = xf::KronLinearOp::create(
          b, loc, linear.getType(), input, payload[0], payload[1],
          b.getF32FloatAttr(what.scale), residual);
    }
    auto sum =
        xf::AddOp::create(b, loc, linear.getType(), linear.getResult(), branch);
    linear.getResult().replaceAllUsesExcept(sum, sum);
    return success();
  }

  LogicalResult specialize(const std::string &calleeName,
                           ArrayRef<AdaptedCall> calls, std::string &error) {
    auto callee = symbols.lookup<func::FuncOp>(calleeName);
    if (!callee || callee.isExternal()) {
      error = "@" + calleeName + " receives an adapted weight but has no body";
      return failure();
    }
    func::FuncOp copy = callee.clone();
    copy.setSymName(calleeName + ".adapted");
    symbols.insert(copy, Block::iterator(callee->getNextNode())); // renames
    OpBuilder b(copy.getContext());
    for (const AdaptedCall::Entry &entry : calls.front().entries) {
      auto base = copy.getArgAttrOfType<StringAttr>(entry.index, "xf.weight");
      std::string baseName = base ? base.str() : "weight";
      SmallVector<Value> args;
      for (auto [i, value] : llvm::enumerate(entry.payload)) {
        unsigned index = copy.getNumArguments();
        NamedAttribute name(
            b.getStringAttr("xf.weight"),
            b.getStringAttr(
                baseName + ".adapter" +
                (entry.payload.size() > 1 ? "." + std::to_string(i) : "")));
        if (failed(copy.insertArgument(index, value.getType(),
                                       b.getDictionaryAttr(name),
                                       copy.getLoc())))
          return failure();
        args.push_back(copy.getArgument(index));
      }
      if (failed(adaptUses(
              copy.getArgument(entry.index), [&] { return args; }, entry.what,
              baseName, error)))
        return failure();
    }
    for (const AdaptedCall &adapted : calls) {
      func::CallOp call = adapted.call;
      call.setCallee(copy.getSymName());
      for (const AdaptedCall::Entry &entry : adapted.entries)
        call->insertOperands(call->getNumOperands(), entry.payload);
    }
    bypassed.insert(callee);
    return success();
  }

  ModuleOp module;
  SymbolTable symbols;
  llvm::MapVector<Operation *, AdaptedCall> pending;
  llvm::SetVector<func::FuncOp> bypassed;
};

} // namespace

namespace {

std::optional<AdapterSpec> parseAdapterSpec(const std::string &text, Kind kind,
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
                              const std::vector<std::string> &kronaFfn,
                              std::vector<AdapterSpec> &specs,
                              std::string &error) {
  for (auto [values, kind] :
       {std::pair(&lora, Kind::LoRA), std::pair(&lokr, Kind::LoKr),
        std::pair(&kronaFfn, Kind::KronaFfn)})
    for (const std::string &text : *values) {
      std::optional<AdapterSpec> spec = parseAdapterSpec(text, kind, error);
      if (!spec)
        return false;
      specs.push_back(*spec);
    }
  return true;
}

LogicalResult xfc::attachAdapters(ModuleOp module, const ModelSource &model,
                                  const std::vector<AdapterSpec> &specs,
                                  AdapterTensors &tensors, std::string &error) {
  if (specs.empty())
    return success();
  const gguf::ModelConfig *config = &model.config();
  std::string architecture = gguf::architectureName(config->arch);
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  Type f32 = b.getF32Type();
  SymbolTable symbols(module);

  // Declares an adapter's factor as an f32 weight.
  auto declare = [&](const std::string &name, ad::Matrix &m,
                     RankedTensorType &type) -> bool {
    if (symbols.lookup(name)) {
      error = "weight '" + name + "' is declared twice";
      return false;
    }
    type = RankedTensorType::get({m.rows, m.cols}, f32);
    b.setInsertionPointToStart(module.getBody());
    symbols.insert(xf::GlobalWeightOp::create(
        b, module.getLoc(), b.getStringAttr(name), b.getStringAttr("private"),
        TypeAttr::get(type)));
    tensors[name] = std::move(m);
    return true;
  };

  // The deltas on each tensor, in the order the adapters were given, and
  // the KronA^B branches by the FFN's second GEMM.
  std::map<std::string, SmallVector<FactoredDelta>> byTarget;
  struct Branch {
    std::string a, b;
    RankedTensorType aType, bType;
    Attachment what;
  };
  std::map<std::string, Branch> branches;
  for (size_t i = 0; i < specs.size(); ++i) {
    const AdapterSpec &spec = specs[i];
    std::string prefix = "adapter" + std::to_string(i) + ".";
    if (spec.kind == Kind::KronaFfn) {
      std::optional<std::vector<ad::KronaBranch>> loaded =
          ad::loadKronaBranches(spec.path, error);
      if (!loaded)
        return failure();
      for (ad::KronaBranch &k : *loaded) {
        std::string layer = "blk." + std::to_string(k.layer);
        std::string target = layer + ".ffn_down.weight";
        auto fail = [&](const std::string &why) {
          error = spec.path + ": " + layer + ".ffn_krona: " + why;
          return failure();
        };
        auto global = symbols.lookup<xf::GlobalWeightOp>(target);
        if (!global)
          return fail("the model has no FFN block '" + target + "'");
        int64_t width = xf::getWeightShape(global.getType())[0];
        if (k.a.rows * k.b.rows != width || k.a.cols * k.b.cols != width)
          return fail("a " + shapeString({k.a.rows, k.a.cols}) + " ⊗ b " +
                      shapeString({k.b.rows, k.b.cols}) + " is not [" +
                      std::to_string(width) + ", " + std::to_string(width) +
                      "], the model's width");
        if (branches.count(target))
          return fail("a second KronA^B branch on one FFN block");
        Branch branch;
        branch.what.kind = Attachment::KronaBranch;
        branch.what.scale = k.scale * spec.scale;
        if (k.residual)
          branch.what.residual = *k.residual * spec.scale;
        branch.a = prefix + layer + ".ffn_krona.a";
        branch.b = prefix + layer + ".ffn_krona.b";
        if (!declare(branch.a, k.a, branch.aType) ||
            !declare(branch.b, k.b, branch.bType))
          return failure();
        branches[target] = std::move(branch);
      }
      continue;
    }
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
      // llama.cpp's LoRA converter permutes Q/K rows for GGUF llama's
      // RoPE; a base that keeps HF's order (a checkpoint directory) would
      // get its rows crossed.
      if (config->arch == gguf::Architecture::Llama &&
          !config->ropeAdjacentPairs && startsWithGgufMagic(spec.path) &&
          (d.target.find(".attn_q.") != std::string::npos ||
           d.target.find(".attn_k.") != std::string::npos))
        return fail("a GGUF LoRA keeps llama's Q/K rows in GGUF's permuted "
                    "order, but this base (" +
                    model.path() + ") keeps HF's; use the adapter's PEFT form");
      ArrayRef<int64_t> shape = xf::getWeightShape(global.getType());
      if (shape.size() != 2 || shape[0] != d.rows() || shape[1] != d.cols())
        return fail("its delta is " + shapeString({d.rows(), d.cols()}) +
                    " but tensor '" + d.target + "' is " + shapeString(shape));
      FactoredDelta f;
      f.kind = d.kind;
      f.scale = d.scale * spec.scale;
      bool lora = d.kind == ad::DeltaKind::LoRA;
      f.first = prefix + d.target + (lora ? ".lora_b" : ".lokr_w1");
      f.second = prefix + d.target + (lora ? ".lora_a" : ".lokr_w2");
      // GGUF llama keeps Q and K rows in its RoPE order; qwen2 and HF
      // checkpoints do not.
      if (d.permuteRope && config->ropeAdjacentPairs) {
        bool isKey = d.target.find("attn_k") != std::string::npos;
        f.ropeHeads = isKey ? config->kvHeads : config->heads;
        if (f.ropeHeads <= 0 || d.rows() % (2 * f.ropeHeads) != 0)
          return fail("its " + std::to_string(d.rows()) +
                      " rows are not whole heads of " +
                      std::to_string(f.ropeHeads));
      }
      if (!declare(f.first, d.first, f.firstType) ||
          !declare(f.second, d.second, f.secondType))
        return fail(error);
      byTarget[d.target].push_back(std::move(f));
    }
  }

  // Each load of an adapted weight: KronA^B branches first, so that a LoRA
  // side branch on the same GEMM stays next to it, where it folds.
  Attacher attacher(module);
  // The loads of each weight, found in one walk (the importer's loads; the
  // factor loads added below are never adapted themselves).
  llvm::StringMap<SmallVector<xf::WeightOp>> loadsByName;
  module.walk(
      [&](xf::WeightOp load) { loadsByName[load.getName()].push_back(load); });
  auto loadsOf = [&](StringRef target) { return loadsByName.lookup(target); };
  for (auto &[target, branch] : branches)
    for (xf::WeightOp load : loadsOf(target)) {
      SmallVector<Value> payload; // the factors, loaded next to the weight
      auto getPayload = [&]() {
        if (payload.empty()) {
          OpBuilder at(load);
          at.setInsertionPointAfter(load);
          payload = {
              xf::WeightOp::create(at, load.getLoc(), branch.aType, branch.a),
              xf::WeightOp::create(at, load.getLoc(), branch.bType, branch.b)};
        }
        return payload;
      };
      if (failed(
              attacher.adaptUses(load, getPayload, branch.what, target, error)))
        return failure();
    }
  for (auto &[target, deltas] : byTarget) {
    auto global = symbols.lookup<xf::GlobalWeightOp>(target);
    auto type =
        RankedTensorType::get(xf::getWeightShape(global.getType()), f32);
    for (xf::WeightOp load : loadsOf(target)) {
      Value delta; // built once per load, next to it
      auto getDelta = [&]() -> SmallVector<Value> {
        if (!delta) {
          OpBuilder at(load);
          at.setInsertionPointAfter(load);
          delta = buildDelta(at, load.getLoc(), type, deltas);
        }
        return {delta};
      };
      if (failed(
              attacher.adaptUses(load, getDelta, Attachment(), target, error)))
        return failure();
    }
  }
  return attacher.specializeCalls(error);
}
