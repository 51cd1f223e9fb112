// RUN: xfc-opt %s -split-input-file | FileCheck %s
// Round trip: parse, verify and print every xf op, then parse the printed
// form again and check it prints identically.
// RUN: xfc-opt %s -split-input-file | xfc-opt -split-input-file | FileCheck %s
// RUN: xfc-opt %s -split-input-file -mlir-print-op-generic | xfc-opt -split-input-file | FileCheck %s

// CHECK-LABEL: xf.global_weight @blk.0.attn_q.weight : tensor<64x64xf32>
// CHECK: xf.global_weight private @w4 : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
// CHECK: xf.global_weight @w8 : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = per_channel, asymmetric, scale = f32>>
// CHECK: xf.global_weight @wg : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<ggml>>
xf.global_weight @"blk.0.attn_q.weight" : tensor<64x64xf32>
xf.global_weight private @w4 : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
xf.global_weight @w8 : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = per_channel, asymmetric, scale = f32>>
xf.global_weight @wg : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<ggml>>

// CHECK-LABEL: func.func @weights
func.func @weights() -> (tensor<64x64xf32>, tensor<128x64xf32>) {
  // CHECK: xf.weight @blk.0.attn_q.weight : tensor<64x64xf32>
  %w = xf.weight @"blk.0.attn_q.weight" : tensor<64x64xf32>
  // CHECK: %[[Q:.*]] = xf.weight @w4 : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %q = xf.weight @w4 : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  // CHECK: xf.dequantize %[[Q]] : !xf.qtensor<{{.*}}> -> tensor<128x64xf32>
  %f = xf.dequantize %q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>> -> tensor<128x64xf32>
  return %w, %f : tensor<64x64xf32>, tensor<128x64xf32>
}

// -----

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<?x64xf32>, %y: tensor<64xf32>, %s: tensor<f32>, %h: tensor<?x64xf16>) -> tensor<?x64xf32> {
  // CHECK: xf.add %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %0 = xf.add %x, %y : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  // CHECK: xf.mul %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %1 = xf.mul %0, %s : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  // CHECK: xf.silu %{{.*}} : tensor<?x64xf32>
  %2 = xf.silu %1 : tensor<?x64xf32>
  // CHECK: xf.gelu tanh %{{.*}} : tensor<?x64xf32>
  %3 = xf.gelu tanh %2 : tensor<?x64xf32>
  // CHECK: xf.gelu erf %{{.*}} : tensor<?x64xf32>
  %4 = xf.gelu erf %3 : tensor<?x64xf32>
  // CHECK: xf.convert %{{.*}} : tensor<?x64xf16> to tensor<?x64xf32>
  %5 = xf.convert %h : tensor<?x64xf16> to tensor<?x64xf32>
  %6 = xf.add %4, %5 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %6 : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @sub_and_reduce_mean
func.func @sub_and_reduce_mean(%w: tensor<16x8xf16>, %x: tensor<?x8xf32>) -> (tensor<16x8xf16>, tensor<?x1xf32>, tensor<1x8xf32>) {
  // CHECK: %[[M:.*]] = xf.reduce_mean %{{.*}}[1] : tensor<16x8xf16> -> tensor<16x1xf16>
  %m = xf.reduce_mean %w [1] : tensor<16x8xf16> -> tensor<16x1xf16>
  // CHECK: xf.sub %{{.*}}, %[[M]] : (tensor<16x8xf16>, tensor<16x1xf16>) -> tensor<16x8xf16>
  %c = xf.sub %w, %m : (tensor<16x8xf16>, tensor<16x1xf16>) -> tensor<16x8xf16>
  // CHECK: xf.reduce_mean %{{.*}}[1] : tensor<?x8xf32> -> tensor<?x1xf32>
  %r = xf.reduce_mean %x [1] : tensor<?x8xf32> -> tensor<?x1xf32>
  // A dynamic axis averages over however many rows there are.
  // CHECK: xf.reduce_mean %{{.*}}[0] : tensor<?x8xf32> -> tensor<1x8xf32>
  %t = xf.reduce_mean %x [0] : tensor<?x8xf32> -> tensor<1x8xf32>
  return %c, %r, %t : tensor<16x8xf16>, tensor<?x1xf32>, tensor<1x8xf32>
}

// -----

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  // CHECK: xf.rms_norm %{{.*}}, %{{.*}} eps = 9.99999997E-7 : tensor<?x64xf32>, tensor<64xf32>
  %0 = xf.rms_norm %x, %g eps = 1.0e-6 : tensor<?x64xf32>, tensor<64xf32>
  // CHECK: xf.layer_norm %{{.*}}, %{{.*}}, %{{.*}} eps = 9.99999974E-6 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32>
  %1 = xf.layer_norm %0, %g, %b eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32>
  // CHECK: xf.softmax %{{.*}} : tensor<?x64xf32>
  %2 = xf.softmax %1 : tensor<?x64xf32>
  return %2 : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @positions
func.func @positions(%q: tensor<?x8x64xf32>, %pos: tensor<?xi32>, %s: tensor<8x?x?xf32>, %off: index) -> (tensor<?x8x64xf32>, tensor<8x?x?xf32>) {
  // CHECK: xf.rope interleaved %{{.*}}, %{{.*}} theta = 1.000000e+04 : tensor<?x8x64xf32>, tensor<?xi32>
  %0 = xf.rope interleaved %q, %pos theta = 10000.0 : tensor<?x8x64xf32>, tensor<?xi32>
  // CHECK: xf.rope neox %{{.*}}, %{{.*}} theta = 1.000000e+06 dims = 32 : tensor<?x8x64xf32>, tensor<?xi32>
  %1 = xf.rope neox %0, %pos theta = 1000000.0 dims = 32 : tensor<?x8x64xf32>, tensor<?xi32>
  // CHECK: xf.causal_mask %{{.*}}, %{{.*}} : tensor<8x?x?xf32>
  %2 = xf.causal_mask %s, %off : tensor<8x?x?xf32>
  return %1, %2 : tensor<?x8x64xf32>, tensor<8x?x?xf32>
}

// -----

xf.global_weight @w : tensor<128x64xf32>
xf.global_weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
xf.global_weight @emb : tensor<1000x64xf16>

// CHECK-LABEL: func.func @contractions
func.func @contractions(%x: tensor<?x64xf32>, %b: tensor<128xf32>, %ids: tensor<?xi32>,
                        %a: tensor<8x?x64xf32>, %k: tensor<8x?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x64xf32>, tensor<8x?x?xf32>) {
  %w = xf.weight @w : tensor<128x64xf32>
  %q = xf.weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %e = xf.weight @emb : tensor<1000x64xf16>
  // CHECK: xf.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %0 = xf.linear %x, %w, %b : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  // CHECK: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, !xf.qtensor<{{.*}}>) -> tensor<?x128xf32>
  %1 = xf.linear %x, %q : (tensor<?x64xf32>, !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x128xf32>
  // CHECK: xf.linear %{{.*}}, %{{.*}} compute int8 : (tensor<?x64xf32>, !xf.qtensor<{{.*}}>) -> tensor<?x128xf32>
  %int8 = xf.linear %x, %q compute int8 : (tensor<?x64xf32>, !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x128xf32>
  // CHECK: xf.embedding %{{.*}}[%{{.*}}] : (tensor<1000x64xf16>, tensor<?xi32>) -> tensor<?x64xf32>
  %2 = xf.embedding %e[%ids] : (tensor<1000x64xf16>, tensor<?xi32>) -> tensor<?x64xf32>
  // CHECK: xf.matmul %{{.*}}, %{{.*}} transpose_rhs : (tensor<8x?x64xf32>, tensor<8x?x64xf32>) -> tensor<8x?x?xf32>
  %3 = xf.matmul %a, %k transpose_rhs : (tensor<8x?x64xf32>, tensor<8x?x64xf32>) -> tensor<8x?x?xf32>
  return %0, %1, %2, %3 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x64xf32>, tensor<8x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<?x2304xf32>, %k: tensor<?x4x64xf32>) -> (tensor<32x?x64xf32>, tensor<?x32x64xf32>) {
  // CHECK: xf.slice %{{.*}}[1 : 768, 768] : tensor<?x2304xf32> -> tensor<?x768xf32>
  %0 = xf.slice %x [1 : 768, 768] : tensor<?x2304xf32> -> tensor<?x768xf32>
  // CHECK: xf.reshape %{{.*}} : tensor<?x768xf32> -> tensor<?x12x64xf32>
  %1 = xf.reshape %0 : tensor<?x768xf32> -> tensor<?x12x64xf32>
  // CHECK: xf.repeat_interleave %{{.*}}[1 x 8] : tensor<?x4x64xf32> -> tensor<?x32x64xf32>
  %2 = xf.repeat_interleave %k [1 x 8] : tensor<?x4x64xf32> -> tensor<?x32x64xf32>
  // CHECK: xf.transpose %{{.*}} [1, 0, 2] : tensor<?x32x64xf32> -> tensor<32x?x64xf32>
  %3 = xf.transpose %2 [1, 0, 2] : tensor<?x32x64xf32> -> tensor<32x?x64xf32>
  return %3, %2 : tensor<32x?x64xf32>, tensor<?x32x64xf32>
}

// -----

// CHECK-LABEL: func.func @kv_cache
// CHECK-SAME: !xf.kv_cache<2048x4x64xf16>
func.func @kv_cache(%c: !xf.kv_cache<2048x4x64xf16>, %pos: index, %k: tensor<?x4x64xf32>, %v: tensor<?x4x64xf32>, %len: index) -> (tensor<?x4x64xf32>, tensor<?x4x64xf32>) {
  // CHECK: xf.kv_append %{{.*}}[%{{.*}}], %{{.*}}, %{{.*}} : !xf.kv_cache<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x64xf32>
  xf.kv_append %c[%pos], %k, %v : !xf.kv_cache<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x64xf32>
  // CHECK: xf.kv_read %{{.*}}[%{{.*}}] : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x64xf32>, tensor<?x4x64xf32>
  %rk, %rv = xf.kv_read %c[%len] : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x64xf32>, tensor<?x4x64xf32>
  return %rk, %rv : tensor<?x4x64xf32>, tensor<?x4x64xf32>
}

// -----

// An i8 cache is written and read as floats (quantized per row), and its
// stored rows (16 codes and 4 scale bytes) can be read raw.
// CHECK-LABEL: func.func @kv_cache_i8
// CHECK-SAME: !xf.kv_cache<256x2x16xi8>
func.func @kv_cache_i8(%c: !xf.kv_cache<256x2x16xi8>, %pos: index, %k: tensor<?x2x16xf32>, %len: index) -> (tensor<3x2x16xf32>, tensor<?x2x20xi8>) {
  // CHECK: xf.kv_append %{{.*}}[%{{.*}}], %{{.*}}, %{{.*}} : !xf.kv_cache<256x2x16xi8>, tensor<?x2x16xf32>, tensor<?x2x16xf32>
  xf.kv_append %c[%pos], %k, %k : !xf.kv_cache<256x2x16xi8>, tensor<?x2x16xf32>, tensor<?x2x16xf32>
  // CHECK: xf.kv_read %{{.*}}[%{{.*}}] : !xf.kv_cache<256x2x16xi8> -> tensor<3x2x16xf32>, tensor<3x2x16xf32>
  %rk, %rv = xf.kv_read %c[%len] : !xf.kv_cache<256x2x16xi8> -> tensor<3x2x16xf32>, tensor<3x2x16xf32>
  // CHECK: xf.kv_read_raw %{{.*}}[%{{.*}}] : !xf.kv_cache<256x2x16xi8> -> tensor<?x2x20xi8>, tensor<?x2x20xi8>
  %sk, %sv = xf.kv_read_raw %c[%len] : !xf.kv_cache<256x2x16xi8> -> tensor<?x2x20xi8>, tensor<?x2x20xi8>
  return %rk, %sk : tensor<3x2x16xf32>, tensor<?x2x20xi8>
}

// -----

// CHECK-LABEL: func.func @fused
func.func @fused(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>,
                 %c: !xf.kv_cache<512x2x64xi8>, %pos: index,
                 %x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wg: tensor<256x64xf32>, %wd: tensor<64x256xf32>,
                 %bu: tensor<256xf32>, %bd: tensor<64xf32>) -> (tensor<?x8x64xf32>, tensor<?x8x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  // CHECK: xf.attention %{{.*}}, %{{.*}}, %{{.*}} causal : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x8x64xf32>
  %0 = xf.attention %q, %k, %v causal : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x8x64xf32>
  // CHECK: xf.attention %{{.*}}, %{{.*}}, %{{.*}} cache %{{.*}} at %{{.*}} causal scale = 1.250000e-01 : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>, !xf.kv_cache<512x2x64xi8> -> tensor<?x8x64xf32>
  %1 = xf.attention %q, %k, %v cache %c at %pos causal scale = 0.125 : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>, !xf.kv_cache<512x2x64xi8> -> tensor<?x8x64xf32>
  // CHECK: xf.ffn swiglu %{{.*}} up %{{.*}} gate %{{.*}} down %{{.*}} : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  %2 = xf.ffn swiglu %x up %wu gate %wg down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  // CHECK: xf.ffn gelu %{{.*}} up %{{.*}} down %{{.*}} up_bias %{{.*}} down_bias %{{.*}} : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>, tensor<256xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %3 = xf.ffn gelu %x up %wu down %wd up_bias %bu down_bias %bd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>, tensor<256xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  // CHECK: xf.ffn gelu %{{.*}} up %{{.*}} down %{{.*}} compute int8 : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  %ffn8 = xf.ffn gelu %x up %wu down %wd compute int8 : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0, %1, %2, %3 : tensor<?x8x64xf32>, tensor<?x8x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Zero-element tensors reshape like any other.
// CHECK-LABEL: func.func @reshape_zero_elements
func.func @reshape_zero_elements(%x: tensor<?x0xf32>) -> tensor<0xf32> {
  // CHECK: xf.reshape %{{.*}} : tensor<?x0xf32> -> tensor<0xf32>
  %0 = xf.reshape %x : tensor<?x0xf32> -> tensor<0xf32>
  return %0 : tensor<0xf32>
}

// -----

// CHECK-LABEL: xf.global_weight private @qkv : tensor<48x16xf32> = {
// CHECK-NEXT:    %[[Q:.*]] = xf.weight @q : tensor<16x16xf32>
// CHECK-NEXT:    %[[K:.*]] = xf.weight @k : tensor<16x16xf32>
// CHECK-NEXT:    %[[V:.*]] = xf.weight @v : tensor<16x16xf32>
// CHECK-NEXT:    %[[C:.*]] = xf.concat %[[Q]], %[[K]], %[[V]][0] : (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<48x16xf32>
// CHECK-NEXT:    xf.yield %[[C]] : tensor<48x16xf32>
// CHECK-NEXT:  }
xf.global_weight @q : tensor<16x16xf32>
xf.global_weight @k : tensor<16x16xf32>
xf.global_weight @v : tensor<16x16xf32>
xf.global_weight private @qkv : tensor<48x16xf32> = {
  %q = xf.weight @q : tensor<16x16xf32>
  %k = xf.weight @k : tensor<16x16xf32>
  %v = xf.weight @v : tensor<16x16xf32>
  %c = xf.concat %q, %k, %v [0] : (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<48x16xf32>
  xf.yield %c : tensor<48x16xf32>
}

// -----

// CHECK-LABEL: func.func @concat_dynamic
// CHECK: xf.concat %{{.*}}, %{{.*}}[1] : (tensor<?x4xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
func.func @concat_dynamic(%a: tensor<?x4xf32>, %b: tensor<?x2xf32>) -> tensor<?x6xf32> {
  %0 = xf.concat %a, %b [1] : (tensor<?x4xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @ffn_gate_up
// CHECK: xf.ffn swiglu %{{.*}} gate_up %{{.*}} down %{{.*}} : (tensor<?x8xf32>, tensor<32x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
func.func @ffn_gate_up(%x: tensor<?x8xf32>, %wgu: tensor<32x8xf32>, %wd: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %0 = xf.ffn swiglu %x gate_up %wgu down %wd : (tensor<?x8xf32>, tensor<32x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Weights packed for the microkernels: ggml block schemes in 16x32 VNNI
// tiles (any row count: the last tile is padded), float weights in panels
// of 64 rows as their tensor encoding (vnni = 1 is not printed). A derived
// weight is declared packed while its initializer yields the plain value.

// CHECK-LABEL: xf.global_weight @q8 : !xf.qtensor<17x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
// CHECK: xf.global_weight @q41 : !xf.qtensor<100x32xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
// CHECK: xf.global_weight @q8g128 : !xf.qtensor<17x256xi8, #xf.quant<bits = 8, group = 128, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
// CHECK: xf.global_weight @q4pc : !xf.qtensor<20x96xi4, #xf.quant<bits = 4, group = per_channel, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK: xf.global_weight @h : tensor<100x64xf16, #xf.layout<blocked, tile = [64, 1]>>
// CHECK: xf.global_weight @b : tensor<1x8xbf16, #xf.layout<blocked, tile = [64, 2], vnni = 2>>
// CHECK: xf.global_weight @sparse_q4 : !xf.qtensor<40x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<sparse, tile = [16, 32], vnni = 4, values = 3>>
// CHECK: xf.global_weight @sparse : tensor<100x64xf32, #xf.layout<sparse, tile = [64, 1], values = 1200>> {sparsity = #xf.sparsity<zeros = 0.7500, slots = 1200>}
// CHECK: xf.global_weight @dense_measured : tensor<100x64xf32> {sparsity = #xf.sparsity<zeros = 0.0000, slots = 4096>}
// CHECK: xf.global_weight @sparse_codes : !xf.qtensor<40x128xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 614>> {sparsity = #xf.sparsity<zeros = 0.7000, slots = 4, codes = 614>}
// CHECK: xf.global_weight @derived : tensor<200x64xf16, #xf.layout<blocked, tile = [64, 1]>> = {
// CHECK:   xf.concat %{{.*}}, %{{.*}}[0] : (tensor<100x64xf16>, tensor<100x64xf16>) -> tensor<200x64xf16>
// CHECK:   xf.yield %{{.*}} : tensor<200x64xf16>
xf.global_weight @q8 : !xf.qtensor<17x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
xf.global_weight @q41 : !xf.qtensor<100x32xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
xf.global_weight @q8g128 : !xf.qtensor<17x256xi8, #xf.quant<bits = 8, group = 128, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
xf.global_weight @q4pc : !xf.qtensor<20x96xi4, #xf.quant<bits = 4, group = per_channel, symmetric, scale = f16>, #xf.layout<ggml>>
xf.global_weight @h : tensor<100x64xf16, #xf.layout<blocked, tile = [64, 1], vnni = 1>>
xf.global_weight @b : tensor<1x8xbf16, #xf.layout<blocked, tile = [64, 2], vnni = 2>>
xf.global_weight @sparse_q4 : !xf.qtensor<40x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<sparse, tile = [16, 32], vnni = 4, values = 3>>
xf.global_weight @sparse : tensor<100x64xf32, #xf.layout<sparse, tile = [64, 1], values = 1200>> {sparsity = #xf.sparsity<zeros = 0.75, slots = 1200>}
xf.global_weight @dense_measured : tensor<100x64xf32> {sparsity = #xf.sparsity<zeros = 0.0, slots = 4096>}
xf.global_weight @sparse_codes : !xf.qtensor<40x128xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 614>> {sparsity = #xf.sparsity<zeros = 0.7, slots = 4, codes = 614>}
xf.global_weight @plain : tensor<100x64xf16>
xf.global_weight @derived : tensor<200x64xf16, #xf.layout<blocked, tile = [64, 1]>> = {
  %a = xf.weight @plain : tensor<100x64xf16>
  %c = xf.concat %a, %a [0] : (tensor<100x64xf16>, tensor<100x64xf16>) -> tensor<200x64xf16>
  xf.yield %c : tensor<200x64xf16>
}

// CHECK-LABEL: func.func @packed
// CHECK: %[[H:.*]] = xf.weight @h : tensor<100x64xf16, #xf.layout<blocked, tile = [64, 1]>>
// CHECK: xf.linear %{{.*}}, %[[H]] : (tensor<?x64xf32>, tensor<100x64xf16, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<?x100xf32>
// CHECK: %[[Q:.*]] = xf.weight @q8 : !xf.qtensor<17x64xi8, {{.*}}, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
// CHECK: xf.linear %{{.*}}, %[[Q]] : (tensor<?x64xf32>, !xf.qtensor<17x64xi8, {{.*}}>) -> tensor<?x17xf32>
func.func @packed(%x: tensor<?x64xf32>) -> (tensor<?x100xf32>, tensor<?x17xf32>) {
  %h = xf.weight @h : tensor<100x64xf16, #xf.layout<blocked, tile = [64, 1]>>
  %y = xf.linear %x, %h : (tensor<?x64xf32>, tensor<100x64xf16, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<?x100xf32>
  %q = xf.weight @q8 : !xf.qtensor<17x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
  %z = xf.linear %x, %q : (tensor<?x64xf32>, !xf.qtensor<17x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>) -> tensor<?x17xf32>
  return %y, %z : tensor<?x100xf32>, tensor<?x17xf32>
}

// -----

// The library chosen for a GEMM (xf-select-kernels) prints as a keyword
// after the compute kind; `generated` is kept when written.

// CHECK-LABEL: func.func @backends
// CHECK: xf.linear %{{.*}}, %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
// CHECK: xf.linear %{{.*}}, %{{.*}} backend generated : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
// CHECK: xf.ffn swiglu %{{.*}} gate_up %{{.*}} down %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<512x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
// CHECK: xf.linear %{{.*}}, %{{.*}} compute f32 backend onednn :
func.func @backends(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf32>,
                    %gu: tensor<512x64xf32>, %d: tensor<64x256xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x64xf32>, tensor<?x128xf32>) {
  %0 = xf.linear %x, %w, %b backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %1 = xf.linear %x, %w backend generated : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  %2 = xf.ffn swiglu %x gate_up %gu down %d backend onednn : (tensor<?x64xf32>, tensor<512x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  %3 = xf.linear %x, %w compute f32 backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return %0, %1, %2, %3 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x64xf32>, tensor<?x128xf32>
}

// -----

// xf.quantize with its default method (rtn, no attribute) and a named one;
// f32 scales.
// CHECK-LABEL: func.func @quantize_methods
// CHECK: xf.quantize %{{.*}} : tensor<32x64xf32> -> !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK: xf.quantize %{{.*}} method "mse" : tensor<32x64xf32> -> !xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>, #xf.layout<ggml>>
func.func @quantize_methods(%w: tensor<32x64xf32>) -> (!xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>, #xf.layout<ggml>>) {
  %0 = xf.quantize %w : tensor<32x64xf32> -> !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %1 = xf.quantize %w method "mse" : tensor<32x64xf32> -> !xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>, #xf.layout<ggml>>
  return %0, %1 : !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>, #xf.layout<ggml>>
}

// -----

// Adapter deltas: LoRA's scaled B A and KronA's scaled Kronecker product,
// added to a base weight.
// CHECK-LABEL: func.func @adapter_deltas
// CHECK: %[[L:.*]] = xf.lora_delta %{{.*}}, %{{.*}} scale 5.000000e-01 : (tensor<64x8xf32>, tensor<8x32xf32>) -> tensor<64x32xf32>
// CHECK: %[[K:.*]] = xf.kron_delta %{{.*}}, %{{.*}} scale 2.000000e+00 : (tensor<8x4xf32>, tensor<8x8xf32>) -> tensor<64x32xf32>
// CHECK: xf.add %{{.*}}, %[[L]]
func.func @adapter_deltas(%w: tensor<64x32xf32>, %b: tensor<64x8xf32>, %a: tensor<8x32xf32>,
                          %w1: tensor<8x4xf32>, %w2: tensor<8x8xf32>) -> (tensor<64x32xf32>, tensor<64x32xf32>) {
  %l = xf.lora_delta %b, %a scale 0.5 : (tensor<64x8xf32>, tensor<8x32xf32>) -> tensor<64x32xf32>
  %k = xf.kron_delta %w1, %w2 scale 2.0 : (tensor<8x4xf32>, tensor<8x8xf32>) -> tensor<64x32xf32>
  %s = xf.add %w, %l : (tensor<64x32xf32>, tensor<64x32xf32>) -> tensor<64x32xf32>
  return %s, %k : tensor<64x32xf32>, tensor<64x32xf32>
}

// -----

// A KronA^B branch, with and without KronA^B_res's residual.
// CHECK-LABEL: func.func @kron_linear
// CHECK: xf.kron_linear %{{.*}}, %{{.*}}, %{{.*}} scale 1.000000e+00 residual 5.000000e-01 : (tensor<?x64xf32>, tensor<8x4xf32>, tensor<8x16xf32>) -> tensor<?x64xf32>
// CHECK: xf.kron_linear %{{.*}}, %{{.*}}, %{{.*}} scale 2.000000e+00 : (tensor<3x64xf32>, tensor<8x2xf32>, tensor<8x3xf32>) -> tensor<3x6xf32>
func.func @kron_linear(%x: tensor<?x64xf32>, %s: tensor<3x64xf32>, %a: tensor<8x4xf32>, %b: tensor<8x16xf32>,
                       %c: tensor<8x2xf32>, %d: tensor<8x3xf32>) -> (tensor<?x64xf32>, tensor<3x6xf32>) {
  %y = xf.kron_linear %x, %a, %b scale 1.0 residual 0.5 : (tensor<?x64xf32>, tensor<8x4xf32>, tensor<8x16xf32>) -> tensor<?x64xf32>
  %z = xf.kron_linear %s, %c, %d scale 2.0 : (tensor<3x64xf32>, tensor<8x2xf32>, tensor<8x3xf32>) -> tensor<3x6xf32>
  return %y, %z : tensor<?x64xf32>, tensor<3x6xf32>
}

// -----

// Magnitude pruning in each pattern.
// CHECK-LABEL: func.func @prune
// CHECK: xf.prune %{{.*}} unstructured level 0.69999999999999996 : tensor<64x64xf32>
// CHECK: xf.prune %{{.*}} nm size [2, 4] : tensor<64x64xf32>
// CHECK: xf.prune %{{.*}} block size [4, 16] level 9.000000e-01 : tensor<64x64xf32>
func.func @prune(%w: tensor<64x64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %p = xf.prune %w unstructured level 0.7 : tensor<64x64xf32>
  %q = xf.prune %w nm size [2, 4] : tensor<64x64xf32>
  %r = xf.prune %w block size [4, 16] level 0.9 : tensor<64x64xf32>
  return %p, %q, %r : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}
