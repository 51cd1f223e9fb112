//===- Batch.cpp - KV-cache slots and batched decode steps ----------------===//
//
// Continuous batching: a pool of fixed KV-cache slots, each laid out as one
// session's caches, and decode steps that advance several slots at once
// through the model's @decode_batch<M> entry points (xf-batch-decode).
// Prefills run one slot at a time through xfm_forward with that slot's
// caches.
//
//===----------------------------------------------------------------------===//

#include "ModelImpl.h"
#include "Numa.h"
#include "xfrt/ThreadPool.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct xfrt_batch {
  xfrt_model *model = nullptr;
  std::unique_ptr<xfrt::ThreadPool> pool;
  size_t slotBytes = 0;
  xfrt::numa::Memory caches; // slots one after another
  xfrt::numa::Memory arena;
  std::vector<int64_t> lengths;
  // A prefill's positions (reserved for the whole context) and a step's
  // cache pointers: no allocation per call.
  std::vector<int32_t> positions;
  std::vector<void *> rowCaches;
  std::string error;
};

namespace {

uint8_t *slotCaches(xfrt_batch &b, int32_t slot) {
  return static_cast<uint8_t *>(b.caches.data) + slot * b.slotBytes;
}

XfmForwardArgs callArgs(xfrt_batch &b, uint64_t *needed) {
  XfmForwardArgs args = {};
  args.weights = b.model->weights;
  args.arena = static_cast<uint8_t *>(b.arena.data);
  args.arena_bytes = b.arena.bytes;
  args.arena_needed = needed;
  args.parallel_for = xfrt_pool_parallel_for;
  args.pool = b.pool.get();
  args.threads = b.pool->threads();
  return args;
}

/// Runs `call` on the batch's arena; when that was too small the call
/// still completed (from the heap), and the arena grows for the next one.
template <typename Call> int runCall(xfrt_batch &b, Call call) {
  uint64_t needed = 0;
  XfmForwardArgs args = callArgs(b, &needed);
  int rc = call(args);
  if (rc == XFM_ARENA_TOO_SMALL) {
    b.arena.grow(needed, -1);
    rc = XFM_OK;
  }
  return rc;
}

xfrt_status fail(xfrt_batch *b, xfrt_status status, std::string message) {
  b->error = std::move(message);
  return status;
}

bool validSlot(const xfrt_batch *b, int32_t slot) {
  return slot >= 0 && slot < static_cast<int32_t>(b->lengths.size());
}

} // namespace

int32_t xfrt_model_batch_rows(const xfrt_model *model) {
  return static_cast<int32_t>(model->batchRows);
}

xfrt_status xfrt_batch_create(xfrt_model *model, int32_t slots, int threads,
                              xfrt_batch **batch) {
  *batch = nullptr;
  if (!model || slots < 1 || threads < 0 || model->batchRows < 1)
    return XFRT_ERROR_INVALID_ARGUMENT;
  auto b = std::unique_ptr<xfrt_batch>(new (std::nothrow) xfrt_batch());
  if (!b)
    return XFRT_ERROR_OUT_OF_MEMORY;
  try {
    b->model = model;
    b->pool = std::make_unique<xfrt::ThreadPool>(
        threads ? threads : xfrt::ThreadPool::availableCores());
    // The compiled code addresses a slot with the model's context as
    // stride, as a session's caches.
    b->slotBytes = static_cast<size_t>(model->layers) * 2 * model->context *
                   xfrt::kvRowsBytes(*model);
    if (b->slotBytes == 0 ||
        static_cast<size_t>(slots) > SIZE_MAX / b->slotBytes)
      return XFRT_ERROR_INVALID_ARGUMENT;
    b->caches = xfrt::numa::Memory(b->slotBytes * slots, -1);
    b->lengths.assign(slots, 0);
    b->positions.reserve(model->context);
    int32_t rows =
        static_cast<int32_t>(std::min<int64_t>(model->batchRows, slots));
    b->rowCaches.resize(model->batchRows);
    xfrt::placeWeights(*model, {0}, {-1});
    // Size the arena for the largest step: every row attending to the
    // whole context. Later decode steps then never allocate.
    std::vector<int32_t> tokens(rows, 0), positions(rows, model->context - 1);
    std::vector<float> logits(static_cast<size_t>(rows) * model->vocab);
    for (int32_t r = 0; r < rows; ++r)
      b->rowCaches[r] = slotCaches(*b, r);
    XfmBatchArgs step = {rows, tokens.data(), positions.data(),
                         b->rowCaches.data(), logits.data()};
    int rc = runCall(*b, [&](XfmForwardArgs &args) {
      return model->decodeBatch(&args, &step);
    });
    if (rc != XFM_OK)
      return XFRT_ERROR_INVALID_ARGUMENT;
  } catch (const std::exception &) {
    // No memory for the slots, or no threads for the pool.
    return XFRT_ERROR_OUT_OF_MEMORY;
  }
  *batch = b.release();
  return XFRT_OK;
}

void xfrt_batch_free(xfrt_batch *batch) { delete batch; }

int32_t xfrt_batch_slots(const xfrt_batch *b) {
  return static_cast<int32_t>(b->lengths.size());
}

int32_t xfrt_batch_max_rows(const xfrt_batch *b) {
  return static_cast<int32_t>(b->model->batchRows);
}

int64_t xfrt_batch_length(const xfrt_batch *b, int32_t slot) {
  return validSlot(b, slot) ? b->lengths[slot] : -1;
}

const void *xfrt_batch_kv_cache(const xfrt_batch *b, int32_t slot,
                                size_t *bytes) {
  if (!validSlot(b, slot))
    return nullptr;
  if (bytes)
    *bytes = b->slotBytes;
  return static_cast<const uint8_t *>(b->caches.data) + slot * b->slotBytes;
}

xfrt_status xfrt_batch_trim(xfrt_batch *b, int32_t slot, int64_t n) {
  if (!validSlot(b, slot))
    return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                "no slot " + std::to_string(slot));
  if (n < 0 || n > b->lengths[slot])
    return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                "cannot keep " + std::to_string(n) + " tokens of slot " +
                    std::to_string(slot) + ", which holds " +
                    std::to_string(b->lengths[slot]));
  // Stale cache rows are written again before they are read; their pages
  // go back to the system, so a slot's memory follows the tokens it holds.
  const xfrt_model &m = *b->model;
  size_t dropped = (b->lengths[slot] - n) * xfrt::kvRowsBytes(m);
  for (int64_t layer = 0; layer < m.layers; ++layer)
    for (int64_t kv = 0; kv < 2; ++kv)
      xfrt::numa::discard(xfrt::kvRows(m, slotCaches(*b, slot), layer, kv, n),
                          dropped);
  b->lengths[slot] = n;
  return XFRT_OK;
}

xfrt_status xfrt_batch_release(xfrt_batch *b, int32_t slot) {
  return xfrt_batch_trim(b, slot, 0);
}

const char *xfrt_batch_error(const xfrt_batch *b) { return b->error.c_str(); }

xfrt_status xfrt_batch_prefill(xfrt_batch *b, int32_t slot,
                               const int32_t *tokens, int64_t n,
                               float *logits) {
  xfrt_model *m = b->model;
  if (!validSlot(b, slot) || !tokens || n <= 0)
    return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                "prefill needs a slot in [0, " +
                    std::to_string(b->lengths.size()) +
                    ") and at least one token");
  int64_t at = b->lengths[slot];
  if (n > m->context - at)
    return fail(b, XFRT_ERROR_CONTEXT_FULL,
                "cannot add " + std::to_string(n) + " tokens at position " +
                    std::to_string(at) + " of slot " + std::to_string(slot) +
                    ": the context holds " + std::to_string(m->context));
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= m->vocab)
      return fail(b, XFRT_ERROR_INVALID_TOKEN,
                  "token " + std::to_string(tokens[i]) + " at index " +
                      std::to_string(i) + " is outside the vocabulary of " +
                      std::to_string(m->vocab));
  b->positions.resize(n);
  for (int64_t i = 0; i < n; ++i)
    b->positions[i] = static_cast<int32_t>(at + i);
  int rc = runCall(*b, [&](XfmForwardArgs &args) {
    args.tokens = tokens;
    args.positions = b->positions.data();
    args.n_tokens = n;
    args.position = at;
    args.caches = slotCaches(*b, slot);
    args.logits = logits;
    return m->forward(&args);
  });
  if (rc != XFM_OK)
    return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                "the prefill failed (model status " + std::to_string(rc) + ")");
  b->lengths[slot] = at + n;
  return XFRT_OK;
}

xfrt_status xfrt_batch_decode(xfrt_batch *b, int64_t rows, const int32_t *slots,
                              const int32_t *tokens, float *logits) {
  xfrt_model *m = b->model;
  if (rows < 1 || rows > m->batchRows || !slots || !tokens || !logits)
    return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                "a decode step takes 1 to " + std::to_string(m->batchRows) +
                    " rows, their slots and tokens, and a logits buffer");
  // On the stack: a step must not allocate.
  int32_t positions[XFM_MAX_BATCH_ROWS];
  for (int64_t r = 0; r < rows; ++r) {
    int32_t slot = slots[r];
    if (!validSlot(b, slot))
      return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                  "row " + std::to_string(r) + ": no slot " +
                      std::to_string(slot));
    for (int64_t q = 0; q < r; ++q)
      if (slots[q] == slot)
        return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                    "slot " + std::to_string(slot) + " is in two rows");
    if (b->lengths[slot] == 0)
      return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                  "slot " + std::to_string(slot) +
                      " holds no sequence (prefill it first)");
    if (b->lengths[slot] >= m->context)
      return fail(b, XFRT_ERROR_CONTEXT_FULL,
                  "slot " + std::to_string(slot) + " is full (" +
                      std::to_string(m->context) + " tokens)");
    if (tokens[r] < 0 || tokens[r] >= m->vocab)
      return fail(
          b, XFRT_ERROR_INVALID_TOKEN,
          "row " + std::to_string(r) + ": token " + std::to_string(tokens[r]) +
              " is outside the vocabulary of " + std::to_string(m->vocab));
    positions[r] = static_cast<int32_t>(b->lengths[slot]);
    b->rowCaches[r] = slotCaches(*b, slot);
  }
  XfmBatchArgs step = {rows, tokens, positions, b->rowCaches.data(), logits};
  int rc = runCall(
      *b, [&](XfmForwardArgs &args) { return m->decodeBatch(&args, &step); });
  if (rc != XFM_OK)
    return fail(b, XFRT_ERROR_INVALID_ARGUMENT,
                "the decode step failed (model status " + std::to_string(rc) +
                    ")");
  for (int64_t r = 0; r < rows; ++r)
    ++b->lengths[slots[r]];
  return XFRT_OK;
}
