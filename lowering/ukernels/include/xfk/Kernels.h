/*===- Kernels.h - XFC's microkernels: the C ABI the compiler calls ------===*
 *
 * The kernels are compiled to LLVM bitcode when XFC is built, and the
 * compiler links that bitcode into every model it compiles, so calls with
 * constant arguments are specialized and inlined. Pointers cross the ABI as
 * 64-bit integers: generated code computes addresses from memref metadata.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFK_KERNELS_H
#define XFK_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Weight encodings xfk_linear reads. Rows are the output features; each
 * row holds K values, `ldw` bytes apart. */
enum XfkWeightKind {
  XFK_W_F32 = 0,
  XFK_W_F16 = 1,
  XFK_W_BF16 = 2,
  XFK_W_Q8_0 = 3, /* ggml blocks of 32: f16 scale, 32 x int8 */
  XFK_W_Q4_0 = 4, /* ggml blocks of 32: f16 scale, 16 bytes of nibbles */
  XFK_W_Q4_1 = 5, /* ggml blocks of 32: f16 scale, f16 min, 16 bytes */
};

/* Y[m][n] = sum_k X[m][k] * W[n][k] + bias[n], for m < M, n0 <= n < n1.
 * X: f32, rows ldx elements apart; Y: f32, rows ldy elements apart, column
 * n stored at Y[m * ldy + n - n0]; bias: f32 [N] or 0. K must be a
 * multiple of 32 for the block formats. Thread safe: calls on disjoint
 * [n0, n1) ranges may run concurrently. */
void xfk_linear(int64_t kind, int64_t x, int64_t ldx, int64_t w, int64_t ldw,
                int64_t bias, int64_t y, int64_t ldy, int64_t M, int64_t K,
                int64_t n0, int64_t n1);

/* out[i][k] = table[ids[i]][k] as f32, for i < count, k < K: the rows of
 * an embedding table of `kind` whose rows are ldt bytes apart. Ids must be
 * in range (the runtime checks them). */
void xfk_embedding(int64_t kind, int64_t table, int64_t ldt, int64_t ids,
                   int64_t count, int64_t out, int64_t K);

/* The instruction-set levels the kernels choose between at run time. */
enum XfkIsa {
  XFK_ISA_GENERIC = 0,
  XFK_ISA_AVX512 = 1,      /* AVX-512 F/BW/VL + F16C + FMA */
  XFK_ISA_AVX512_VNNI = 2, /* ... + AVX512_VNNI */
};

/* The best level this CPU and OS support (CPUID, XGETBV), computed once. */
int xfk_cpu_isa(void);

/* For tests: forces a level (-1 restores detection). Levels above what the
 * CPU supports are refused (returns 0). */
int xfk_force_isa(int isa);

#ifdef __cplusplus
}
#endif

#endif /* XFK_KERNELS_H */
