/*===- Amx.h - AMX tile configuration for the kernels ----------*- C -*-===*
 *
 * Internal to the kernel library. The AMX kernels keep XFK_AMX_C_TILES
 * output blocks of 16 columns in flight: C tiles tmm0-3 (rows x 64 bytes
 * of 32-bit sums), one A tile (tmm4: rows x aBytes of activations) shared
 * by the four products, and two B tiles (tmm5, tmm6: bRows x 64 bytes of
 * weights) used in turn. A tile product takes ~16 cycles to issue but
 * ~50 to finish on Sapphire Rapids: with one C tile, every product, store
 * and epilogue waits for the one before; four independent chains overlap.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_AMX_H
#define XFK_AMX_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* Macros, not enumerators: GCC's tile intrinsics paste the tile number
 * into the assembly text. */
#define XFK_AMX_C_TILES 4
#define XFK_AMX_A 4
#define XFK_AMX_B0 5
#define XFK_AMX_B1 6

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
  for (int c = 0; c < XFK_AMX_C_TILES; ++c)
    config.rows[c] = (uint8_t)rows, config.bytesPerRow[c] = 64;
  config.rows[XFK_AMX_A] = (uint8_t)rows;
  config.bytesPerRow[XFK_AMX_A] = (uint16_t)aBytes;
  for (int b = XFK_AMX_B0; b <= XFK_AMX_B1; ++b)
    config.rows[b] = (uint8_t)bRows, config.bytesPerRow[b] = 64;
  /* Not _tile_loadconfig: GCC 12's version tells the compiler it reads 8
   * bytes, and the stores of the rest may be dropped as dead. */
  __asm__ volatile("ldtilecfg %0" : : "m"(config));
}

/* Applies STEP(c, b) to the output blocks c = 0..3 with the B tile
 * b each uses; tile numbers must be constants in the intrinsics. */
#define XFK_AMX_FOR_EACH_C(STEP)                                               \
  STEP(0, 5)                                                                   \
  STEP(1, 6)                                                                   \
  STEP(2, 5)                                                                   \
  STEP(3, 6)

#endif /* XFK_AMX_H */
