/*===- Int8Ceiling.c - What one core's AVX2 int8 dot products can reach ---===*
 *
 * The ceiling of the AVX2 Q4 kernel's inner loop (QuantizedLinear.c), with
 * everything else taken away: 8 rows of broadcast int8 activations against
 * one vector of 4-bit codes per step, vpmaddubsw and 16-bit adds, all in
 * L1. Three loops, one thread:
 *
 *   clock     a chain of dependent adds: the core's clock in GHz;
 *   registers the codes stay in registers (vpmaddubsw, vpaddw, broadcasts);
 *   codes     the codes are loaded and their nibbles split each step, as
 *             the kernel does.
 *
 * Without VNNI, batched decode on such a machine is bounded by `codes`
 * (GOP/s = 2 x GMAC/s): bench/README.md.
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

enum { ROWS = 8, K = 1024, CODE_BYTES = 16384, STEPS = 50000000 };
static signed char activations[ROWS][K + 32] __attribute__((aligned(64)));
static unsigned char codes[CODE_BYTES] __attribute__((aligned(64)));

/* Row i of one step: 4 k x 8 outputs (low nibbles) and 4 more (high). */
#define ROW(i)                                                                 \
  do {                                                                         \
    int a, b;                                                                  \
    memcpy(&a, &activations[i][k], 4);                                         \
    memcpy(&b, &activations[i][k + 16], 4);                                    \
    acc##i = _mm256_add_epi16(                                                 \
        acc##i,                                                                \
        _mm256_add_epi16(_mm256_maddubs_epi16(low, _mm256_set1_epi32(a)),      \
                         _mm256_maddubs_epi16(high, _mm256_set1_epi32(b))));   \
  } while (0)

/* GMAC/s of STEPS steps; the codes come from memory if `load`. */
__attribute__((target("avx2"), noinline)) static double run(int load) {
  __m256i low = _mm256_set1_epi8(3), high = _mm256_set1_epi8(5);
  const __m256i nibble = _mm256_set1_epi8(15);
  __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0,
          acc4 = acc0, acc5 = acc0, acc6 = acc0, acc7 = acc0;
  double start = now();
  for (long step = 0; step < STEPS; ++step) {
    int k = (int)(step * 4) & (K - 1);
    if (load) {
      __m256i c = _mm256_load_si256(
          (const __m256i *)&codes[(step * 32) & (CODE_BYTES - 1)]);
      low = _mm256_and_si256(c, nibble);
      high = _mm256_and_si256(_mm256_srli_epi16(c, 4), nibble);
    } else {
      __asm__ volatile("" : "+x"(low), "+x"(high)); /* not loop-invariant */
    }
    ROW(0);
    ROW(1);
    ROW(2);
    ROW(3);
    ROW(4);
    ROW(5);
    ROW(6);
    ROW(7);
  }
  double seconds = now() - start;
  __m256i sum =
      _mm256_add_epi16(_mm256_add_epi16(_mm256_add_epi16(acc0, acc1),
                                        _mm256_add_epi16(acc2, acc3)),
                       _mm256_add_epi16(_mm256_add_epi16(acc4, acc5),
                                        _mm256_add_epi16(acc6, acc7)));
  __asm__ volatile("" : : "x"(sum)); /* keep the sums */
  return (double)STEPS * ROWS * 2 * 32 / seconds / 1e9;
}

static double clockGHz(void) {
  long x = 0, n = 500000000;
  double start = now();
  for (long i = 0; i < n; ++i)
    __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                     : "+r"(x));
  return n * 4 / (now() - start) / 1e9;
}

int main(void) {
  if (!__builtin_cpu_supports("avx2")) {
    fprintf(stderr, "xfc-int8-ceiling: this CPU has no AVX2\n");
    return 1;
  }
  for (int i = 0; i < ROWS; ++i)
    for (int k = 0; k < K + 32; ++k)
      activations[i][k] = (signed char)(k * 7 + i);
  for (int i = 0; i < CODE_BYTES; ++i)
    codes[i] = (unsigned char)(i * 13);
  double best[2] = {0, 0};
  for (int repeat = 0; repeat < 3; ++repeat)
    for (int load = 0; load < 2; ++load) {
      double rate = run(load);
      best[load] = rate > best[load] ? rate : best[load];
    }
  printf("clock: %.2f GHz (dependent adds)\n", clockGHz());
  printf("registers: %.1f GMAC/s = %.1f GOP/s per thread\n", best[0],
         2 * best[0]);
  printf("codes: %.1f GMAC/s = %.1f GOP/s per thread\n", best[1], 2 * best[1]);
  return 0;
}
