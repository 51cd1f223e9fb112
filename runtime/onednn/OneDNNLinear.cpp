//===- OneDNNLinear.cpp - xf.linear through a oneDNN matmul ---------------===//
//
// Models that compute some projections with oneDNN (xf-select-kernels,
// `backend onednn`) call xfo_linear once per op and token count; oneDNN
// parallelizes inside the call. What a call needs is built once and kept:
//
// * The weights in oneDNN's layout. The weight blob holds plain [n][k]
//   rows, which oneDNN's fast matmuls do not read: they want the weights
//   reordered into blocks. That reorder reads and writes all of W, as
//   expensive as a decode step's product, so it runs at the first call for
//   a weight and the copy is cached by the weight's address. The first
//   primitive for a weight shape picks the layout ("any"); primitives for
//   other token counts are created for that same layout, so every weight
//   has exactly one copy, whatever the prompt lengths.
// * A primitive per (m, n, k, ldx, bias). oneDNN JIT-compiles its kernels
//   when a primitive is created, which costs far more than a small product.
//
// Caching by address is sound because this library is linked statically,
// with hidden symbols, into each model .so that uses it: the cache belongs
// to one model, whose weights at a given blob offset never change, and it
// goes away with the model (dlclose). f16/bf16 weights are widened to f32
// once, before the reorder: oneDNN 2.6 has no f32 x f16/bf16 matmul (the
// generated kernels also widen on load, so the arithmetic is the same).
//
//===----------------------------------------------------------------------===//

#include "xfo/OneDNNLinear.h"

#include <dlfcn.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

/// The thread count of the model's current forward call (runtime/model-stub),
/// so that `-t N` bounds oneDNN too. Weak: the library's tests run it alone.
extern "C" int32_t xfm_current_threads(void) __attribute__((weak));

namespace {

using dnnl::memory;
using Dt = memory::data_type;
using Tag = memory::format_tag;

float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f,
           mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) { // inf, nan
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { // subnormal: normalize
    exponent = 113;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16ToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Weight element `i` of a [n][k] array of `type`, as f32.
float weightAt(int64_t type, const void *w, int64_t i) {
  if (type == XFO_W_F32)
    return static_cast<const float *>(w)[i];
  uint16_t bits = static_cast<const uint16_t *>(w)[i];
  return type == XFO_W_F16 ? halfToFloat(bits) : bf16ToFloat(bits);
}

struct Call {
  int64_t type;
  const float *x;
  int64_t ldx;
  const void *w;
  const float *bias;
  float *y;
  int64_t m, n, k;
};

/// The product without oneDNN: only when oneDNN fails (it should not), so
/// that a model still computes the right values.
void naiveLinear(const Call &c) {
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      float sum = c.bias ? c.bias[j] : 0.0f;
      for (int64_t l = 0; l < c.k; ++l)
        sum += c.x[i * c.ldx + l] * weightAt(c.type, c.w, j * c.k + l);
      c.y[i * c.n + j] = sum;
    }
}

struct Primitive {
  dnnl::matmul matmul;
  memory::desc scratchpad;
};

/// oneDNN's OpenMP threads outlive the calls that start them, so the
/// libraries they run (libdnnl, and libgomp with it) must stay loaded when
/// the model's library, their only user, is unloaded: RTLD_NODELETE.
void pinThreadLibraries() {
  for (const void *symbol :
       {reinterpret_cast<const void *>(&dnnl_engine_create),
        reinterpret_cast<const void *>(&omp_get_max_threads)}) {
    Dl_info info;
    if (dladdr(symbol, &info) && info.dli_fname)
      dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  }
}

/// A call's oneDNN stream and scratch memory (grown to the largest need).
/// Calls borrow them from the cache's pool and give them back, so there are
/// as many as calls ever ran at once, freed when the model's library is
/// unloaded. Not thread_locals: one with a destructor would keep the
/// library, and its static TLS, loaded for as long as its thread lives.
struct CallState {
  explicit CallState(dnnl::engine &engine) : stream(engine) {}
  dnnl::stream stream;
  std::unique_ptr<void, decltype(&std::free)> scratch{nullptr, &std::free};
  size_t scratchBytes = 0;

  void *scratchOf(size_t bytes) {
    if (bytes > scratchBytes) {
      scratch.reset(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
      scratchBytes = scratch ? bytes : 0;
    }
    return scratch.get();
  }
};

class Cache {
public:
  Cache() { pinThreadLibraries(); }

  /// The primitive for `c`'s shape and the weights in its layout, built
  /// on first use.
  std::pair<Primitive *, memory *> get(const Call &c) {
    std::lock_guard<std::mutex> guard(lock);
    auto shape = std::make_tuple(c.m, c.n, c.k, c.ldx, c.bias != nullptr);
    auto found = primitives.find(shape);
    if (found == primitives.end())
      found = primitives.emplace(shape, create(c)).first;
    auto weight = weights.find(c.w);
    if (weight == weights.end())
      weight = weights.emplace(c.w, reorder(c)).first;
    return {&found->second, &weight->second};
  }

  void clear() {
    std::lock_guard<std::mutex> guard(lock);
    primitives.clear();
    weights.clear();
    layouts.clear();
  }

  /// An idle CallState, or a new one.
  CallState *borrow() {
    std::lock_guard<std::mutex> guard(statesLock);
    CallState *state;
    if (idleStates.empty()) {
      states.push_back(std::make_unique<CallState>(engine));
      state = states.back().get();
    } else {
      state = idleStates.back();
      idleStates.pop_back();
    }
    // Room to give it back, so that giveBack cannot throw.
    idleStates.reserve(states.size());
    return state;
  }

  void giveBack(CallState *state) {
    std::lock_guard<std::mutex> guard(statesLock);
    idleStates.push_back(state);
  }

  dnnl::engine engine{dnnl::engine::kind::cpu, 0};

private:
  Primitive create(const Call &c) {
    memory::desc src({c.m, c.k}, Dt::f32, memory::dims{c.ldx, 1});
    memory::desc dst({c.m, c.n}, Dt::f32, Tag::ab);
    memory::desc bias({1, c.n}, Dt::f32, Tag::ab);
    auto layout = layouts.find({c.n, c.k});
    memory::desc weights = layout != layouts.end()
                               ? layout->second
                               : memory::desc({c.k, c.n}, Dt::f32, Tag::any);
    dnnl::matmul::desc desc =
        c.bias ? dnnl::matmul::desc(src, weights, bias, dst)
               : dnnl::matmul::desc(src, weights, dst);
    // Scratch memory comes from the calling thread (see run): sessions may
    // run one primitive on several threads at once.
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::matmul::primitive_desc pd(desc, attr, engine);
    layouts.emplace(std::make_pair(c.n, c.k), pd.weights_desc());
    return {dnnl::matmul(pd), pd.scratchpad_desc()};
  }

  memory reorder(const Call &c) {
    std::vector<float> widened;
    const void *rows = c.w;
    if (c.type != XFO_W_F32) {
      widened.resize(c.n * c.k);
      for (int64_t i = 0; i < c.n * c.k; ++i)
        widened[i] = weightAt(c.type, c.w, i);
      rows = widened.data();
    }
    // [n][k] rows are the [k][n] matrix B transposed: tag ba.
    memory plain({{c.k, c.n}, Dt::f32, Tag::ba}, engine,
                 const_cast<void *>(rows));
    memory packed(layouts.at({c.n, c.k}), engine);
    dnnl::stream stream(engine);
    dnnl::reorder(plain, packed).execute(stream, plain, packed);
    stream.wait();
    return packed;
  }

  std::mutex lock;
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, bool>, Primitive>
      primitives;
  std::map<std::pair<int64_t, int64_t>, memory::desc> layouts;
  std::unordered_map<const void *, memory> weights;
  // Declared after the engine, so destroyed before it.
  std::mutex statesLock;
  std::vector<std::unique_ptr<CallState>> states; // all of them
  std::vector<CallState *> idleStates;
};

Cache &cache() {
  static Cache instance;
  return instance;
}

/// A CallState borrowed from the cache for the lifetime of this object.
class BorrowedState {
public:
  BorrowedState() : state(cache().borrow()) {}
  ~BorrowedState() { cache().giveBack(state); }
  BorrowedState(const BorrowedState &) = delete;
  BorrowedState &operator=(const BorrowedState &) = delete;
  CallState *operator->() const { return state; }

private:
  CallState *state;
};

void run(const Call &c) {
  auto [primitive, weights] = cache().get(c);
  dnnl::engine &engine = cache().engine;
  if (xfm_current_threads)
    omp_set_num_threads(std::max(1, xfm_current_threads()));
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC,
       memory({{c.m, c.k}, Dt::f32, memory::dims{c.ldx, 1}}, engine,
              const_cast<float *>(c.x))},
      {DNNL_ARG_WEIGHTS, *weights},
      {DNNL_ARG_DST, memory({{c.m, c.n}, Dt::f32, Tag::ab}, engine, c.y)}};
  if (c.bias)
    args.emplace(DNNL_ARG_BIAS, memory({{1, c.n}, Dt::f32, Tag::ab}, engine,
                                       const_cast<float *>(c.bias)));
  BorrowedState state;
  if (size_t bytes = primitive->scratchpad.get_size()) {
    void *data = state->scratchOf(bytes);
    if (!data)
      throw std::bad_alloc();
    args.emplace(DNNL_ARG_SCRATCHPAD,
                 memory(primitive->scratchpad, engine, data));
  }
  primitive->matmul.execute(state->stream, args);
  state->stream.wait();
}

} // namespace

extern "C" void xfo_linear(int64_t weight_type, int64_t x, int64_t ldx,
                           int64_t w, int64_t bias, int64_t y, int64_t m,
                           int64_t n, int64_t k) {
  Call c{weight_type,
         reinterpret_cast<const float *>(x),
         ldx,
         reinterpret_cast<const void *>(w),
         reinterpret_cast<const float *>(bias),
         reinterpret_cast<float *>(y),
         m,
         n,
         k};
  if (m <= 0 || n <= 0)
    return;
  try {
    run(c);
  } catch (const std::exception &e) {
    static std::once_flag warned;
    std::call_once(warned, [&] {
      std::fprintf(stderr,
                   "xfc: oneDNN matmul failed (%s); computing without it\n",
                   e.what());
    });
    naiveLinear(c);
  }
}

extern "C" void xfo_release(void) { cache().clear(); }
