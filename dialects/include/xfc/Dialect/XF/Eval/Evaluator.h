//===- Evaluator.h - Reference interpreter for xf IR ------------*- C++ -*-===//
//
// Runs xf functions with plain loops in double precision. It is the oracle
// that lowering and every pass are checked against: evaluate the IR before
// and after, on the same inputs, and compare. Clarity beats speed here;
// nothing in it is shared with the compiled kernels.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_DIALECT_XF_EVAL_EVALUATOR_H
#define XFC_DIALECT_XF_EVAL_EVALUATOR_H

#include "xfc/Dialect/XF/IR/XFDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/FloatingPointMode.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mlir::xf::eval {

namespace detail {
void *allocateBlock(size_t bytes);
void releaseBlock(void *block, size_t bytes);
} // namespace detail

/// Memory for tensor data. The compiler evaluates derived weights of
/// billion-parameter models (an adapter folded into every projection), with
/// tensors of hundreds of MB; the C library maps and unmaps each one, so
/// the kernel faults in and zeroes every page again, which cost more than
/// the arithmetic. Large blocks are kept and handed out again instead.
template <typename T> struct RecyclingAllocator {
  using value_type = T;
  RecyclingAllocator() = default;
  template <typename U> RecyclingAllocator(const RecyclingAllocator<U> &) {}
  T *allocate(size_t n) {
    return static_cast<T *>(detail::allocateBlock(n * sizeof(T)));
  }
  void deallocate(T *p, size_t n) { detail::releaseBlock(p, n * sizeof(T)); }
  template <typename U> bool operator==(const RecyclingAllocator<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const RecyclingAllocator<U> &) const {
    return false;
  }
  /// Default-initializes: `resize` leaves doubles unwritten, for results
  /// that are written whole (Tensor::uninitialized).
  template <typename U> void construct(U *p) {
    ::new (static_cast<void *>(p)) U;
  }
  template <typename U, typename... Args> void construct(U *p, Args &&...args) {
    ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
  }
};

/// Frees the blocks RecyclingAllocator keeps (up to 2 GiB), for when no
/// more large tensors will be evaluated.
void releaseCachedBlocks();

/// A dense row-major tensor of doubles. Integer tensors (token ids) hold
/// exact integer values.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double, RecyclingAllocator<double>> data;

  Tensor() = default;
  /// Zeros of `shape`.
  explicit Tensor(std::vector<int64_t> shape);
  /// A tensor of `shape` whose every value the caller writes.
  static Tensor uninitialized(std::vector<int64_t> shape);
  int64_t numElements() const;
};

/// One layer's KV cache: keys and values of [maxContext, kvHeads, headDim],
/// stored at the cache type's element precision.
struct KVCache {
  int64_t maxContext = 0, kvHeads = 0, headDim = 0;
  Type elementType;
  std::vector<double> keys, values;
};

/// A runtime value: a tensor, an index, or a cache handle.
using Value = std::variant<Tensor, int64_t, std::shared_ptr<KVCache>>;

/// Provides the real values of `xf.global_weight` symbols: dequantized for
/// quantized types, in the declared logical shape. Layouts (`#xf.layout`,
/// of quantized weights or as a float tensor's encoding) move bytes, not
/// values, so the evaluator treats them as the identity.
using WeightProvider =
    std::function<FailureOr<Tensor>(StringRef name, Type declaredType)>;

/// A fresh zero-filled cache for a `!xf.kv_cache` type.
std::shared_ptr<KVCache> makeCache(Type cacheType);

/// Rounds a value to the precision of a float element type (f16, bf16, f32
/// or f64), as storing it in that type would; `mode` is how (ONNX's Cast to
/// bf16 before opset 19 rounds toward zero).
double roundTo(Type elementType, double value,
               llvm::RoundingMode mode = llvm::RoundingMode::NearestTiesToEven);

/// The values of a weight: the provider's for an external weight, its
/// initializer's (over other weights) for a derived one.
FailureOr<Tensor> evaluateWeight(GlobalWeightOp global,
                                 const WeightProvider &weights);

/// The values of `value`, an SSA value of derived weight `global`'s
/// initializer (for example the float input of its final xf.quantize).
FailureOr<Tensor> evaluateInitializerValue(GlobalWeightOp global,
                                           mlir::Value value,
                                           const WeightProvider &weights);

/// What `xf.all_reduce` computes: called by each shard's evaluation with
/// its partial tensor, it returns the sum over the shards (for example by
/// meeting the other shards' evaluations on other threads).
using AllReduce = std::function<FailureOr<Tensor>(const Tensor &partial)>;

/// Evaluates `func` on `args`. Fails, with a diagnostic on the failing op,
/// for ops it does not know or inputs that do not fit their types, and for
/// `xf.all_reduce` without `allReduce`.
FailureOr<std::vector<Value>> evaluate(func::FuncOp func, ArrayRef<Value> args,
                                       const WeightProvider &weights,
                                       const AllReduce &allReduce = {});

} // namespace mlir::xf::eval

#endif // XFC_DIALECT_XF_EVAL_EVALUATOR_H
