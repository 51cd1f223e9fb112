//===- Sampler.cpp - Choosing the next token from logits ------------------===//

#include "xfrt/Sampler.h"

#include <algorithm>
#include <cmath>

using namespace xfrt;

Sampler::Sampler(const SamplerOptions &options)
    : options(options), rng(options.seed) {}

int32_t Sampler::sample(const float *logits, int64_t vocab) {
  if (options.temperature <= 0.0f)
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) -
                                logits);
  candidates.resize(vocab);
  for (int64_t i = 0; i < vocab; ++i)
    candidates[i] = {logits[i], static_cast<int32_t>(i)};
  auto byLogit = [](const auto &a, const auto &b) { return a.first > b.first; };
  size_t keep = candidates.size();
  if (options.topK > 0 && static_cast<size_t>(options.topK) < keep) {
    keep = options.topK;
    std::partial_sort(candidates.begin(), candidates.begin() + keep,
                      candidates.end(), byLogit);
  } else {
    std::sort(candidates.begin(), candidates.end(), byLogit);
  }
  // Softmax of the survivors at temperature, then the smallest prefix
  // whose probability reaches top-p.
  float max = candidates[0].first;
  double total = 0;
  for (size_t i = 0; i < keep; ++i)
    total += std::exp((candidates[i].first - max) / options.temperature);
  double mass = 0, nucleus = 0;
  size_t n = keep;
  for (size_t i = 0; i < keep; ++i) {
    mass += std::exp((candidates[i].first - max) / options.temperature) / total;
    if (mass >= options.topP) {
      n = i + 1;
      break;
    }
  }
  for (size_t i = 0; i < n; ++i)
    nucleus += std::exp((candidates[i].first - max) / options.temperature);
  double draw = std::uniform_real_distribution<double>(0.0, nucleus)(rng);
  for (size_t i = 0; i < n; ++i) {
    draw -= std::exp((candidates[i].first - max) / options.temperature);
    if (draw <= 0)
      return candidates[i].second;
  }
  return candidates[n - 1].second;
}
