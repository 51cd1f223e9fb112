//===- AdapterImporter.h - Adapters as side branches in xf IR ---*- C++ -*-===//
//
// `xfc compile model.gguf --lora a:0.5 --lokr b` imports each adapter into
// the model's IR unfolded: the adapter's factors become f32 weights, its
// delta an `xf.lora_delta` or `xf.kron_delta` on them, and every projection
// it adapts gets a side branch, `linear(x, W) + linear(x, delta)`. The IR
// then says what the adapted model computes, the reference evaluator can
// run it as it is, and `xf-fold-adapters` folds each branch into its weight.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_ADAPTERIMPORTER_H
#define XFC_FRONTENDS_ADAPTERIMPORTER_H

#include "xfc/Frontends/Adapters/PeftAdapter.h"
#include "xfc/Frontends/ModelSource.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xfc {

/// An adapter named on the command line: `PATH[:SCALE]` after --lora (a
/// PEFT LoRA directory or a llama.cpp GGUF LoRA file), --lokr (a PEFT LoKr
/// directory) or --krona-ffn (KronA^B branches, KronaBranches.h). SCALE
/// multiplies the adapter's own scale (lora_alpha / r), or a branch's
/// output.
struct AdapterSpec {
  enum class Kind { LoRA, LoKr, KronaFfn };
  std::string path;
  float scale = 1.0f;
  Kind kind = Kind::LoRA;
};

/// Parses the values of --lora, --lokr and --krona-ffn, each
/// `PATH[:SCALE]`, into `specs` (in that order, each in the order given).
/// The scale is the text after the last ':' when it is a number, so paths
/// with colons work. Errors name the option.
bool parseAdapterOptions(const std::vector<std::string> &lora,
                         const std::vector<std::string> &lokr,
                         const std::vector<std::string> &kronaFfn,
                         std::vector<AdapterSpec> &specs, std::string &error);

/// The data of the factor weights attachAdapters declares, by weight name.
using AdapterTensors = std::map<std::string, adapters::Matrix>;

/// Loads the adapters of `specs` and adds them to `module`, as imported
/// from `file`, as side branches of the projections they adapt (KronA^B:
/// an `xf.kron_linear` from each FFN block's input, added to its output).
/// The factors are declared as external f32 weights named
/// `adapter<i>.<tensor>.<factor>`, whose values go into `tensors`. Layer
/// functions shared by layers with and without adapters are specialized.
/// On failure sets `error` to a message naming the adapter, the module and
/// the tensor at fault: a tensor the model does not have, a shape that
/// differs from the base weight's, an adapter of another architecture or
/// of the other kind.
mlir::LogicalResult attachAdapters(mlir::ModuleOp module,
                                   const ModelSource &model,
                                   const std::vector<AdapterSpec> &specs,
                                   AdapterTensors &tensors, std::string &error);

} // namespace xfc

#endif // XFC_FRONTENDS_ADAPTERIMPORTER_H
