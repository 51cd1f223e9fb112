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
#define XFRT_ABI_VERSION 3

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
  XFRT_ERROR_OUT_OF_MEMORY = 7
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

/* Runs `n` tokens after those already in the cache (a prefill for n > 1, a
 * decode step for n = 1) and writes their logits, n x vocab_size floats, to
 * `logits`. Past the context: XFRT_ERROR_CONTEXT_FULL, nothing changes. */
xfrt_status xfrt_session_eval(xfrt_session *session, const int32_t *tokens,
                              int64_t n, float *logits);
/* Tokens currently in the cache. */
int64_t xfrt_session_position(const xfrt_session *session);
/* Keeps only the first `n` cached tokens (0 resets). */
xfrt_status xfrt_session_trim(xfrt_session *session, int64_t n);
/* The message of the last failed call on this session. */
const char *xfrt_session_error(const xfrt_session *session);

#ifdef __cplusplus
}
#endif

#endif /* XFRT_XFRT_H */
