//===- Graph.cpp - Loading and running compiled plain graphs --------------===//
//
// A graph .so (kind=graph) lists its inputs and outputs in its metadata
// (ModelABI.h); xfrt_graph_run passes the caller's buffers to
// xfm_graph_forward with a thread pool and a scratch arena kept between
// calls.
//
//===----------------------------------------------------------------------===//

#include "ModelImpl.h"
#include "Numa.h"
#include "xfrt/ThreadPool.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Value {
  std::string name, element;
  std::vector<int64_t> shape;
  xfrt_graph_value view;
};

/// Bytes of one element, 0 for a type the ABI does not have.
uint64_t elementBytes(const std::string &element) {
  if (element == "f64" || element == "i64")
    return 8;
  if (element == "f32" || element == "i32")
    return 4;
  if (element == "f16" || element == "bf16" || element == "i16")
    return 2;
  if (element == "i8" || element == "i1")
    return 1;
  return 0;
}

/// Parses "<element> <d0>x<d1>... <name>" ("scalar" for rank 0).
bool parseValue(const std::string &text, Value &v) {
  size_t first = text.find(' ');
  size_t second =
      first == std::string::npos ? first : text.find(' ', first + 1);
  if (second == std::string::npos)
    return false;
  v.element = text.substr(0, first);
  v.name = text.substr(second + 1);
  std::string dims = text.substr(first + 1, second - first - 1);
  uint64_t bytes = elementBytes(v.element);
  if (!bytes || dims.empty())
    return false;
  if (dims != "scalar") {
    for (size_t at = 0; at <= dims.size();) {
      size_t end = dims.find('x', at);
      if (end == std::string::npos)
        end = dims.size();
      std::string dim = dims.substr(at, end - at);
      char *rest = nullptr;
      long long d = std::strtoll(dim.c_str(), &rest, 10);
      if (dim.empty() || !std::isdigit(static_cast<unsigned char>(dim[0])) ||
          *rest || d < 0 || (d && bytes > (uint64_t(1) << 48) / uint64_t(d)))
        return false;
      v.shape.push_back(d);
      bytes *= uint64_t(d);
      at = end + 1;
    }
  }
  v.view = {nullptr, nullptr, static_cast<int32_t>(v.shape.size()), nullptr,
            bytes};
  return true;
}

} // namespace

struct xfrt_graph {
  void *library = nullptr;
  int (*forward)(const XfmGraphArgs *) = nullptr;
  std::vector<Value> inputs, outputs;
  std::unique_ptr<xfrt::ThreadPool> pool;
  xfrt::numa::Memory arena;
  ~xfrt_graph() {
    pool.reset(); // the workers may run the library's code until joined
    if (library)
      dlclose(library);
  }
};

namespace {

using xfrt::failLoad;

/// Reads the input= and output= lines; false if one is malformed.
bool readSignature(const char *metadata, xfrt_graph &g) {
  for (const char *line = metadata; *line;) {
    const char *end = std::strchr(line, '\n');
    std::string text(line, end ? end : line + std::strlen(line));
    line = end ? end + 1 : line + text.size();
    bool input = text.rfind("input=", 0) == 0;
    if (!input && text.rfind("output=", 0) != 0)
      continue;
    Value v;
    if (!parseValue(text.substr(input ? 6 : 7), v))
      return false;
    (input ? g.inputs : g.outputs).push_back(std::move(v));
  }
  for (auto *list : {&g.inputs, &g.outputs})
    for (Value &v : *list) {
      v.view.name = v.name.c_str();
      v.view.element = v.element.c_str();
      v.view.shape = v.shape.data();
    }
  return !g.outputs.empty();
}

} // namespace

extern "C" {

xfrt_status xfrt_graph_load(const char *path, int threads, xfrt_graph **graph,
                            char *error, size_t errorSize) {
  *graph = nullptr;
  if (!path || threads < 0)
    return failLoad(error, errorSize, XFRT_ERROR_INVALID_ARGUMENT,
                    path ? "threads must not be negative" : "no graph path");
  auto g = std::unique_ptr<xfrt_graph>(new (std::nothrow) xfrt_graph());
  if (!g)
    return XFRT_ERROR_OUT_OF_MEMORY;
  const XfmModelInfo *info = nullptr;
  std::string message;
  if (xfrt_status status =
          xfrt::openCompiled(path, g->library, info, message)) {
    g->library = nullptr;
    return failLoad(error, errorSize, status, message);
  }
  if (xfrt::metadataString(info->metadata, "kind") != "graph")
    return failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                    std::string(path) +
                        ": a language model, not a compiled graph: run it "
                        "with xfrt_model_load");
  g->forward = reinterpret_cast<int (*)(const XfmGraphArgs *)>(
      dlsym(g->library, "xfm_graph_forward"));
  auto *entries =
      static_cast<const void *const *>(dlsym(g->library, "xfm_graph_entries"));
  if (!g->forward || !entries || !entries[0] ||
      !readSignature(info->metadata, *g))
    return failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                    std::string(path) +
                        ": malformed graph metadata or no graph entry");
  try {
    g->pool = std::make_unique<xfrt::ThreadPool>(threads);
  } catch (const std::exception &e) {
    return failLoad(error, errorSize, XFRT_ERROR_OUT_OF_MEMORY,
                    std::string(path) + ": cannot start threads: " + e.what());
  }
  *graph = g.release();
  return XFRT_OK;
}

void xfrt_graph_free(xfrt_graph *graph) { delete graph; }

int32_t xfrt_graph_num_inputs(const xfrt_graph *graph) {
  return static_cast<int32_t>(graph->inputs.size());
}

int32_t xfrt_graph_num_outputs(const xfrt_graph *graph) {
  return static_cast<int32_t>(graph->outputs.size());
}

const xfrt_graph_value *xfrt_graph_input(const xfrt_graph *graph,
                                         int32_t index) {
  if (index < 0 || size_t(index) >= graph->inputs.size())
    return nullptr;
  return &graph->inputs[index].view;
}

const xfrt_graph_value *xfrt_graph_output(const xfrt_graph *graph,
                                          int32_t index) {
  if (index < 0 || size_t(index) >= graph->outputs.size())
    return nullptr;
  return &graph->outputs[index].view;
}

xfrt_status xfrt_graph_run(xfrt_graph *graph, const void *const *inputs,
                           void *const *outputs) {
  if ((!inputs && !graph->inputs.empty()) || !outputs)
    return XFRT_ERROR_INVALID_ARGUMENT;
  uint64_t needed = 0;
  XfmGraphArgs args = {inputs,
                       outputs,
                       static_cast<uint8_t *>(graph->arena.data),
                       graph->arena.bytes,
                       &needed,
                       xfrt_pool_parallel_for,
                       graph->pool.get(),
                       graph->pool->threads()};
  int status = graph->forward(&args);
  // The call completed from the heap: the next one has room (or tries
  // again to make it).
  if (status == XFM_ARENA_TOO_SMALL) {
    graph->arena.grow(needed, -1);
    return XFRT_OK;
  }
  if (status == XFM_INDEX_OUT_OF_RANGE)
    return XFRT_ERROR_INVALID_ARGUMENT;
  return status == XFM_OK ? XFRT_OK : XFRT_ERROR_NOT_A_MODEL;
}

} // extern "C"
