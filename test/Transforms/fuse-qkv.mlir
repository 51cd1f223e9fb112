// RUN: xfc-opt %s -split-input-file -xf-fuse-qkv | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-fuse-qkv=min-projections=3 | FileCheck %s --check-prefix=MIN3

// GQA: K and V are narrower than Q. One GEMM over the concatenated weights,
// then one slice per projection, in the original order.

// CHECK-LABEL: func.func @gqa
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[WQ:.*]]: tensor<64x64xf32>, %[[WK:.*]]: tensor<16x64xf32>, %[[WV:.*]]: tensor<16x64xf32>)
// CHECK-NEXT: %[[W:.*]] = xf.concat %[[WQ]], %[[WK]], %[[WV]][0] : (tensor<64x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>) -> tensor<96x64xf32>
// CHECK-NEXT: %[[Y:.*]] = xf.linear %[[X]], %[[W]] : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
// CHECK-NEXT: %[[Q:.*]] = xf.slice %[[Y]][1 : 0, 64] : tensor<?x96xf32> -> tensor<?x64xf32>
// CHECK-NEXT: %[[K:.*]] = xf.slice %[[Y]][1 : 64, 16] : tensor<?x96xf32> -> tensor<?x16xf32>
// CHECK-NEXT: %[[V:.*]] = xf.slice %[[Y]][1 : 80, 16] : tensor<?x96xf32> -> tensor<?x16xf32>
// CHECK-NEXT: return %[[Q]], %[[K]], %[[V]]
func.func @gqa(%x: tensor<?x64xf32>, %wq: tensor<64x64xf32>, %wk: tensor<16x64xf32>, %wv: tensor<16x64xf32>) -> (tensor<?x64xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %q = xf.linear %x, %wq : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %k = xf.linear %x, %wk : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  %v = xf.linear %x, %wv : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  return %q, %k, %v : tensor<?x64xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Biases (Qwen2, GPT-2) are concatenated like the weights.

// CHECK-LABEL: func.func @biases
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf16>, %[[WQ:.*]]: tensor<8x8xf16>, %[[BQ:.*]]: tensor<8xf16>, %[[WK:.*]]: tensor<4x8xf16>, %[[BK:.*]]: tensor<4xf16>, %[[WV:.*]]: tensor<4x8xf16>, %[[BV:.*]]: tensor<4xf16>)
// CHECK-DAG: %[[W:.*]] = xf.concat %[[WQ]], %[[WK]], %[[WV]][0] : (tensor<8x8xf16>, tensor<4x8xf16>, tensor<4x8xf16>) -> tensor<16x8xf16>
// CHECK-DAG: %[[B:.*]] = xf.concat %[[BQ]], %[[BK]], %[[BV]][0] : (tensor<8xf16>, tensor<4xf16>, tensor<4xf16>) -> tensor<16xf16>
// CHECK: %[[Y:.*]] = xf.linear %[[X]], %[[W]], %[[B]] : (tensor<?x8xf16>, tensor<16x8xf16>, tensor<16xf16>) -> tensor<?x16xf16>
// CHECK-COUNT-3: xf.slice %[[Y]]
func.func @biases(%x: tensor<?x8xf16>, %wq: tensor<8x8xf16>, %bq: tensor<8xf16>, %wk: tensor<4x8xf16>, %bk: tensor<4xf16>, %wv: tensor<4x8xf16>, %bv: tensor<4xf16>) -> (tensor<?x8xf16>, tensor<?x4xf16>, tensor<?x4xf16>) {
  %q = xf.linear %x, %wq, %bq : (tensor<?x8xf16>, tensor<8x8xf16>, tensor<8xf16>) -> tensor<?x8xf16>
  %k = xf.linear %x, %wk, %bk : (tensor<?x8xf16>, tensor<4x8xf16>, tensor<4xf16>) -> tensor<?x4xf16>
  %v = xf.linear %x, %wv, %bv : (tensor<?x8xf16>, tensor<4x8xf16>, tensor<4xf16>) -> tensor<?x4xf16>
  return %q, %k, %v : tensor<?x8xf16>, tensor<?x4xf16>, tensor<?x4xf16>
}

// -----

// Weight loads placed between the projections move up to the fused GEMM.

// CHECK-LABEL: func.func @weights_in_between
// CHECK-NEXT: xf.weight @wq
// CHECK-NEXT: xf.weight @wk
// CHECK-NEXT: xf.concat
// CHECK-NEXT: xf.linear
// CHECK-NEXT: xf.slice
// CHECK-NEXT: xf.slice
// CHECK-NEXT: return
// MIN3-LABEL: func.func @weights_in_between
// MIN3-NOT: xf.concat
xf.global_weight @wq : tensor<8x8xf32>
xf.global_weight @wk : tensor<8x8xf32>
func.func @weights_in_between(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %wq = xf.weight @wq : tensor<8x8xf32>
  %q = xf.linear %x, %wq : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %wk = xf.weight @wk : tensor<8x8xf32>
  %k = xf.linear %x, %wk : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %q, %k : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Near misses: a bias on only some projections, different inputs, and a
// weight computed after the first projection from an activation all stay
// separate.

// CHECK-LABEL: func.func @mixed_bias
// CHECK-NOT: xf.concat
// CHECK-COUNT-2: xf.linear
func.func @mixed_bias(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %q = xf.linear %x, %w, %b : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %k = xf.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %q, %k : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: xf.concat
func.func @different_inputs(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %q = xf.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %k = xf.linear %y, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %q, %k : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Quantized weights of one type join along their packed rows; weights of
// different schemes do not.
// CHECK-LABEL: func.func @quantized
// CHECK: xf.concat %{{.*}}, %{{.*}}[0] : (!xf.qtensor<32x32xi4, {{.*}}>, !xf.qtensor<32x32xi4, {{.*}}>) -> !xf.qtensor<64x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK: xf.linear %{{.*}}, %{{.*}} : (tensor<?x32xf32>, !xf.qtensor<64x32xi4, {{.*}}>) -> tensor<?x64xf32>
// CHECK-NOT: xf.concat
// CHECK-COUNT-2: xf.linear
func.func @quantized(%x: tensor<?x32xf32>, %w: !xf.qtensor<32x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>,
    %y: tensor<?x32xf32>, %a: !xf.qtensor<32x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>,
    %b: !xf.qtensor<32x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>)
    -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %q = xf.linear %x, %w : (tensor<?x32xf32>, !xf.qtensor<32x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x32xf32>
  %k = xf.linear %x, %w : (tensor<?x32xf32>, !xf.qtensor<32x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x32xf32>
  %c = xf.linear %y, %a : (tensor<?x32xf32>, !xf.qtensor<32x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x32xf32>
  %d = xf.linear %y, %b : (tensor<?x32xf32>, !xf.qtensor<32x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x32xf32>
  return %q, %k, %c, %d : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @weight_from_activation
// CHECK-NOT: xf.concat
func.func @weight_from_activation(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %q = xf.linear %x, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %wk = xf.add %q, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %k = xf.linear %x, %wk : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  return %q, %k : tensor<8x8xf32>, tensor<8x8xf32>
}
