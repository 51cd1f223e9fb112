//===- Session.cpp - Sessions: KV caches, scratch and worker groups -------===//
//
// A session runs a model's forward calls on its worker groups. A model that
// is not split has one group. A split model (xfc compile --sockets N) has
// one group per shard, each with its own thread pool, KV cache and arena on
// its NUMA node; their forward calls run concurrently (a pool with one
// thread per group starts them) and meet in a SharedAllReduce. A session of
// xfrt_session_create_shard has the one group of its shard and sums through
// the caller's collective (MPI).
//
//===----------------------------------------------------------------------===//

#include "ModelImpl.h"
#include "Numa.h"
#include "SharedAllReduce.h"
#include "xfrt/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/// One shard's worker group.
struct Group {
  int shard = 0;
  int node = -1;
  std::vector<int> cores;
  std::unique_ptr<xfrt::ThreadPool> pool;
  xfrt::numa::Memory caches; // as the model lays them out (ModelABI.h)
  xfrt::numa::Memory arena;
  xfrt_session *session = nullptr;
  int status = XFM_OK;
  xfrt_shard_stats stats{};
};

} // namespace

struct xfrt_session {
  xfrt_model *model = nullptr;
  int64_t context = 0; // the session's limit, at most the model's
  std::vector<int32_t> positions;
  int64_t position = 0;
  std::string error;
  std::vector<std::unique_ptr<Group>> groups;
  // Several groups: starts their forward calls, and joins their sums.
  std::unique_ptr<xfrt::ThreadPool> starter;
  std::unique_ptr<xfrt::SharedAllReduce> reduce;
  // A session of one shard of several: the caller's reduction.
  xfrt_collective collective{};
  // A reduction failed: the shards are out of step for good.
  bool broken = false;
  // The arena has been sized for the model's largest SPEED stage.
  bool stagesSized = false;
  // The step being run: a forward call, or a SPEED stage.
  const XfmStageArgs *stage = nullptr;
  const int32_t *tokens = nullptr;
  int64_t n = 0;
  float *logits = nullptr;
};

namespace {

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// The XfmAllReduce of a group: the session's shared-memory reduction or
/// the caller's collective, timed.
int groupAllReduce(void *context, float *data, int64_t count) {
  auto *g = static_cast<Group *>(context);
  xfrt_session *s = g->session;
  auto start = Clock::now();
  int rc = 0;
  if (s->reduce)
    g->stats.all_reduce_wait_seconds +=
        s->reduce->reduce(g->shard - s->groups.front()->shard, data, count);
  else
    rc = s->collective.all_reduce(s->collective.context, data, count);
  g->stats.all_reduce_seconds += seconds(Clock::now() - start);
  g->stats.all_reduce_calls += 1;
  g->stats.all_reduce_floats += static_cast<uint64_t>(count);
  return rc;
}

/// Runs the group's forward call for the session's step, growing its arena
/// when it was too small (the call still completes, from the heap). Never
/// throws: it may run on a starter thread.
void runGroup(Group &g) {
  xfrt_session *s = g.session;
  uint64_t needed = 0;
  // The other shards compute the same logits: nobody reads theirs.
  bool first = &g == s->groups.front().get();
  XfmForwardArgs args = {s->tokens,
                         s->positions.data(),
                         s->n,
                         s->position,
                         g.caches.data,
                         s->model->weights,
                         first ? s->logits : nullptr,
                         static_cast<uint8_t *>(g.arena.data),
                         g.arena.bytes,
                         &needed,
                         xfrt_pool_parallel_for,
                         g.pool.get(),
                         g.pool->threads(),
                         g.shard,
                         s->model->shards > 1 ? groupAllReduce : nullptr,
                         &g};
  auto start = Clock::now();
  g.status =
      s->stage ? s->model->stage(&args, s->stage) : s->model->forward(&args);
  g.stats.forward_seconds += seconds(Clock::now() - start);
  // Without a bigger arena, later steps complete from the heap too.
  if (g.status == XFM_ARENA_TOO_SMALL && !g.arena.grow(needed, g.node))
    g.status = XFM_OK;
}

/// Binds the calling thread to `cores` for its lifetime, then restores
/// its affinity (nothing if either cannot be done).
class CoreBinding {
public:
  explicit CoreBinding(const std::vector<int> &cores) {
    if (cores.empty() ||
        pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) != 0)
      return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int core : cores)
      CPU_SET(core, &set);
    bound = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
  }
  ~CoreBinding() {
    if (bound)
      pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
  }
  CoreBinding(const CoreBinding &) = delete;
  CoreBinding &operator=(const CoreBinding &) = delete;

private:
  cpu_set_t saved;
  bool bound = false;
};

void runGroups(void *session, int64_t begin, int64_t end) {
  auto *s = static_cast<xfrt_session *>(session);
  for (int64_t i = begin; i < end; ++i)
    runGroup(*s->groups[i]);
}

/// Runs one step on every group; XFM_OK, or the first group's failure
/// other than a grown arena.
int forward(xfrt_session *s, const int32_t *tokens, int64_t n, float *logits) {
  s->tokens = tokens, s->n = n, s->logits = logits;
  if (s->groups.size() == 1) {
    runGroup(*s->groups.front());
  } else {
    // The calling thread starts the first group: for the step, it runs on
    // that group's cores (its node), then gets its own affinity back.
    CoreBinding binding(s->groups.front()->cores);
    s->starter->parallelFor(static_cast<int64_t>(s->groups.size()), runGroups,
                            s);
  }
  int rc = XFM_OK;
  for (auto &g : s->groups)
    if (g->status != XFM_OK && g->status != XFM_ARENA_TOO_SMALL)
      return g->status;
    else if (g->status == XFM_ARENA_TOO_SMALL)
      rc = XFM_ARENA_TOO_SMALL;
  return rc;
}

/// The cores of each of `groups` groups: group g takes node g mod nodes,
/// and groups sharing a node divide its cores.
std::vector<std::vector<int>> groupCores(int groups,
                                         std::vector<int> &nodesOut) {
  std::vector<int> allowed = xfrt::ThreadPool::allowedCores();
  int nodes = xfrt::numa::nodes();
  std::vector<std::vector<int>> cores(groups);
  nodesOut.assign(groups, -1);
  for (int g = 0; g < groups; ++g) {
    int node = g % nodes;
    std::vector<int> nodeCores = xfrt::numa::coresOf(node, allowed);
    // The groups on this node: g, g + nodes, ...
    int sharing = (groups - node + nodes - 1) / nodes, index = g / nodes;
    if (!nodeCores.empty()) {
      auto [begin, end] = xfrt::ThreadPool::chunk(
          static_cast<int64_t>(nodeCores.size()), sharing, index);
      if (begin == end) // fewer cores than groups: share one
        begin = index % nodeCores.size(), end = begin + 1;
      cores[g].assign(nodeCores.begin() + begin, nodeCores.begin() + end);
    }
    // Without NUMA support nothing is bound: no node to report.
    nodesOut[g] = xfrt::numa::available() ? node : -1;
  }
  return cores;
}

xfrt_status createSession(xfrt_model *model, int64_t maxContext, int threads,
                          const xfrt_collective *collective,
                          xfrt_session **session) {
  *session = nullptr;
  if (maxContext < 0 || maxContext > model->context || threads < 0)
    return XFRT_ERROR_INVALID_ARGUMENT;
  if (collective &&
      (collective->shard < 0 || collective->shard >= model->shards ||
       !collective->all_reduce || model->shards == 1))
    return XFRT_ERROR_INVALID_ARGUMENT;
  auto s = std::unique_ptr<xfrt_session>(new (std::nothrow) xfrt_session());
  if (!s)
    return XFRT_ERROR_OUT_OF_MEMORY;
  try {
    s->model = model;
    s->context = maxContext ? maxContext : model->context;
    int total = threads ? threads : xfrt::ThreadPool::availableCores();
    std::vector<int> shards, nodes;
    std::vector<std::vector<int>> cores;
    if (collective) {
      s->collective = *collective;
      shards = {collective->shard};
      nodes = {-1};
      cores = {xfrt::ThreadPool::allowedCores()};
    } else {
      for (int k = 0; k < model->shards; ++k)
        shards.push_back(k);
      cores = groupCores(model->shards, nodes);
    }
    int groups = static_cast<int>(shards.size());
    // The compiled code addresses the cache with the model's context as
    // stride, so the buffer spans it whatever the session's limit.
    size_t cacheBytes = static_cast<size_t>(model->layers) * 2 *
                        model->context * xfrt::kvRowsBytes(*model);
    for (int i = 0; i < groups; ++i) {
      auto g = std::make_unique<Group>();
      g->shard = shards[i];
      // A model that is not split uses the whole machine; a shard session's
      // node is already -1.
      g->node = model->shards == 1 ? -1 : nodes[i];
      g->cores = cores[i];
      int groupThreads = std::max(1, total / groups);
      g->pool = groups > 1
                    ? std::make_unique<xfrt::ThreadPool>(groupThreads, g->cores)
                    : std::make_unique<xfrt::ThreadPool>(groupThreads);
      g->caches = xfrt::numa::Memory(cacheBytes, g->node);
      g->session = s.get();
      g->stats.shard = g->shard;
      g->stats.node = g->node;
      g->stats.threads = g->pool->threads();
      g->stats.cache_bytes = cacheBytes;
      g->stats.weight_bytes = xfrt::shardWeightBytes(*model, g->shard);
      s->groups.push_back(std::move(g));
    }
    if (groups > 1) {
      // One starter thread per group, on the group's first core: it makes
      // the group's forward call and is its pool's calling thread.
      std::vector<int> leaders;
      for (auto &g : s->groups)
        leaders.push_back(g->cores.empty() ? -1 : g->cores.front());
      if (std::find(leaders.begin(), leaders.end(), -1) != leaders.end())
        leaders.clear();
      s->starter = std::make_unique<xfrt::ThreadPool>(groups, leaders);
      if (s->starter->threads() != groups) {
        s->error = "cannot start a thread per worker group";
        return XFRT_ERROR_OUT_OF_MEMORY;
      }
      s->reduce = std::make_unique<xfrt::SharedAllReduce>(groups, nodes);
    }
    xfrt::placeWeights(*model, shards, nodes);
    for (auto &g : s->groups)
      if (model->shards > 1) {
        // Where the kernel put them, now that they were written.
        static_cast<uint8_t *>(g->caches.data)[0] = 0;
        g->stats.cache_node = xfrt::numa::nodeOf(g->caches.data);
        g->stats.weights_node = xfrt::numa::nodeOf(
            model->weights + model->shardWeights[g->shard].first);
      } else {
        g->stats.cache_node = g->stats.weights_node = -1;
      }
    s->positions.reserve(model->context);
    // Size the arena for the largest decode step: one token attending to
    // the whole context. Later decode steps then never allocate.
    std::vector<float> logits(model->vocab);
    int32_t token = 0;
    s->position = model->context - 1;
    s->positions.assign(1, static_cast<int32_t>(s->position));
    int rc = forward(s.get(), &token, 1, logits.data());
    if (rc == XFM_ARENA_TOO_SMALL)
      rc = forward(s.get(), &token, 1, logits.data());
    if (rc == XFM_ALL_REDUCE_FAILED || rc == XFM_BAD_SHARD)
      return XFRT_ERROR_ALL_REDUCE;
    s->position = 0;
    xfrt_session_reset_stats(s.get());
  } catch (const std::bad_alloc &) {
    return XFRT_ERROR_OUT_OF_MEMORY;
  }
  *session = s.release();
  return XFRT_OK;
}

} // namespace

xfrt_model &xfrt::sessionModel(xfrt_session &s) { return *s.model; }

uint8_t *xfrt::sessionCaches(xfrt_session &s) {
  return static_cast<uint8_t *>(s.groups.front()->caches.data);
}

int64_t xfrt::sessionContext(const xfrt_session &s) { return s.context; }

void xfrt::setSessionPosition(xfrt_session &s, int64_t position) {
  s.position = position;
}

void xfrt::setSessionError(xfrt_session &s, std::string message) {
  s.error = std::move(message);
}

int xfrt::sizeArenaForStages(xfrt_session &s) {
  if (s.stagesSized)
    return XFM_OK;
  // The largest stage: every row attending to the whole context. It runs
  // at the last position, whose KV rows it overwrites: they are saved and
  // put back, so the cache stays as plain decoding's.
  xfrt_model &m = *s.model;
  int64_t rows = m.speedRows;
  size_t rowBytes = kvRowsBytes(m);
  uint8_t *caches = sessionCaches(s);
  // The keys and values of the layers of groups [0, rows), in turn.
  int64_t blocks = rows * m.cycleLayers * 2;
  auto at = [&](int64_t block) {
    return kvRows(m, caches, block / 2, block % 2, m.context - 1);
  };
  std::vector<uint8_t> saved(blocks * rowBytes);
  for (int64_t b = 0; b < blocks; ++b)
    std::memcpy(saved.data() + b * rowBytes, at(b), rowBytes);
  std::vector<int32_t> groups(rows), positions(rows, m.context - 1);
  for (int64_t r = 0; r < rows; ++r)
    groups[r] = static_cast<int32_t>(r);
  std::vector<float> hidden(rows * m.hiddenDim), logits(rows * m.vocab);
  XfmStageArgs stage = {rows, groups.data(), positions.data(), 1,
                        0,    hidden.data(), logits.data()};
  int rc = runStage(s, stage);
  for (int64_t b = 0; b < blocks; ++b)
    std::memcpy(at(b), saved.data() + b * rowBytes, rowBytes);
  s.stagesSized = rc == XFM_OK;
  return rc;
}

int xfrt::runStage(xfrt_session &s, const XfmStageArgs &stage) {
  s.stage = &stage;
  runGroup(*s.groups.front());
  s.stage = nullptr;
  int rc = s.groups.front()->status;
  return rc == XFM_ARENA_TOO_SMALL ? XFM_OK : rc;
}

extern "C" {

xfrt_status xfrt_session_create(xfrt_model *model, int64_t maxContext,
                                int threads, xfrt_session **session) {
  return createSession(model, maxContext, threads, nullptr, session);
}

xfrt_status xfrt_session_create_shard(xfrt_model *model, int64_t maxContext,
                                      int threads,
                                      const xfrt_collective *collective,
                                      xfrt_session **session) {
  if (!collective) {
    *session = nullptr;
    return XFRT_ERROR_INVALID_ARGUMENT;
  }
  return createSession(model, maxContext, threads, collective, session);
}

void xfrt_session_free(xfrt_session *session) { delete session; }

int xfrt_session_threads(const xfrt_session *session) {
  int threads = 0;
  for (const auto &g : session->groups)
    threads += g->pool->threads();
  return threads;
}

int32_t xfrt_session_shards(const xfrt_session *session) {
  return static_cast<int32_t>(session->groups.size());
}

xfrt_status xfrt_session_shard_stats(const xfrt_session *session, int32_t index,
                                     xfrt_shard_stats *stats) {
  if (index < 0 || index >= xfrt_session_shards(session) || !stats)
    return XFRT_ERROR_INVALID_ARGUMENT;
  *stats = session->groups[index]->stats;
  return XFRT_OK;
}

void xfrt_session_reset_stats(xfrt_session *session) {
  for (auto &g : session->groups) {
    g->stats.all_reduce_calls = g->stats.all_reduce_floats = 0;
    g->stats.all_reduce_seconds = g->stats.forward_seconds = 0;
    g->stats.all_reduce_wait_seconds = 0;
  }
}

xfrt_status xfrt_session_eval(xfrt_session *s, const int32_t *tokens, int64_t n,
                              float *logits) {
  xfrt_model *m = s->model;
  if (s->broken) {
    s->error = "a failed all-reduce left the shards out of step; the "
               "session cannot continue";
    return XFRT_ERROR_ALL_REDUCE;
  }
  if (!tokens || !logits || n <= 0) {
    s->error = "eval needs at least one token and a logits buffer";
    return XFRT_ERROR_INVALID_ARGUMENT;
  }
  if (n > s->context - s->position) {
    s->error = "cannot add " + std::to_string(n) + " tokens at position " +
               std::to_string(s->position) + ": the context holds " +
               std::to_string(s->context);
    return XFRT_ERROR_CONTEXT_FULL;
  }
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= m->vocab) {
      s->error = "token " + std::to_string(tokens[i]) + " at index " +
                 std::to_string(i) + " is outside the vocabulary of " +
                 std::to_string(m->vocab);
      return XFRT_ERROR_INVALID_TOKEN;
    }
  // The capacity was reserved for the whole context: no reallocation.
  s->positions.resize(n);
  for (int64_t i = 0; i < n; ++i)
    s->positions[i] = static_cast<int32_t>(s->position + i);
  int rc = forward(s, tokens, n, logits);
  if (rc == XFM_ALL_REDUCE_FAILED || rc == XFM_BAD_SHARD) {
    // The shards are out of step, and stay so: a later call could pair
    // with a peer still in this one.
    s->broken = true;
    s->error = "the shards of the model could not sum their results (a "
               "peer failed); the session cannot continue";
    return XFRT_ERROR_ALL_REDUCE;
  }
  s->position += n;
  return XFRT_OK;
}

int64_t xfrt_session_position(const xfrt_session *s) { return s->position; }

const void *xfrt_session_kv_cache(const xfrt_session *s, size_t *bytes) {
  const Group &g = *s->groups.front();
  if (bytes)
    *bytes = g.caches.bytes;
  return g.caches.data;
}

xfrt_status xfrt_session_trim(xfrt_session *s, int64_t n) {
  if (s->broken)
    return XFRT_ERROR_ALL_REDUCE;
  if (n < 0 || n > s->position) {
    s->error = "cannot keep " + std::to_string(n) + " of " +
               std::to_string(s->position) + " cached tokens";
    return XFRT_ERROR_INVALID_ARGUMENT;
  }
  s->position = n; // later tokens are overwritten, never read
  return XFRT_OK;
}

const char *xfrt_session_error(const xfrt_session *s) {
  return s->error.c_str();
}

} // extern "C"
