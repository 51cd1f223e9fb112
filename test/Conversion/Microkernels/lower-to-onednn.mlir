// RUN: xfc-opt %s -split-input-file -xf-lower-to-onednn -xf-lower-to-microkernels -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-pack-weights=emit-remarks 2>/dev/null | FileCheck %s --check-prefix=PACK

// A projection marked for oneDNN is one xfo_linear call on its whole output
// (no scf.forall: oneDNN threads itself): weight type code, x and its row
// stride, the weight's address, the bias (or 0), y, m, n, k. The unmarked
// one still calls the microkernels. Leading dimensions become rows.

// CHECK-LABEL: func.func @marked
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x?x64xf32> into tensor<?x64xf32>
// CHECK-DAG: %[[BF16:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[N:.*]] = arith.constant 96 : i64
// CHECK-DAG: %[[K:.*]] = arith.constant 64 : i64
// CHECK-NOT: scf.forall
// CHECK: call @xfo_linear(%[[BF16]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[N]], %[[K]]) : (i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, %{{.*}}, 96] : tensor<?x96xf32> into tensor<2x?x96xf32>
// CHECK: scf.forall
// CHECK: call @xfk_linear
// CHECK-NOT: xf.linear
// CHECK: func.func private @xfo_linear(i64, i64, i64, i64, i64, i64, i64, i64, i64)
func.func @marked(%x: tensor<2x?x64xf32>, %w: tensor<96x64xbf16>, %b: tensor<96xf32>, %x2: tensor<?x64xf32>) -> (tensor<2x?x96xf32>, tensor<?x96xf32>) {
  %y = xf.linear %x, %w, %b backend onednn : (tensor<2x?x64xf32>, tensor<96x64xbf16>, tensor<96xf32>) -> tensor<2x?x96xf32>
  %z = xf.linear %x2, %w : (tensor<?x64xf32>, tensor<96x64xbf16>) -> tensor<?x96xf32>
  return %y, %z : tensor<2x?x96xf32>, tensor<?x96xf32>
}

// -----

// xf-pack-weights leaves the weights of marked projections in rows, which
// the glue reads; unmarked projections' weights are packed.

// PACK-DAG: xf.global_weight @rows : tensor<96x64xf32>{{$}}
// PACK-DAG: xf.global_weight @panels : tensor<96x64xf32, #xf.layout<blocked, tile = [64, 1]>>
// PACK-LABEL: func.func @pack
xf.global_weight @rows : tensor<96x64xf32>
xf.global_weight @panels : tensor<96x64xf32>
func.func @pack(%x: tensor<?x64xf32>) -> (tensor<?x96xf32>, tensor<?x96xf32>) {
  %r = xf.weight @rows : tensor<96x64xf32>
  %p = xf.weight @panels : tensor<96x64xf32>
  %y = xf.linear %x, %r backend onednn : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
  %z = xf.linear %x, %p : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
  return %y, %z : tensor<?x96xf32>, tensor<?x96xf32>
}

// -----

// A marked projection oneDNN cannot compute is an error, not a silent
// fallback: the mark was a decision the graph recorded.

!q8 = !xf.qtensor<96x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
func.func @refused(%x: tensor<?x64xf32>, %w: !q8) -> tensor<?x96xf32> {
  // expected-error @+1 {{'xf.linear' op is marked `backend onednn`, but oneDNN cannot compute it: its weights are quantized (oneDNN 2.6 reads no ggml blocks)}}
  %y = xf.linear %x, %w backend onednn : (tensor<?x64xf32>, !q8) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}
