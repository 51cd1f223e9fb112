/*===- Decode.c - Portable decoding of every weight encoding --------------===*/

#include "Decode.h"
#include "Packed.h"

#include <string.h>

float xfk_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31,
           mant = h & 1023, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { /* subnormal: normalize */
      exp = 127 - 15 + 1;
      while (!(mant & 1024)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 1023) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

float xfk_bf16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t xfk_load16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

/* 32 values of a block's run of codes `codes`, scale d, minimum m. */
static void decodeRun(int64_t kind, const uint8_t *codes, float d, float m,
                      float *out) {
  if (xfk_base_kind(kind) == XFK_W_Q8_0) {
    for (int j = 0; j < 32; ++j)
      out[j] = (float)(int8_t)codes[j] * d;
    return;
  }
  int offset = xfk_base_kind(kind) == XFK_W_Q4_0 ? 8 : 0;
  for (int j = 0; j < 16; ++j) {
    out[j] = (float)((codes[j] & 15) - offset) * d + m;
    out[j + 16] = (float)((codes[j] >> 4) - offset) * d + m;
  }
}

void xfk_decode_values(int64_t kind, int64_t group, const uint8_t *row,
                       int64_t k0, int64_t count, float *out) {
  if (xfk_is_float_kind(kind)) {
    xfk_decode_row(kind, group, row + k0 * xfk_element_bytes(kind), count, out);
    return;
  }
  int64_t blockBytes = xfk_block_bytes(kind, group),
          header = xfk_block_header_bytes(kind),
          runBytes = xfk_chunk_code_bytes(kind);
  for (int64_t k = k0; k < k0 + count; k += XFK_QBLOCK) {
    const uint8_t *block = row + k / group * blockBytes;
    float d = xfk_load_scale(kind, block);
    float m = xfk_has_minimum(kind)
                  ? xfk_load_scale(kind, block + xfk_scale_bytes(kind))
                  : 0.0f;
    decodeRun(kind, block + header + k % group / XFK_QBLOCK * runBytes, d, m,
              out + (k - k0));
  }
}

void xfk_decode_row(int64_t kind, int64_t group, const uint8_t *row, int64_t K,
                    float *out) {
  switch (kind) {
  case XFK_W_F32:
    memcpy(out, row, (size_t)K * 4);
    return;
  case XFK_W_F16:
    for (int64_t k = 0; k < K; ++k)
      out[k] = xfk_half_to_float(xfk_load16(row + 2 * k));
    return;
  case XFK_W_BF16:
    for (int64_t k = 0; k < K; ++k)
      out[k] = xfk_bf16_to_float(xfk_load16(row + 2 * k));
    return;
  }
  xfk_decode_values(kind, group, row, 0, K, out);
}
