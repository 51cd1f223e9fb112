//===- CompileCommand.cpp - xfc compile -----------------------------------===//
//
// Imports a model and compiles it. The stages after `xf` arrive with the
// lowering (issue #4); asking for them says so.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "xfc/Frontends/GGUFImporter.h"
#include "xfc/InitAll.h"
#include "xfc/Frontends/GGUF/ModelConfig.h"
#include "xfc/Frontends/GGUF/TensorData.h"
#include "xfc/Frontends/GGUF/Vocabulary.h"
#include "xfc/Lowering/ModelLinker.h"
#include "xfc/Lowering/Passes.h"
#include "xfc/Lowering/Target.h"
#include "xfrt/Tokenizer.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("compile", "Compile a model to a native .so");
cl::opt<std::string> input(cl::Positional, cl::desc("<model.gguf>"),
                           cl::Required, cl::sub(command));
cl::opt<std::string> output("o", cl::desc("Output file ('-' for stdout)"),
                            cl::value_desc("file"), cl::sub(command));
cl::opt<std::string> emit("emit",
                          cl::desc("Stage to emit: xf, linalg, llvm-mlir, "
                                   "llvm-ir, asm, obj, so"),
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

/// Writes the weights in the order and at the offsets `xf-bind-weights`
/// chose (module attribute `xf.weight_layout`), converting from the GGUF
/// encoding to each declared type.
bool writeWeightBlob(mlir::ModuleOp module, const xfc::gguf::File &file,
                     llvm::raw_ostream &os, std::string &error) {
  auto layout = module->getAttrOfType<mlir::ArrayAttr>("xf.weight_layout");
  if (!layout) {
    error = "the lowered module has no weight layout";
    return false;
  }
  uint64_t written = 0;
  for (mlir::Attribute entry : layout) {
    auto dict = mlir::cast<mlir::DictionaryAttr>(entry);
    llvm::StringRef name = mlir::cast<mlir::StringAttr>(dict.get("name"));
    uint64_t offset = mlir::cast<mlir::IntegerAttr>(dict.get("offset")).getInt();
    auto type = mlir::cast<mlir::RankedTensorType>(
        mlir::cast<mlir::TypeAttr>(dict.get("type")).getValue());
    const xfc::gguf::TensorInfo *info = file.findTensor(name);
    if (!info) {
      error = file.path() + ": no tensor '" + name.str() + "'";
      return false;
    }
    os.write_zeros(offset - written);
    // Float types stored as declared are copied; the rest are decoded.
    bool same = (type.getElementType().isF32() &&
                 info->ggmlType() == xfc::gguf::GGMLType::F32) ||
                (type.getElementType().isF16() &&
                 info->ggmlType() == xfc::gguf::GGMLType::F16) ||
                (type.getElementType().isBF16() &&
                 info->ggmlType() == xfc::gguf::GGMLType::BF16);
    uint64_t bytes;
    if (same) {
      os.write(reinterpret_cast<const char *>(info->data), info->numBytes);
      bytes = info->numBytes;
    } else if (type.getElementType().isF32()) {
      std::optional<std::vector<float>> values =
          xfc::gguf::readAsF32(file, *info, error);
      if (!values)
        return false;
      os.write(reinterpret_cast<const char *>(values->data()),
               values->size() * sizeof(float));
      bytes = values->size() * sizeof(float);
    } else {
      error = "tensor '" + name.str() + "' cannot be stored as " +
              std::to_string(type.getElementTypeBitWidth()) + "-bit floats";
      return false;
    }
    written = offset + bytes;
  }
  return true;
}

int run() {
  static const StringRef kStages[] = {"xf",      "linalg", "llvm-mlir",
                                      "llvm-ir", "asm",    "obj", "so"};
  if (!llvm::is_contained(kStages, StringRef(emit)))
    return fail("unknown --emit stage '" + emit +
                "' (expected xf, linalg, llvm-mlir, llvm-ir, asm, obj or so)");
  std::string error;
  std::optional<xfc::TargetSpec> spec =
      xfc::parseTarget(target, optLevel, error);
  if (!spec)
    return fail(error);
  if (context < 0)
    return fail("--ctx must be positive");

  std::unique_ptr<xfc::gguf::File> file = xfc::gguf::File::open(input, error);
  if (!file)
    return fail(error);
  mlir::DialectRegistry registry;
  xfc::registerAllDialects(registry);
  mlir::MLIRContext mlirContext(registry);
  std::vector<std::string> warnings;
  xfc::ImportOptions options;
  options.maxContext = context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      xfc::importGGUF(*file, mlirContext, options, error, warnings);
  for (const std::string &w : warnings)
    warn(w);
  if (!module)
    return fail(error);

  if (emit == "so" && (output.empty() || output == "-"))
    return fail("--emit=so needs an output file (-o model.so)");
  xfc::ModelPackage package;
  if (emit == "so") {
    if (mlir::failed(xfc::describeForward(*module, package, error)))
      return fail(input + ": " + error);
    std::optional<xfrt::Vocabulary> vocab =
        xfc::gguf::loadVocabulary(*file, error);
    if (!vocab)
      return fail(error);
    package.tokenizer = xfrt::serializeVocabulary(*vocab);
    std::optional<xfc::gguf::ModelConfig> config =
        xfc::gguf::readModelConfig(*file, error);
    if (!config)
      return fail(error);
    package.metadata =
        "architecture=" +
        std::string(xfc::gguf::architectureName(config->arch)) +
        "\nvocab_size=" + std::to_string(package.vocabSize) +
        "\nmax_context=" + std::to_string(package.cacheShape[2]) +
        "\nlayers=" + std::to_string(package.cacheShape[0]) +
        "\nkv_heads=" + std::to_string(package.cacheShape[3]) +
        "\nhead_dim=" + std::to_string(package.cacheShape[4]) + "\n";
  }
  if (emit != "xf") {
    mlir::PassManager pm(&mlirContext);
    if (printAfterAll || !printAfter.empty()) {
      mlirContext.disableMultithreading();
      std::vector<std::string> names(printAfter.begin(), printAfter.end());
      pm.enableIRPrinting(
          [](mlir::Pass *, mlir::Operation *) { return false; },
          [names](mlir::Pass *pass, mlir::Operation *) {
            return printAfterAll || llvm::is_contained(names, pass->getArgument());
          },
          /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
    }
    if (timing)
      pm.enableTiming();
    if (emit == "linalg")
      mlir::xf::buildLowerToLinalgPipeline(pm);
    else
      mlir::xf::buildLowerToLLVMPipeline(pm);
    if (mlir::failed(pm.run(*module)))
      return fail("lowering " + input + " failed");
  }

  if (emit == "so") {
    package.writeWeights = [&](llvm::raw_ostream &os, std::string &err) {
      return writeWeightBlob(*module, *file, os, err);
    };
    if (mlir::failed(
            xfc::linkModel(*module, *spec, package, output, error)))
      return fail(error);
    return 0;
  }
  if (output.empty())
    output = "-";
  bool binary = emit == "obj";
  std::error_code ec;
  ToolOutputFile out(output, ec, binary ? sys::fs::OF_None : sys::fs::OF_Text);
  if (ec)
    return fail(output + ": " + ec.message());
  if (emit == "xf" || emit == "linalg" || emit == "llvm-mlir") {
    module->print(out.os());
  } else {
    xfc::OutputKind kind = emit == "llvm-ir" ? xfc::OutputKind::LLVMIR
                           : emit == "asm"   ? xfc::OutputKind::Assembly
                                             : xfc::OutputKind::Object;
    if (mlir::failed(
            xfc::emitMachineCode(*module, *spec, kind, out.os(), error)))
      return fail(error);
  }
  out.keep();
  return 0;
}

RegisterCommand registration(command, run);

} // namespace
