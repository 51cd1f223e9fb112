//===- GGMLType.h - ggml tensor element types -------------------*- C++ -*-===//
//
// The tensor types a GGUF file can hold: their block geometry, and decoders
// from their on-disk blocks to floats.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_GGUF_GGMLTYPE_H
#define XFC_FRONTENDS_GGUF_GGMLTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace xfc::gguf {

/// ggml's type ids, as stored in GGUF tensor infos.
enum class GGMLType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};

/// How XFC imports a type.
enum class ImportKind {
  Lossless,      // kept bit-exact (float, or quantized blocks as they are)
  DecodedToF32,  // expanded to f32 at import, with a warning
  Unsupported,   // refused with an error naming the tensor
};

struct GGMLTypeInfo {
  const char *name;
  uint32_t blockSize;  // elements per block
  uint32_t blockBytes; // bytes per block
  ImportKind import;
};

/// Geometry and import policy of a type id, or nullopt for ids ggml never
/// defined. Types ggml defines but XFC cannot decode have Unsupported.
std::optional<GGMLTypeInfo> getTypeInfo(uint32_t type);

/// The type's name ("Q4_K"), or "type N" for an unknown id.
std::string typeName(uint32_t type);

/// Decodes `count` elements (a multiple of the block size) starting at
/// `blocks` into `out`. Returns false for types without a decoder.
bool decodeToF32(GGMLType type, const uint8_t *blocks, size_t count,
                 float *out);

/// Encodes `count` floats (a multiple of the block size) as `type`, with
/// ggml's reference rounding. Supports the lossless types only (F32, F16,
/// BF16, Q8_0, Q4_0, Q4_1); returns false for others.
bool encodeFromF32(GGMLType type, const float *values, size_t count,
                   uint8_t *blocks);

/// Encodes `count` floats (a multiple of `group`) with the scales and
/// levels of Q8_0, Q4_0 or Q4_1 over groups of `group` values (a multiple
/// of 32): per group the scale (and minimum), f16 or with `f32Scales` f32,
/// then the codes in runs of 32 values stored as ggml stores a block's
/// codes. With groups of 32 and f16 scales these are ggml's blocks.
/// Returns false for other types or groups.
bool encodeGroupsFromF32(GGMLType type, size_t group, const float *values,
                         size_t count, uint8_t *blocks, bool f32Scales = false);

/// Writes one group of `n` codes (a multiple of 32; Q8_0: -127..127, Q4:
/// 0..15) after its scale (and Q4_1's minimum), f16 or with `f32Scales`
/// f32, as encodeGroupsFromF32 lays a group out. Returns false for other
/// types or sizes.
bool writeGroup(GGMLType type, size_t n, float scale, float minimum,
                const int *codes, bool f32Scales, uint8_t *out);

/// IEEE half and bfloat16 conversions (round to nearest even).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
float bf16ToFloat(uint16_t h);
uint16_t floatToBF16(float f);

} // namespace xfc::gguf

#endif // XFC_FRONTENDS_GGUF_GGMLTYPE_H
