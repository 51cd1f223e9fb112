//===- GGMLType.cpp - ggml tensor element types ---------------------------===//

#include "xfc/Frontends/GGUF/GGMLType.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace xfc::gguf;

namespace {
constexpr uint32_t kQK = 32;  // elements per block of the *_0/_1 types
constexpr uint32_t kQKK = 256; // elements per K-quant super-block

uint16_t load16(const uint8_t *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
} // namespace

std::optional<GGMLTypeInfo> xfc::gguf::getTypeInfo(uint32_t type) {
  using K = ImportKind;
  switch (static_cast<GGMLType>(type)) {
  case GGMLType::F32: return GGMLTypeInfo{"F32", 1, 4, K::Lossless};
  case GGMLType::F16: return GGMLTypeInfo{"F16", 1, 2, K::Lossless};
  case GGMLType::BF16: return GGMLTypeInfo{"BF16", 1, 2, K::Lossless};
  case GGMLType::Q4_0: return GGMLTypeInfo{"Q4_0", kQK, 18, K::Lossless};
  case GGMLType::Q4_1: return GGMLTypeInfo{"Q4_1", kQK, 20, K::Lossless};
  case GGMLType::Q8_0: return GGMLTypeInfo{"Q8_0", kQK, 34, K::Lossless};
  case GGMLType::Q5_0: return GGMLTypeInfo{"Q5_0", kQK, 22, K::DecodedToF32};
  case GGMLType::Q5_1: return GGMLTypeInfo{"Q5_1", kQK, 24, K::DecodedToF32};
  case GGMLType::Q4_K: return GGMLTypeInfo{"Q4_K", kQKK, 144, K::DecodedToF32};
  case GGMLType::Q5_K: return GGMLTypeInfo{"Q5_K", kQKK, 176, K::DecodedToF32};
  case GGMLType::Q6_K: return GGMLTypeInfo{"Q6_K", kQKK, 210, K::DecodedToF32};
  case GGMLType::Q8_1: return GGMLTypeInfo{"Q8_1", kQK, 36, K::Unsupported};
  case GGMLType::Q2_K: return GGMLTypeInfo{"Q2_K", kQKK, 84, K::Unsupported};
  case GGMLType::Q3_K: return GGMLTypeInfo{"Q3_K", kQKK, 110, K::Unsupported};
  case GGMLType::Q8_K: return GGMLTypeInfo{"Q8_K", kQKK, 292, K::Unsupported};
  case GGMLType::IQ2_XXS: return GGMLTypeInfo{"IQ2_XXS", kQKK, 66, K::Unsupported};
  case GGMLType::IQ2_XS: return GGMLTypeInfo{"IQ2_XS", kQKK, 74, K::Unsupported};
  case GGMLType::IQ3_XXS: return GGMLTypeInfo{"IQ3_XXS", kQKK, 98, K::Unsupported};
  case GGMLType::IQ1_S: return GGMLTypeInfo{"IQ1_S", kQKK, 50, K::Unsupported};
  case GGMLType::IQ4_NL: return GGMLTypeInfo{"IQ4_NL", kQK, 18, K::Unsupported};
  case GGMLType::IQ3_S: return GGMLTypeInfo{"IQ3_S", kQKK, 110, K::Unsupported};
  case GGMLType::IQ2_S: return GGMLTypeInfo{"IQ2_S", kQKK, 82, K::Unsupported};
  case GGMLType::IQ4_XS: return GGMLTypeInfo{"IQ4_XS", kQKK, 136, K::Unsupported};
  case GGMLType::I8: return GGMLTypeInfo{"I8", 1, 1, K::Unsupported};
  case GGMLType::I16: return GGMLTypeInfo{"I16", 1, 2, K::Unsupported};
  case GGMLType::I32: return GGMLTypeInfo{"I32", 1, 4, K::Unsupported};
  case GGMLType::I64: return GGMLTypeInfo{"I64", 1, 8, K::Unsupported};
  case GGMLType::F64: return GGMLTypeInfo{"F64", 1, 8, K::Unsupported};
  case GGMLType::IQ1_M: return GGMLTypeInfo{"IQ1_M", kQKK, 56, K::Unsupported};
  case GGMLType::TQ1_0: return GGMLTypeInfo{"TQ1_0", kQKK, 54, K::Unsupported};
  case GGMLType::TQ2_0: return GGMLTypeInfo{"TQ2_0", kQKK, 66, K::Unsupported};
  case GGMLType::MXFP4: return GGMLTypeInfo{"MXFP4", kQK, 17, K::Unsupported};
  }
  return std::nullopt;
}

std::string xfc::gguf::typeName(uint32_t type) {
  if (std::optional<GGMLTypeInfo> info = getTypeInfo(type))
    return info->name;
  return "type " + std::to_string(type);
}

//===----------------------------------------------------------------------===//
// Half and bfloat16
//===----------------------------------------------------------------------===//

float xfc::gguf::halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) { // inf / nan
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) { // normal
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) { // zero
    bits = sign;
  } else { // subnormal: value = mantissa * 2^-24
    float f = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -f : f;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t xfc::gguf::floatToHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t absBits = bits & 0x7fffffff;
  if (absBits > 0x7f800000) // nan: keep it quiet
    return sign | 0x7e00;
  if (absBits >= 0x477ff000) // rounds to >= 65520: inf
    return sign | 0x7c00;
  if (absBits < 0x38800000) { // below the smallest normal half: subnormal
    float a;
    std::memcpy(&a, &absBits, 4);
    // a * 2^24 rounded to nearest even gives the subnormal mantissa.
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  // Normal: rebias the exponent and round the mantissa to nearest even.
  uint32_t mantissaLsb = (absBits >> 13) & 1;
  absBits += 0xfff + mantissaLsb;
  return sign | static_cast<uint16_t>((absBits - 0x38000000) >> 13);
}

float xfc::gguf::bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t xfc::gguf::floatToBF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

//===----------------------------------------------------------------------===//
// Block decoders
//===----------------------------------------------------------------------===//

namespace {

void decodeQ4_0(const uint8_t *b, float *y) {
  float d = halfToFloat(load16(b));
  const uint8_t *qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0xf) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void decodeQ4_1(const uint8_t *b, float *y) {
  float d = halfToFloat(load16(b)), m = halfToFloat(load16(b + 2));
  const uint8_t *qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0xf) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

/// The 5th bits of Q5_0/Q5_1 sit in a 32-bit mask after the scale(s).
void decodeQ5(const uint8_t *b, float *y, bool hasMin) {
  float d = halfToFloat(load16(b));
  float m = hasMin ? halfToFloat(load16(b + 2)) : 0.0f;
  const uint8_t *p = b + (hasMin ? 4 : 2);
  uint32_t qh;
  std::memcpy(&qh, p, 4);
  const uint8_t *qs = p + 4;
  int offset = hasMin ? 0 : -16;
  for (int j = 0; j < 16; ++j) {
    int lo = (qs[j] & 0xf) | (((qh >> j) & 1) << 4);
    int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
    y[j] = static_cast<float>(lo + offset) * d + m;
    y[j + 16] = static_cast<float>(hi + offset) * d + m;
  }
}

void decodeQ8_0(const uint8_t *b, float *y) {
  float d = halfToFloat(load16(b));
  const int8_t *qs = reinterpret_cast<const int8_t *>(b + 2);
  for (int j = 0; j < 32; ++j)
    y[j] = static_cast<float>(qs[j]) * d;
}

/// The 6-bit scale and min of sub-block `j` in a Q4_K/Q5_K super-block.
void scaleMinK4(int j, const uint8_t *q, uint8_t &scale, uint8_t &min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
    min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/// Q4_K and Q5_K: d, dmin, 12 scale bytes, [32 high-bit bytes], 128 quants.
void decodeQ45K(const uint8_t *b, float *y, bool fiveBit) {
  float d = halfToFloat(load16(b)), dmin = halfToFloat(load16(b + 2));
  const uint8_t *scales = b + 4;
  const uint8_t *qh = b + 16;
  const uint8_t *ql = fiveBit ? b + 48 : b + 16;
  uint8_t u1 = 1, u2 = 2;
  for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
    uint8_t sc, m;
    scaleMinK4(is, scales, sc, m);
    float d1 = d * sc, m1 = dmin * m;
    scaleMinK4(is + 1, scales, sc, m);
    float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) {
      int hi = fiveBit && (qh[l] & u1) ? 16 : 0;
      *y++ = d1 * static_cast<float>((ql[l] & 0xf) + hi) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      int hi = fiveBit && (qh[l] & u2) ? 16 : 0;
      *y++ = d2 * static_cast<float>((ql[l] >> 4) + hi) - m2;
    }
    ql += 32;
    u1 <<= 2;
    u2 <<= 2;
  }
}

/// Q6_K: 128 low-nibble bytes, 64 high-bit bytes, 16 int8 scales, d.
void decodeQ6K(const uint8_t *b, float *y) {
  const uint8_t *ql = b, *qh = b + 128;
  const int8_t *sc = reinterpret_cast<const int8_t *>(b + 192);
  float d = halfToFloat(load16(b + 208));
  for (int n = 0; n < 256; n += 128) {
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
      int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
      int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * sc[is] * q1;
      y[l + 32] = d * sc[is + 2] * q2;
      y[l + 64] = d * sc[is + 4] * q3;
      y[l + 96] = d * sc[is + 6] * q4;
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

} // namespace

bool xfc::gguf::decodeToF32(GGMLType type, const uint8_t *blocks,
                            size_t count, float *out) {
  std::optional<GGMLTypeInfo> info = getTypeInfo(static_cast<uint32_t>(type));
  if (!info || info->import == ImportKind::Unsupported ||
      count % info->blockSize != 0)
    return false;
  size_t numBlocks = count / info->blockSize;
  for (size_t i = 0; i < numBlocks; ++i) {
    const uint8_t *b = blocks + i * info->blockBytes;
    float *y = out + i * info->blockSize;
    switch (type) {
    case GGMLType::F32: std::memcpy(y, b, 4); break;
    case GGMLType::F16: *y = halfToFloat(load16(b)); break;
    case GGMLType::BF16: *y = bf16ToFloat(load16(b)); break;
    case GGMLType::Q4_0: decodeQ4_0(b, y); break;
    case GGMLType::Q4_1: decodeQ4_1(b, y); break;
    case GGMLType::Q5_0: decodeQ5(b, y, /*hasMin=*/false); break;
    case GGMLType::Q5_1: decodeQ5(b, y, /*hasMin=*/true); break;
    case GGMLType::Q8_0: decodeQ8_0(b, y); break;
    case GGMLType::Q4_K: decodeQ45K(b, y, /*fiveBit=*/false); break;
    case GGMLType::Q5_K: decodeQ45K(b, y, /*fiveBit=*/true); break;
    case GGMLType::Q6_K: decodeQ6K(b, y); break;
    default: return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Block encoders
//===----------------------------------------------------------------------===//

namespace {

void store16(uint8_t *p, uint16_t v) { std::memcpy(p, &v, 2); }

// Each encoder takes one group of n values (a multiple of 32) and
// chooses its levels (ggml's reference quantizers), which writeGroup
// stores: the header, then the codes of each run of 32 as ggml stores a
// block's.

void encodeQ8_0(const float *x, size_t n, bool f32Scales, uint8_t *b) {
  float amax = 0;
  for (size_t j = 0; j < n; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
  std::vector<int> codes(n);
  for (size_t j = 0; j < n; ++j)
    codes[j] = static_cast<int>(std::round(x[j] * id)); // ties away, as ggml
  xfc::gguf::writeGroup(GGMLType::Q8_0, n, d, 0.0f, codes.data(), f32Scales, b);
}

void encodeQ4_0(const float *x, size_t n, bool f32Scales, uint8_t *b) {
  // The value of largest magnitude maps to -8, keeping its sign.
  float amax = 0, max = 0;
  for (size_t j = 0; j < n; ++j)
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  float d = max / -8.0f, id = d ? 1.0f / d : 0.0f;
  std::vector<int> codes(n);
  for (size_t j = 0; j < n; ++j)
    codes[j] = std::min(15, static_cast<int>(x[j] * id + 8.5f));
  xfc::gguf::writeGroup(GGMLType::Q4_0, n, d, 0.0f, codes.data(), f32Scales, b);
}

void encodeQ4_1(const float *x, size_t n, bool f32Scales, uint8_t *b) {
  float min = x[0], max = x[0];
  for (size_t j = 1; j < n; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  float d = (max - min) / 15.0f, id = d ? 1.0f / d : 0.0f;
  std::vector<int> codes(n);
  for (size_t j = 0; j < n; ++j)
    codes[j] = std::min(15, static_cast<int>((x[j] - min) * id + 0.5f));
  xfc::gguf::writeGroup(GGMLType::Q4_1, n, d, min, codes.data(), f32Scales, b);
}

} // namespace

bool xfc::gguf::encodeFromF32(GGMLType type, const float *x, size_t count,
                              uint8_t *out) {
  if (type == GGMLType::Q8_0 || type == GGMLType::Q4_0 ||
      type == GGMLType::Q4_1)
    return encodeGroupsFromF32(type, 32, x, count, out);
  std::optional<GGMLTypeInfo> info = getTypeInfo(static_cast<uint32_t>(type));
  if (!info || info->import != ImportKind::Lossless ||
      count % info->blockSize != 0)
    return false;
  for (size_t i = 0, n = count / info->blockSize; i < n; ++i) {
    const float *v = x + i * info->blockSize;
    uint8_t *b = out + i * info->blockBytes;
    switch (type) {
    case GGMLType::F32: std::memcpy(b, v, 4); break;
    case GGMLType::F16: store16(b, floatToHalf(*v)); break;
    case GGMLType::BF16:
      store16(b, floatToBF16(*v));
      break;
    default: return false;
    }
  }
  return true;
}

bool xfc::gguf::writeGroup(GGMLType type, size_t n, float scale, float minimum,
                           const int *codes, bool f32Scales, uint8_t *out) {
  if (n == 0 || n % 32 != 0 ||
      (type != GGMLType::Q8_0 && type != GGMLType::Q4_0 &&
       type != GGMLType::Q4_1))
    return false;
  size_t scaleBytes = f32Scales ? 4 : 2;
  auto storeScale = [&](uint8_t *p, float v) {
    if (f32Scales)
      std::memcpy(p, &v, 4);
    else
      store16(p, floatToHalf(v));
  };
  storeScale(out, scale);
  uint8_t *code = out + scaleBytes;
  if (type == GGMLType::Q4_1) {
    storeScale(code, minimum);
    code += scaleBytes;
  }
  if (type == GGMLType::Q8_0) {
    for (size_t j = 0; j < n; ++j)
      code[j] = static_cast<uint8_t>(static_cast<int8_t>(codes[j]));
    return true;
  }
  // Runs of 32 4-bit codes: value j of a run in byte j's low nibble, value
  // j + 16 in its high one.
  for (size_t run = 0; run < n / 32; ++run)
    for (size_t j = 0; j < 16; ++j)
      code[16 * run + j] = static_cast<uint8_t>(
          (codes[32 * run + j] & 15) | (codes[32 * run + j + 16] & 15) << 4);
  return true;
}

bool xfc::gguf::encodeGroupsFromF32(GGMLType type, size_t group, const float *x,
                                    size_t count, uint8_t *out,
                                    bool f32Scales) {
  if (group == 0 || group % 32 != 0 || count % group != 0)
    return false;
  void (*encode)(const float *, size_t, bool, uint8_t *);
  size_t header = f32Scales ? 4 : 2, codeBits = 4;
  switch (type) {
  case GGMLType::Q8_0:
    encode = encodeQ8_0, codeBits = 8;
    break;
  case GGMLType::Q4_0:
    encode = encodeQ4_0;
    break;
  case GGMLType::Q4_1:
    encode = encodeQ4_1, header *= 2;
    break;
  default:
    return false;
  }
  size_t blockBytes = header + group * codeBits / 8;
  for (size_t i = 0; i < count / group; ++i)
    encode(x + i * group, group, f32Scales, out + i * blockBytes);
  return true;
}
