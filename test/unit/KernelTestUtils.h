//===- KernelTestUtils.h - Weight encodings for the kernel tests -*- C++ -*-===//
//
// The encodings the kernels read, and rows encoded with the GGUF
// frontend's codecs (not the kernels' own), decoded back for references.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TEST_UNIT_KERNELTESTUTILS_H
#define XFC_TEST_UNIT_KERNELTESTUTILS_H

#include "xfk/Kernels.h"

#include "xfc/Frontends/GGUF/GGMLType.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace xfc::gguf::test {

struct Encoding {
  int64_t kind; // XfkWeightKind, with XFK_W_F32_SCALES or not
  GGMLType type;
  const char *name;
  /// Block kinds: f32 scales (and minimums) instead of ggml's f16.
  bool f32Scales = false;
};

inline const Encoding kEncodings[] = {
    {XFK_W_F32, GGMLType::F32, "f32"},
    {XFK_W_F16, GGMLType::F16, "f16"},
    {XFK_W_BF16, GGMLType::BF16, "bf16"},
    {XFK_W_Q8_0, GGMLType::Q8_0, "q8_0"},
    {XFK_W_Q4_0, GGMLType::Q4_0, "q4_0"},
    {XFK_W_Q4_1, GGMLType::Q4_1, "q4_1"},
    {XFK_W_Q8_0 | XFK_W_F32_SCALES, GGMLType::Q8_0, "q8_0/f32", true},
    {XFK_W_Q4_0 | XFK_W_F32_SCALES, GGMLType::Q4_0, "q4_0/f32", true},
    {XFK_W_Q4_1 | XFK_W_F32_SCALES, GGMLType::Q4_1, "q4_1/f32", true},
};

/// A pointer as the kernels' int64 arguments take it.
inline intptr_t addr(const void *p) { return reinterpret_cast<intptr_t>(p); }

/// N x K values in (-1, 1), each zero with probability `zeros`.
inline std::vector<float> sparseValues(int64_t N, int64_t K, double zeros,
                                       std::mt19937 &rng) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::bernoulli_distribution isZero(zeros);
  std::vector<float> v(N * K);
  for (float &x : v)
    x = isZero(rng) ? 0.0f : value(rng);
  return v;
}

inline bool isBlock(GGMLType type) {
  return type == GGMLType::Q8_0 || type == GGMLType::Q4_0 ||
         type == GGMLType::Q4_1;
}

/// Rows of K values encoded as `e` (block kinds: `group` values per scale,
/// K for one per row), and the same bytes decoded by the frontend's codecs
/// for the reference.
struct PackedRows {
  int64_t rowBytes = 0;
  std::vector<uint8_t> bytes;
  std::vector<float> decoded;
};

/// Bytes of a group's header (scale, and Q4_1's minimum) and of the codes
/// of each run of 32 values.
inline int64_t scaleBytes(const Encoding &e) { return e.f32Scales ? 4 : 2; }
inline int64_t headerBytes(const Encoding &e) {
  return (e.type == GGMLType::Q4_1 ? 2 : 1) * scaleBytes(e);
}
inline int64_t runBytes(GGMLType type) {
  return type == GGMLType::Q8_0 ? 32 : 16;
}

/// Decodes one row of groups as xfk/Kernels.h documents them: each run of
/// 32 codes with its group's header is one ggml block, which the frontend's
/// decoder reads. With f32 scales, the block gets scale 1 and minimum 0,
/// so the decoder gives the codes' levels, which the f32 scale (and
/// minimum) then take to values.
inline void decodeGroups(const Encoding &e, int64_t group, const uint8_t *row,
                         int64_t K, float *out) {
  int64_t header = headerBytes(e), run = runBytes(e.type);
  int64_t ggmlHeader = e.type == GGMLType::Q4_1 ? 4 : 2;
  int64_t groupBytes = header + group / 32 * run;
  std::vector<uint8_t> block(ggmlHeader + run);
  for (int64_t k = 0; k < K; k += 32) {
    const uint8_t *g = row + k / group * groupBytes;
    float d = 1.0f, m = 0.0f;
    if (e.f32Scales) {
      std::memcpy(&d, g, 4);
      if (e.type == GGMLType::Q4_1)
        std::memcpy(&m, g + 4, 4);
      const uint8_t one[4] = {0x00, 0x3c, 0x00, 0x00}; // f16 1.0, then 0
      std::copy(one, one + ggmlHeader, block.begin());
    } else {
      std::copy(g, g + header, block.begin());
    }
    const uint8_t *codes = g + header + k % group / 32 * run;
    std::copy(codes, codes + run, block.begin() + ggmlHeader);
    EXPECT_TRUE(decodeToF32(e.type, block.data(), 32, out + k));
    if (e.f32Scales)
      for (int64_t j = 0; j < 32; ++j)
        out[k + j] = d * out[k + j] + m;
  }
}

inline PackedRows pack(const Encoding &e, const std::vector<float> &values,
                       int64_t rows, int64_t K, int64_t group = 32) {
  GGMLTypeInfo info = *getTypeInfo(static_cast<uint32_t>(e.type));
  PackedRows p;
  bool blocks = isBlock(e.type);
  p.rowBytes =
      blocks ? K / group * (headerBytes(e) + group / 32 * runBytes(e.type))
             : K / info.blockSize * info.blockBytes;
  p.bytes.resize(rows * p.rowBytes);
  p.decoded.resize(rows * K);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *row = &p.bytes[r * p.rowBytes];
    if (blocks) {
      EXPECT_TRUE(encodeGroupsFromF32(e.type, group, &values[r * K], K, row,
                                      e.f32Scales));
      decodeGroups(e, group, row, K, &p.decoded[r * K]);
    } else {
      EXPECT_TRUE(encodeFromF32(e.type, &values[r * K], K, row));
      EXPECT_TRUE(decodeToF32(e.type, row, K, &p.decoded[r * K]));
    }
  }
  return p;
}

/// The activation epilogue a kernel call applies (xfk/Kernels.h): none by
/// default; gated when `up` > 0.
struct Activation {
  XfkActivation act = XFK_ACT_NONE;
  int64_t up = 0;
};

/// The reference activations, in double.
inline double activate(XfkActivation act, double s) {
  if (act == XFK_ACT_SILU)
    return s / (1.0 + std::exp(-s));
  if (act == XFK_ACT_GELU)
    return 0.5 * s *
           (1.0 +
            std::tanh(std::sqrt(2.0 / M_PI) * (s + 0.044715 * s * s * s)));
  return s;
}

/// Checks a linear kernel's output y[m * ldy + (n - n0)], for m < M and
/// n0 <= n < n1, against the double-precision sum over k < K of
/// activation(m, k) * decoded[n * K + k] (+ bias[n]), put through the
/// activation epilogue `a` (+ residual[m * ldr + n]), within 1e-5 of the
/// sum of the terms' magnitudes (+1), scaled by the activation's slope and
/// the gating factor; and that the columns past n1 - n0 of each row,
/// filled with NaN before the call, were not written.
inline void
expectLinearOutput(const std::vector<float> &y, int64_t ldy, int64_t M,
                   int64_t K, int64_t n0, int64_t n1,
                   const std::function<double(int64_t, int64_t)> &activation,
                   const std::vector<float> &decoded, const float *bias,
                   const float *residual = nullptr, int64_t ldr = 0,
                   const Activation &a = {}) {
  // Row n's sum and the sum of its terms' magnitudes.
  auto dot = [&](int64_t m, int64_t n, double &scale) {
    double sum = bias ? bias[n] : 0.0;
    scale = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      double term = activation(m, k) * decoded[n * K + k];
      sum += term;
      scale += std::fabs(term);
    }
    return sum;
  };
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = n0; n < n1; ++n) {
      double scale, s = dot(m, n, scale);
      double ref = activate(a.act, s), tolerance = 1e-5 * (scale + 1.0);
      if (a.up > 0) {
        // d(act(g) u) = act'(g) u dg + act(g) du, with |act'| < 1.2.
        double upScale, u = dot(m, a.up + n, upScale);
        tolerance = 1e-5 * (1.2 * (scale + 1.0) * (std::fabs(u) + 1.0) +
                            (upScale + 1.0) * (std::fabs(ref) + 1.0));
        ref *= u;
      } else if (a.act != XFK_ACT_NONE) {
        tolerance *= 1.2;
      }
      ref += residual ? residual[m * ldr + n] : 0.0;
      ASSERT_NEAR(y[m * ldy + (n - n0)], ref, tolerance)
          << "at m=" << m << " n=" << n;
    }
    for (int64_t j = n1 - n0; j < ldy; ++j)
      ASSERT_TRUE(std::isnan(y[m * ldy + j])) << "wrote column " << j;
  }
}

/// Rows quantized by xfk_quantize_rows, read as the ABI documents them.
struct QuantizedX {
  std::vector<uint8_t> bytes;
  int64_t rowBytes, K, group;
  int8_t code(int64_t m, int64_t k) const {
    return static_cast<int8_t>(bytes[m * rowBytes + k]);
  }
  /// The scale and code sum of group b of row m.
  float scale(int64_t m, int64_t b) const {
    float s;
    std::memcpy(&s, &bytes[m * rowBytes + K + 4 * b], 4);
    return s;
  }
  int32_t sum(int64_t m, int64_t b) const {
    int32_t s;
    std::memcpy(&s, &bytes[m * rowBytes + K + K / group * 4 + 4 * b], 4);
    return s;
  }
  /// The value the codes give activation k of row m.
  double value(int64_t m, int64_t k) const {
    return double(scale(m, k / group)) * code(m, k);
  }
};

inline QuantizedX quantize(const std::vector<float> &x, int64_t ldx, int64_t M,
                           int64_t K, int64_t group = 32) {
  QuantizedX q;
  q.rowBytes = xfk_quantized_row_bytes(K, group);
  q.K = K;
  q.group = group;
  q.bytes.assign(M * q.rowBytes, 0);
  xfk_quantize_rows(reinterpret_cast<intptr_t>(x.data()), ldx, M, K, group,
                    reinterpret_cast<intptr_t>(q.bytes.data()));
  return q;
}

/// Runs an INT8 kernel on random rows of x (quantized in `group`s) and a
/// random bias (or none), and checks its output against the decoded
/// weights `rows`. `run(qx, bias, y, ldy)` calls the kernel.
inline void expectQuantizedLinear(
    const PackedRows &rows, int64_t M, int64_t N, int64_t K, int64_t group,
    bool bias, int64_t n0, int64_t n1, std::mt19937 &rng, const Activation &a,
    const std::function<void(intptr_t, intptr_t, intptr_t, int64_t)> &run) {
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  int64_t ldx = K + 7, ldy = (n1 - n0) + 3;
  std::vector<float> x(M * ldx), b(N);
  for (float &v : x)
    v = dist(rng);
  for (float &v : b)
    v = dist(rng);
  QuantizedX q = quantize(x, ldx, M, K, group);
  std::vector<float> y(M * ldy, NAN);
  run(addr(q.bytes.data()), bias ? addr(b.data()) : 0, addr(y.data()), ldy);
  expectLinearOutput(
      y, ldy, M, K, n0, n1, [&](int64_t m, int64_t k) { return q.value(m, k); },
      rows.decoded, bias ? b.data() : nullptr, nullptr, 0, a);
}

/// A test run at one instruction-set level, skipped where the CPU lacks it.
class IsaTest : public testing::TestWithParam<int> {
protected:
  void SetUp() override {
    if (!xfk_force_isa(GetParam()))
      GTEST_SKIP() << "this CPU lacks ISA level " << GetParam();
  }
  void TearDown() override { xfk_force_isa(-1); }
};

inline std::string isaName(const testing::TestParamInfo<int> &info) {
  return xfk_isa_name(info.param);
}

/// Every level, for INSTANTIATE_TEST_SUITE_P.
inline auto allIsas() {
  return testing::Values(XFK_ISA_GENERIC, XFK_ISA_AVX2, XFK_ISA_AVX512,
                         XFK_ISA_AVX512_VNNI, XFK_ISA_AVX512_BF16, XFK_ISA_AMX);
}

} // namespace xfc::gguf::test

#endif // XFC_TEST_UNIT_KERNELTESTUTILS_H
