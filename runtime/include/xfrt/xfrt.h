/*===- xfrt.h - XFC runtime C API ----------------------------------*- C -*-===*
 *
 * The runtime that loads and runs models compiled by XFC. It depends on no
 * MLIR or LLVM library. This header grows into the full model/session API
 * (load, prefill, decode, KV-cache control) with the end-to-end work.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFRT_XFRT_H
#define XFRT_XFRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the layout of a compiled model's metadata, weights or entry
 * points changes; a model built for another ABI version is refused. */
#define XFRT_ABI_VERSION 7

/* The runtime's version string, for example "0.1.0". */
const char *xfrt_version(void);

/* The ABI version this runtime was built with (XFRT_ABI_VERSION). */
uint32_t xfrt_abi_version(void);

/* Non-zero when a model built for `abi` can be loaded by this runtime. */
int xfrt_abi_compatible(uint32_t abi);

/* Status codes. Every function that can fail returns one, and writes a
 * message naming the file or argument into the model's or session's error
 * string (xfrt_last_error). */
typedef enum {
  XFRT_OK = 0,
  XFRT_ERROR_IO = 1,           /* cannot open or map the model */
  XFRT_ERROR_NOT_A_MODEL = 2,  /* not an XFC model .so */
  XFRT_ERROR_ABI = 3,          /* built for another runtime ABI */
  XFRT_ERROR_CONTEXT_FULL = 4, /* the tokens do not fit in the context */
  XFRT_ERROR_INVALID_TOKEN = 5,
  XFRT_ERROR_INVALID_ARGUMENT = 6,
  XFRT_ERROR_OUT_OF_MEMORY = 7,
  XFRT_ERROR_ALL_REDUCE = 8 /* the shards of a split model could not meet */
} xfrt_status;

typedef struct xfrt_model xfrt_model;
typedef struct xfrt_session xfrt_session;

/* Loads a compiled model. On failure *model is NULL and, if `error` is not
 * NULL, up to error_size bytes of the message are written there. */
xfrt_status xfrt_model_load(const char *path, xfrt_model **model,
                            char *error, size_t error_size);
void xfrt_model_free(xfrt_model *model);

/* "key=value" lines: architecture, vocab_size, max_context, layers. */
const char *xfrt_model_metadata(const xfrt_model *model);
int64_t xfrt_model_vocab_size(const xfrt_model *model);
int64_t xfrt_model_max_context(const xfrt_model *model);
/* The serialized tokenizer embedded in the model (xfrt::Tokenizer.h). */
const uint8_t *xfrt_model_tokenizer(const xfrt_model *model, uint64_t *size);

/* A session owns a KV cache, allocated here once, and the scratch memory of
 * a step: evaluating tokens afterwards allocates nothing. `max_context`
 * limits the tokens it holds (0: the model's context; more than the model
 * was compiled for is XFRT_ERROR_INVALID_ARGUMENT). Sessions are
 * independent. A session runs the model's parallel loops on `threads`
 * threads (0: one per core the process may use): the caller and threads - 1
 * workers started here, bound to cores, and joined by xfrt_session_free. */
xfrt_status xfrt_session_create(xfrt_model *model, int64_t max_context,
                                int threads, xfrt_session **session);
void xfrt_session_free(xfrt_session *session);
/* The threads the session's steps run on, the caller included. */
int xfrt_session_threads(const xfrt_session *session);

/* The shards of a tensor-parallel model (xfc compile --sockets N), 1 for
 * a model that is not split. xfrt_session_create runs all of them in this
 * process: one worker group per shard, each a thread pool bound to the
 * cores of a NUMA node (shard k on node k mod nodes) with its KV cache and
 * weights on that node's memory; `threads` are divided among the groups,
 * and the groups sum their partial results in shared memory. */
int32_t xfrt_model_shards(const xfrt_model *model);

/* How one process runs one shard of a split model whose other shards run
 * elsewhere, e.g. in other MPI ranks. */
typedef struct xfrt_collective {
  int32_t shard; /* the shard this process computes */
  /* Sums `count` floats at `data` in place across the processes of all
   * shards; returns 0, or non-zero when that failed. */
  int (*all_reduce)(void *context, float *data, int64_t count);
  void *context;
} xfrt_collective;

/* A session that computes only collective->shard and sums through
 * `collective`. The processes of all shards must make the same session
 * calls (create, eval, trim) in the same order with the same tokens; each
 * gets the full logits. */
xfrt_status xfrt_session_create_shard(xfrt_model *model, int64_t max_context,
                                      int threads,
                                      const xfrt_collective *collective,
                                      xfrt_session **session);

/* What one shard of a session did since it was created or its statistics
 * were reset. */
typedef struct xfrt_shard_stats {
  int32_t shard;
  int32_t node;    /* the NUMA node its group was given, -1 none */
  int32_t threads; /* of its group */
  /* Where the kernel placed its memory (get_mempolicy of the first page;
   * -1 unknown): the KV cache and the shard's own weights. */
  int32_t cache_node;
  int32_t weights_node;
  uint64_t weight_bytes; /* its own weights plus the replicated ones */
  uint64_t cache_bytes;
  uint64_t all_reduce_calls;
  uint64_t all_reduce_floats;
  double all_reduce_seconds; /* in the all-reduce, waiting for others too */
  /* Of which waiting for the last group to arrive (load imbalance, not
   * communication); in-process groups only, 0 under a collective. */
  double all_reduce_wait_seconds;
  double forward_seconds; /* in whole forward calls */
} xfrt_shard_stats;

/* The shards the session computes in this process (1 for a model that is
 * not split, or a session of xfrt_session_create_shard). */
int32_t xfrt_session_shards(const xfrt_session *session);
xfrt_status xfrt_session_shard_stats(const xfrt_session *session, int32_t index,
                                     xfrt_shard_stats *stats);
void xfrt_session_reset_stats(xfrt_session *session);

/* Runs `n` tokens after those already in the cache (a prefill for n > 1, a
 * decode step for n = 1) and writes their logits, n x vocab_size floats, to
 * `logits`. Past the context: XFRT_ERROR_CONTEXT_FULL, nothing changes. */
xfrt_status xfrt_session_eval(xfrt_session *session, const int32_t *tokens,
                              int64_t n, float *logits);
/* Tokens currently in the cache. */
int64_t xfrt_session_position(const xfrt_session *session);
/* Keeps only the first `n` cached tokens (0 resets). */
xfrt_status xfrt_session_trim(xfrt_session *session, int64_t n);
/* The session's KV cache as the model lays it out (ModelABI.h), for
 * inspection; `*bytes` gets its size. */
const void *xfrt_session_kv_cache(const xfrt_session *session, size_t *bytes);

/* SPEED: speculative pipelined decoding of a model whose layers repeat a
 * cycle of N distinct layers G times (xfc compiles such a model with stage
 * entry points). Each stage runs the N layers once on the tokens in
 * flight, each at its own repetition group, so the shared weights are read
 * once for all of them. A token starts from its predecessor's early
 * prediction (the final norm and LM head after a group); when a later
 * group changes that prediction, the token and those after it are
 * invalidated and their KV-cache entries in every layer rolled back. The
 * greedy output equals plain decoding's. */

/* The most tokens a stage of the model runs at once; 0: no stages. */
int32_t xfrt_model_speed_rows(const xfrt_model *model);

#define XFRT_SPEED_MAX_GROUPS 64

typedef struct xfrt_speed_stats {
  int32_t groups;  /* G */
  uint64_t tokens; /* generated */
  uint64_t stages; /* stage calls */
  uint64_t rows;   /* summed over the stages: rows / stages tokens in
                      flight on average */
  /* Per group g (of the first min(G, XFRT_SPEED_MAX_GROUPS)): how often its
   * prediction was checked against a token started from an earlier one,
   * and how often it differed (invalidating that token and its followers). */
  uint64_t checked[XFRT_SPEED_MAX_GROUPS];
  uint64_t invalidated[XFRT_SPEED_MAX_GROUPS];
  uint64_t rolled_back;  /* tokens whose KV entries were rolled back */
  uint64_t weight_bytes; /* the weights the stages read */
  /* What one plain decode step reads: the N layers G times, and the rest. */
  uint64_t sequential_weight_bytes_per_token;
  double seconds;
} xfrt_speed_stats;

/* Called for each generated token with the logits that chose it (the final
 * ones, vocab_size floats, valid during the call); non-zero stops the
 * generation. It must not call functions of the session. */
typedef int (*xfrt_token_callback)(void *context, int32_t token,
                                   const float *logits);

/* Greedy generation with SPEED after the tokens in the cache: `first` (the
 * next token, already chosen) enters at the session's position, then up to
 * `max_tokens` tokens are generated, each passed to `on_token`. Afterwards
 * the cache holds `first` and every generated token but the last, as plain
 * decoding leaves it; the rows the speculation wrote past them are zeroed
 * (never read: later tokens overwrite them). Greedy tokens equal plain
 * decoding's as long as no two logits tie within the last bits in which a
 * stage's arithmetic over several rows can differ from a one-token step.
 * Needs a model with stages (xfrt_model_speed_rows > 0). On failure the
 * tokens already passed to `on_token` stay in the cache. `stats` may be
 * NULL. */
xfrt_status xfrt_session_generate_speed(xfrt_session *session, int32_t first,
                                        int64_t max_tokens,
                                        xfrt_token_callback on_token,
                                        void *context, xfrt_speed_stats *stats);

/* The message of the last failed call on this session. */
const char *xfrt_session_error(const xfrt_session *session);

/* Continuous batching, for a model compiled with batch decode entry points
 * (metadata batch_rows > 0; not a split model). A batch owns `slots` KV
 * caches, each one sequence's, allocated here once, and one thread pool
 * and scratch for all of them. A sequence joins by a prefill into a free
 * slot and leaves by xfrt_batch_release; between those, each decode step
 * advances up to xfrt_batch_max_rows slots by one token each as one call,
 * whose projections and FFNs read each weight once for all rows. Steps
 * allocate nothing once the scratch has grown to the largest. Calls on one
 * batch must not overlap; batches are independent. */
typedef struct xfrt_batch xfrt_batch;
/* The most rows of the model's batch decode steps (0: it has none). */
int32_t xfrt_model_batch_rows(const xfrt_model *model);
/* XFRT_ERROR_INVALID_ARGUMENT for a model without batch entry points,
 * slots < 1 or threads < 0 (0: one per core the process may use). */
xfrt_status xfrt_batch_create(xfrt_model *model, int32_t slots, int threads,
                              xfrt_batch **batch);
void xfrt_batch_free(xfrt_batch *batch);
int32_t xfrt_batch_slots(const xfrt_batch *batch);
/* The most slots one decode step advances (the model's batch_rows). */
int32_t xfrt_batch_max_rows(const xfrt_batch *batch);
/* Appends `n` tokens to `slot`'s sequence and writes their logits (n x
 * vocab_size floats) to `logits`, if not NULL. Past the context:
 * XFRT_ERROR_CONTEXT_FULL, nothing changes. */
xfrt_status xfrt_batch_prefill(xfrt_batch *batch, int32_t slot,
                               const int32_t *tokens, int64_t n, float *logits);
/* One decode step: appends tokens[r] to slots[r] for r < rows (distinct
 * slots, each holding at least one token) and writes the rows' logits,
 * rows x vocab_size floats. On an error nothing changes. */
xfrt_status xfrt_batch_decode(xfrt_batch *batch, int64_t rows,
                              const int32_t *slots, const int32_t *tokens,
                              float *logits);
/* The tokens in `slot` (-1 for no such slot). */
int64_t xfrt_batch_length(const xfrt_batch *batch, int32_t slot);
/* Keeps only the first `n` tokens of `slot` (at most its length), so that
 * a sequence sharing that prefix continues from them (prefix caching).
 * The memory of the rest goes back to the system: a slot is address space
 * whose pages are committed as positions are written, so the batch's
 * memory follows the tokens its slots hold, not slots x context. */
xfrt_status xfrt_batch_trim(xfrt_batch *batch, int32_t slot, int64_t n);
/* Empties `slot` for another sequence: xfrt_batch_trim to 0. */
xfrt_status xfrt_batch_release(xfrt_batch *batch, int32_t slot);
/* The message of the batch's last error. */
const char *xfrt_batch_error(const xfrt_batch *batch);
/* `slot`'s KV caches as the model lays them out (ModelABI.h), for
 * inspection; `*bytes` gets their size. NULL for no such slot. */
const void *xfrt_batch_kv_cache(const xfrt_batch *batch, int32_t slot,
                                size_t *bytes);

/* Plain graphs: an ONNX graph compiled by `xfc compile model.onnx -o
 * graph.so` is a function of its inputs, with no tokens or KV cache. */
typedef struct xfrt_graph xfrt_graph;

/* One input or output: its name in the ONNX graph, element type (f32, f64,
 * f16, bf16, i64, i32, i16, i8, or i1 as one byte per boolean, 0 or 1),
 * and static shape; a buffer for it is `bytes` long, dense and row-major.
 * Output buffers must not overlap input buffers. */
typedef struct xfrt_graph_value {
  const char *name;
  const char *element;
  int32_t rank;
  const int64_t *shape;
  uint64_t bytes;
} xfrt_graph_value;

/* Loads a compiled graph whose parallel loops run on `threads` threads (0:
 * one per core the process may use). A language model is
 * XFRT_ERROR_NOT_A_MODEL here, as a graph is for xfrt_model_load. */
xfrt_status xfrt_graph_load(const char *path, int threads, xfrt_graph **graph,
                            char *error, size_t error_size);
void xfrt_graph_free(xfrt_graph *graph);
int32_t xfrt_graph_num_inputs(const xfrt_graph *graph);
int32_t xfrt_graph_num_outputs(const xfrt_graph *graph);
/* NULL when `index` is out of range. */
const xfrt_graph_value *xfrt_graph_input(const xfrt_graph *graph,
                                         int32_t index);
const xfrt_graph_value *xfrt_graph_output(const xfrt_graph *graph,
                                          int32_t index);
/* Runs the graph: reads one buffer per input and writes one per output, in
 * order. One call at a time per graph; the scratch memory it keeps grows
 * to what a call needs, after which calls allocate nothing. An index input
 * out of range (a Gather's indices, e.g. token ids past the vocabulary) is
 * XFRT_ERROR_INVALID_ARGUMENT, and the outputs are not valid. */
xfrt_status xfrt_graph_run(xfrt_graph *graph, const void *const *inputs,
                           void *const *outputs);

#ifdef __cplusplus
}
#endif

#endif /* XFRT_XFRT_H */
