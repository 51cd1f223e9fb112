/*===- Decode.c - Portable decoding of every weight encoding --------------===*/

#include "Decode.h"

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

uint16_t xfk_load16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

/* Row `row`'s K weights as floats. */
void xfk_decode_row(int64_t kind, const uint8_t *row, int64_t K,
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
    for (int64_t k = 0; k < K; ++k) {
      uint32_t bits = (uint32_t)xfk_load16(row + 2 * k) << 16;
      memcpy(&out[k], &bits, 4);
    }
    return;
  case XFK_W_Q8_0:
    for (int64_t b = 0; b < K / 32; ++b) {
      const uint8_t *block = row + 34 * b;
      float d = xfk_half_to_float(xfk_load16(block));
      for (int j = 0; j < 32; ++j)
        out[32 * b + j] = (float)(int8_t)block[2 + j] * d;
    }
    return;
  case XFK_W_Q4_0:
    for (int64_t b = 0; b < K / 32; ++b) {
      const uint8_t *block = row + 18 * b;
      float d = xfk_half_to_float(xfk_load16(block));
      for (int j = 0; j < 16; ++j) {
        out[32 * b + j] = (float)((block[2 + j] & 15) - 8) * d;
        out[32 * b + j + 16] = (float)((block[2 + j] >> 4) - 8) * d;
      }
    }
    return;
  case XFK_W_Q4_1:
    for (int64_t b = 0; b < K / 32; ++b) {
      const uint8_t *block = row + 20 * b;
      float d = xfk_half_to_float(xfk_load16(block));
      float m = xfk_half_to_float(xfk_load16(block + 2));
      for (int j = 0; j < 16; ++j) {
        out[32 * b + j] = (float)(block[4 + j] & 15) * d + m;
        out[32 * b + j + 16] = (float)(block[4 + j] >> 4) * d + m;
      }
    }
    return;
  }
}

int64_t xfk_row_offset(int64_t kind, int64_t k) {
  switch (kind) {
  case XFK_W_F32:
    return 4 * k;
  case XFK_W_Q8_0:
    return 34 * (k / 32);
  case XFK_W_Q4_0:
    return 18 * (k / 32);
  case XFK_W_Q4_1:
    return 20 * (k / 32);
  default:
    return 2 * k;
  }
}

