//===- Speed.cpp - Speculative pipelined decoding (SPEED) -----------------===//
//
// The tokens in flight sit at consecutive positions; the older a token,
// the more repetition groups it has passed (strictly: a token starts one
// stage after its predecessor's first group at the earliest). So when a
// token runs group g, every earlier token has written group g's KV entries
// already, and attention sees exactly what plain decoding would. A token
// starts from its predecessor's latest prediction; each later prediction
// is checked against it, and a change drops it and its followers, zeroing
// what they wrote to the caches.
//
//===----------------------------------------------------------------------===//

#include "Speed.h"

#include "ModelImpl.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <vector>

namespace {

xfrt::SpeedInvalidationHook invalidationHook = nullptr;
void *invalidationContext = nullptr;

struct InFlight {
  int32_t token;
  int64_t position;
  int32_t done; // repetition groups run
};

int32_t argmax(const float *logits, int64_t n) {
  return static_cast<int32_t>(std::max_element(logits, logits + n) - logits);
}

class SpeedDecoder {
public:
  SpeedDecoder(xfrt_session &s, xfrt_speed_stats &stats)
      : s(s), m(xfrt::sessionModel(s)), stats(stats),
        rows(static_cast<size_t>(m.speedRows)), groups(m.cycleGroups),
        hidden(rows * m.hiddenDim), logits(rows * m.vocab), stageGroups(rows),
        positions(rows) {
    flight.reserve(rows);
  }

  xfrt_status run(int32_t first, int64_t maxTokens, xfrt_token_callback onToken,
                  void *context) {
    int64_t start = xfrt_session_position(&s);
    int32_t next = first; // the token to start next, -1 none
    int64_t nextPosition = start, finished = 0; // tokens every group ran
    bool stop = maxTokens == 0;
    while (!stop) {
      bool enters =
          next >= 0 && flight.size() < rows && nextPosition - start < maxTokens;
      if (enters) {
        flight.push_back({next, nextPosition, 0});
        next = -1;
      }
      if (flight.empty())
        break;
      int rc = runStage(enters);
      if (rc != XFM_OK) {
        // The tokens passed to the callback stay in the cache.
        rollBack(0);
        xfrt::setSessionPosition(s, start + finished);
        stats.tokens += finished;
        xfrt::setSessionError(s, "a SPEED stage failed (status " +
                                     std::to_string(rc) + ")");
        return XFRT_ERROR_INVALID_ARGUMENT;
      }
      for (size_t i = 0; i < flight.size() && !stop; ++i) {
        InFlight &e = flight[i];
        int group = e.done - 1; // the group this stage ran
        const float *l = &logits[i * m.vocab];
        int32_t predicted = argmax(l, m.vocab);
        bool followed = i + 1 < flight.size();
        if (followed) {
          count(stats.checked, group);
          if (flight[i + 1].token != predicted) {
            count(stats.invalidated, group);
            int64_t from = flight[i + 1].position;
            rollBack(i + 1);
            followed = false;
            if (invalidationHook)
              invalidationHook(invalidationContext, from, start + finished);
          }
        }
        if (!followed)
          next = predicted, nextPosition = e.position + 1;
        if (e.done == groups) {
          ++finished;
          if ((onToken && onToken(context, predicted, l) != 0) ||
              finished >= maxTokens)
            stop = true;
        }
      }
      // Only the oldest token can have passed every group.
      if (!flight.empty() && flight.front().done == groups) {
        flight.erase(flight.begin());
        std::memmove(hidden.data(), hidden.data() + m.hiddenDim,
                     flight.size() * m.hiddenDim * sizeof(float));
      }
    }
    rollBack(0); // speculation past the last token
    xfrt::setSessionPosition(s, start + finished);
    stats.tokens += finished;
    return XFRT_OK;
  }

private:
  void count(uint64_t *counters, int group) {
    if (group >= 0 && group < XFRT_SPEED_MAX_GROUPS)
      ++counters[group];
  }

  int runStage(bool embedLast) {
    for (size_t i = 0; i < flight.size(); ++i) {
      stageGroups[i] = flight[i].done;
      positions[i] = static_cast<int32_t>(flight[i].position);
    }
    XfmStageArgs args = {static_cast<int64_t>(flight.size()),
                         stageGroups.data(),
                         positions.data(),
                         embedLast,
                         embedLast ? flight.back().token : 0,
                         hidden.data(),
                         logits.data()};
    int rc = xfrt::runStage(s, args);
    for (InFlight &e : flight)
      ++e.done;
    ++stats.stages;
    stats.rows += flight.size();
    stats.weight_bytes += m.stageBytes;
    return rc;
  }

  /// Drops the tokens from `first` on, zeroing the KV rows they wrote (at
  /// their position, in each layer of the groups they ran).
  void rollBack(size_t first) {
    uint8_t *caches = xfrt::sessionCaches(s);
    for (size_t i = first; i < flight.size(); ++i) {
      const InFlight &e = flight[i];
      for (int64_t layer = 0; layer < e.done * m.cycleLayers; ++layer)
        for (int64_t kv = 0; kv < 2; ++kv)
          std::memset(xfrt::kvRows(m, caches, layer, kv, e.position), 0,
                      xfrt::kvRowsBytes(m));
      ++stats.rolled_back;
    }
    flight.resize(first);
  }

  xfrt_session &s;
  xfrt_model &m;
  xfrt_speed_stats &stats;
  size_t rows;
  int32_t groups;
  std::vector<InFlight> flight; // in position order
  std::vector<float> hidden;    // row i: flight[i]'s residual stream
  std::vector<float> logits;
  std::vector<int32_t> stageGroups, positions;
};

} // namespace

void xfrt::setSpeedInvalidationHook(SpeedInvalidationHook hook, void *context) {
  invalidationHook = hook;
  invalidationContext = context;
}

extern "C" {

int32_t xfrt_model_speed_rows(const xfrt_model *model) {
  return static_cast<int32_t>(model->speedRows);
}

xfrt_status xfrt_session_generate_speed(xfrt_session *s, int32_t first,
                                        int64_t maxTokens,
                                        xfrt_token_callback onToken,
                                        void *context,
                                        xfrt_speed_stats *statsOut) {
  xfrt_model &m = xfrt::sessionModel(*s);
  if (m.speedRows == 0) {
    xfrt::setSessionError(
        *s, "the model has no SPEED stages: its layers do not repeat a cycle "
            "(xfc make-model --share-cycle), or it is split across sockets");
    return XFRT_ERROR_INVALID_ARGUMENT;
  }
  if (first < 0 || first >= m.vocab) {
    xfrt::setSessionError(*s, "token " + std::to_string(first) +
                                  " is outside the vocabulary of " +
                                  std::to_string(m.vocab));
    return XFRT_ERROR_INVALID_TOKEN;
  }
  int64_t position = xfrt_session_position(s);
  if (maxTokens < 0 || maxTokens > xfrt::sessionContext(*s) - position) {
    xfrt::setSessionError(*s, "cannot generate " + std::to_string(maxTokens) +
                                  " tokens at position " +
                                  std::to_string(position) +
                                  ": the context holds " +
                                  std::to_string(xfrt::sessionContext(*s)));
    return maxTokens < 0 ? XFRT_ERROR_INVALID_ARGUMENT
                         : XFRT_ERROR_CONTEXT_FULL;
  }
  xfrt_speed_stats stats{};
  stats.groups = static_cast<int32_t>(m.cycleGroups);
  stats.sequential_weight_bytes_per_token =
      m.cycleGroups * m.layerBytes + (m.stageBytes - m.layerBytes);
  auto begin = std::chrono::steady_clock::now();
  xfrt_status status;
  try {
    if (int rc = xfrt::sizeArenaForStages(*s); rc != XFM_OK) {
      xfrt::setSessionError(*s, "a SPEED stage failed (status " +
                                    std::to_string(rc) + ")");
      return XFRT_ERROR_INVALID_ARGUMENT;
    }
    SpeedDecoder decoder(*s, stats);
    status = decoder.run(first, maxTokens, onToken, context);
  } catch (const std::bad_alloc &) {
    return XFRT_ERROR_OUT_OF_MEMORY;
  }
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
          .count();
  if (statsOut)
    *statsOut = stats;
  return status;
}

} // extern "C"
