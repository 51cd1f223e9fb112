/*===- Amx.h - AMX tile configuration for the kernels ----------*- C -*-===*
 *
 * Internal to the kernel library: the AMX kernels use three tiles, C
 * (tmm0: rows x 64 bytes of 32-bit sums), A (tmm1: rows x aBytes) and B
 * (tmm2: bRows x 64 bytes), configured with palette 1.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_AMX_H
#define XFK_AMX_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  uint8_t palette, startRow, reserved[14];
  uint16_t bytesPerRow[16];
  uint8_t rows[16];
} XfkTileConfig;

__attribute__((target("amx-tile"))) static inline void
xfk_amx_configure(int rows, int aBytes, int bRows) {
  XfkTileConfig config;
  memset(&config, 0, sizeof config);
  config.palette = 1;
  config.rows[0] = (uint8_t)rows, config.bytesPerRow[0] = 64;
  config.rows[1] = (uint8_t)rows, config.bytesPerRow[1] = (uint16_t)aBytes;
  config.rows[2] = (uint8_t)bRows, config.bytesPerRow[2] = 64;
  _tile_loadconfig(&config);
}

#endif /* XFK_AMX_H */
