//===- ModelStub.cpp - The runtime-facing half of every compiled model ----===//
//
// Linked into each model .so. It adapts the generated code's calling
// convention (memref descriptors, generic allocation functions, memrefCopy)
// to the plain C interface of ModelABI.h. The generated object provides
// `_mlir_ciface_forward` and the `xfm_*` metadata globals; the runtime maps
// the `.xfc.weights` section and passes its address. Parallel loops of the
// generated code call xfm_parallel_for, which hands them to the session's
// thread pool for the current xfm_forward call.
//
//===----------------------------------------------------------------------===//

#include "xfrt/ModelABI.h"
#include "xfrt/xfrt.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

namespace {

template <int Rank> struct MemRef {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

/// The per-call bump allocator behind the generated code's buffers. The
/// bodies of parallel loops allocate from their caller's arena on other
/// threads, hence the atomic bump and the lock around the (rare) overflow.
struct Arena {
  uint8_t *base = nullptr;
  uint64_t size = 0;
  std::atomic<uint64_t> used{0};
  std::mutex overflowLock;
  std::vector<void *> overflow; // heap blocks when the arena is too small
  // A gather of the call read an index outside its axis.
  std::atomic<bool> indexOutOfRange{false};
};
/// The arena of the call this thread works for: the forward call's own, or
/// in a pool worker the arena of the loop it runs. Pool workers touch only
/// these thread-locals. As the model is dlopen'ed, its thread-locals would
/// otherwise be allocated (malloc) on a worker's first touch, which could
/// fall in a decode step that must allocate nothing; initial-exec puts them
/// in the static TLS glibc reserves for dlopen'ed libraries. All are
/// trivially destructible and constant-initialized: a thread-local with a
/// destructor would keep the library loaded after dlclose, and with it its
/// static TLS, which a process loading many models in turn would exhaust.
#define XFM_STATIC_TLS __attribute__((tls_model("initial-exec")))
XFM_STATIC_TLS thread_local Arena *currentArena = nullptr;

/// The forward call running on this thread (null in pool workers, whose
/// nested parallel loops run serially).
XFM_STATIC_TLS thread_local const XfmForwardArgs *currentCall = nullptr;

/// Whether an all-reduce of the current forward call failed.
XFM_STATIC_TLS thread_local bool allReduceFailed = false;

/// A parallel loop on its way through the pool: the generated body and the
/// arena its allocations come from.
struct ParallelLoop {
  XfmParallelBody body;
  void *ctx;
  Arena *arena;
};

void runChunk(void *loop, int64_t begin, int64_t end) {
  auto *l = static_cast<ParallelLoop *>(loop);
  Arena *saved = currentArena;
  currentArena = l->arena;
  l->body(l->ctx, begin, end);
  currentArena = saved;
}

template <int Rank> MemRef<Rank> contiguous(const void *data, const int64_t (&sizes)[Rank]) {
  MemRef<Rank> m;
  m.allocated = m.aligned = const_cast<void *>(data);
  m.offset = 0;
  int64_t stride = 1;
  for (int i = Rank - 1; i >= 0; --i) {
    m.sizes[i] = sizes[i];
    m.strides[i] = stride;
    stride *= sizes[i];
  }
  return m;
}

} // namespace

extern "C" {

// Provided by the generated object: the C interface of @forward, or of
// each @forward_shard<k> of a split model.
typedef void (*ForwardEntry)(MemRef<2> *logits, MemRef<1> *tokens,
                             MemRef<1> *positions, int64_t position,
                             MemRef<5> *caches, MemRef<1> *weights);
extern const ForwardEntry xfm_forward_entries[];
extern const int64_t xfm_shards;
extern const char xfm_metadata[];
extern const uint8_t xfm_tokenizer[];
extern const uint64_t xfm_tokenizer_bytes;
extern const int64_t xfm_cache_shape[5]; // layers, 2, ctx, heads, row elements
extern const int64_t xfm_vocab_size;
extern const uint64_t xfm_weights_bytes;
// SPEED: [0] is @speed_embed's C interface, [M] @speed_stage<M>'s, for M
// up to xfm_speed_rows (0: the model has no stages).
extern const void *const xfm_speed_entries[];
extern const int64_t xfm_speed_rows;
extern const int64_t xfm_speed_layers; // N, the distinct layers of a stage
extern const int64_t xfm_hidden_dim;
extern const int64_t xfm_cache_layer_bytes; // one layer's keys and values
// Batch decode: [M - 1] is @decode_batch<M>'s C interface, for M up to
// xfm_batch_rows (0: the model has none).
extern const void *const xfm_batch_entries[];
extern const int64_t xfm_batch_rows;
// A plain graph's entry (one null entry for a language model): reads its
// inputs and writes its outputs, dense buffers in metadata order.
typedef void (*GraphEntry)(const void *const *inputs, void *const *outputs);
extern const GraphEntry xfm_graph_entries[];

void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  Arena &a = *currentArena;
  // Whole 64-byte blocks: the total is the same in any allocation order.
  uint64_t bytes = (size + 63) & ~uint64_t(63);
  uint64_t start = a.used.fetch_add(bytes, std::memory_order_relaxed);
  if (start + bytes <= a.size)
    return a.base + start;
  void *block = std::aligned_alloc(64, bytes ? bytes : 64);
  std::lock_guard<std::mutex> lock(a.overflowLock);
  a.overflow.push_back(block);
  return block;
}

void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t size) {
  (void)alignment; // arena blocks are 64-byte aligned, enough for any use
  return _mlir_memref_to_llvm_alloc(size);
}

void _mlir_memref_to_llvm_free(void *) {} // released with the arena

/// Copies between two strided memrefs of the same shape.
void memrefCopy(int64_t elementSize, UnrankedMemRef *src, UnrankedMemRef *dst) {
  int64_t rank = src->rank;
  // Descriptor layout: allocated, aligned, offset, sizes[rank], strides[rank].
  auto fields = [](UnrankedMemRef *m) {
    return reinterpret_cast<int64_t *>(m->descriptor);
  };
  int64_t *s = fields(src), *d = fields(dst);
  auto *srcData = reinterpret_cast<char *>(s[1]) + s[2] * elementSize;
  auto *dstData = reinterpret_cast<char *>(d[1]) + d[2] * elementSize;
  const int64_t *sizes = s + 3, *srcStrides = s + 3 + rank,
                *dstStrides = d + 3 + rank;
  int64_t total = 1;
  for (int64_t i = 0; i < rank; ++i)
    total *= sizes[i];
  // A fixed array: a decode step must not touch the heap.
  constexpr int64_t kMaxRank = 8;
  if (rank > kMaxRank)
    std::abort(); // the generated code copies KV rows only (rank 3)
  int64_t index[kMaxRank] = {};
  for (int64_t e = 0; e < total; ++e) {
    int64_t so = 0, dO = 0;
    for (int64_t i = 0; i < rank; ++i)
      so += index[i] * srcStrides[i], dO += index[i] * dstStrides[i];
    std::memcpy(dstData + dO * elementSize, srcData + so * elementSize,
                elementSize);
    for (int64_t i = rank - 1; i >= 0 && ++index[i] == sizes[i]; --i)
      index[i] = 0;
  }
}

/// Called by the generated code for each xf.all_reduce: copies the rows of
/// the partial sum at `input` (a row every `inputStride` floats) densely to
/// `output` and sums them there with the other shards.
void xfm_all_reduce(int64_t input, int64_t inputStride, int64_t output,
                    int64_t rows, int64_t columns) {
  auto *in = reinterpret_cast<const float *>(input);
  auto *out = reinterpret_cast<float *>(output);
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(out + r * columns, in + r * inputStride,
                columns * sizeof(float));
  const XfmForwardArgs *call = currentCall;
  // Once a reduction failed the shards are out of step: skip the rest.
  if (allReduceFailed || !call->all_reduce ||
      call->all_reduce(call->reduce_context, out, rows * columns) != 0)
    allReduceFailed = true;
}

/// Called by the generated code when a gather's index is outside its axis
/// (the element read is 0): the call fails with XFM_INDEX_OUT_OF_RANGE.
void xfm_index_out_of_range(void) {
  currentArena->indexOutOfRange.store(true, std::memory_order_relaxed);
}

/// Called by the generated code for each outermost parallel loop: runs
/// body(ctx, begin, end) over chunks of [0, n), on the session's threads
/// when the current forward call has a pool, else on this thread.
void xfm_parallel_for(int64_t n, XfmParallelBody body, void *ctx) {
  if (n <= 0)
    return;
  const XfmForwardArgs *call = currentCall;
  if (!call || !call->parallel_for || call->threads <= 1 || n == 1) {
    body(ctx, 0, n);
    return;
  }
  ParallelLoop loop = {body, ctx, currentArena};
  call->parallel_for(call->pool, n, runChunk, &loop);
}

/// The threads the current forward call may use: libraries the model calls
/// that thread themselves (oneDNN, runtime/onednn) ask, to honour `-t N`.
int32_t xfm_current_threads(void) {
  const XfmForwardArgs *call = currentCall;
  return call && call->parallel_for && call->threads > 1 ? call->threads : 1;
}

const XfmModelInfo *xfm_get_model_info(void) {
  static const XfmModelInfo info = {
      XFRT_ABI_VERSION,
      XFC_VERSION_STRING,
      xfm_metadata,
      xfm_tokenizer,
      xfm_tokenizer_bytes, xfm_weights_bytes};
  return &info;
}

/// The per-call state of a forward, stage or graph call on this thread. Its
/// arena lives in the calling frame (calls on different threads may run
/// concurrently), not in a thread-local.
class CallScope {
public:
  explicit CallScope(const XfmForwardArgs *args) : args(args) {
    allReduceFailed = false;
    arena.base = args->arena;
    arena.size = args->arena_bytes;
    currentArena = &arena;
    currentCall = args;
  }
  CallScope(const CallScope &) = delete;
  CallScope &operator=(const CallScope &) = delete;
  ~CallScope() {
    for (void *block : arena.overflow)
      std::free(block);
    currentArena = nullptr;
    currentCall = nullptr;
  }

  /// The call's status; reports the arena bytes it needed.
  int finish() {
    *args->arena_needed = arena.used.load(std::memory_order_relaxed);
    if (allReduceFailed)
      return XFM_ALL_REDUCE_FAILED;
    if (arena.indexOutOfRange.load(std::memory_order_relaxed))
      return XFM_INDEX_OUT_OF_RANGE;
    return arena.overflow.empty() ? XFM_OK : XFM_ARENA_TOO_SMALL;
  }

private:
  const XfmForwardArgs *args;
  Arena arena;
};

static MemRef<1> weightsOf(const XfmForwardArgs *args) {
  int64_t weightShape[1] = {static_cast<int64_t>(xfm_weights_bytes)};
  return contiguous<1>(args->weights, weightShape);
}

/// Copies a strided [rows][columns] result to a dense buffer.
static void copyOut(const MemRef<2> &from, float *to, int64_t rows,
                    int64_t columns) {
  const float *in = static_cast<const float *>(from.aligned) + from.offset;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      to[r * columns + c] = in[r * from.strides[0] + c * from.strides[1]];
}

int xfm_forward(const XfmForwardArgs *args) {
  if (args->shard < 0 || args->shard >= xfm_shards ||
      (xfm_shards > 1 && !args->all_reduce))
    return XFM_BAD_SHARD;
  CallScope scope(args);
  int64_t n = args->n_tokens;
  int64_t tokenShape[1] = {n};
  MemRef<1> tokens = contiguous<1>(args->tokens, tokenShape);
  MemRef<1> positions = contiguous<1>(args->positions, tokenShape);
  int64_t cacheShape[5];
  std::memcpy(cacheShape, xfm_cache_shape, sizeof(cacheShape));
  MemRef<5> caches = contiguous<5>(args->caches, cacheShape);
  MemRef<1> weights = weightsOf(args);
  MemRef<2> logits;
  xfm_forward_entries[args->shard](&logits, &tokens, &positions, args->position,
                                   &caches, &weights);
  if (args->logits)
    copyOut(logits, args->logits, n, xfm_vocab_size);
  return scope.finish();
}

int xfm_graph_forward(const XfmGraphArgs *args) {
  if (!xfm_graph_entries[0])
    return XFM_NOT_A_GRAPH;
  // A graph call is a forward call without tokens, caches or weights.
  XfmForwardArgs call = {};
  call.arena = args->arena;
  call.arena_bytes = args->arena_bytes;
  call.arena_needed = args->arena_needed;
  call.parallel_for = args->parallel_for;
  call.pool = args->pool;
  call.threads = args->threads;
  CallScope scope(&call);
  xfm_graph_entries[0](args->inputs, args->outputs);
  return scope.finish();
}

} // extern "C"

namespace {

// The C interfaces of @speed_embed and @speed_stage<M> (M cache memrefs).
typedef void (*EmbedEntry)(MemRef<2> *hidden, MemRef<1> *tokens,
                           MemRef<1> *positions, MemRef<1> *weights);
struct StageResults {
  MemRef<2> hidden;
  MemRef<2> logits;
};
template <size_t I> using CacheArg = MemRef<5> *;
typedef void (*StageCall)(const void *entry, StageResults *results,
                          MemRef<2> *hidden, MemRef<1> *positions,
                          MemRef<5> *caches, MemRef<1> *weights);

template <size_t... I>
void callStage(const void *entry, StageResults *results, MemRef<2> *hidden,
               MemRef<1> *positions, MemRef<5> *caches, MemRef<1> *weights,
               std::index_sequence<I...>) {
  using Entry = void (*)(StageResults *, MemRef<2> *, MemRef<1> *,
                         CacheArg<I>..., MemRef<1> *);
  reinterpret_cast<Entry>(const_cast<void *>(entry))(results, hidden, positions,
                                                     &caches[I]..., weights);
}

template <size_t M>
void callStageOf(const void *entry, StageResults *results, MemRef<2> *hidden,
                 MemRef<1> *positions, MemRef<5> *caches, MemRef<1> *weights) {
  callStage(entry, results, hidden, positions, caches, weights,
            std::make_index_sequence<M>());
}

template <size_t... M>
constexpr std::array<StageCall, sizeof...(M) + 1>
stageCalls(std::index_sequence<M...>) {
  return {nullptr, &callStageOf<M + 1>...};
}
constexpr auto kStageCalls =
    stageCalls(std::make_index_sequence<XFM_MAX_STAGE_ROWS>());

// The C interface of @decode_batch<M> (M cache memrefs).
typedef void (*BatchCall)(const void *entry, MemRef<2> *logits,
                          MemRef<1> *tokens, MemRef<1> *positions,
                          MemRef<5> *caches, MemRef<1> *weights);

template <size_t... I>
void callBatch(const void *entry, MemRef<2> *logits, MemRef<1> *tokens,
               MemRef<1> *positions, MemRef<5> *caches, MemRef<1> *weights,
               std::index_sequence<I...>) {
  using Entry = void (*)(MemRef<2> *, MemRef<1> *, MemRef<1> *, CacheArg<I>...,
                         MemRef<1> *);
  reinterpret_cast<Entry>(const_cast<void *>(entry))(logits, tokens, positions,
                                                     &caches[I]..., weights);
}

template <size_t M>
void callBatchOf(const void *entry, MemRef<2> *logits, MemRef<1> *tokens,
                 MemRef<1> *positions, MemRef<5> *caches, MemRef<1> *weights) {
  callBatch(entry, logits, tokens, positions, caches, weights,
            std::make_index_sequence<M>());
}

template <size_t... M>
constexpr std::array<BatchCall, sizeof...(M) + 1>
batchCalls(std::index_sequence<M...>) {
  return {nullptr, &callBatchOf<M + 1>...};
}
constexpr auto kBatchCalls =
    batchCalls(std::make_index_sequence<XFM_MAX_BATCH_ROWS>());

} // namespace

extern "C" {

int xfm_speed_stage(const XfmForwardArgs *args, const XfmStageArgs *stage) {
  if (xfm_speed_rows == 0)
    return XFM_NO_STAGES;
  int64_t rows = stage->rows, layers = xfm_speed_layers;
  if (args->shard != 0 || rows < 1 || rows > xfm_speed_rows ||
      rows > XFM_MAX_STAGE_ROWS)
    return XFM_BAD_STAGE;
  for (int64_t r = 0; r < rows; ++r)
    if (stage->groups[r] < 0 ||
        (stage->groups[r] + 1) * layers > xfm_cache_shape[0] ||
        stage->positions[r] < 0 || stage->positions[r] >= xfm_cache_shape[2])
      return XFM_BAD_STAGE;
  CallScope scope(args);
  MemRef<1> weights = weightsOf(args);
  int64_t dim = xfm_hidden_dim;
  if (stage->embed_last) {
    int64_t one[1] = {1};
    MemRef<1> token = contiguous<1>(&stage->token, one);
    MemRef<1> position = contiguous<1>(&stage->positions[rows - 1], one);
    MemRef<2> embedded;
    reinterpret_cast<EmbedEntry>(const_cast<void *>(xfm_speed_entries[0]))(
        &embedded, &token, &position, &weights);
    copyOut(embedded, stage->hidden + (rows - 1) * dim, 1, dim);
  }
  int64_t hiddenShape[2] = {rows, dim}, rowShape[1] = {rows};
  MemRef<2> hidden = contiguous<2>(stage->hidden, hiddenShape);
  MemRef<1> positions = contiguous<1>(stage->positions, rowShape);
  // Row r's caches: the N layers of its group, inside the caches of all.
  int64_t cacheShape[5];
  std::memcpy(cacheShape, xfm_cache_shape, sizeof(cacheShape));
  cacheShape[0] = layers;
  MemRef<5> caches[XFM_MAX_STAGE_ROWS];
  for (int64_t r = 0; r < rows; ++r)
    caches[r] =
        contiguous<5>(static_cast<uint8_t *>(args->caches) +
                          stage->groups[r] * layers * xfm_cache_layer_bytes,
                      cacheShape);
  StageResults results;
  kStageCalls[rows](xfm_speed_entries[rows], &results, &hidden, &positions,
                    caches, &weights);
  copyOut(results.hidden, stage->hidden, rows, dim);
  copyOut(results.logits, stage->logits, rows, xfm_vocab_size);
  return scope.finish();
}

int xfm_decode_batch(const XfmForwardArgs *args, const XfmBatchArgs *batch) {
  if (xfm_batch_rows == 0)
    return XFM_NO_BATCH;
  int64_t rows = batch->rows;
  if (args->shard != 0 || rows < 1 || rows > xfm_batch_rows ||
      rows > XFM_MAX_BATCH_ROWS || !batch->tokens || !batch->positions ||
      !batch->caches || !batch->logits)
    return XFM_BAD_BATCH;
  for (int64_t r = 0; r < rows; ++r) {
    if (batch->tokens[r] < 0 || batch->tokens[r] >= xfm_vocab_size ||
        batch->positions[r] < 0 || batch->positions[r] >= xfm_cache_shape[2] ||
        !batch->caches[r])
      return XFM_BAD_BATCH;
    // Two rows appending to one cache would race.
    for (int64_t q = 0; q < r; ++q)
      if (batch->caches[q] == batch->caches[r])
        return XFM_BAD_BATCH;
  }
  CallScope scope(args);
  MemRef<1> weights = weightsOf(args);
  int64_t rowShape[1] = {rows};
  MemRef<1> tokens = contiguous<1>(batch->tokens, rowShape);
  MemRef<1> positions = contiguous<1>(batch->positions, rowShape);
  int64_t cacheShape[5];
  std::memcpy(cacheShape, xfm_cache_shape, sizeof(cacheShape));
  MemRef<5> caches[XFM_MAX_BATCH_ROWS];
  for (int64_t r = 0; r < rows; ++r)
    caches[r] = contiguous<5>(batch->caches[r], cacheShape);
  MemRef<2> logits;
  kBatchCalls[rows](xfm_batch_entries[rows - 1], &logits, &tokens, &positions,
                    caches, &weights);
  copyOut(logits, batch->logits, rows, xfm_vocab_size);
  return scope.finish();
}

} // extern "C"
