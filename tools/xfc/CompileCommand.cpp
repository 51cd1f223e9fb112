//===- CompileCommand.cpp - xfc compile -----------------------------------===//
//
// Imports a model and compiles it to the stage --emit names.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Compiler.h"

#include "xfrt/ModelABI.h"

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("compile", "Compile a model to a native .so");
cl::opt<std::string> input(cl::Positional,
                           cl::desc("<model.gguf | hf-checkpoint-dir | "
                                    "graph.onnx>"),
                           cl::Required, cl::sub(command));
cl::opt<std::string> output("o", cl::desc("Output file ('-' for stdout)"),
                            cl::value_desc("file"), cl::sub(command));
cl::opt<std::string> emit("emit",
                          cl::desc("Stage to emit: import (as imported), xf "
                                   "(after the graph passes), linalg, "
                                   "llvm-mlir, llvm-ir, asm, obj, so"),
                          cl::init("so"), cl::sub(command));
cl::opt<std::string> target("target",
                            cl::desc("CPU: native, x86-64-v3, x86-64-v4, "
                                     "sapphirerapids"),
                            cl::init("native"), cl::sub(command));
cl::opt<unsigned> optLevel("O", cl::desc("Optimization level (0-3)"),
                           cl::Prefix, cl::init(2), cl::sub(command));
cl::opt<bool> printAfterAll("print-ir-after-all",
                            cl::desc("Print the IR after every pass"),
                            cl::sub(command));
cl::list<std::string> printAfter("print-ir-after",
                                 cl::desc("Print the IR after this pass"),
                                 cl::value_desc("pass-arg"),
                                 cl::sub(command));
cl::opt<bool> timing("mlir-timing", cl::desc("Report the time of each pass"),
                     cl::sub(command));
cl::opt<int64_t> context("ctx",
                         cl::desc("KV-cache length (default: the model's "
                                  "context_length)"),
                         cl::init(0), cl::sub(command));

cl::opt<std::string> weightStorage(
    "weight-storage",
    cl::desc("Where the weights go: section (in the .so) or sidecar "
             "(<output>.weights)"),
    cl::init("section"), cl::sub(command));

cl::opt<std::string> weightFormat(
    "weights",
    cl::desc("GEMM weights: keep (as the file has them; the default), f16, "
             "bf16, int8 (Q8_0) or int4 (Q4_0, or Q4_1 with --asym); "
             "quantization rounds to nearest"),
    cl::init("keep"), cl::sub(command));
cl::opt<bool> asym("asym",
                   cl::desc("int4 weights with a per-group minimum (Q4_1)"),
                   cl::sub(command));
cl::opt<int64_t> groupSize(
    "group-size",
    cl::desc("Values per quantization scale: 32 (ggml's blocks), 64, 128 "
             "or another multiple of 32, or -1 for one per output row"),
    cl::init(32), cl::sub(command));
cl::opt<std::string> scaleType(
    "scale-type",
    cl::desc("Type of the quantization scales (and --asym minimums): f16 "
             "(ggml's; the default) or f32"),
    cl::init("f16"), cl::sub(command));
cl::opt<std::string> quantMethod(
    "quant-method",
    cl::desc("How --weights int8|int4 chooses each group's levels: rtn "
             "(round to nearest, ggml's; the default), mse (RTN or a clipped "
             "scale, whichever has the smaller squared error), or a method a "
             "plugin registers"),
    cl::init("rtn"), cl::sub(command));
cl::list<std::string> keepWeights(
    "keep-weights",
    cl::desc("Weights --weights leaves alone: substrings of their names "
             "(output.weight, attn_v, ...), comma-separated or repeated"),
    cl::CommaSeparated, cl::sub(command));

cl::opt<std::string> compute(
    "compute",
    cl::desc("GEMM arithmetic: int8 (the default: GEMMs with quantized "
             "weights take dynamic INT8 activations, per token in the "
             "weights' groups), bf16 (GEMMs with bf16 weights round "
             "activations to bf16: vdpbf16ps, AMX-BF16) or f32"),
    cl::init("int8"), cl::sub(command));

cl::opt<std::string> kernels(
    "kernels",
    cl::desc("Library of the GEMMs: generated (XFC's microkernels; the "
             "default for models), onednn (oneDNN for every GEMM it can "
             "compute: f32 compute, float weights) or auto (oneDNN where it "
             "is measured faster; the default for ONNX graphs when xfc has "
             "oneDNN); --emit=xf shows the choice as `backend onednn`"),
    cl::init(""), cl::sub(command));

cl::list<std::string> inputShape(
    "input-shape",
    cl::desc("ONNX graphs: the shape of an input whose dimensions are "
             "symbolic, as name=1x128 (repeatable)"),
    cl::value_desc("name=DxD..."), cl::sub(command));
cl::list<std::string> disablePass(
    "disable-pass",
    cl::desc("Leave a pass of the graph pipeline, or an optional lowering "
             "pass, out (repeatable, or comma-separated), e.g. xf-fuse-mha "
             "or xf-pack-weights"),
    cl::value_desc("pass"), cl::CommaSeparated, cl::sub(command));

cl::list<std::string> loras(
    "lora",
    cl::desc("Fold a LoRA adapter into the weights: a PEFT directory "
             "(adapter_config.json, adapter_model.safetensors) or a llama.cpp "
             "GGUF LoRA file, with an optional scale multiplying the "
             "adapter's own (PATH:0.5); repeatable"),
    cl::value_desc("path[:scale]"), cl::sub(command));
cl::list<std::string>
    lokrs("lokr",
          cl::desc("Fold a PEFT LoKr (Kronecker) adapter into the weights, as "
                   "--lora; repeatable"),
          cl::value_desc("dir[:scale]"), cl::sub(command));
cl::list<std::string> kronas(
    "krona-ffn",
    cl::desc("Add KronA^B side branches to the FFN blocks (safetensors "
             "blk.<i>.ffn_krona.a/.b[/.residual]; see docs/adapters.md), with "
             "an optional scale of their output; repeatable"),
    cl::value_desc("file[:scale]"), cl::sub(command));
cl::opt<std::string> kronBranches(
    "kron-branches",
    cl::desc("How KronA^B branches are computed: auto (a cost model), "
             "factored (two small GEMMs in the cheaper order) or merged "
             "(appended along K to the FFN's second GEMM)"),
    cl::init("auto"), cl::sub(command));

cl::opt<double> sparsity(
    "sparsity",
    cl::desc("Prune each GEMM weight by magnitude to this fraction of zeros "
             "(0 to below 1; N:M patterns imply it)"),
    cl::init(0.0), cl::sub(command));
cl::opt<std::string> sparsityPattern(
    "sparsity-pattern",
    cl::desc("Which values pruning zeros: unstructured (the default), N:M "
             "(e.g. 2:4: N of every M kept along each row) or block:RxC "
             "(whole blocks, e.g. block:4x16)"),
    cl::init("unstructured"), cl::sub(command));
cl::list<std::string> sparsityExclude(
    "sparsity-exclude",
    cl::desc("Weights --sparsity leaves dense: substrings of their names "
             "(output.weight, ...), comma-separated or repeated"),
    cl::CommaSeparated, cl::sub(command));
cl::list<std::string> sparsityLayerLevels(
    "sparsity-layer-levels",
    cl::desc("Levels of their own for the weights whose names contain a "
             "substring: substring=level, comma-separated or repeated"),
    cl::CommaSeparated, cl::sub(command));

cl::opt<std::string> sparseKernels(
    "sparse-kernels",
    cl::desc("Sparse kernels for float GEMM weights with zeros (measured on "
             "the weights, pruned or as stored): auto (where a cost model "
             "predicts a faster decode), always (wherever the sparse panels "
             "are smaller) or never"),
    cl::init("auto"), cl::sub(command));

cl::opt<std::string> kvCache(
    "kv-cache",
    cl::desc("What the KV cache stores: f32 (the default), f16, bf16, or int8 "
             "(symmetric codes with one f32 scale per position and KV head)"),
    cl::init("f32"), cl::sub(command));

cl::opt<int64_t> sockets(
    "sockets",
    cl::desc("Split the attention and FFN blocks into this many shards "
             "(tensor parallelism, one per socket or MPI rank); the split "
             "shows in --emit=xf"),
    cl::init(1), cl::sub(command));

cl::opt<int64_t> batchRows(
    "batch-rows",
    cl::desc("Batch decode entry points for up to this many sequences per "
             "step (continuous batching, `xfc serve`); 0: none. Each row "
             "count is an entry point of its own: more rows cost compile "
             "time"),
    cl::init(4), cl::sub(command));

int run() {
  if (batchRows < 0 || batchRows > XFM_MAX_BATCH_ROWS)
    return fail("--batch-rows must be 0 to " +
                std::to_string(XFM_MAX_BATCH_ROWS));
  if (weightStorage != "section" && weightStorage != "sidecar")
    return fail("unknown --weight-storage '" + weightStorage +
                "' (expected section or sidecar)");
  // xf-quantize checks --weights, --asym, --group-size, --scale-type and
  // --compute,
  // xf-select-kernels --kernels, xf-convert-kv-cache --kv-cache.
  CompileRequest request;
  request.sidecarWeights = weightStorage == "sidecar";
  request.graph.weights = weightFormat;
  request.graph.asym = asym;
  request.graph.groupSize = groupSize;
  request.graph.scaleType = scaleType;
  request.graph.quantMethod = quantMethod;
  request.graph.keepWeights.assign(keepWeights.begin(), keepWeights.end());
  request.graph.compute = compute;
  request.graph.kernels = kernels;
  request.graph.sparseKernels = sparseKernels;
  request.graph.kronBranches = kronBranches;
  request.graph.kvCache = kvCache;
  request.graph.sockets = sockets;
  request.graph.batchRows = batchRows;
  request.graph.sparsityLevel = sparsity;
  request.graph.sparsityPattern = sparsityPattern;
  request.graph.sparsityExclude.assign(sparsityExclude.begin(),
                                       sparsityExclude.end());
  request.graph.sparsityLayerLevels.assign(sparsityLayerLevels.begin(),
                                           sparsityLayerLevels.end());
  request.input = input;
  request.inputShapes.assign(inputShape.begin(), inputShape.end());
  request.output = output;
  request.emit = emit;
  request.target = target;
  request.optLevel = optLevel;
  request.printAfterAll = printAfterAll;
  request.printAfter.assign(printAfter.begin(), printAfter.end());
  request.timing = timing;
  request.context = context;
  request.disabledPasses.assign(disablePass.begin(), disablePass.end());
  std::string error;
  if (!xfc::parseAdapterOptions(
          {loras.begin(), loras.end()}, {lokrs.begin(), lokrs.end()},
          {kronas.begin(), kronas.end()}, request.adapters, error))
    return fail(error);
  return compileModel(request);
}

RegisterCommand registration(command, run);

} // namespace
