//===- KernelBench.cpp - XFC's microkernels against oneDNN ----------------===//
//
// Measures, in one run, the streaming-read bandwidth of this machine and
// xfk_linear (Y = X W^T) next to oneDNN's matmul on the same shapes and
// thread counts, and prints Markdown tables. With --check it instead runs
// small odd shapes and fails when XFC's results differ from oneDNN's.
//
//===----------------------------------------------------------------------===//

#include "xfk/Kernels.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

//===----------------------------------------------------------------------===//
// A persistent pool of std::threads: XFC's kernel is called once per thread
// on disjoint column ranges. Threads persist so that GEMV timings do not pay
// for thread creation (oneDNN's OpenMP threads persist too).
//===----------------------------------------------------------------------===//

class Pool {
public:
  explicit Pool(int threads) : count(threads) {
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this, i] { work(i); });
  }
  ~Pool() {
    stop.store(true);
    generation.fetch_add(1, std::memory_order_release);
    for (std::thread &t : workers)
      t.join();
  }
  int size() const { return count; }

  // Runs job(i) for i < size(), job(0) on the calling thread.
  void run(const std::function<void(int)> &fn) {
    job = &fn;
    pending.store(count - 1, std::memory_order_relaxed);
    generation.fetch_add(1, std::memory_order_release);
    fn(0);
    while (pending.load(std::memory_order_acquire) != 0)
      _mm_pause();
  }

private:
  void work(int index) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g;
      // Spin briefly, then yield: the machine is shared.
      for (int spins = 0;
           (g = generation.load(std::memory_order_acquire)) == seen; ++spins)
        spins < 20000 ? _mm_pause() : std::this_thread::yield();
      seen = g;
      if (stop.load())
        return;
      (*job)(index);
      pending.fetch_sub(1, std::memory_order_release);
    }
  }

  int count;
  std::vector<std::thread> workers;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stop{false};
  const std::function<void(int)> *job = nullptr;
};

// [begin, end) of thread `i` out of `t` over [0, n), in multiples of
// `align`.
std::pair<int64_t, int64_t> split(int64_t n, int i, int t, int64_t align) {
  int64_t chunk = ((n + t - 1) / t + align - 1) / align * align;
  return {std::min(n, i * chunk), std::min(n, (i + 1) * chunk)};
}

struct AlignedFree {
  void operator()(void *p) const { std::free(p); }
};
template <typename T> using Buffer = std::unique_ptr<T[], AlignedFree>;
template <typename T> Buffer<T> allocate(size_t count) {
  size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
  return Buffer<T>(static_cast<T *>(std::aligned_alloc(64, bytes)));
}

//===----------------------------------------------------------------------===//
// Bandwidth: every thread sums its slice of a buffer larger than the caches.
//===----------------------------------------------------------------------===//

__attribute__((target("avx512f"))) float sumAvx512(const float *p, size_t n) {
  __m512 acc[8];
  for (__m512 &a : acc)
    a = _mm512_setzero_ps();
  for (size_t i = 0; i + 128 <= n; i += 128)
    for (int j = 0; j < 8; ++j) // independent chains hide the add latency
      acc[j] = _mm512_add_ps(acc[j], _mm512_load_ps(p + i + 16 * j));
  for (int j = 1; j < 8; ++j)
    acc[0] = _mm512_add_ps(acc[0], acc[j]);
  // Not _mm512_reduce_add_ps: GCC 12 warns inside it (-Wuninitialized).
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, acc[0]);
  return std::accumulate(lanes, lanes + 16, 0.0f);
}

__attribute__((target("avx2"))) float sumAvx2(const float *p, size_t n) {
  __m256 acc[8];
  for (__m256 &a : acc)
    a = _mm256_setzero_ps();
  for (size_t i = 0; i + 64 <= n; i += 64)
    for (int j = 0; j < 8; ++j)
      acc[j] = _mm256_add_ps(acc[j], _mm256_load_ps(p + i + 8 * j));
  for (int j = 1; j < 8; ++j)
    acc[0] = _mm256_add_ps(acc[0], acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc[0]);
  return std::accumulate(lanes, lanes + 8, 0.0f);
}

/// The widest loads this CPU has, for the probe and its caption.
const char *probeLoads() {
  return __builtin_cpu_supports("avx512f") ? "AVX-512"
         : __builtin_cpu_supports("avx2")  ? "AVX2"
                                           : "scalar";
}

float sumPortable(const float *p, size_t n) {
  float acc[8] = {};
  for (size_t i = 0; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      acc[j] += p[i + j];
  return acc[0] + acc[1] + acc[2] + acc[3] + acc[4] + acc[5] + acc[6] + acc[7];
}

// Best GB/s of `runs` passes over `bytes` with `threads` threads.
double measureBandwidth(size_t bytes, int threads, int runs) {
  size_t n = bytes / sizeof(float) / 128 / threads * 128 * threads;
  Buffer<float> buffer = allocate<float>(n);
  Pool pool(threads);
  size_t slice = n / threads;
  pool.run([&](int i) { // first touch by the thread that reads it
    std::fill(buffer.get() + i * slice, buffer.get() + (i + 1) * slice, 1.0f);
  });
  std::string loads = probeLoads();
  std::vector<float> sums(threads);
  double best = 0;
  for (int r = 0; r < runs; ++r) {
    auto start = Clock::now();
    pool.run([&](int i) {
      const float *p = buffer.get() + i * slice;
      sums[i] = loads == "AVX-512" ? sumAvx512(p, slice)
                : loads == "AVX2"  ? sumAvx2(p, slice)
                                   : sumPortable(p, slice);
    });
    double seconds = secondsSince(start);
    for (float s : sums)
      if (s != static_cast<float>(s)) // keeps the sums observable
        std::abort();
    best = std::max(best, n * sizeof(float) / seconds / 1e9);
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Test data. Values are small dyadic rationals, exact in every format, so
// that XFC and oneDNN see the same numbers and differ only by rounding.
//===----------------------------------------------------------------------===//

uint16_t halfBits(float value) { // exact, normal values only
  uint32_t b;
  std::memcpy(&b, &value, 4);
  if (value == 0)
    return static_cast<uint16_t>(b >> 16);
  int exponent = static_cast<int>((b >> 23) & 0xff) - 127 + 15;
  if (exponent <= 0 || exponent >= 31 || (b & 0x1fff))
    std::abort();
  return static_cast<uint16_t>(((b >> 16) & 0x8000) | (exponent << 10) |
                               ((b >> 13) & 0x3ff));
}

uint16_t bf16Bits(float value) { // round to nearest even
  uint32_t b;
  std::memcpy(&b, &value, 4);
  return static_cast<uint16_t>((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

struct Format {
  const char *name;
  int64_t kind;
  /// Block kinds: values per scale (0: one per row, per channel).
  int64_t groupSize = 32;
  /// BF16: activations rounded to bf16 (vdpbf16ps) instead of f32 compute.
  bool bf16Compute = false;
  int64_t group(int64_t k) const {
    if (kind <= XFK_W_BF16)
      return 0;
    return groupSize ? groupSize : k;
  }
  int64_t headerBytes() const { return kind == XFK_W_Q4_1 ? 4 : 2; }
  int64_t runBytes() const { return kind == XFK_W_Q8_0 ? 32 : 16; }
  int64_t blockBytes(int64_t k) const {
    return headerBytes() + group(k) / 32 * runBytes();
  }
  int64_t rowBytes(int64_t k) const {
    switch (kind) {
    case XFK_W_F32:
      return 4 * k;
    case XFK_W_F16:
    case XFK_W_BF16:
      return 2 * k;
    default:
      return k / group(k) * blockBytes(k);
    }
  }
};

const Format formats[] = {{"f32", XFK_W_F32},
                          {"f16", XFK_W_F16},
                          {"bf16", XFK_W_BF16},
                          {"bf16 x bf16", XFK_W_BF16, 0, true},
                          {"q8_0", XFK_W_Q8_0},
                          {"q4_0", XFK_W_Q4_0},
                          {"q4_1", XFK_W_Q4_1},
                          {"int8 g128", XFK_W_Q8_0, 128},
                          {"int8 per-channel", XFK_W_Q8_0, 0},
                          {"int4 g128", XFK_W_Q4_0, 128}};

// Weights [n][rowBytes] in `format` and, if `decoded` is given, their
// values as f32 [n][k], encoded independently of XFC's decoder.
std::vector<uint8_t> makeWeights(const Format &format, int64_t n, int64_t k,
                                 std::mt19937 &rng, float *decoded) {
  int64_t ldw = format.rowBytes(k);
  std::vector<uint8_t> w(n * ldw);
  std::uniform_int_distribution<int> value(-256, 256), scale(1, 16),
      code(-127, 127), nibble(0, 15), minimum(-8, 8);
  for (int64_t r = 0; r < n; ++r) {
    uint8_t *row = w.data() + r * ldw;
    float *out = decoded ? decoded + r * k : nullptr;
    if (format.kind <= XFK_W_BF16) {
      for (int64_t i = 0; i < k; ++i) {
        float v = value(rng) / 256.0f;
        if (format.kind == XFK_W_F32)
          std::memcpy(row + 4 * i, &v, 4);
        else {
          uint16_t h = format.kind == XFK_W_F16 ? halfBits(v) : bf16Bits(v);
          std::memcpy(row + 2 * i, &h, 2);
        }
        if (out)
          out[i] = v;
      }
      continue;
    }
    // Per group: the scale (and minimum), then runs of 32 codes.
    int64_t group = format.group(k), blockBytes = format.blockBytes(k);
    for (int64_t b = 0; b < k / group; ++b) {
      uint8_t *block = row + b * blockBytes;
      float d = scale(rng) / 1024.0f;
      uint16_t dh = halfBits(d);
      std::memcpy(block, &dh, 2);
      float m = 0;
      if (format.kind == XFK_W_Q4_1) {
        m = minimum(rng) / 64.0f;
        uint16_t mh = halfBits(m);
        std::memcpy(block + 2, &mh, 2);
      }
      for (int64_t r = 0; r < group / 32; ++r) {
        uint8_t *codes = block + format.headerBytes() + r * format.runBytes();
        float *o = out ? out + b * group + 32 * r : nullptr;
        if (format.kind == XFK_W_Q8_0) {
          for (int i = 0; i < 32; ++i) {
            int c = code(rng);
            codes[i] = static_cast<uint8_t>(static_cast<int8_t>(c));
            if (o)
              o[i] = d * c;
          }
          continue;
        }
        int offset = format.kind == XFK_W_Q4_0 ? -8 : 0;
        for (int i = 0; i < 16; ++i) { // value i low nibble, i + 16 high
          int lo = nibble(rng), hi = nibble(rng);
          codes[i] = static_cast<uint8_t>(lo | (hi << 4));
          if (o) {
            o[i] = (lo + offset) * d + m;
            o[i + 16] = (hi + offset) * d + m;
          }
        }
      }
    }
  }
  return w;
}

std::vector<float> makeValues(size_t count, std::mt19937 &rng, int scale) {
  std::uniform_int_distribution<int> value(-scale, scale);
  std::vector<float> v(count);
  for (float &x : v)
    x = value(rng) / static_cast<float>(scale);
  return v;
}

//===----------------------------------------------------------------------===//
// oneDNN: one matmul primitive, weights reordered once into the layout it
// prefers (as XFC packs weights at compile time, packing is not timed).
//===----------------------------------------------------------------------===//

using dnnl::memory;
using Dt = memory::data_type;

struct OneDnnMatmul {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::matmul primitive;
  memory src, dst, bias;
  std::vector<memory> weights; // copies, to stream them from memory

  // `plainWeights` is [n][k] (of `wt` elements); `copies` reordered copies.
  OneDnnMatmul(int64_t m, int64_t k, int64_t n, Dt st, Dt wt, Dt dt,
               const void *x, const void *plainWeights, const float *b,
               int copies) {
    memory::desc srcDesc({m, k}, st, memory::format_tag::ab);
    memory::desc weiAny({k, n}, wt, memory::format_tag::any);
    memory::desc weiPlain({k, n}, wt, memory::format_tag::ba);
    memory::desc dstDesc({m, n}, dt, memory::format_tag::ab);
    memory::desc biasDesc({1, n}, Dt::f32, memory::format_tag::ab);
    dnnl::matmul::desc desc = b ? dnnl::matmul::desc(srcDesc, weiAny,
                                                     biasDesc, dstDesc)
                                : dnnl::matmul::desc(srcDesc, weiAny, dstDesc);
    dnnl::matmul::primitive_desc pd(desc, engine);
    primitive = dnnl::matmul(pd);
    src = memory(srcDesc, engine, const_cast<void *>(x));
    dst = memory(dstDesc, engine);
    if (b)
      bias = memory(biasDesc, engine, const_cast<float *>(b));
    memory plain(weiPlain, engine, const_cast<void *>(plainWeights));
    for (int c = 0; c < copies; ++c) {
      weights.emplace_back(pd.weights_desc(), engine);
      dnnl::reorder(plain, weights.back()).execute(stream, plain,
                                                   weights.back());
    }
    stream.wait();
  }

  /// Whether oneDNN has a matmul of these types on this CPU (bf16 needs
  /// AVX-512 in oneDNN 2.6).
  static bool available(Dt st, Dt wt, Dt dt) {
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    try {
      dnnl::matmul::primitive_desc(
          dnnl::matmul::desc(
              memory::desc({1, 16}, st, memory::format_tag::ab),
              memory::desc({16, 16}, wt, memory::format_tag::any),
              memory::desc({1, 16}, dt, memory::format_tag::ab)),
          engine);
      return true;
    } catch (const dnnl::error &) {
      return false;
    }
  }

  void run(int copy) {
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src},
                                            {DNNL_ARG_WEIGHTS, weights[copy]},
                                            {DNNL_ARG_DST, dst}};
    if (bias)
      args[DNNL_ARG_BIAS] = bias;
    primitive.execute(stream, args);
    stream.wait();
  }

  const float *result() const {
    return static_cast<const float *>(dst.get_data_handle());
  }
};

//===----------------------------------------------------------------------===//
// XFC as compiled models call it: weights packed once (as the compiler does
// when it writes the weight blob, so not timed); float kinds through the
// panel GEMM, block kinds through INT8 activations (quantized once per
// call, timed) and the VNNI kernel; column ranges at tile boundaries, one
// per pool thread.
//===----------------------------------------------------------------------===//

std::vector<uint8_t> packForXfc(const Format &format, const uint8_t *w,
                                int64_t k, int64_t n) {
  std::vector<uint8_t> packed(
      xfk_packed_bytes(format.kind, format.group(k), n, k));
  if (packed.empty() || !xfk_pack(format.kind, format.group(k), w,
                                  format.rowBytes(k), n, k, packed.data())) {
    std::fprintf(stderr, "cannot pack %s weights of %lldx%lld\n", format.name,
                 static_cast<long long>(n), static_cast<long long>(k));
    std::exit(1);
  }
  return packed;
}

/// Bytes of x quantized (block kinds) or rounded to bf16 (bf16 compute).
size_t activationBytes(const Format &format, int64_t m, int64_t k) {
  int64_t group = std::max<int64_t>(format.group(k), 32);
  return std::max(xfk_quantized_row_bytes(k, group), xfk_bf16_row_bytes(k)) *
         m;
}

bool isBlockKind(int64_t kind) {
  return kind == XFK_W_Q8_0 || kind == XFK_W_Q4_0 || kind == XFK_W_Q4_1;
}

/// `qx` holds activationBytes(format, m, k) bytes: x quantized or rounded.
void runXfc(Pool &pool, const Format &format, const float *x, int64_t m,
            int64_t k, int64_t n, const uint8_t *packed, const float *bias,
            float *y, uint8_t *qx) {
  auto xAddr = reinterpret_cast<intptr_t>(x);
  auto wAddr = reinterpret_cast<intptr_t>(packed);
  auto bAddr = reinterpret_cast<intptr_t>(bias);
  auto qAddr = reinterpret_cast<intptr_t>(qx);
  int64_t align = xfk_packed_tile_rows(format.kind);
  bool blocks = isBlockKind(format.kind);
  int64_t group = format.group(k);
  if (blocks)
    xfk_quantize_rows(xAddr, k, m, k, group, qAddr);
  if (format.bf16Compute)
    xfk_round_rows_bf16(xAddr, k, m, k, qAddr);
  pool.run([&](int i) {
    auto [n0, n1] = split(n, i, pool.size(), align);
    if (n0 >= n1)
      return;
    auto yAddr = reinterpret_cast<intptr_t>(y + n0);
    if (blocks)
      xfk_linear_q8(format.kind, group, qAddr, wAddr, bAddr, 0, 0, XFK_ACT_NONE,
                    0, yAddr, n, m, k, n0, n1);
    else if (format.bf16Compute)
      xfk_linear_bf16(qAddr, wAddr, bAddr, 0, 0, XFK_ACT_NONE, 0, yAddr, n, m,
                      k, n0, n1);
    else
      xfk_linear_packed(format.kind, xAddr, k, wAddr, bAddr, 0, 0, XFK_ACT_NONE,
                        0, yAddr, n, m, k, n0, n1);
  });
}

// Best seconds per call of fn(copy). A sample calls fn once per copy (a
// pass over memory larger than the caches for GEMV, like the bandwidth
// probe); the best of at least 3 samples and `minSeconds` counts, after
// one warm-up sample.
double bestTime(const std::function<void(int)> &fn, int copies,
                double minSeconds) {
  double best = 1e30, total = 0;
  for (int r = -1; r < 3 || total < minSeconds; ++r) {
    auto start = Clock::now();
    for (int c = 0; c < copies; ++c)
      fn(c);
    double s = secondsSince(start);
    if (r >= 0) {
      best = std::min(best, s / copies);
      total += s;
    }
  }
  return best;
}

//===----------------------------------------------------------------------===//
// --check: XFC against oneDNN on odd shapes, every weight format.
//===----------------------------------------------------------------------===//

// Fails unless |got - want| <= 1e-5 * sum |x||w| + 1e-6 everywhere.
bool compare(const char *what, const float *got, const float *want,
             const std::vector<float> &x, const std::vector<float> &w,
             const std::vector<float> &bias, int64_t m, int64_t k, int64_t n) {
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double magnitude = std::fabs(bias[j]);
      for (int64_t l = 0; l < k; ++l)
        magnitude += std::fabs(x[i * k + l] * w[j * k + l]);
      double error = std::fabs(got[i * n + j] - want[i * n + j]);
      worst = std::max(worst, error / (1e-5 * magnitude + 1e-6));
    }
  bool ok = worst <= 1.0;
  std::printf("%s %s (worst error / tolerance %.3g)\n", ok ? "PASS" : "FAIL",
              what, worst);
  return ok;
}

// The values XFC's block kernels multiply: x quantized by
// xfk_quantize_rows into `qx`, decoded from the documented row format.
std::vector<float> quantizedActivations(const std::vector<float> &x, int64_t m,
                                        int64_t k, int64_t group, uint8_t *qx) {
  xfk_quantize_rows(reinterpret_cast<intptr_t>(x.data()), k, m, k, group,
                    reinterpret_cast<intptr_t>(qx));
  std::vector<float> values(m * k);
  for (int64_t i = 0; i < m; ++i) {
    const uint8_t *row = qx + i * xfk_quantized_row_bytes(k, group);
    for (int64_t j = 0; j < k; ++j) {
      float scale;
      std::memcpy(&scale, row + k + 4 * (j / group), 4);
      values[i * k + j] = scale * static_cast<int8_t>(row[j]);
    }
  }
  return values;
}

int check() {
  std::mt19937 rng(42);
  bool ok = true;
  struct Shape {
    int64_t m, k, n;
  };
  // N not a multiple of the tile or the thread split; K crossing XFC's K
  // block (512); M crossing its row block (64).
  for (Shape s : {Shape{1, 96, 37}, Shape{67, 1056, 45}, Shape{3, 64, 1},
                  Shape{5, 1024, 33}}) {
    std::vector<float> x = makeValues(s.m * s.k, rng, 64);
    std::vector<float> bias = makeValues(s.n, rng, 16);
    std::vector<float> y(s.m * s.n);
    for (const Format &format : formats) {
      if (format.group(s.k) && s.k % format.group(s.k))
        continue; // rows that are not whole groups
      std::vector<float> decoded(s.n * s.k);
      std::vector<uint8_t> w =
          makeWeights(format, s.n, s.k, rng, decoded.data());
      std::vector<uint8_t> packed = packForXfc(format, w.data(), s.k, s.n);
      // Block kinds compute with INT8 activations: the reference gets the
      // same quantized activations, so only kernel errors remain.
      int64_t group = std::max<int64_t>(format.group(s.k), 32);
      std::vector<uint8_t> qx(activationBytes(format, s.m, s.k));
      std::vector<float> input = x;
      if (isBlockKind(format.kind))
        input = quantizedActivations(x, s.m, s.k, group, qx.data());
      for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        OneDnnMatmul ref(s.m, s.k, s.n, Dt::f32, Dt::f32, Dt::f32,
                         input.data(), decoded.data(), bias.data(), 1);
        ref.run(0);
        Pool pool(threads);
        std::fill(y.begin(), y.end(), NAN);
        runXfc(pool, format, x.data(), s.m, s.k, s.n, packed.data(),
               bias.data(), y.data(), qx.data());
        std::string what = "M=" + std::to_string(s.m) +
                           " K=" + std::to_string(s.k) +
                           " N=" + std::to_string(s.n) + " " + format.name +
                           " threads=" + std::to_string(threads) +
                           " vs oneDNN ";
        ok &= compare((what + "f32").c_str(), y.data(), ref.result(), input,
                      decoded, bias, s.m, s.k, s.n);
        if (format.kind != XFK_W_BF16)
          continue;
        if (!OneDnnMatmul::available(Dt::bf16, Dt::bf16, Dt::f32)) {
          std::printf("%s bf16: skipped, oneDNN has no bf16 matmul on this "
                      "CPU\n",
                      what.c_str());
          continue;
        }
        // oneDNN's own bf16 matmul (x is exact in bf16).
        std::vector<uint16_t> xb(x.size());
        std::transform(x.begin(), x.end(), xb.begin(), bf16Bits);
        OneDnnMatmul bf(s.m, s.k, s.n, Dt::bf16, Dt::bf16, Dt::f32, xb.data(),
                        w.data(), bias.data(), 1);
        bf.run(0);
        ok &= compare((what + "bf16").c_str(), y.data(), bf.result(), x, decoded, bias,
                      s.m, s.k, s.n);
      }
    }
  }
  std::printf("%s\n", ok ? "all agree" : "MISMATCH");
  return ok ? 0 : 1;
}

//===----------------------------------------------------------------------===//
// The benchmark tables.
//===----------------------------------------------------------------------===//

struct Options {
  bool quick = false;
  /// --sparse=LEVELS: the sparse float kernels at these fractions of
  /// zeros against the dense panels, instead of the format table.
  std::vector<double> sparsity;
  std::vector<int> threads;
  std::vector<int64_t> ms = {1, 128}, ns = {5632, 2048};
  int64_t k = 2048;
  std::string bandwidthFile;
  bool bandwidthOnly = false;
};

struct Row {
  std::string type, xfcNote;
  double xfc = -1, onednn = -1; // seconds per call, < 0: n/a
  double xfcBytes = 0, onednnBytes = 0;
};

std::string cell(double v, const char *fmt) {
  if (v < 0)
    return "n/a";
  char s[64];
  std::snprintf(s, sizeof s, fmt, v);
  return s;
}

int bench(const Options &o) {
  std::mt19937 rng(7);
  // Bandwidth first: decode percentages divide by it.
  size_t probeBytes = (o.quick ? 512ull : 1024ull) << 20;
  std::vector<double> bandwidth(*std::max_element(o.threads.begin(),
                                                  o.threads.end()) + 1);
  std::printf("## Streaming-read bandwidth\n\n%zu MiB buffer, %s loads, "
              "best of %d passes.\n\n| threads | GB/s |\n|---:|---:|\n",
              probeBytes >> 20, probeLoads(), o.quick ? 3 : 5);
  for (int t : o.threads) {
    bandwidth[t] = measureBandwidth(probeBytes, t, o.quick ? 3 : 5);
    std::printf("| %d | %.1f |\n", t, bandwidth[t]);
  }
  std::fflush(stdout);
  if (!o.bandwidthFile.empty()) {
    if (FILE *f = std::fopen(o.bandwidthFile.c_str(), "w")) {
      for (int t : o.threads)
        std::fprintf(f, "%d %.3f\n", t, bandwidth[t]);
      std::fclose(f);
    }
  }

  if (o.bandwidthOnly)
    return 0;
  double minSeconds = o.quick ? 0.1 : 0.4;
  // GEMV weights cycle through copies bigger than the last-level cache, so
  // that they come from memory, as in decode.
  const double streamBytes = 768.0 * (1 << 20);
  int64_t k = o.k;
  for (int64_t m : o.ms) {
    bool gemv = m == 1;
    std::printf("\n## %s, M=%lld, K=%lld\n\n", gemv ? "GEMV" : "GEMM",
                static_cast<long long>(m), static_cast<long long>(k));
    std::printf("| N | type | threads | XFC GFLOP/s | oneDNN GFLOP/s | "
                "XFC/oneDNN |%s\n|---:|---|---:|---:|---:|---:|%s\n",
                gemv ? " XFC GB/s | XFC % BW | oneDNN GB/s | oneDNN % BW |"
                     : "",
                gemv ? "---:|---:|---:|---:|" : "");
    std::vector<float> x = makeValues(m * k, rng, 64);
    std::vector<uint16_t> xb(x.size());
    std::transform(x.begin(), x.end(), xb.begin(), bf16Bits);
    std::vector<uint8_t> xu8(x.size()), ws8;
    for (uint8_t &v : xu8)
      v = static_cast<uint8_t>(rng() & 0xff);
    for (int64_t n : o.ns) {
      std::vector<float> y(m * n);
      double flops = 2.0 * m * n * k;
      for (int t : o.threads) {
        omp_set_num_threads(t);
        std::vector<Row> rows;
        auto copiesFor = [&](double bytes) {
          return gemv ? static_cast<int>(std::min(
                            64.0, std::ceil(streamBytes / bytes)))
                      : 1;
        };
        // XFC for every weight format; oneDNN where it has the same type.
        for (const Format &format : formats) {
          Row row;
          row.type = format.name;
          row.xfcBytes = static_cast<double>(format.rowBytes(k)) * n;
          int copies = copiesFor(row.xfcBytes);
          std::vector<std::vector<uint8_t>> w, packed;
          for (int c = 0; c < copies; ++c)
            w.push_back(c ? w[0] : makeWeights(format, n, k, rng, nullptr));
          for (int c = 0; c < copies; ++c)
            packed.push_back(c ? packed[0]
                               : packForXfc(format, w[0].data(), k, n));
          {
            std::vector<uint8_t> qx(activationBytes(format, m, k));
            Pool pool(t);
            row.xfc = bestTime(
                [&](int c) {
                  runXfc(pool, format, x.data(), m, k, n, packed[c].data(),
                         nullptr, y.data(), qx.data());
                },
                copies, minSeconds);
          }
          packed.clear();
          bool bf = format.kind == XFK_W_BF16;
          if (format.kind == XFK_W_F32 ||
              (bf && OneDnnMatmul::available(Dt::bf16, Dt::bf16, Dt::f32))) {
            row.onednnBytes = row.xfcBytes;
            OneDnnMatmul dnn(m, k, n, bf ? Dt::bf16 : Dt::f32,
                             bf ? Dt::bf16 : Dt::f32, Dt::f32,
                             bf ? static_cast<const void *>(xb.data())
                                : x.data(),
                             w[0].data(), nullptr, copies);
            w.clear();
            row.onednn = bestTime([&](int c) { dnn.run(c); }, copies,
                                  minSeconds);
          }
          if (format.bf16Compute)
            row.xfcNote = " (XFC: bf16 compute)";
          else if (format.kind == XFK_W_BF16)
            row.xfcNote = " (XFC: bf16 weights, f32 compute)";
          else if (isBlockKind(format.kind))
            row.xfcNote = " (XFC: int8 compute)";
          rows.push_back(row);
        }
        { // oneDNN u8s8 -> s32 next to XFC's int8 compute on per-channel
          // INT8 weights, which also quantizes x (per token) and scales
          // the sums.
          Row row;
          row.type = "u8s8";
          row.onednnBytes = static_cast<double>(n) * k;
          for (const Row &q8 : rows)
            if (q8.type == "int8 per-channel") {
              row.xfc = q8.xfc;
              row.xfcBytes = q8.xfcBytes;
            }
          row.xfcNote = " (XFC: int8 per-channel weights, int8 compute)";
          int copies = copiesFor(row.onednnBytes);
          std::vector<uint8_t> w(n * k);
          for (uint8_t &v : w)
            v = static_cast<uint8_t>(rng() % 255 + 1);
          OneDnnMatmul dnn(m, k, n, Dt::u8, Dt::s8, Dt::s32, xu8.data(),
                           w.data(), nullptr, copies);
          row.onednn = bestTime([&](int c) { dnn.run(c); }, copies,
                                minSeconds);
          rows.push_back(row);
        }
        for (const Row &r : rows) {
          double xg = r.xfc < 0 ? -1 : flops / r.xfc / 1e9;
          double dg = r.onednn < 0 ? -1 : flops / r.onednn / 1e9;
          std::printf("| %lld | %s%s | %d | %s | %s | %s |",
                      static_cast<long long>(n), r.type.c_str(),
                      r.xfcNote.c_str(), t, cell(xg, "%.1f").c_str(),
                      cell(dg, "%.1f").c_str(),
                      cell(xg < 0 || dg < 0 ? -1 : xg / dg, "%.2f").c_str());
          if (gemv) {
            double xbw = r.xfc < 0 ? -1 : r.xfcBytes / r.xfc / 1e9;
            double dbw = r.onednn < 0 ? -1 : r.onednnBytes / r.onednn / 1e9;
            std::printf(" %s | %s | %s | %s |", cell(xbw, "%.1f").c_str(),
                        cell(xbw < 0 ? -1 : 100 * xbw / bandwidth[t], "%.0f%%")
                            .c_str(),
                        cell(dbw, "%.1f").c_str(),
                        cell(dbw < 0 ? -1 : 100 * dbw / bandwidth[t], "%.0f%%")
                            .c_str());
          }
          std::printf("\n");
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}

/// The sparse float panels (xfk_linear_sparse) at each level of zeros
/// against the dense panels (xfk_linear_packed) of the same weights, in one
/// run: seconds per call, the speedup, and for GEMV the bytes the sparse
/// kernel reads as a share of the bandwidth.
int sparseBench(const Options &o) {
  std::mt19937 rng(11);
  size_t probeBytes = (o.quick ? 512ull : 1024ull) << 20;
  double minSeconds = o.quick ? 0.1 : 0.4;
  const double streamBytes = 768.0 * (1 << 20);
  int64_t k = o.k;
  std::printf("## Sparse float panels against dense ones, K=%lld\n\n"
              "| M | N | weights | threads | zeros | dense us | sparse us | "
              "speedup | sparse GB/s | %% BW |\n"
              "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
              static_cast<long long>(k));
  for (int t : o.threads) {
    double bandwidth = measureBandwidth(probeBytes, t, o.quick ? 3 : 5);
    Pool pool(t);
    for (int64_t m : o.ms)
      for (int64_t n : o.ns)
        for (int64_t kind : {int64_t(XFK_W_F32), int64_t(XFK_W_F16)}) {
          int64_t elt = kind == XFK_W_F32 ? 4 : 2;
          std::vector<float> x = makeValues(m * k, rng, 64);
          std::vector<float> y(m * n);
          auto time =
              [&](const std::vector<std::vector<uint8_t>> &w,
                  const std::function<void(const uint8_t *, int64_t, int64_t)>
                      &call) {
                return bestTime(
                    [&](int c) {
                      pool.run([&](int i) {
                        auto [n0, n1] = split(n, i, pool.size(), 64);
                        if (n0 < n1)
                          call(w[c].data(), n0, n1);
                      });
                    },
                    static_cast<int>(w.size()), minSeconds);
              };
          auto copies = [&](double bytes) {
            return m == 1 ? static_cast<int>(
                                std::min(64.0, std::ceil(streamBytes / bytes)))
                          : 1;
          };
          auto xAddr = reinterpret_cast<intptr_t>(x.data());
          auto yAt = [&](int64_t n0) {
            return reinterpret_cast<intptr_t>(y.data() + n0);
          };
          double dense = -1;
          for (double zeros : o.sparsity) {
            // Rows of f32 or f16 values, each zero with probability `zeros`.
            std::bernoulli_distribution isZero(zeros);
            std::vector<float> values = makeValues(n * k, rng, 64);
            for (float &v : values)
              if (isZero(rng))
                v = 0.0f;
            std::vector<uint8_t> rows(n * k * elt);
            for (int64_t i = 0; i < n * k; ++i) {
              uint16_t h = halfBits(values[i]);
              std::memcpy(&rows[i * elt], elt == 4 ? (void *)&values[i] : &h,
                          elt);
            }
            if (dense < 0) {
              std::vector<uint8_t> packed(xfk_packed_bytes(kind, 0, n, k));
              xfk_pack(kind, 0, rows.data(), k * elt, n, k, packed.data());
              std::vector<std::vector<uint8_t>> w(copies(packed.size()),
                                                  packed);
              dense = time(w, [&](const uint8_t *p, int64_t n0, int64_t n1) {
                xfk_linear_packed(kind, xAddr, k, reinterpret_cast<intptr_t>(p),
                                  0, 0, 0, XFK_ACT_NONE, 0, yAt(n0), n, m, k,
                                  n0, n1);
              });
            }
            int64_t slots =
                xfk_sparse_panel_values(kind, rows.data(), k * elt, n, k);
            std::vector<uint8_t> packed(
                xfk_sparse_packed_bytes(kind, n, k, slots));
            xfk_pack_sparse(kind, rows.data(), k * elt, n, k, slots,
                            packed.data());
            std::vector<std::vector<uint8_t>> w(copies(packed.size()), packed);
            double sparse =
                time(w, [&](const uint8_t *p, int64_t n0, int64_t n1) {
                  xfk_linear_sparse(kind, slots, xAddr, k,
                                    reinterpret_cast<intptr_t>(p), 0, 0, 0,
                                    XFK_ACT_NONE, 0, yAt(n0), n, m, k, n0, n1);
                });
            double gbs = packed.size() / sparse / 1e9;
            std::printf("| %lld | %lld | %s | %d | %.0f%% | %.1f | %.1f | "
                        "%.2f | %s | %s |\n",
                        static_cast<long long>(m), static_cast<long long>(n),
                        elt == 4 ? "f32" : "f16", t, 100 * zeros, dense * 1e6,
                        sparse * 1e6, dense / sparse,
                        m == 1 ? cell(gbs, "%.1f").c_str() : "",
                        m == 1 ? cell(100 * gbs / bandwidth, "%.0f%%").c_str()
                               : "");
            std::fflush(stdout);
          }
        }
  }
  return 0;
}

/// INT8 activations against Q8_0 weights with zeros at each level, in one
/// run against XFC's dense tiles and oneDNN's dense u8s8 GEMM of the same
/// shape:
///  - whole groups of 16 rows by 32 values zero (block:16x32 pruning), in
///    the sparse tiles (xfk_linear_q8_sparse, which skip them);
///  - values zero one by one (unstructured), in the sparse codes
///    (xfk_linear_q8_codes).
/// The INT8 activations' quantization is timed with XFC's kernels.
int sparseTilesBench(const Options &o) {
  std::mt19937 rng(13);
  double minSeconds = o.quick ? 0.1 : 0.4;
  const double streamBytes = 768.0 * (1 << 20);
  const int64_t k = o.k, group = 32;
  std::printf("\n## INT8: Q8_0 sparse tiles (zero 16x32 groups skipped) "
              "and sparse codes (unstructured zeros) against dense tiles "
              "and oneDNN u8s8, K=%lld\n\n"
              "Speedups are dense time / sparse time.\n\n"
              "| M | N | threads | zeros | oneDNN u8s8 us | XFC dense us | "
              "block:16x32 tiles us | tiles vs dense | tiles vs oneDNN | "
              "unstructured codes us | codes vs dense | codes vs oneDNN |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
              "\n",
              static_cast<long long>(k));
  Format q8{"q8_0", XFK_W_Q8_0};
  for (int t : o.threads) {
    omp_set_num_threads(t);
    Pool pool(t);
    for (int64_t m : o.ms)
      for (int64_t n : o.ns) {
        std::vector<float> x = makeValues(m * k, rng, 64);
        std::vector<float> y(m * n);
        std::vector<uint8_t> qx(xfk_quantized_row_bytes(k, group) * m);
        auto xAddr = reinterpret_cast<intptr_t>(x.data());
        auto qAddr = reinterpret_cast<intptr_t>(qx.data());
        auto copies = [&](double bytes) {
          return m == 1 ? static_cast<int>(
                              std::min(64.0, std::ceil(streamBytes / bytes)))
                        : 1;
        };
        auto run =
            [&](const std::vector<std::vector<uint8_t>> &w,
                const std::function<void(intptr_t, int64_t, int64_t)> &call) {
              return bestTime(
                  [&](int c) {
                    xfk_quantize_rows(xAddr, k, m, k, group, qAddr);
                    auto wAddr = reinterpret_cast<intptr_t>(w[c].data());
                    pool.run([&](int i) {
                      auto [n0, n1] = split(n, i, pool.size(), 16);
                      if (n0 < n1)
                        call(wAddr, n0, n1);
                    });
                  },
                  static_cast<int>(w.size()), minSeconds);
            };
        // oneDNN's dense INT8 GEMM: 1 byte per weight, whatever its zeros.
        std::vector<uint8_t> xu8(m * k), wdnn(n * k);
        for (uint8_t &v : xu8)
          v = static_cast<uint8_t>(rng() & 0xff);
        for (uint8_t &v : wdnn)
          v = static_cast<uint8_t>(rng() % 255 + 1);
        int dnnCopies = copies(static_cast<double>(n) * k);
        OneDnnMatmul dnn(m, k, n, Dt::u8, Dt::s8, Dt::s32, xu8.data(),
                         wdnn.data(), nullptr, dnnCopies);
        double onednn =
            bestTime([&](int c) { dnn.run(c); }, dnnCopies, minSeconds);
        double dense = -1;
        for (double zeros : o.sparsity) {
          std::vector<uint8_t> rows = makeWeights(q8, n, k, rng, nullptr);
          std::vector<uint8_t> unstructured = rows;
          std::bernoulli_distribution isZero(zeros);
          int64_t ldw = q8.rowBytes(k), blockBytes = q8.blockBytes(k);
          for (int64_t r = 0; r < n; ++r) // a ggml block: f16 scale, 32 codes
            for (int64_t j = 0; j < k; ++j)
              if (isZero(rng))
                unstructured[r * ldw + j / 32 * blockBytes + 2 + j % 32] = 0;
          for (int64_t n0 = 0; n0 < n; n0 += 16)
            for (int64_t b = 0; b < k / group; ++b)
              if (isZero(rng))
                for (int64_t r = n0; r < std::min(n, n0 + 16); ++r)
                  std::memset(&rows[r * ldw + b * blockBytes], 0, blockBytes);
          if (dense < 0) {
            std::vector<uint8_t> packed = packForXfc(q8, rows.data(), k, n);
            std::vector<std::vector<uint8_t>> w(copies(packed.size()), packed);
            dense = run(w, [&](intptr_t wAddr, int64_t n0, int64_t n1) {
              xfk_linear_q8(
                  XFK_W_Q8_0, group, qAddr, wAddr, 0, 0, 0, XFK_ACT_NONE, 0,
                  reinterpret_cast<intptr_t>(y.data() + n0), n, m, k, n0, n1);
            });
          }
          int64_t stored =
              xfk_sparse_tile_groups(XFK_W_Q8_0, group, rows.data(), ldw, n, k);
          std::vector<uint8_t> packed(
              xfk_sparse_tiles_bytes(XFK_W_Q8_0, group, n, k, stored));
          xfk_pack_sparse_tiles(XFK_W_Q8_0, group, rows.data(), ldw, n, k,
                                stored, packed.data());
          std::vector<std::vector<uint8_t>> w(copies(packed.size()), packed);
          double sparse = run(w, [&](intptr_t wAddr, int64_t n0, int64_t n1) {
            xfk_linear_q8_sparse(
                XFK_W_Q8_0, group, stored, qAddr, wAddr, 0, 0, 0, XFK_ACT_NONE,
                0, reinterpret_cast<intptr_t>(y.data() + n0), n, m, k, n0, n1);
          });
          int64_t values = xfk_sparse_code_values(
              XFK_W_Q8_0, group, unstructured.data(), ldw, n, k);
          std::vector<uint8_t> codes(
              xfk_sparse_codes_bytes(XFK_W_Q8_0, group, n, k, values));
          xfk_pack_sparse_codes(XFK_W_Q8_0, group, unstructured.data(), ldw, n,
                                k, values, codes.data());
          std::vector<std::vector<uint8_t>> wc(copies(codes.size()), codes);
          double coded = run(wc, [&](intptr_t wAddr, int64_t n0, int64_t n1) {
            xfk_linear_q8_codes(
                XFK_W_Q8_0, group, values, qAddr, wAddr, 0, 0, 0, XFK_ACT_NONE,
                0, reinterpret_cast<intptr_t>(y.data() + n0), n, m, k, n0, n1);
          });
          std::printf("| %lld | %lld | %d | %.0f%% | %.1f | %.1f | %.1f | "
                      "%.2f | %.2f | %.1f | %.2f | %.2f |\n",
                      static_cast<long long>(m), static_cast<long long>(n), t,
                      100 * zeros, onednn * 1e6, dense * 1e6, sparse * 1e6,
                      dense / sparse, onednn / sparse, coded * 1e6,
                      dense / coded, onednn / coded);
          std::fflush(stdout);
        }
      }
  }
  return 0;
}

std::vector<int64_t> parseList(const char *s) {
  std::vector<int64_t> v;
  for (char *end; *s; s = *end ? end + 1 : end) {
    v.push_back(std::strtoll(s, &end, 10));
    if (end == s || v.back() <= 0)
      return {};
  }
  return v;
}

int usage() {
  std::fprintf(stderr,
               "usage: xfc-kernel-bench [--check] [--quick] [--threads=1,2]\n"
               "         [--m=1,128] [--n=5632,2048] [--k=2048]\n"
               "         [--bandwidth-file=FILE] [--bandwidth-only]\n"
               "         [--sparse=0,0.5,0.7,0.8,0.9]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  bool runCheck = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *prefix) -> const char * {
      size_t len = std::strlen(prefix);
      return a.compare(0, len, prefix) == 0 ? argv[i] + len : nullptr;
    };
    if (a == "--check")
      runCheck = true;
    else if (a == "--bandwidth-only")
      o.bandwidthOnly = true;
    else if (a == "--quick")
      o.quick = true;
    else if (const char *v = value("--threads=")) {
      o.threads.clear();
      for (int64_t t : parseList(v))
        o.threads.push_back(static_cast<int>(t));
      if (o.threads.empty())
        return usage();
    } else if (const char *v = value("--m="))
      o.ms = parseList(v);
    else if (const char *v = value("--n="))
      o.ns = parseList(v);
    else if (const char *v = value("--k="))
      o.k = std::strtoll(v, nullptr, 10);
    else if (const char *v = value("--sparse=")) {
      for (char *end; *v; v = *end ? end + 1 : end) {
        o.sparsity.push_back(std::strtod(v, &end));
        if (end == v || o.sparsity.back() < 0 || o.sparsity.back() > 1)
          return usage();
      }
    } else if (const char *v = value("--bandwidth-file="))
      o.bandwidthFile = v;
    else
      return usage();
  }
  if (runCheck)
    return check();
  if (o.ms.empty() || o.ns.empty() || o.k <= 0 || o.k % 32)
    return usage(); // the block formats need K a multiple of 32
  if (o.threads.empty()) {
    o.threads.push_back(1);
    int hw = static_cast<int>(std::thread::hardware_concurrency());
    if (hw > 1)
      o.threads.push_back(hw);
  }
  if (o.sparsity.empty())
    return bench(o);
  int status = sparseBench(o);
  return status ? status : sparseTilesBench(o);
}
