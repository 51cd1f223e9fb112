//===- Sampler.h - Choosing the next token from logits ----------*- C++ -*-===//

#ifndef XFRT_SAMPLER_H
#define XFRT_SAMPLER_H

#include <cstdint>
#include <random>
#include <vector>

namespace xfrt {

struct SamplerOptions {
  float temperature = 0.8f; // <= 0: greedy (argmax)
  int32_t topK = 40;        // <= 0: no limit
  float topP = 0.95f;       // >= 1: no limit
  uint64_t seed = 0;
};

/// Picks tokens as llama.cpp's default chain does: top-k, then top-p
/// (nucleus), then temperature, then a draw; greedy at temperature 0.
class Sampler {
public:
  explicit Sampler(const SamplerOptions &options);
  int32_t sample(const float *logits, int64_t vocabSize);

private:
  SamplerOptions options;
  std::mt19937_64 rng;
  std::vector<std::pair<float, int32_t>> candidates; // reused: no allocation
};

} // namespace xfrt

#endif // XFRT_SAMPLER_H
