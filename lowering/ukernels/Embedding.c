/*===- Embedding.c - Gather rows of an embedding table --------------------===*/

#include "Decode.h"
#include "xfk/Kernels.h"

void xfk_embedding(int64_t kind, int64_t group, int64_t table, int64_t ldt,
                   int64_t ids, int64_t count, int64_t out, int64_t K) {
  const uint8_t *t = (const uint8_t *)(intptr_t)table;
  const int32_t *id = (const int32_t *)(intptr_t)ids;
  float *o = (float *)(intptr_t)out;
  for (int64_t i = 0; i < count; ++i)
    xfk_decode_row(kind, group, t + (int64_t)id[i] * ldt, K, o + i * K);
}
