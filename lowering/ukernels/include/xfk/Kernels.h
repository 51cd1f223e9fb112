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
 * row holds K values, `ldw` bytes apart.
 *
 * The block kinds come with a group size G, the values sharing one scale:
 * a multiple of 32 that divides K (K itself for one scale per row). A row
 * is K / G blocks, each an f16 scale d (Q4_1: then an f16 minimum m; both
 * f32 with XFK_W_F32_SCALES), then
 * the codes of its values in runs of 32, each run as ggml stores a block's
 * codes (Q8_0: 32 int8; Q4: 16 bytes, value j in the low nibble of byte j
 * and value j + 16 in its high nibble). With G = 32 these are ggml's
 * blocks exactly. The float kinds ignore G. */
enum XfkWeightKind {
  XFK_W_F32 = 0,
  XFK_W_F16 = 1,
  XFK_W_BF16 = 2,
  XFK_W_Q8_0 = 3, /* w = d * q, q int8 */
  XFK_W_Q4_0 = 4, /* w = d * (q - 8), q in 0..15 */
  XFK_W_Q4_1 = 5, /* w = d * q + m, q in 0..15 */
  /* Or'd into a block kind: its scales (and Q4_1's minimums) are f32, not
   * f16, in the stored blocks and in the packed tiles alike. */
  XFK_W_F32_SCALES = 16,
};

/* Activations the linear kernels apply to their sums (the `activation`
 * argument). GELU is the tanh approximation,
 * 0.5 s (1 + tanh(sqrt(2 / pi) (s + 0.044715 s^3))); SiLU is s / (1 + e^-s). */
enum XfkActivation {
  XFK_ACT_NONE = 0,
  XFK_ACT_SILU = 1,
  XFK_ACT_GELU = 2,
};

/* Y[m][n] = act(sum_k X[m][k] * W[n][k] + bias[n]) + R[m][n], for m < M,
 * n0 <= n < n1. X: f32, rows ldx elements apart; Y: f32, rows ldy elements
 * apart, column n stored at Y[m * ldy + n - n0]; bias: f32 [N] or 0;
 * residual R: f32 rows ldr elements apart (column n at R[m * ldr + n]) or
 * 0; act: XfkActivation. `group` as above.
 *
 * Gated (up > 0): W's rows are a gate projection, then from row `up` an up
 * projection (GLU: SwiGLU with SiLU, GeGLU with GELU), and the outputs are
 * Y[m][n] = act(g_n) * u_n + R[m][n] for n0 <= n < n1 <= up, where g_n is
 * row n's sum plus bias[n] and u_n row up + n's plus bias[up + n]. For the
 * packed kernels `up` must be a multiple of xfk_packed_tile_rows(kind).
 *
 * Bias, activation and residual are the epilogue of every linear kernel
 * below: an FFN's activation and a residual connection cost no pass of
 * their own over the output (the activation is applied to each block of
 * up to 64 outputs while it is in L1). Thread safe: calls on disjoint
 * [n0, n1) ranges may run concurrently. */
void xfk_linear(int64_t kind, int64_t group, int64_t x, int64_t ldx, int64_t w,
                int64_t ldw, int64_t bias, int64_t residual, int64_t ldr,
                int64_t act, int64_t up, int64_t y, int64_t ldy, int64_t M,
                int64_t K, int64_t n0, int64_t n1);

/* out[i][k] = table[ids[i]][k] as f32, for i < count, k < K: the rows of
 * an embedding table of `kind` (and `group`) whose rows are ldt bytes
 * apart. Ids must be in range (the runtime checks them). */
void xfk_embedding(int64_t kind, int64_t group, int64_t table, int64_t ldt,
                   int64_t ids, int64_t count, int64_t out, int64_t K);

/*===----------------------------------------------------------------------===*
 * Packed weights
 *
 * The compiler packs every weight a kernel reads into that kernel's layout
 * when it writes the weight blob (xfk_pack); nothing is repacked at run
 * time. The IR names these layouts #xf.layout<blocked, tile = [n, k]>:
 *
 *  - F32 and F16, tile [64, 1]: panels of 64 output rows, K-major: panel
 *    p holds W[64p + j][k] at element (k * 64 + j); rows past N are zero.
 *    One vector load gives 16 outputs' weights at one k, the
 *    outer-product GEMM's operand.
 *  - BF16, tile [64, 2], vnni 2: the same panels over pairs of k: panel p
 *    holds W[64p + j][k] at element ((k / 2) * 128 + 2 j + k % 2), K
 *    rounded up to even (the padding is zero). One vector load gives 16
 *    outputs' weights at two k, vdpbf16ps's operand (and AMX-BF16's B
 *    tile rows).
 *  - block kinds (Q8_0/Q4_0/Q4_1) with group G, tile [16, 32], vnni 4:
 *    per 16 rows and group b, G / 32 code tiles of 16 rows by 32 values,
 *    then the 16 rows' scales; (t, b) starts at ((t * K/G + b) * group
 *    bytes), group bytes = G/32 * code tile bytes + 32 (+ 32 for Q4_1):
 *      code tile: 8 runs of 4 consecutive k, each as 16 rows x 4 bytes
 *             (one vpdpbusd operand); unsigned: Q8_0 codes + 128, Q4
 *             nibbles as stored (0..15). Q4 kinds hold runs r and r + 4
 *             in the low and high nibbles of 4 x 64 bytes (256 bytes);
 *             Q8_0 takes 512 bytes;
 *      scales: 16 x f16, then (Q4_1) 16 x f16 minimums (f32 with
 *             XFK_W_F32_SCALES).
 *    So w = d * (code - 128) (Q8_0), d * (code - 8) (Q4_0), d * code + m
 *    (Q4_1): the stored values exactly, only moved.
 *===----------------------------------------------------------------------===*/

/* Rows per panel (float kinds) or tile (block kinds) of the packed layout:
 * column ranges given to the packed kernels start at multiples of it. */
int64_t xfk_packed_tile_rows(int64_t kind);

/* Values of k per panel element group: 2 for BF16 (pairs), else 1. */
int64_t xfk_packed_k_pairs(int64_t kind);

/* Bytes of an N x K weight of `kind` (and `group`) packed; 0 when the
 * shape cannot be packed (block kinds need K a multiple of the group, and
 * the group a multiple of 32). */
int64_t xfk_packed_bytes(int64_t kind, int64_t group, int64_t N, int64_t K);

/* Packs an N x K weight stored as xfk_linear reads it (rows `ldw` bytes
 * apart) into `dst` (xfk_packed_bytes). Returns 0 if it cannot. */
int xfk_pack(int64_t kind, int64_t group, const void *src, int64_t ldw,
             int64_t N, int64_t K, void *dst);

/* Float kinds: Y = X W^T + b as xfk_linear, with W packed; n0 must be a
 * multiple of xfk_packed_tile_rows(kind). */
void xfk_linear_packed(int64_t kind, int64_t x, int64_t ldx, int64_t w,
                       int64_t bias, int64_t residual, int64_t ldr, int64_t act,
                       int64_t up, int64_t y, int64_t ldy, int64_t M, int64_t K,
                       int64_t n0, int64_t n1);

/* Sparse float weights (F32, F16, BF16), #xf.layout<sparse, tile = [64, 1],
 * values = C>: the panels of 64 output rows above with their zeros left
 * out. Panel p starts at byte p * xfk_sparse_panel_bytes(kind, K, C) and
 * holds K 64-bit masks (bit j of mask k: W[64p + j][k] is stored), then C
 * value slots of the kind's element: the stored values in order of k, then
 * of j, and zeros after the last. 64 bytes of zeros end the weight, so the
 * kernels may load a vector past a panel's last value. C is the most
 * values any panel stores, at most 64 K: at 70% zeros a weight takes
 * 1/32 + 0.3 of its f32 panels' bytes. */
int64_t xfk_sparse_panel_bytes(int64_t kind, int64_t K, int64_t values);
int64_t xfk_sparse_packed_bytes(int64_t kind, int64_t N, int64_t K,
                                int64_t values);

/* The most nonzero values any panel of an N x K weight (stored as
 * xfk_linear reads it) has: the smallest C it packs with; -1 for a kind
 * that has no sparse layout. */
int64_t xfk_sparse_panel_values(int64_t kind, const void *src, int64_t ldw,
                                int64_t N, int64_t K);

/* Packs such a weight into the sparse layout with C = `values` slots per
 * panel (xfk_sparse_packed_bytes). Returns 0 if a panel has more nonzero
 * values than that. */
int xfk_pack_sparse(int64_t kind, const void *src, int64_t ldw, int64_t N,
                    int64_t K, int64_t values, void *dst);

/* Y = X W^T + b as xfk_linear, with W in the sparse layout of `values`
 * slots per panel; n0 must be a multiple of 64. One row (decode) expands
 * each panel's values into vectors as it streams them; more rows expand a
 * block of the panel into L1 once and run the float panels' register
 * tiles over it. */
void xfk_linear_sparse(int64_t kind, int64_t values, int64_t x, int64_t ldx,
                       int64_t w, int64_t bias, int64_t residual, int64_t ldr,
                       int64_t act, int64_t up, int64_t y, int64_t ldy,
                       int64_t M, int64_t K, int64_t n0, int64_t n1);

/* Sparse quantized weights (block kinds), #xf.layout<sparse, tile = [16,
 * 32], vnni = 4, values = C>: the tiles of xfk_pack with the groups whose
 * values are all zero left out. Per 16 rows (a block, starting at byte
 * t * xfk_sparse_tiles_bytes(kind, group, 16, K, C)): a bit per group, in
 * whole 8-byte words (bit b of byte b / 8: group b is stored), then the
 * stored groups in order, each as xfk_pack lays out a group (its code
 * tiles, then the 16 scales and minimums), then zeros to a cache line. C
 * is the most groups any block stores. A group is left out when every
 * value of its 16 rows is 0 (and Q4_1's minimums too), so the kernels
 * skip it exactly: pruning blocks of 16 x G values (block:16x32 for
 * groups of 32) removes whole groups. */
int64_t xfk_sparse_tiles_bytes(int64_t kind, int64_t group, int64_t N,
                               int64_t K, int64_t groups);

/* The most groups any 16-row block of an N x K weight (stored as
 * xfk_linear reads it) stores; -1 for a kind or group without the
 * layout. */
int64_t xfk_sparse_tile_groups(int64_t kind, int64_t group, const void *src,
                               int64_t ldw, int64_t N, int64_t K);

/* Packs it with room for `groups` groups per block; 0 if a block has
 * more. */
int xfk_pack_sparse_tiles(int64_t kind, int64_t group, const void *src,
                          int64_t ldw, int64_t N, int64_t K, int64_t groups,
                          void *dst);

/* Sparse INT8 codes (Q8_0 kinds, groups of 32 to 256), #xf.layout<sparse,
 * tile = [16, 4], vnni = 4, values = C>: the tiles of xfk_pack with every
 * zero value left out, for unstructured sparsity. Per 16 rows (a block,
 * starting at byte t * xfk_sparse_codes_block_bytes): a 64-bit mask per
 * VNNI run of 16 rows x 4 values of k, in order of k (bit i: row i / 4,
 * value k + i % 4 is stored); then every group's 16 scales (f16, or f32
 * with XFK_W_F32_SCALES); then the stored values as int8 (code - 128), in
 * the masks' order, room for C; then zeros to a cache line. 64 bytes of
 * zeros follow the last block. C is the most nonzero values any block
 * holds. The kernels expand a group's runs into dense tiles (vpexpandb
 * with AVX512_VBMI2, a byte shuffle with AVX2) and skip groups with no
 * value. */
int64_t xfk_sparse_codes_bytes(int64_t kind, int64_t group, int64_t N,
                               int64_t K, int64_t values);

/* The most nonzero values any 16-row block of an N x K weight (stored as
 * xfk_linear reads it) holds; -1 for a kind or group without the
 * layout. */
int64_t xfk_sparse_code_values(int64_t kind, int64_t group, const void *src,
                               int64_t ldw, int64_t N, int64_t K);

/* Packs it with room for `values` values per block; 0 if a block has
 * more. */
int xfk_pack_sparse_codes(int64_t kind, int64_t group, const void *src,
                          int64_t ldw, int64_t N, int64_t K, int64_t values,
                          void *dst);

/* Dynamic INT8 quantization of activations for the block kinds: each row
 * of X in groups of `group` values (those of the weights, so a group's
 * dot product stays integer), symmetric, scale max|x| / 127. Row m of `qx`
 * is K codes (int8), then K/group scales (f32), then K/group code sums
 * (int32): xfk_quantized_row_bytes(K, group) bytes. The group must be a
 * multiple of 32 that divides K. */
int64_t xfk_quantized_row_bytes(int64_t K, int64_t group);
void xfk_quantize_rows(int64_t x, int64_t ldx, int64_t M, int64_t K,
                       int64_t group, int64_t qx);

/* The values xfk_quantize_rows' codes stand for, s * q, as f32 rows
 * (out[m * K + k]): INT8 activations for kernels that read f32 ones. */
void xfk_round_rows_int8(int64_t x, int64_t ldx, int64_t M, int64_t K,
                         int64_t group, int64_t out);

/* Block kinds: Y = Xq W^T + b over rows `qx` quantized in the weights'
 * groups (xfk_quantize_rows) and packed W, with integer dot products
 * (vpdpbusd where the CPU has VNNI, AMX tiles where it has AMX-INT8); n0
 * must be a multiple of xfk_packed_tile_rows(kind). */
void xfk_linear_q8(int64_t kind, int64_t group, int64_t qx, int64_t w,
                   int64_t bias, int64_t residual, int64_t ldr, int64_t act,
                   int64_t up, int64_t y, int64_t ldy, int64_t M, int64_t K,
                   int64_t n0, int64_t n1);

/* xfk_linear_q8 over sparse tiles with room for `groups` groups per
 * block: the groups left out are skipped. */
void xfk_linear_q8_sparse(int64_t kind, int64_t group, int64_t groups,
                          int64_t qx, int64_t w, int64_t bias, int64_t residual,
                          int64_t ldr, int64_t act, int64_t up, int64_t y,
                          int64_t ldy, int64_t M, int64_t K, int64_t n0,
                          int64_t n1);

/* xfk_linear_q8 over sparse codes with room for `values` values per
 * block. */
void xfk_linear_q8_codes(int64_t kind, int64_t group, int64_t values,
                         int64_t qx, int64_t w, int64_t bias, int64_t residual,
                         int64_t ldr, int64_t act, int64_t up, int64_t y,
                         int64_t ldy, int64_t M, int64_t K, int64_t n0,
                         int64_t n1);

/* BF16 compute: activations rounded to bf16 (to nearest even), times BF16
 * weights, summed in f32 (vdpbf16ps where the CPU has AVX512_BF16, AMX
 * tiles where it has AMX-BF16). xfk_round_rows_bf16 writes the rounded
 * rows as bf16 pairs, rows xfk_bf16_row_bytes(K) apart (K rounded up to
 * even, padded with zero); xfk_linear_bf16 multiplies them by packed BF16
 * weights (n0 a multiple of xfk_packed_tile_rows). */
int64_t xfk_bf16_row_bytes(int64_t K);
void xfk_round_rows_bf16(int64_t x, int64_t ldx, int64_t M, int64_t K,
                         int64_t xb);
void xfk_linear_bf16(int64_t xb, int64_t w, int64_t bias, int64_t residual,
                     int64_t ldr, int64_t act, int64_t up, int64_t y,
                     int64_t ldy, int64_t M, int64_t K, int64_t n0, int64_t n1);

/* The values of xfk_round_rows_bf16's rows as f32 rows (out[m * K + k]):
 * BF16 activations for kernels that read f32 ones. */
void xfk_round_rows_bf16_f32(int64_t x, int64_t ldx, int64_t M, int64_t K,
                             int64_t out);

/* The instruction-set levels the kernels choose between at run time. */
enum XfkIsa {
  XFK_ISA_GENERIC = 0,
  XFK_ISA_AVX2 = 1,        /* AVX2 + F16C + FMA (x86-64-v3) */
  XFK_ISA_AVX512 = 2,      /* ... + AVX-512 F/BW/VL */
  XFK_ISA_AVX512_VNNI = 3, /* ... + AVX512_VNNI */
  XFK_ISA_AVX512_BF16 = 4, /* ... + AVX512_BF16 */
  XFK_ISA_AMX = 5,         /* ... + AMX-TILE, AMX-INT8, AMX-BF16, tile state
                            * granted by Linux (arch_prctl
                            * ARCH_REQ_XCOMP_PERM) */
};

/* The level the kernels run: the best this CPU and OS support (CPUID,
 * XGETBV, and for AMX the kernel's permission), computed once, or the
 * level environment variable XFC_CPU_ISA names (xfk_isa_name) if the CPU
 * has it. */
int xfk_cpu_isa(void);

/* The best level this CPU and OS support, ignoring XFC_CPU_ISA. */
int xfk_detected_isa(void);

/* "generic", "avx2", "avx512", "avx512_vnni", "avx512_bf16", "amx"; 0 for
 * another level. */
const char *xfk_isa_name(int isa);

/* The level of a name, or -1. */
int xfk_isa_from_name(const char *name);

/* For tests: forces a level (-1 restores detection). Levels above what the
 * CPU supports are refused (returns 0). */
int xfk_force_isa(int isa);

#ifdef __cplusplus
}
#endif

#endif /* XFK_KERNELS_H */
