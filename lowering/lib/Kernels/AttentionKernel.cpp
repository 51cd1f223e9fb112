//===- AttentionKernel.cpp - The flash-attention kernel builder -----------===//
//
// The generated code, on tensors:
//
//   scf.if tokens == 1
//     decode:  scf.forall (head block, KV block)    -> partial max, sum, acc
//              scf.forall (head)                    -> combined rows
//   else
//     prefill: scf.forall (head block, token block) -> tiles of the result
//
// (A static token count emits one path.)
//
// Both paths share the key loop: an scf.for over blocks of 16 keys whose
// iteration arguments are each row's running max, running sum and f32
// accumulator chunks (the online softmax). The 16 keys of a block are
// unrolled, and a row's 16 scores form one vector<16xf32>, so the block
// max, the exponentials and the masks (causal, and keys past the end) are
// vector operations. Keys past the end of the range load the last key
// again (always in bounds) and are masked to -inf, so the score vector
// never depends on a dynamic lane index.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

#include <limits>

using namespace mlir;
using namespace mlir::xf;
using namespace mlir::xf::kernels;

namespace {

/// f32 lanes of one AVX-512 register: the width of a head_dim chunk and
/// the number of keys per block.
constexpr int64_t kLanes = 16;

/// One query row of a block: a (token, head) pair.
struct Row {
  int64_t tokenInBlock, headInBlock;
  /// The query token; rows past the last token repeat it.
  Value token;
  /// The last key the row sees when causal; null when all keys are.
  Value lastKey;
  /// The query times the scale, as f32 chunks.
  SmallVector<Value> query;
};

/// The online-softmax state of one row.
struct RowState {
  Value max, sum;
  SmallVector<Value> acc;
};

Value index(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value f32Const(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value splat(OpBuilder &b, Location loc, Value scalar) {
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({kLanes}, scalar.getType()), scalar);
}

Value minIndex(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MinSIOp::create(b, loc, x, y);
}

/// The lane a key's score reaches in the cross-lane sum: its 4 bits
/// reversed.
int64_t reverseLaneBits(int64_t lane) {
  int64_t reversed = 0;
  for (int64_t bit = 1; bit < kLanes; bit <<= 1, lane >>= 1)
    reversed = (reversed << 1) | (lane & 1);
  return reversed;
}

/// One step of the cross-lane sum. `x` and `y` hold 2^level slots of
/// 16 >> level lanes each; the result holds 2^(level+1) half-size slots,
/// x's slot i then y's slot i, each the sum of the slot's two halves.
Value addSlotHalves(OpBuilder &b, Location loc, Value x, Value y,
                    int64_t level) {
  int64_t slot = kLanes >> level, half = slot / 2;
  SmallVector<int64_t> low, high;
  for (int64_t i = 0; i < (int64_t(1) << level); ++i)
    for (int64_t source : {int64_t(0), kLanes}) // x, then y
      for (int64_t lane = 0; lane < half; ++lane) {
        low.push_back(source + i * slot + lane);
        high.push_back(source + i * slot + half + lane);
      }
  return arith::AddFOp::create(b, loc,
                               vector::ShuffleOp::create(b, loc, x, y, low),
                               vector::ShuffleOp::create(b, loc, x, y, high));
}

class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, const AttentionKernelInputs &in,
                const AttentionKernelOptions &options);

  Value build(OpBuilder &b, Location loc);

private:
  /// The prefill loop over `tokenBlocks` blocks of queries, writing into
  /// `out`.
  Value buildPrefill(OpBuilder &b, Location loc, Value out, Value tokens,
                     Value tokenBlocks);
  /// The decode loops: `blocks` KV blocks of keys [0, end) for the one
  /// query, then combining `combinedHeads` heads into `out`.
  Value buildDecode(OpBuilder &b, Location loc, Value out, Value end,
                    Value blocks, OpFoldResult combinedHeads);

  /// Runs the online softmax of `rows` over keys [begin, end) of KV head
  /// `kvHead`, from the empty state.
  SmallVector<RowState> keyLoop(OpBuilder &b, Location loc,
                                ArrayRef<Row> rows, Value kvHead,
                                Value begin, Value end);
  /// One block of 16 keys starting at `first`; `last` is the range's last
  /// key.
  void keyBlock(OpBuilder &b, Location loc, ArrayRef<Row> rows, Value kvHead,
                Value first, Value last, MutableArrayRef<RowState> state);

  /// The query rows of a block: `tokensPerBlock` tokens from `firstToken`
  /// (clamped to `lastToken`) times `headsPerBlock` heads from `firstHead`.
  SmallVector<Row> loadRows(OpBuilder &b, Location loc, int64_t tokensInBlock,
                            Value firstToken, Value lastToken,
                            Value firstHead);

  /// Row [token, head, :] of a [tokens, heads, head_dim] tensor as f32
  /// chunks; the last chunk is masked when head_dim is not a multiple of 16.
  /// An i8 source holds a quantized cache's stored rows (codes, then the
  /// f32 scale): the chunks are the dequantized values.
  SmallVector<Value> loadChunks(OpBuilder &b, Location loc, Value source,
                                Value token, Value head);
  /// Writes f32 chunks into row [token, head, :] of `dest`, narrowing to its
  /// element type; returns the updated tensor.
  Value storeChunks(OpBuilder &b, Location loc, ArrayRef<Value> chunks,
                    Value dest, Value token, Value head);
  /// The accumulator divided by the sum.
  SmallVector<Value> normalize(OpBuilder &b, Location loc,
                               const RowState &state);

  AttentionKernelInputs in;
  int64_t heads, kvHeads, headDim, group, chunks;
  int64_t headsPerBlock, tokensPerBlock, decodeKvBlock;
  RankedTensorType resultType;
  Type f32;
  VectorType f32Vector;
};

KernelBuilder::KernelBuilder(OpBuilder &b, const AttentionKernelInputs &in,
                             const AttentionKernelOptions &options)
    : in(in), decodeKvBlock(options.decodeKvBlock) {
  resultType = cast<RankedTensorType>(in.query.getType());
  heads = resultType.getDimSize(1);
  headDim = resultType.getDimSize(2);
  kvHeads = cast<RankedTensorType>(in.key.getType()).getDimSize(1);
  group = heads / kvHeads;
  chunks = llvm::divideCeil(headDim, kLanes);
  f32 = b.getF32Type();
  f32Vector = VectorType::get({kLanes}, f32);

  // The rows of a block share every key and value load. Heads of one KV
  // group come first (they read the same KV head), then tokens, within the
  // accumulator budget; a block never spans two KV heads.
  int64_t maxRows = std::max<int64_t>(1, options.accumulatorVectors / chunks);
  headsPerBlock = 1;
  for (int64_t d = std::min(group, maxRows); d >= 1; --d)
    if (group % d == 0) {
      headsPerBlock = d;
      break;
    }
  tokensPerBlock = std::max<int64_t>(1, maxRows / headsPerBlock);
}

SmallVector<Value> KernelBuilder::loadChunks(OpBuilder &b, Location loc,
                                             Value source, Value token,
                                             Value head) {
  Type element = getElementTypeOrSelf(source.getType());
  bool quantized = element.isInteger(8);
  Value padding = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  // A quantized row's codes are followed by its f32 scale.
  Value scale;
  if (quantized) {
    Value bytes = vector::TransferReadOp::create(
        b, loc, VectorType::get({4}, element), source,
        ValueRange{token, head, index(b, loc, headDim)}, padding,
        ArrayRef<bool>{true});
    Value word =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, f32), bytes);
    scale = splat(b, loc, vector::ExtractOp::create(b, loc, word, 0));
  }
  SmallVector<Value> result;
  for (int64_t c = 0; c < chunks; ++c) {
    bool inBounds = (c + 1) * kLanes <= headDim;
    Value chunk = vector::TransferReadOp::create(
        b, loc, VectorType::get({kLanes}, element), source,
        ValueRange{token, head, index(b, loc, c * kLanes)}, padding,
        ArrayRef<bool>{inBounds});
    if (quantized) {
      chunk = arith::MulFOp::create(
          b, loc, arith::SIToFPOp::create(b, loc, f32Vector, chunk), scale);
      // The transfer masks at the stored row's end, past the scale's
      // bytes: lanes from head_dim on are zeroed here.
      if (!inBounds) {
        SmallVector<bool> lanes;
        for (int64_t l = 0; l < kLanes; ++l)
          lanes.push_back(c * kLanes + l < headDim);
        auto maskType = VectorType::get({kLanes}, b.getI1Type());
        Value mask = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(maskType, ArrayRef<bool>(lanes)));
        Value zero = splat(b, loc, f32Const(b, loc, 0.0f));
        chunk = arith::SelectOp::create(b, loc, mask, chunk, zero);
      }
    } else if (element != f32)
      chunk = arith::ExtFOp::create(b, loc, f32Vector, chunk);
    result.push_back(chunk);
  }
  return result;
}

Value KernelBuilder::storeChunks(OpBuilder &b, Location loc,
                                 ArrayRef<Value> values, Value dest,
                                 Value token, Value head) {
  Type element = getElementTypeOrSelf(dest.getType());
  for (auto [c, value] : llvm::enumerate(values)) {
    bool inBounds = (static_cast<int64_t>(c) + 1) * kLanes <= headDim;
    Value chunk = value;
    if (element != f32)
      chunk = arith::TruncFOp::create(
          b, loc, VectorType::get({kLanes}, element), chunk);
    dest = vector::TransferWriteOp::create(
               b, loc, chunk, dest,
               ValueRange{token, head, index(b, loc, c * kLanes)},
               ArrayRef<bool>{inBounds})
               .getResult();
  }
  return dest;
}

SmallVector<Value> KernelBuilder::normalize(OpBuilder &b, Location loc,
                                            const RowState &state) {
  Value inverse = arith::DivFOp::create(b, loc, f32Const(b, loc, 1.0f),
                                        state.sum);
  Value scale = splat(b, loc, inverse);
  SmallVector<Value> result;
  for (Value acc : state.acc)
    result.push_back(arith::MulFOp::create(b, loc, acc, scale));
  return result;
}

SmallVector<Row> KernelBuilder::loadRows(OpBuilder &b, Location loc,
                                         int64_t tokensInBlock,
                                         Value firstToken, Value lastToken,
                                         Value firstHead) {
  Value scale = splat(b, loc, f32Const(b, loc, in.scale));
  SmallVector<Row> rows;
  for (int64_t t = 0; t < tokensInBlock; ++t) {
    Value token = firstToken;
    if (t > 0)
      token = minIndex(
          b, loc, arith::AddIOp::create(b, loc, firstToken, index(b, loc, t)),
          lastToken);
    Value lastKey;
    if (in.causal)
      lastKey = arith::AddIOp::create(b, loc, in.offset, token);
    for (int64_t h = 0; h < headsPerBlock; ++h) {
      Row row{t, h, token, lastKey, {}};
      Value head = arith::AddIOp::create(b, loc, firstHead, index(b, loc, h));
      for (Value chunk : loadChunks(b, loc, in.query, token, head))
        row.query.push_back(arith::MulFOp::create(b, loc, chunk, scale));
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

void KernelBuilder::keyBlock(OpBuilder &b, Location loc, ArrayRef<Row> rows,
                             Value kvHead, Value first, Value last,
                             MutableArrayRef<RowState> state) {
  SmallVector<Value> keys;
  for (int64_t k = 0; k < kLanes; ++k)
    keys.push_back(minIndex(
        b, loc, arith::AddIOp::create(b, loc, first, index(b, loc, k)), last));

  // Scores. Row r's 16 products q_r * k_j (each a sum over head_dim chunks)
  // are summed across lanes all at once: each step adds the two halves of
  // every slot of two vectors, so 15 steps turn 16 vectors into one
  // vector of 16 sums (instead of 16 horizontal reductions). The steps
  // leave key j at lane bitreverse(j), so keys enter in that order. Pairs
  // are combined as soon as they exist, which keeps few vectors live.
  SmallVector<SmallVector<std::pair<Value, int64_t>>> pending(rows.size());
  for (int64_t position = 0; position < kLanes; ++position) {
    Value key = keys[reverseLaneBits(position)];
    SmallVector<Value> k = loadChunks(b, loc, in.key, key, kvHead);
    for (auto [row, stack] : llvm::zip_equal(rows, pending)) {
      Value product = arith::MulFOp::create(b, loc, row.query[0], k[0]);
      for (int64_t c = 1; c < chunks; ++c)
        product = vector::FMAOp::create(b, loc, row.query[c], k[c], product);
      stack.push_back({product, 0});
      while (stack.size() >= 2 &&
             stack.back().second == stack[stack.size() - 2].second) {
        auto [y, level] = stack.pop_back_val();
        Value x = stack.pop_back_val().first;
        stack.push_back({addSlotHalves(b, loc, x, y, level), level + 1});
      }
    }
  }

  // Lane k is valid while first + k <= the row's last visible key.
  SmallVector<int32_t> lanes;
  for (int64_t k = 0; k < kLanes; ++k)
    lanes.push_back(k);
  auto laneType = VectorType::get({kLanes}, b.getI32Type());
  Value laneIds = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(laneType, ArrayRef<int32_t>(lanes)));
  Value negInf =
      splat(b, loc, f32Const(b, loc, -std::numeric_limits<float>::infinity()));

  SmallVector<Value> probabilities;
  for (auto [row, stack, s] : llvm::zip_equal(rows, pending, state)) {
    Value score = stack.front().first;
    Value lastKey = row.lastKey ? minIndex(b, loc, last, row.lastKey) : last;
    Value bound = arith::IndexCastOp::create(
        b, loc, b.getI32Type(), arith::SubIOp::create(b, loc, lastKey, first));
    Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                        laneIds, splat(b, loc, bound));
    score = arith::SelectOp::create(b, loc, valid, score, negInf);

    // Online softmax: rescale what was accumulated under the old maximum.
    Value blockMax = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXNUMF, score);
    Value max = arith::MaxNumFOp::create(b, loc, s.max, blockMax);
    Value rescale = math::ExpOp::create(
        b, loc, arith::SubFOp::create(b, loc, s.max, max));
    Value p = math::ExpOp::create(
        b, loc, arith::SubFOp::create(b, loc, score, splat(b, loc, max)));
    Value blockSum = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::ADD, p, arith::FastMathFlags::reassoc);
    s.sum = math::FmaOp::create(b, loc, s.sum, rescale, blockSum);
    Value rescaleVector = splat(b, loc, rescale);
    for (Value &acc : s.acc)
      acc = arith::MulFOp::create(b, loc, acc, rescaleVector);
    s.max = max;
    probabilities.push_back(p);
  }

  // acc += p * v, one value row load per key.
  for (auto [k, key] : llvm::enumerate(keys)) {
    SmallVector<Value> v = loadChunks(b, loc, in.value, key, kvHead);
    for (auto [p, s] : llvm::zip_equal(probabilities, state)) {
      Value weight = splat(
          b, loc,
          vector::ExtractOp::create(b, loc, p, static_cast<int64_t>(k)));
      for (auto [acc, chunk] : llvm::zip_equal(s.acc, v))
        acc = vector::FMAOp::create(b, loc, weight, chunk, acc);
    }
  }
}

SmallVector<RowState> KernelBuilder::keyLoop(OpBuilder &b, Location loc,
                                             ArrayRef<Row> rows, Value kvHead,
                                             Value begin, Value end) {
  // Loop-carried values per row: max, sum, then the accumulator chunks.
  int64_t stride = 2 + chunks;
  auto unpack = [&](ValueRange values) {
    SmallVector<RowState> state;
    for (size_t r = 0; r < rows.size(); ++r) {
      ValueRange row = values.slice(r * stride, stride);
      state.push_back({row[0], row[1], llvm::to_vector(row.drop_front(2))});
    }
    return state;
  };
  auto pack = [&](ArrayRef<RowState> state) {
    SmallVector<Value> values;
    for (const RowState &s : state) {
      values.push_back(s.max);
      values.push_back(s.sum);
      llvm::append_range(values, s.acc);
    }
    return values;
  };

  Value negInf = f32Const(b, loc, -std::numeric_limits<float>::infinity());
  Value zero = f32Const(b, loc, 0.0f);
  Value zeros = splat(b, loc, zero);
  SmallVector<RowState> init(rows.size(),
                             {negInf, zero, SmallVector<Value>(chunks, zeros)});
  Value last = arith::SubIOp::create(b, loc, end, index(b, loc, 1));
  auto loop = scf::ForOp::create(
      b, loc, begin, end, index(b, loc, kLanes), pack(init),
      [&](OpBuilder &b, Location loc, Value first, ValueRange args) {
        SmallVector<RowState> state = unpack(args);
        keyBlock(b, loc, rows, kvHead, first, last, state);
        scf::YieldOp::create(b, loc, pack(state));
      });
  return unpack(ValueRange(loop.getResults()));
}

Value KernelBuilder::buildPrefill(OpBuilder &b, Location loc, Value out,
                                  Value tokens, Value tokenBlocks) {
  SmallVector<OpFoldResult> counts = {b.getIndexAttr(heads / headsPerBlock),
                                      tokenBlocks};
  auto forall = scf::ForallOp::create(
      b, loc, counts, ValueRange{out}, std::nullopt,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value headBlock = args[0], tokenBlock = args[1], out = args[2];
        if (in.causal) {
          // Causal blocks grow with the token index. Interleaving the first
          // and last ones evens out contiguous chunks of iterations.
          Value half =
              arith::DivUIOp::create(b, loc, tokenBlock, index(b, loc, 2));
          Value odd = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ne,
              arith::RemUIOp::create(b, loc, tokenBlock, index(b, loc, 2)),
              index(b, loc, 0));
          Value fromEnd = arith::SubIOp::create(
              b, loc,
              arith::SubIOp::create(b, loc, tokenBlocks, index(b, loc, 1)),
              half);
          tokenBlock = arith::SelectOp::create(b, loc, odd, fromEnd, half);
        }
        Value firstToken = arith::MulIOp::create(
            b, loc, tokenBlock, index(b, loc, tokensPerBlock));
        Value count = minIndex(b, loc, index(b, loc, tokensPerBlock),
                               arith::SubIOp::create(b, loc, tokens,
                                                     firstToken));
        Value lastToken =
            arith::SubIOp::create(b, loc, tokens, index(b, loc, 1));
        Value firstHead = arith::MulIOp::create(
            b, loc, headBlock, index(b, loc, headsPerBlock));
        Value kvHead =
            arith::DivUIOp::create(b, loc, firstHead, index(b, loc, group));

        SmallVector<Row> rows = loadRows(b, loc, tokensPerBlock, firstToken,
                                         lastToken, firstHead);
        Value end = in.kvLength;
        if (in.causal)
          end = minIndex(b, loc, end,
                         arith::AddIOp::create(
                             b, loc, in.offset,
                             arith::AddIOp::create(b, loc, firstToken,
                                                   count)));
        SmallVector<RowState> state =
            keyLoop(b, loc, rows, kvHead, index(b, loc, 0), end);

        SmallVector<OpFoldResult> offsets = {firstToken, firstHead,
                                             b.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes = {count,
                                           b.getIndexAttr(headsPerBlock),
                                           b.getIndexAttr(headDim)};
        SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
        Value tile = tensor::ExtractSliceOp::create(b, loc, out, offsets,
                                                    sizes, strides);
        for (auto [row, s] : llvm::zip_equal(rows, state)) {
          SmallVector<Value> result = normalize(b, loc, s);
          Value token = index(b, loc, row.tokenInBlock);
          Value head = index(b, loc, row.headInBlock);
          if (row.tokenInBlock == 0) {
            tile = storeChunks(b, loc, result, tile, token, head);
            continue;
          }
          // Rows past the last token were computed on a repeated query;
          // they have no place in the tile.
          Value inside = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::slt, token, count);
          Value current = tile;
          tile = scf::IfOp::create(
                     b, loc, inside,
                     [&](OpBuilder &b, Location loc) {
                       scf::YieldOp::create(b, loc,
                                            storeChunks(b, loc, result,
                                                        current, token, head));
                     },
                     [&](OpBuilder &b, Location loc) {
                       scf::YieldOp::create(b, loc, current);
                     })
                     .getResult(0);
        }
        auto inParallel = scf::InParallelOp::create(b, loc);
        b.setInsertionPointToStart(inParallel.getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, tile, out, offsets,
                                              sizes, strides);
      });
  return forall.getResult(0);
}

Value KernelBuilder::buildDecode(OpBuilder &b, Location loc, Value out,
                                 Value end, Value blocks,
                                 OpFoldResult combinedHeads) {
  // The one query sees keys [0, end); a block of decodeKvBlock keys is one
  // parallel task and leaves its (max, sum, unnormalized acc).
  auto accType =
      RankedTensorType::get({ShapedType::kDynamic, heads, headDim}, f32);
  auto statsType = RankedTensorType::get({ShapedType::kDynamic, heads, 2}, f32);
  Value accInit = tensor::EmptyOp::create(b, loc, accType, ValueRange{blocks});
  Value statsInit =
      tensor::EmptyOp::create(b, loc, statsType, ValueRange{blocks});
  SmallVector<OpFoldResult> counts = {b.getIndexAttr(heads / headsPerBlock),
                                      blocks};
  auto partial = scf::ForallOp::create(
      b, loc, counts, ValueRange{accInit, statsInit}, std::nullopt,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value headBlock = args[0], block = args[1];
        Value accOut = args[2], statsOut = args[3];
        Value firstHead = arith::MulIOp::create(
            b, loc, headBlock, index(b, loc, headsPerBlock));
        Value kvHead =
            arith::DivUIOp::create(b, loc, firstHead, index(b, loc, group));
        Value begin =
            arith::MulIOp::create(b, loc, block, index(b, loc, decodeKvBlock));
        Value blockEnd = minIndex(
            b, loc,
            arith::AddIOp::create(b, loc, begin, index(b, loc, decodeKvBlock)),
            end);
        Value zero = index(b, loc, 0);
        SmallVector<Row> rows =
            loadRows(b, loc, /*tokensInBlock=*/1, zero, zero, firstHead);
        SmallVector<RowState> state =
            keyLoop(b, loc, rows, kvHead, begin, blockEnd);

        SmallVector<OpFoldResult> offsets = {block, firstHead,
                                             b.getIndexAttr(0)};
        SmallVector<OpFoldResult> accSizes = {b.getIndexAttr(1),
                                              b.getIndexAttr(headsPerBlock),
                                              b.getIndexAttr(headDim)};
        SmallVector<OpFoldResult> statsSizes = {b.getIndexAttr(1),
                                                b.getIndexAttr(headsPerBlock),
                                                b.getIndexAttr(2)};
        SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
        Value accTile = tensor::ExtractSliceOp::create(b, loc, accOut, offsets,
                                                       accSizes, strides);
        Value statsTile = tensor::ExtractSliceOp::create(
            b, loc, statsOut, offsets, statsSizes, strides);
        for (auto [row, s] : llvm::zip_equal(rows, state)) {
          Value head = index(b, loc, row.headInBlock);
          accTile = storeChunks(b, loc, s.acc, accTile, zero, head);
          statsTile = tensor::InsertOp::create(b, loc, s.max, statsTile,
                                               ValueRange{zero, head, zero});
          statsTile = tensor::InsertOp::create(
              b, loc, s.sum, statsTile,
              ValueRange{zero, head, index(b, loc, 1)});
        }
        auto inParallel = scf::InParallelOp::create(b, loc);
        b.setInsertionPointToStart(inParallel.getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, accTile, accOut, offsets,
                                              accSizes, strides);
        tensor::ParallelInsertSliceOp::create(b, loc, statsTile, statsOut,
                                              offsets, statsSizes, strides);
      });
  Value acc = partial.getResult(0), stats = partial.getResult(1);

  // Combine the blocks of each head: rescale each to the global maximum.
  auto combined = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{combinedHeads}, ValueRange{out},
      std::nullopt, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value head = args[0], out = args[1];
        Value zero = index(b, loc, 0), one = index(b, loc, 1);
        Value negInf =
            f32Const(b, loc, -std::numeric_limits<float>::infinity());
        auto maxLoop = scf::ForOp::create(
            b, loc, zero, blocks, one, ValueRange{negInf},
            [&](OpBuilder &b, Location loc, Value block, ValueRange args) {
              Value max = tensor::ExtractOp::create(
                  b, loc, stats, ValueRange{block, head, zero});
              scf::YieldOp::create(
                  b, loc,
                  ValueRange{arith::MaxNumFOp::create(b, loc, args[0], max)});
            });
        Value globalMax = maxLoop.getResult(0);

        SmallVector<Value> sumInit = {f32Const(b, loc, 0.0f)};
        sumInit.append(chunks, splat(b, loc, f32Const(b, loc, 0.0f)));
        auto sumLoop = scf::ForOp::create(
            b, loc, zero, blocks, one, sumInit,
            [&](OpBuilder &b, Location loc, Value block, ValueRange args) {
              Value max = tensor::ExtractOp::create(
                  b, loc, stats, ValueRange{block, head, zero});
              Value sum = tensor::ExtractOp::create(
                  b, loc, stats, ValueRange{block, head, one});
              Value weight = math::ExpOp::create(
                  b, loc, arith::SubFOp::create(b, loc, max, globalMax));
              SmallVector<Value> next = {
                  math::FmaOp::create(b, loc, sum, weight, args[0])};
              Value weights = splat(b, loc, weight);
              SmallVector<Value> part = loadChunks(b, loc, acc, block, head);
              for (auto [chunk, running] :
                   llvm::zip_equal(part, args.drop_front()))
                next.push_back(
                    vector::FMAOp::create(b, loc, weights, chunk, running));
              scf::YieldOp::create(b, loc, next);
            });
        RowState total{globalMax, sumLoop.getResult(0),
                       llvm::to_vector_of<Value>(sumLoop.getResults().drop_front())};

        SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), head,
                                             b.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                           b.getIndexAttr(headDim)};
        SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
        Value tile =
            tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);
        tile = storeChunks(b, loc, normalize(b, loc, total), tile, zero, zero);
        auto inParallel = scf::InParallelOp::create(b, loc);
        b.setInsertionPointToStart(inParallel.getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, tile, out, offsets, sizes,
                                              strides);
      });
  return combined.getResult(0);
}

Value KernelBuilder::build(OpBuilder &b, Location loc) {
  Value tokens = tensor::DimOp::create(b, loc, in.query, 0);
  bool dynamicTokens = resultType.isDynamicDim(0);
  // Both paths write this one buffer in place. (Were it created in each
  // branch of the scf.if, bufferization would give the if's result a
  // fully dynamic layout and copy it.)
  Value out = tensor::EmptyOp::create(
      b, loc, resultType, dynamicTokens ? ValueRange{tokens} : ValueRange{});
  auto decode = [&](OpBuilder &b, Location loc) {
    Value end = in.kvLength;
    if (in.causal)
      end = minIndex(b, loc, end,
                     arith::AddIOp::create(b, loc, in.offset,
                                           index(b, loc, 1)));
    Value blocks =
        arith::CeilDivSIOp::create(b, loc, end, index(b, loc, decodeKvBlock));
    return buildDecode(b, loc, out, end, blocks, b.getIndexAttr(heads));
  };
  auto prefill = [&](OpBuilder &b, Location loc) {
    Value tokenBlocks = arith::CeilDivSIOp::create(
        b, loc, tokens, index(b, loc, tokensPerBlock));
    return buildPrefill(b, loc, out, tokens, tokenBlocks);
  };
  // A static token count picks its path now.
  if (!dynamicTokens)
    return resultType.getDimSize(0) == 1 ? decode(b, loc) : prefill(b, loc);
  Value oneToken = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         tokens, index(b, loc, 1));
  return scf::IfOp::create(
             b, loc, oneToken,
             [&](OpBuilder &b, Location loc) {
               scf::YieldOp::create(b, loc, decode(b, loc));
             },
             [&](OpBuilder &b, Location loc) {
               scf::YieldOp::create(b, loc, prefill(b, loc));
             })
      .getResult(0);
}

} // namespace

bool kernels::isSupportedElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32();
}

Value kernels::buildAttentionKernel(OpBuilder &b, Location loc,
                                    const AttentionKernelInputs &inputs,
                                    const AttentionKernelOptions &options) {
  return KernelBuilder(b, inputs, options).build(b, loc);
}
