//===- ONNXTestCommand.cpp - xfc onnx-test --------------------------------===//
//
// Runs ONNX backend tests (a folder with model.onnx and test_data_set_*/
// input_*.pb, output_*.pb): imports the model, runs it on every data set
// and compares each output with ONNX's tolerance (|got - want| <= 1e-7 +
// 1e-3 |want|; NaN matches NaN). Graph inputs that only set shapes (a
// Reshape's shape, Slice's starts, ...) are bound as constants from the
// data set, as an exported model has them. With --suite it runs every
// folder under a root and prints a table per op: passed, failed, and
// skipped with the reason (an op outside the supported set).
//
// By default (--engine=so) each data set's graph is compiled to a .so as
// `xfc compile` does and run through the runtime's graph API
// (xfrt_graph_run); --engine=eval runs it in the reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Compiler.h"

#include "xfc/Dialect/XF/Eval/Evaluator.h"
#include "xfc/Dialect/XF/Eval/IntegerValues.h"
#include "xfc/Frontends/ONNXImporter.h"
#include "xfc/InitAll.h"

#include "xfrt/xfrt.h"

#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace llvm;
using namespace xfc::driver;
using namespace xfc::onnxfile;
namespace eval = mlir::xf::eval;

namespace {

cl::SubCommand command("onnx-test",
                       "Run ONNX backend tests (model.onnx + test_data_set_*)");
cl::list<std::string> folders(cl::Positional, cl::desc("<test folder>..."),
                              cl::sub(command));
cl::opt<std::string> suite("suite",
                           cl::desc("Also run every test folder under this "
                                    "one, and print a table per op"),
                           cl::value_desc("dir"), cl::sub(command));
cl::opt<std::string> engine("engine",
                            cl::desc("How the graph runs: so (compiled to a "
                                     ".so and run by the runtime) or eval "
                                     "(the reference evaluator)"),
                            cl::init("so"), cl::sub(command));
cl::opt<std::string> known(
    "known",
    cl::desc("A file of tests expected to fail, one per line: name, then "
             "the reason; they count as known, and passing one is an error "
             "(so the list cannot go stale)"),
    cl::value_desc("file"), cl::sub(command));
cl::opt<std::string> passPipeline(
    "pass-pipeline",
    cl::desc("With --engine=eval: passes to run on the imported graph before "
             "evaluating it (checks their semantics), e.g. "
             "'builtin.module(xf-optimize-graph)'"),
    cl::value_desc("pipeline"), cl::sub(command));
cl::opt<bool> verbose("v", cl::desc("Print each test's result"),
                      cl::sub(command));
cl::opt<double> rtol("rtol", cl::desc("Relative tolerance (ONNX's: 1e-3)"),
                     cl::init(1e-3), cl::sub(command));
cl::opt<double> atol("atol", cl::desc("Absolute tolerance (ONNX's: 1e-7)"),
                     cl::init(1e-7), cl::sub(command));

enum class Outcome { Passed, Failed, Skipped, Known };

struct Result {
  Outcome outcome = Outcome::Passed;
  std::string reason;
};

/// A data set's files in order: input_0.pb, input_1.pb, ...
bool readTensors(const std::string &dir, const std::string &prefix,
                 std::vector<Tensor> &out, std::string &error) {
  for (int i = 0;; ++i) {
    SmallString<256> path(dir);
    sys::path::append(path, prefix + std::to_string(i) + ".pb");
    if (!sys::fs::exists(path))
      return true;
    Tensor t;
    if (!readTensorFile(std::string(path), t, error))
      return false;
    out.push_back(std::move(t));
  }
}

/// Whether `got` matches `want` within the tolerance (ONNX's by default);
/// `why` says where not.
bool matches(const eval::Tensor &got, const Tensor &want, std::string &why) {
  if (got.shape != want.shape) {
    why = "the shape differs";
    return false;
  }
  std::vector<double> expected = tensorValues(want);
  // Integers and booleans are exact; the tolerance is for floats.
  bool exact = integerBits(want.elementType) != 0 ||
               want.elementType == int32_t(ElementType::Bool);
  for (size_t i = 0; i < expected.size(); ++i) {
    double g = got.data[i], w = expected[i];
    bool close = std::isnan(w) ? std::isnan(g)
                 : exact
                     ? g == w
                     : g == w || std::abs(g - w) <= atol + rtol * std::abs(w);
    if (!close) {
      why = "element " + std::to_string(i) + " is " + std::to_string(g) +
            ", expected " + std::to_string(w);
      return false;
    }
  }
  return true;
}

/// A data set's tensor as the evaluator holds it: integers as the signed
/// values of their bits (a uint8 200 is -56).
eval::Tensor toEvaluator(const Tensor &t) {
  eval::Tensor out(t.shape);
  std::vector<double> values = tensorValues(t);
  unsigned width = integerBits(t.elementType);
  for (size_t i = 0; i < values.size(); ++i)
    out.data[i] = width ? eval::wrapInteger(values[i], width) : values[i];
  return out;
}

/// An evaluated output read as the expected tensor's type says.
void fromEvaluator(eval::Tensor &t, const Tensor &want) {
  unsigned width = integerBits(want.elementType);
  bool isUnsigned = isUnsignedType(want.elementType);
  if (width)
    for (double &v : t.data)
      v = eval::integerValue(v, width, isUnsigned);
}

/// Where the compiled graphs go, removed when the command ends.
struct ScratchDir {
  SmallString<128> path;
  int next = 0;
  ~ScratchDir() {
    if (!path.empty())
      sys::fs::remove_directories(path);
  }
  std::string nextLibrary() {
    if (path.empty() && sys::fs::createUniqueDirectory("xfc-onnx-test", path))
      return "";
    SmallString<128> file(path);
    sys::path::append(file, "graph" + std::to_string(next++) + ".so");
    return std::string(file);
  }
};
ScratchDir scratch;

/// Loads `library` and runs it on `inputs` into `outputs` (buffers of the
/// expected outputs' sizes); false with `why` if the graph's signature is
/// not that of the data set.
bool loadAndRun(const std::string &library, const std::vector<Tensor> &inputs,
                const std::vector<Tensor> &want,
                const std::vector<void *> &outputs, std::string &why) {
  xfrt_graph *graph = nullptr;
  char error[512] = "";
  if (xfrt_graph_load(library.c_str(), 1, &graph, error, sizeof error)) {
    why = error;
    return false;
  }
  llvm::scope_exit freeGraph([&] { xfrt_graph_free(graph); });
  if (size_t(xfrt_graph_num_inputs(graph)) != inputs.size() ||
      size_t(xfrt_graph_num_outputs(graph)) != want.size()) {
    why = "the compiled graph's inputs and outputs differ from the model's";
    return false;
  }
  std::vector<const void *> in;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const xfrt_graph_value *v = xfrt_graph_input(graph, k);
    if (v->bytes != inputs[k].bytes.size()) {
      why = "input '" + std::string(v->name) + "' is " +
            std::to_string(v->bytes) + " bytes, the data set's " +
            std::to_string(inputs[k].bytes.size());
      return false;
    }
    in.push_back(inputs[k].bytes.data());
  }
  for (size_t k = 0; k < want.size(); ++k) {
    const xfrt_graph_value *v = xfrt_graph_output(graph, k);
    if (ArrayRef<int64_t>(v->shape, v->rank) != ArrayRef(want[k].shape) ||
        v->bytes != want[k].bytes.size()) {
      why = "output '" + std::string(v->name) + "' is " + v->element +
            " of another shape or width than the expected tensor";
      return false;
    }
  }
  // Twice, into buffers filled with 0xFF and then 0x00: an output element
  // the code does not write differs between the two.
  std::vector<std::vector<uint8_t>> first;
  for (int fill : {0xFF, 0x00}) {
    for (size_t k = 0; k < want.size(); ++k)
      std::memset(outputs[k], fill, want[k].bytes.size());
    if (xfrt_status status = xfrt_graph_run(graph, in.data(), outputs.data())) {
      why = "running it failed (status " + std::to_string(status) + ")";
      return false;
    }
    for (size_t k = 0; k < want.size(); ++k) {
      auto *data = static_cast<const uint8_t *>(outputs[k]);
      if (fill == 0xFF) {
        first.emplace_back(data, data + want[k].bytes.size());
      } else if (std::memcmp(first[k].data(), data, first[k].size())) {
        why = "output '" + std::string(xfrt_graph_output(graph, k)->name) +
              "' is not fully written: it keeps what its buffer held";
        return false;
      }
    }
  }
  return true;
}

/// Compiles the module to a .so and runs it on `inputs` (the data set's
/// tensors of @main's arguments, in order); the outputs are read as the
/// types and shapes of `want`. The .so runs in a child process: a crash in
/// generated code fails the test, not the runner, and each test's .so
/// goes with its process (a model's thread-locals keep it loaded).
bool runCompiled(mlir::ModuleOp module, const std::vector<Tensor> &inputs,
                 const std::vector<Tensor> &want,
                 std::vector<eval::Tensor> &got, std::string &why) {
  std::string library = scratch.nextLibrary();
  if (library.empty()) {
    why = "cannot create a temporary directory";
    return false;
  }
  CompileRequest request;
  request.input = "the graph";
  request.output = library;
  request.graph.kernels = ""; // as `xfc compile` chooses for a graph
  if (compileGraph(module, request) != 0) {
    why = "compiling it failed";
    return false;
  }
  llvm::scope_exit removeLibrary([&] { sys::fs::remove(library); });
  // Shared with the child: its error message, then the outputs.
  constexpr size_t kMessageBytes = 512;
  size_t bytes = kMessageBytes;
  for (const Tensor &t : want)
    bytes += (t.bytes.size() + 63) & ~size_t(63);
  void *shared = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    why = "cannot map memory for the outputs";
    return false;
  }
  llvm::scope_exit unmap([&] { munmap(shared, bytes); });
  auto *base = static_cast<uint8_t *>(shared);
  base[0] = 0;
  std::vector<void *> outputs;
  for (size_t k = 0, at = kMessageBytes; k < want.size(); ++k) {
    outputs.push_back(base + at);
    at += (want[k].bytes.size() + 63) & ~size_t(63);
  }
  outs().flush();
  errs().flush();
  pid_t child = fork();
  if (child < 0) {
    why = "cannot fork";
    return false;
  }
  if (child == 0) {
    std::string error;
    bool ok = loadAndRun(library, inputs, want, outputs, error);
    std::snprintf(reinterpret_cast<char *>(base), kMessageBytes, "%s",
                  error.c_str());
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(status)) {
    why = "the compiled graph crashed (signal " +
          std::to_string(WTERMSIG(status)) + ")";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    why = reinterpret_cast<const char *>(base);
    return false;
  }
  for (size_t k = 0; k < want.size(); ++k) {
    Tensor result = want[k];
    std::memcpy(result.bytes.data(), outputs[k], result.bytes.size());
    eval::Tensor values(result.shape);
    std::vector<double> decoded = tensorValues(result);
    values.data.assign(decoded.begin(), decoded.end());
    got.push_back(std::move(values));
  }
  return true;
}

/// The sorted data-set folders of a test.
std::vector<std::string> dataSets(const std::string &folder) {
  std::vector<std::string> sets;
  std::error_code ec;
  for (sys::fs::directory_iterator it(folder, ec), end; it != end && !ec;
       it.increment(ec))
    if (sys::path::filename(it->path()).starts_with("test_data_set_"))
      sets.push_back(it->path());
  std::sort(sets.begin(), sets.end());
  return sets;
}

/// Runs one test folder.
Result runTest(const std::string &folder, std::set<std::string> &ops) {
  SmallString<256> path(folder);
  sys::path::append(path, "model.onnx");
  std::string error;
  std::unique_ptr<Model> model = Model::open(std::string(path), error);
  if (!model)
    return {Outcome::Failed, error};
  const onnx::GraphProto &g = model->graph();
  for (const onnx::NodeProto &n : g.node())
    ops.insert(n.op_type());
  for (const std::string &op : ops)
    if (!llvm::is_contained(xfc::supportedONNXOps(), op))
      return {Outcome::Skipped, "op " + op + " is not supported"};
  // Values XFC has no type for.
  for (const auto *list : {&g.input(), &g.output()})
    for (const onnx::ValueInfoProto &v : *list) {
      if (!v.type().has_tensor_type())
        return {Outcome::Skipped, "sequence and optional values"};
      if (v.type().tensor_type().elem_type() == int32_t(ElementType::String))
        return {Outcome::Skipped, "string tensors"};
    }
  // Graph inputs other than initializers, and which of them set shapes.
  std::vector<std::string> inputs;
  for (const onnx::ValueInfoProto &v : g.input())
    if (!model->findInitializer(v.name()))
      inputs.push_back(v.name());
  auto onlySetsShapes = [&](const std::string &name) {
    bool used = false;
    for (const onnx::NodeProto &n : g.node())
      for (int i = 0; i < n.input_size(); ++i)
        if (n.input(i) == name) {
          if (!xfc::isONNXShapeOperand(n.op_type(), i))
            return false;
          used = true;
        }
    return used;
  };
  std::vector<std::string> sets = dataSets(folder);
  if (sets.empty())
    return {Outcome::Failed, "no test_data_set_* folder"};
  for (const std::string &set : sets) {
    std::vector<Tensor> in, want;
    if (!readTensors(set, "input_", in, error) ||
        !readTensors(set, "output_", want, error))
      return {Outcome::Failed, error};
    if (in.size() != inputs.size() || want.size() != size_t(g.output_size()))
      return {Outcome::Failed, set + ": the data set's tensors do not match "
                                     "the graph's inputs and outputs"};
    // NumPy has no bfloat16: the tests store its bits as uint16.
    auto retype = [](Tensor &t, const onnx::ValueInfoProto &v) {
      if (t.elementType == int32_t(ElementType::UInt16) &&
          v.type().tensor_type().elem_type() == int32_t(ElementType::BFloat16))
        t.elementType = int32_t(ElementType::BFloat16);
    };
    for (size_t i = 0, k = 0; i < size_t(g.input_size()); ++i)
      if (!model->findInitializer(g.input(i).name()))
        retype(in[k++], g.input(i));
    for (size_t k = 0; k < want.size(); ++k)
      retype(want[k], g.output(k));
    xfc::ONNXImportOptions options;
    std::vector<eval::Value> args;
    std::vector<Tensor> runtimeInputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (onlySetsShapes(inputs[i])) {
        options.constants[inputs[i]] = in[i];
        continue;
      }
      runtimeInputs.push_back(in[i]);
      args.push_back(toEvaluator(in[i]));
      options.inputShapes[inputs[i]] = in[i].shape;
    }
    mlir::DialectRegistry registry;
    xfc::registerAllDialects(registry);
    // No worker threads: the runner forks to run the compiled graph.
    mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler capture(&context, [&](mlir::Diagnostic &d) {
      if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
        diagnostics += d.str() + "; ";
      return mlir::success();
    });
    mlir::OwningOpRef<mlir::ModuleOp> module =
        xfc::importONNX(*model, context, options, error);
    if (!module)
      return {Outcome::Failed, error};
    std::vector<eval::Tensor> got;
    if (engine == "so") {
      std::string why;
      if (!runCompiled(*module, runtimeInputs, want, got, why))
        return {Outcome::Failed,
                why + (diagnostics.empty() ? "" : ": ") + diagnostics};
    } else {
      if (!passPipeline.empty()) {
        mlir::PassManager pm(&context);
        std::string message;
        llvm::raw_string_ostream os(message);
        if (mlir::failed(mlir::parsePassPipeline(passPipeline, pm, os)))
          return {Outcome::Failed, "--pass-pipeline: " + message};
        if (mlir::failed(pm.run(*module)))
          return {Outcome::Failed, "the passes failed: " + diagnostics};
      }
      auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
      mlir::FailureOr<std::vector<eval::Value>> values =
          eval::evaluate(main, args, {});
      if (mlir::failed(values))
        return {Outcome::Failed, "evaluation failed: " + diagnostics};
      for (eval::Value &v : *values)
        got.push_back(std::get<eval::Tensor>(std::move(v)));
      for (size_t k = 0; k < got.size() && k < want.size(); ++k)
        fromEvaluator(got[k], want[k]);
    }
    for (size_t k = 0; k < want.size(); ++k) {
      std::string why;
      if (!matches(got[k], want[k], why))
        return {Outcome::Failed, sys::path::filename(set).str() + ": output '" +
                                     g.output(k).name() + "': " + why};
    }
  }
  return {};
}

int run() {
  if (engine != "so" && engine != "eval")
    return fail("--engine: '" + engine + "' is not an engine (so, eval)");
  if (!passPipeline.empty() && engine != "eval")
    return fail("--pass-pipeline applies to --engine=eval (a compiled graph "
                "goes through the graph pipeline)");
  if (!passPipeline.empty())
    xfc::registerAllPasses();
  std::vector<std::string> tests(folders.begin(), folders.end());
  if (!suite.empty()) {
    std::error_code ec;
    for (sys::fs::directory_iterator it(suite, ec), end; it != end && !ec;
         it.increment(ec))
      if (sys::fs::exists(it->path() + "/model.onnx"))
        tests.push_back(it->path());
    if (ec)
      return fail(suite + ": " + ec.message());
    std::sort(tests.begin(), tests.end());
  }
  if (tests.empty())
    return fail("no test folders (give folders or --suite DIR)");
  // Expected failures: test name -> reason.
  std::map<std::string, std::string> expected;
  if (!known.empty()) {
    auto buffer = MemoryBuffer::getFile(known);
    if (!buffer)
      return fail(known + ": " + buffer.getError().message());
    SmallVector<StringRef> lines;
    (*buffer)->getBuffer().split(lines, '\n', -1, false);
    for (StringRef line : lines) {
      line = line.trim();
      if (line.empty() || line.starts_with("#"))
        continue;
      auto [name, reason] = line.split(' ');
      expected[name.str()] = reason.trim().str();
    }
  }
  // Per op (a test's ops joined with '+'): passed, failed, skipped, known.
  std::map<std::string, std::array<int, 4>> table;
  std::map<std::string, std::set<std::string>> reasons;
  std::set<std::string> knownSeen;
  int failures = 0;
  for (const std::string &test : tests) {
    std::set<std::string> ops;
    Result r = runTest(test, ops);
    std::string name = sys::path::filename(test).str();
    if (auto it = expected.find(name); it != expected.end()) {
      knownSeen.insert(name);
      if (r.outcome == Outcome::Skipped)
        knownSeen.erase(name);
      if (r.outcome == Outcome::Passed) {
        r = {Outcome::Failed, "passes, but " + known + " expects it to fail"};
      } else if (r.outcome == Outcome::Failed) {
        if (verbose)
          outs() << "KNOWN " << name << ": " << r.reason << "\n";
        r = {Outcome::Known, it->second};
      }
    }
    std::string key = llvm::join(ops, "+");
    ++table[key][int(r.outcome)];
    if (r.outcome == Outcome::Failed) {
      ++failures;
      outs() << "FAIL " << name << ": " << r.reason << "\n";
    } else if (r.outcome != Outcome::Passed) {
      reasons[key].insert(r.reason);
      if (verbose)
        outs() << "SKIP " << name << ": " << r.reason << "\n";
    } else if (verbose) {
      outs() << "PASS " << name << "\n";
    }
  }
  // Over a whole suite, a listed test that no longer fails here (skipped,
  // or gone) is stale too.
  if (!suite.empty())
    for (const auto &entry : expected)
      if (!knownSeen.count(entry.first)) {
        ++failures;
        outs() << "FAIL " << entry.first << ": listed in " << known
               << " but did not fail here (skipped, or not in the suite)\n";
      }
  if (!suite.empty() || tests.size() > 1) {
    outs() << format("\n%-34s %6s %6s %7s %6s  %s\n", "op", "passed", "failed",
                     "skipped", "known", "why skipped or known");
    int totals[4] = {0, 0, 0, 0};
    for (const auto &[op, counts] : table) {
      std::string why = llvm::join(reasons[op], "; ");
      outs() << format("%-34s %6d %6d %7d %6d  %s\n", op.c_str(), counts[0],
                       counts[1], counts[2], counts[3], why.c_str());
      for (int k = 0; k < 4; ++k)
        totals[k] += counts[k];
    }
    outs() << format("%-34s %6d %6d %7d %6d\n", "total", totals[0], totals[1],
                     totals[2], totals[3]);
  }
  return failures ? 1 : 0;
}

RegisterCommand registration(command, run);

} // namespace
