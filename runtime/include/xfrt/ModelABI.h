/*===- ModelABI.h - The interface between libxfrt and a compiled model ---===*
 *
 * Every model .so exports `xfm_get_model_info`, `xfm_forward`,
 * `xfm_speed_stage` and `xfm_graph_forward`. A language model (metadata
 * `kind=model`) runs through xfm_forward; a plain graph (an ONNX graph,
 * `kind=graph`) through xfm_graph_forward.
 * A tensor-parallel model has one entry point per shard behind xfm_forward
 * (XfmForwardArgs.shard); each shard holds its part of the KV heads. The model
 * side lives in model-stub/ModelStub.cpp (linked into each .so); the
 * runtime side in lib/Model.cpp. Changing anything here means bumping
 * XFRT_ABI_VERSION.
 *
 *===----------------------------------------------------------------------===*/

#ifndef XFRT_MODELABI_H
#define XFRT_MODELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct XfmModelInfo {
  uint32_t abi_version; /* XFRT_ABI_VERSION of the compiler that built it */
  const char *compiler_version;
  /* "key=value" lines: architecture, vocab_size, max_context, layers,
   * kv_heads (of one shard), head_dim, kv_cache (the element type),
   * kv_row_bytes, shards, and for a split model shard_weights: the byte
   * ranges "b0-e0,b1-e1,..." of the weights each shard alone reads. A
   * model with SPEED stages adds speed_rows, layer_cycle (N,G), hidden_dim,
   * speed_stage_bytes (the weights one stage reads) and speed_layer_bytes
   * (of which the N layers'). A model with batch decode entry points adds
   * batch_rows (the most rows of a step). */
  const char *metadata;
  const uint8_t *tokenizer; /* serialized xfrt::Vocabulary */
  uint64_t tokenizer_bytes;
  /* The weights are in the file's non-allocated section ".xfc.weights"
   * (not mapped by the dynamic loader, so no code reference to them can
   * overflow); the runtime maps it and passes its address to xfm_forward. */
  uint64_t weights_bytes;
} XfmModelInfo;

/* The iterations [begin, end) of a parallel loop of the generated code. */
typedef void (*XfmParallelBody)(void *ctx, int64_t begin, int64_t end);
/* Runs body over disjoint ranges that together cover [0, n), possibly on
 * several threads, and returns when all have returned. */
typedef void (*XfmParallelFor)(void *pool, int64_t n, XfmParallelBody body,
                               void *ctx);
/* Sums `count` floats at `data`, in place, with the same call of every
 * other shard of a split model (metadata `shards` > 1), which all make the
 * same calls in the same order. Returns 0, or non-zero when the shards could
 * not meet: the forward call then fails with XFM_ALL_REDUCE_FAILED. */
typedef int (*XfmAllReduce)(void *context, float *data, int64_t count);

typedef struct XfmForwardArgs {
  const int32_t *tokens;    /* n_tokens ids */
  const int32_t *positions; /* n_tokens absolute positions */
  int64_t n_tokens;
  int64_t position; /* tokens already in the caches */
  /* [layers][2][max_context][kv_heads] rows of kv_row_bytes (metadata):
   * head_dim elements of the kv_cache type (f32, f16, bf16), or for i8
   * head_dim codes then the row's f32 scale. */
  void *caches;
  const uint8_t *weights; /* the mapped .xfc.weights section */
  float *logits;          /* out: [n_tokens][vocab_size]; NULL: not wanted (the
                           * shards of a split model but the first) */
  /* Scratch for intermediate buffers, 64-byte aligned. The call reports in
   * *arena_needed the bytes it used; when that exceeds arena_bytes it still
   * completes (from the heap) and returns XFM_ARENA_TOO_SMALL. */
  uint8_t *arena;
  uint64_t arena_bytes;
  uint64_t *arena_needed;
  /* The session's thread pool: the model's parallel loops (the stub's
   * xfm_parallel_for) call parallel_for(pool, ...) during this call. With
   * parallel_for NULL or threads <= 1 they run on the calling thread. */
  XfmParallelFor parallel_for;
  void *pool;
  int32_t threads;
  /* A split model: the shard this call computes, in [0, shards), and the
   * reduction that joins it with the others (required when shards > 1).
   * The caches and logits are this shard's. */
  int32_t shard;
  XfmAllReduce all_reduce;
  void *reduce_context;
} XfmForwardArgs;

/* The most rows a SPEED stage runs (xfc's xf-speed-stages max-rows). */
#define XFM_MAX_STAGE_ROWS 8

/* One SPEED stage of a model whose layers repeat a cycle of N distinct
 * layers G times (metadata layer_cycle, speed_rows > 0): the N layers run
 * once on `rows` in-flight tokens, row r reading and writing the KV caches
 * of its repetition group (layers [groups[r] * N, groups[r] * N + N)) at
 * positions[r]; then the final norm and LM head run on every row. */
typedef struct XfmStageArgs {
  int64_t rows;             /* in [1, speed_rows] */
  const int32_t *groups;    /* rows: each row's repetition group, in [0, G) */
  const int32_t *positions; /* rows: each row's absolute position */
  /* Non-zero: the last row enters the model here, as the embedding of
   * `token` (its `hidden` row is not read). */
  int32_t embed_last;
  int32_t token;
  float *hidden; /* in/out: [rows][hidden_dim], the rows' residual stream */
  float *logits; /* out: [rows][vocab_size] */
} XfmStageArgs;

/* The most rows a batch decode step runs (xfc's xf-batch-decode max-rows). */
#define XFM_MAX_BATCH_ROWS 16

/* One decode step of `rows` sequences at once (metadata batch_rows > 0):
 * row r is token tokens[r] of a sequence at position positions[r], whose
 * KV caches (laid out as XfmForwardArgs' caches) start at caches[r]. The
 * rows' caches must be distinct: each row appends to its own. */
typedef struct XfmBatchArgs {
  int64_t rows;             /* in [1, batch_rows] */
  const int32_t *tokens;    /* rows */
  const int32_t *positions; /* rows: each row's absolute position */
  void *const *caches;      /* rows */
  float *logits;            /* out: [rows][vocab_size] */
} XfmBatchArgs;

enum {
  XFM_OK = 0,
  XFM_ARENA_TOO_SMALL = 1,
  XFM_BAD_SHARD = 2,         /* no such shard, or no all_reduce for it */
  XFM_ALL_REDUCE_FAILED = 3, /* the logits are not valid */
  XFM_NO_STAGES = 4,         /* the model has no SPEED stages */
  XFM_BAD_STAGE = 5,         /* rows or a group out of range */
  XFM_NOT_A_GRAPH = 6,       /* xfm_graph_forward on a language model */
  /* A gather's index (run-time data, e.g. token ids of a graph) is outside
   * its axis: the outputs are not valid. */
  XFM_INDEX_OUT_OF_RANGE = 7,
  XFM_NO_BATCH = 8, /* the model has no batch decode entry points */
  XFM_BAD_BATCH = 9 /* rows, a token, a position or a cache is invalid */
};

/* One call of a plain graph (metadata kind=graph). Its inputs and outputs
 * are dense row-major buffers of the static shapes and element types the
 * metadata lists in order, one line each:
 *   input=<element> <d0>x<d1>... <name>   (shape "scalar" for rank 0)
 *   output=<element> <d0>x<d1>... <name>
 * Elements: f64, f32, f16, bf16, i64, i32, i16, i8 (signless: ONNX's
 * unsigned types too) and i1 (a byte per boolean, 0 or 1). The inputs are
 * only read; the outputs are written once the graph has computed them all,
 * and must not overlap the inputs. */
typedef struct XfmGraphArgs {
  const void *const *inputs;
  void *const *outputs;
  /* Scratch and threads as in XfmForwardArgs. */
  uint8_t *arena;
  uint64_t arena_bytes;
  uint64_t *arena_needed;
  XfmParallelFor parallel_for;
  void *pool;
  int32_t threads;
} XfmGraphArgs;

const XfmModelInfo *xfm_get_model_info(void);
int xfm_forward(const XfmForwardArgs *args);
/* Runs one SPEED stage. Of `args`, the caches, weights, arena and thread
 * pool fields are used (tokens, positions, n_tokens, position and logits
 * are not); shard must be 0 (split models have no stages). */
int xfm_speed_stage(const XfmForwardArgs *args, const XfmStageArgs *stage);
/* Runs one batch decode step. Of `args`, the weights, arena and thread pool
 * fields are used; shard must be 0 (split models have no batch entries). */
int xfm_decode_batch(const XfmForwardArgs *args, const XfmBatchArgs *batch);
/* Runs a plain graph: XFM_NOT_A_GRAPH for a language model. */
int xfm_graph_forward(const XfmGraphArgs *args);

#ifdef __cplusplus
}
#endif

#endif /* XFRT_MODELABI_H */
