// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg -verify-diagnostics | FileCheck %s

// Ops owned by later stages stay legal and pass through unchanged, next to
// the ops that lower.

xf.global_weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
xf.global_weight @w : tensor<64x64xf32>

// CHECK-LABEL: func.func @kept_ops(
// CHECK: %[[Q:.*]] = xf.weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
// CHECK: %[[W:.*]] = xf.weight @w : tensor<64x64xf32>
// CHECK: %[[F:.*]] = xf.dequantize %[[Q]] : !xf.qtensor<{{.*}}> -> tensor<128x64xf32>
// CHECK: xf.kv_append %{{.*}}[%{{.*}}], %{{.*}}, %{{.*}} : !xf.kv_cache<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x64xf32>
// CHECK: %{{.*}}, %{{.*}} = xf.kv_read %{{.*}}[%{{.*}}] : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x64xf32>, tensor<?x4x64xf32>
// CHECK: %[[A:.*]] = xf.attention %{{.*}}, %{{.*}}, %{{.*}} cache %{{.*}} at %{{.*}} causal
// CHECK-NOT: xf.softmax
// CHECK: linalg.generic {{.*}} ins(%[[A]] : tensor<?x16x64xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[A]], {{.*}} outs(%{{.*}} : tensor<?x16x64xf32>)
// CHECK: %[[FF:.*]] = xf.ffn swiglu %{{.*}} up %[[F]] gate %[[F]] down %{{.*}}
// CHECK: return %[[W]], %[[S]], %[[FF]]
func.func @kept_ops(%c: !xf.kv_cache<2048x4x64xf16>, %pos: index,
                    %q: tensor<?x16x64xf32>, %k: tensor<?x4x64xf32>, %v: tensor<?x4x64xf32>,
                    %x: tensor<?x64xf32>, %wd: tensor<64x128xf32>)
    -> (tensor<64x64xf32>, tensor<?x16x64xf32>, tensor<?x64xf32>) {
  %qw = xf.weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %w = xf.weight @w : tensor<64x64xf32>
  %f = xf.dequantize %qw : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>> -> tensor<128x64xf32>
  xf.kv_append %c[%pos], %k, %v : !xf.kv_cache<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x64xf32>
  %rk, %rv = xf.kv_read %c[%pos] : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x64xf32>, tensor<?x4x64xf32>
  %a = xf.attention %q, %rk, %rv cache %c at %pos causal : tensor<?x16x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>, !xf.kv_cache<2048x4x64xf16> -> tensor<?x16x64xf32>
  %s = xf.softmax %a : tensor<?x16x64xf32>
  %ff = xf.ffn swiglu %x up %f gate %f down %wd : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %w, %s, %ff : tensor<64x64xf32>, tensor<?x16x64xf32>, tensor<?x64xf32>
}

// -----

// Quantized weights wait for the quantized kernels.
xf.global_weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>

func.func @linear_quantized_weight(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %q = xf.weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  // expected-error @+1 {{failed to legalize operation 'xf.linear' that was explicitly marked illegal}}
  %0 = xf.linear %x, %q : (tensor<?x64xf32>, !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

xf.global_weight @e : !xf.qtensor<1000x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>

func.func @embedding_quantized_table(%ids: tensor<?xi32>) -> tensor<?x64xf32> {
  %e = xf.weight @e : !xf.qtensor<1000x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>
  // expected-error @+1 {{failed to legalize operation 'xf.embedding' that was explicitly marked illegal}}
  %0 = xf.embedding %e[%ids] : (!xf.qtensor<1000x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>, tensor<?xi32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// The feature count n of the mean must be static.
func.func @rms_norm_dynamic_features(%x: tensor<4x?xf32>, %w: tensor<?xf32>) -> tensor<4x?xf32> {
  // expected-error @+1 {{failed to legalize operation 'xf.rms_norm' that was explicitly marked illegal}}
  %0 = xf.rms_norm %x, %w eps = 1.0e-6 : tensor<4x?xf32>, tensor<?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

func.func @layer_norm_dynamic_features(%x: tensor<4x?xf32>, %w: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<4x?xf32> {
  // expected-error @+1 {{failed to legalize operation 'xf.layer_norm' that was explicitly marked illegal}}
  %0 = xf.layer_norm %x, %w, %b eps = 1.0e-5 : tensor<4x?xf32>, tensor<?xf32>, tensor<?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

func.func @repeat_interleave_dynamic_axis(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'xf.repeat_interleave' that was explicitly marked illegal}}
  %0 = xf.repeat_interleave %x [0 x 2] : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A dynamic result dimension the input stretches has no size to take.
func.func @broadcast_unknown_size(%x: tensor<1xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{failed to legalize operation 'xf.broadcast'}}
  %0 = xf.broadcast %x : tensor<1xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
