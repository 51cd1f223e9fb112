// RUN: xfc-opt %s -split-input-file -xf-split-sockets=sockets=2 -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-split-sockets=sockets=1 | FileCheck %s --check-prefix=WHOLE

// Llama-style: a fused QKV projection (4 query heads on 2 KV heads) and a
// fused gate_up FFN. Each shard keeps one KV head and its two query heads:
// 2 x 16 Q columns and 16 each of K and V, a 1-head cache, the matching 32
// input columns of the output projection, and 96 of the 192 hidden rows.
// Partial sums meet in xf.all_reduce before the residual adds.
// CHECK: module attributes {xf.shards = 2 : i64}
// CHECK-LABEL: func.func private @layer(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>, %[[POS:[^:]*]]: tensor<?xi32>, %[[P:[^:]*]]: index, %[[C:[^:]*]]: !xf.kv_cache<256x1x16xf32>, %[[WQKV:[^:]*]]: tensor<64x64xf32>, %[[WO:[^:]*]]: tensor<64x32xf32>, %[[WGU:[^:]*]]: tensor<192x64xf32>, %[[WD:[^:]*]]: tensor<64x96xf32>)
// CHECK: %[[QKV:.*]] = xf.linear %[[X]], %[[WQKV]] : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
// CHECK: %[[Q:.*]] = xf.slice %[[QKV]][1 : 0, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
// CHECK: %[[K:.*]] = xf.slice %[[QKV]][1 : 32, 16] : tensor<?x64xf32> -> tensor<?x16xf32>
// CHECK: %[[V:.*]] = xf.slice %[[QKV]][1 : 48, 16] : tensor<?x64xf32> -> tensor<?x16xf32>
// CHECK: xf.reshape %[[Q]] : tensor<?x32xf32> -> tensor<?x2x16xf32>
// CHECK: xf.reshape %[[K]] : tensor<?x16xf32> -> tensor<?x1x16xf32>
// CHECK: xf.reshape %[[V]] : tensor<?x16xf32> -> tensor<?x1x16xf32>
// CHECK: xf.rope interleaved %{{.*}}, %[[POS]] theta = 1.000000e+04 : tensor<?x2x16xf32>, tensor<?xi32>
// CHECK: xf.rope interleaved %{{.*}}, %[[POS]] theta = 1.000000e+04 : tensor<?x1x16xf32>, tensor<?xi32>
// CHECK: %[[A:.*]] = xf.attention %{{.*}}, %{{.*}}, %{{.*}} cache %[[C]] at %[[P]] causal : tensor<?x2x16xf32>, tensor<?x1x16xf32>, tensor<?x1x16xf32>, !xf.kv_cache<256x1x16xf32> -> tensor<?x2x16xf32>
// CHECK: %[[AF:.*]] = xf.reshape %[[A]] : tensor<?x2x16xf32> -> tensor<?x32xf32>
// CHECK: %[[OP:.*]] = xf.linear %[[AF]], %[[WO]] : (tensor<?x32xf32>, tensor<64x32xf32>) -> tensor<?x64xf32>
// CHECK: %[[O:.*]] = xf.all_reduce %[[OP]] over 2 shards : tensor<?x64xf32>
// CHECK: %[[H:.*]] = xf.add %[[X]], %[[O]]
// CHECK: %[[FP:.*]] = xf.ffn swiglu %[[H]] gate_up %[[WGU]] down %[[WD]] : (tensor<?x64xf32>, tensor<192x64xf32>, tensor<64x96xf32>) -> tensor<?x64xf32>
// CHECK: %[[F:.*]] = xf.all_reduce %[[FP]] over 2 shards : tensor<?x64xf32>
// CHECK: xf.add %[[H]], %[[F]]
//
// One entry point per shard passes its slices: rows of each Q/K/V part,
// rows of the gate and the up halves, and columns of the row-split GEMMs.
// CHECK-LABEL: func.func @forward_shard0(
// CHECK-SAME: %{{.*}}: !xf.kv_cache<256x1x16xf32> {xf.name = "cache.0"}) -> tensor<?x512xf32> attributes {xf.shard = 0 : i64}
// CHECK: %[[W:.*]] = xf.weight @qkv : tensor<128x64xf32>
// CHECK: %[[S0:.*]] = xf.slice %[[W]][0 : 0, 32] : tensor<128x64xf32> -> tensor<32x64xf32>
// CHECK: %[[S1:.*]] = xf.slice %[[W]][0 : 64, 16] : tensor<128x64xf32> -> tensor<16x64xf32>
// CHECK: %[[S2:.*]] = xf.slice %[[W]][0 : 96, 16] : tensor<128x64xf32> -> tensor<16x64xf32>
// CHECK: %[[QKV0:.*]] = xf.concat %[[S0]], %[[S1]], %[[S2]][0] : (tensor<32x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>) -> tensor<64x64xf32>
// CHECK: xf.slice %{{.*}}[1 : 0, 32] : tensor<64x64xf32> -> tensor<64x32xf32>
// CHECK: xf.slice %{{.*}}[0 : 0, 96] : tensor<384x64xf32> -> tensor<96x64xf32>
// CHECK: xf.slice %{{.*}}[0 : 192, 96] : tensor<384x64xf32> -> tensor<96x64xf32>
// CHECK: xf.slice %{{.*}}[1 : 0, 96] : tensor<64x192xf32> -> tensor<64x96xf32>
// CHECK: call @layer(
// CHECK-LABEL: func.func @forward_shard1(
// CHECK-SAME: attributes {xf.shard = 1 : i64}
// CHECK: xf.slice %{{.*}}[0 : 32, 32] : tensor<128x64xf32> -> tensor<32x64xf32>
// CHECK: xf.slice %{{.*}}[0 : 80, 16] : tensor<128x64xf32> -> tensor<16x64xf32>
// CHECK: xf.slice %{{.*}}[0 : 112, 16] : tensor<128x64xf32> -> tensor<16x64xf32>
// CHECK: xf.slice %{{.*}}[1 : 32, 32] : tensor<64x64xf32> -> tensor<64x32xf32>
// CHECK: xf.slice %{{.*}}[0 : 96, 96] : tensor<384x64xf32> -> tensor<96x64xf32>
// CHECK: xf.slice %{{.*}}[0 : 288, 96] : tensor<384x64xf32> -> tensor<96x64xf32>
// CHECK: xf.slice %{{.*}}[1 : 96, 96] : tensor<64x192xf32> -> tensor<64x96xf32>
// CHECK-NOT: func.func @forward(
//
// WHOLE-LABEL: func.func @forward(
// WHOLE-NOT: xf.all_reduce
module {
  xf.global_weight @emb : tensor<512x64xf32>
  xf.global_weight @qkv : tensor<128x64xf32>
  xf.global_weight @wo : tensor<64x64xf32>
  xf.global_weight @gate_up : tensor<384x64xf32>
  xf.global_weight @down : tensor<64x192xf32>
  func.func private @layer(%x: tensor<?x64xf32>, %pos: tensor<?xi32>, %p: index, %c: !xf.kv_cache<256x2x16xf32>, %wqkv: tensor<128x64xf32>, %wo: tensor<64x64xf32>, %wgu: tensor<384x64xf32>, %wd: tensor<64x192xf32>) -> tensor<?x64xf32> {
    %qkv = xf.linear %x, %wqkv : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
    %q = xf.slice %qkv[1 : 0, 64] : tensor<?x128xf32> -> tensor<?x64xf32>
    %k = xf.slice %qkv[1 : 64, 32] : tensor<?x128xf32> -> tensor<?x32xf32>
    %v = xf.slice %qkv[1 : 96, 32] : tensor<?x128xf32> -> tensor<?x32xf32>
    %qh = xf.reshape %q : tensor<?x64xf32> -> tensor<?x4x16xf32>
    %kh = xf.reshape %k : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %vh = xf.reshape %v : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %qr = xf.rope interleaved %qh, %pos theta = 1.0e4 : tensor<?x4x16xf32>, tensor<?xi32>
    %kr = xf.rope interleaved %kh, %pos theta = 1.0e4 : tensor<?x2x16xf32>, tensor<?xi32>
    %a = xf.attention %qr, %kr, %vh cache %c at %p causal : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !xf.kv_cache<256x2x16xf32> -> tensor<?x4x16xf32>
    %af = xf.reshape %a : tensor<?x4x16xf32> -> tensor<?x64xf32>
    %o = xf.linear %af, %wo : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %h = xf.add %x, %o : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    %f = xf.ffn swiglu %h gate_up %wgu down %wd : (tensor<?x64xf32>, tensor<384x64xf32>, tensor<64x192xf32>) -> tensor<?x64xf32>
    %y = xf.add %h, %f : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    return %y : tensor<?x64xf32>
  }
  func.func @forward(%tokens: tensor<?xi32> {xf.name = "tokens"}, %positions: tensor<?xi32> {xf.name = "positions"}, %p: index {xf.name = "position"}, %c0: !xf.kv_cache<256x2x16xf32> {xf.name = "cache.0"}) -> tensor<?x512xf32> {
    %emb = xf.weight @emb : tensor<512x64xf32>
    %x = xf.embedding %emb[%tokens] : (tensor<512x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
    %wqkv = xf.weight @qkv : tensor<128x64xf32>
    %wo = xf.weight @wo : tensor<64x64xf32>
    %wgu = xf.weight @gate_up : tensor<384x64xf32>
    %wd = xf.weight @down : tensor<64x192xf32>
    %y = call @layer(%x, %positions, %p, %c0, %wqkv, %wo, %wgu, %wd) : (tensor<?x64xf32>, tensor<?xi32>, index, !xf.kv_cache<256x2x16xf32>, tensor<128x64xf32>, tensor<64x64xf32>, tensor<384x64xf32>, tensor<64x192xf32>) -> tensor<?x64xf32>
    %logits = xf.linear %y, %emb : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
    return %logits : tensor<?x512xf32>
  }
}

// -----

// GPT-2 style: separate biased Q/K/V projections (2 heads, one per shard),
// a biased output projection and a GELU FFN with both biases. Q/K/V and
// up biases are split with their rows; the output and down biases are
// added once, after the all-reduce.
// CHECK-LABEL: func.func private @block(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x32xf32>, %{{.*}}: index, %{{.*}}: !xf.kv_cache<64x1x16xf32>, %[[WQ:[^:]*]]: tensor<16x32xf32>, %[[BQ:[^:]*]]: tensor<16xf32>, %{{.*}}: tensor<16x32xf32>, %{{.*}}: tensor<16xf32>, %{{.*}}: tensor<16x32xf32>, %{{.*}}: tensor<16xf32>, %[[WO:[^:]*]]: tensor<32x16xf32>, %[[BO:[^:]*]]: tensor<32xf32>, %[[WU:[^:]*]]: tensor<64x32xf32>, %[[BU:[^:]*]]: tensor<64xf32>, %[[WD:[^:]*]]: tensor<32x64xf32>, %[[BD:[^:]*]]: tensor<32xf32>)
// CHECK: xf.linear %[[X]], %[[WQ]], %[[BQ]] : (tensor<?x32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<?x16xf32>
// CHECK: %[[OP:.*]] = xf.linear %{{.*}}, %[[WO]] : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
// CHECK: %[[OS:.*]] = xf.all_reduce %[[OP]] over 2 shards : tensor<?x32xf32>
// CHECK: %[[O:.*]] = xf.add %[[OS]], %[[BO]] : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
// CHECK: xf.add %[[X]], %[[O]]
// CHECK: %[[FP:.*]] = xf.ffn gelu %{{.*}} up %[[WU]] down %[[WD]] up_bias %[[BU]] : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>, tensor<64xf32>) -> tensor<?x32xf32>
// CHECK: %[[FS:.*]] = xf.all_reduce %[[FP]] over 2 shards : tensor<?x32xf32>
// CHECK: xf.add %[[FS]], %[[BD]] : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
// CHECK-LABEL: func.func @forward_shard1(
// CHECK: %[[BOW:.*]] = xf.weight @bo : tensor<32xf32>
// CHECK: %[[BDW:.*]] = xf.weight @bd : tensor<32xf32>
// CHECK: xf.slice %{{.*}}[0 : 16, 16] : tensor<32x32xf32> -> tensor<16x32xf32>
// CHECK: xf.slice %{{.*}}[0 : 16, 16] : tensor<32xf32> -> tensor<16xf32>
// The output and down biases are passed whole.
// CHECK: call @block(%{{.*}}, %[[BOW]], %{{.*}}, %[[BDW]])
module {
  xf.global_weight @wq : tensor<32x32xf32>
  xf.global_weight @bq : tensor<32xf32>
  xf.global_weight @wo : tensor<32x32xf32>
  xf.global_weight @bo : tensor<32xf32>
  xf.global_weight @wu : tensor<128x32xf32>
  xf.global_weight @bu : tensor<128xf32>
  xf.global_weight @wd : tensor<32x128xf32>
  xf.global_weight @bd : tensor<32xf32>
  func.func private @block(%x: tensor<?x32xf32>, %p: index, %c: !xf.kv_cache<64x2x16xf32>, %wq: tensor<32x32xf32>, %bq: tensor<32xf32>, %wk: tensor<32x32xf32>, %bk: tensor<32xf32>, %wv: tensor<32x32xf32>, %bv: tensor<32xf32>, %wo: tensor<32x32xf32>, %bo: tensor<32xf32>, %wu: tensor<128x32xf32>, %bu: tensor<128xf32>, %wd: tensor<32x128xf32>, %bd: tensor<32xf32>) -> tensor<?x32xf32> {
    %q = xf.linear %x, %wq, %bq : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %k = xf.linear %x, %wk, %bk : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %v = xf.linear %x, %wv, %bv : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %qh = xf.reshape %q : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %kh = xf.reshape %k : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %vh = xf.reshape %v : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %a = xf.attention %qh, %kh, %vh cache %c at %p causal : tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>
    %af = xf.reshape %a : tensor<?x2x16xf32> -> tensor<?x32xf32>
    %o = xf.linear %af, %wo, %bo : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %h = xf.add %x, %o : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    %f = xf.ffn gelu %h up %wu down %wd up_bias %bu down_bias %bd : (tensor<?x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>, tensor<128xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %y = xf.add %h, %f : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
  func.func @forward(%x: tensor<?x32xf32>, %p: index, %c0: !xf.kv_cache<64x2x16xf32>) -> tensor<?x32xf32> {
    %wq = xf.weight @wq : tensor<32x32xf32>
    %bq = xf.weight @bq : tensor<32xf32>
    %wo = xf.weight @wo : tensor<32x32xf32>
    %bo = xf.weight @bo : tensor<32xf32>
    %wu = xf.weight @wu : tensor<128x32xf32>
    %bu = xf.weight @bu : tensor<128xf32>
    %wd = xf.weight @wd : tensor<32x128xf32>
    %bd = xf.weight @bd : tensor<32xf32>
    %y = call @block(%x, %p, %c0, %wq, %bq, %wq, %bq, %wq, %bq, %wo, %bo, %wu, %bu, %wd, %bd) : (tensor<?x32xf32>, index, !xf.kv_cache<64x2x16xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<128xf32>, tensor<32x128xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
}

// -----

func.func private @gqa(%q: tensor<?x6x16xf32>, %kv: tensor<?x3x16xf32>, %c: !xf.kv_cache<64x3x16xf32>, %p: index) -> tensor<?x6x16xf32> {
  // expected-error @+1 {{xf-split-sockets: cannot split 6 query heads on 3 KV heads 2 ways: every shard needs whole KV heads and their query groups}}
  %a = xf.attention %q, %kv, %kv cache %c at %p causal : tensor<?x6x16xf32>, tensor<?x3x16xf32>, tensor<?x3x16xf32>, !xf.kv_cache<64x3x16xf32> -> tensor<?x6x16xf32>
  return %a : tensor<?x6x16xf32>
}
func.func @forward(%q: tensor<?x6x16xf32>, %kv: tensor<?x3x16xf32>, %c: !xf.kv_cache<64x3x16xf32>, %p: index) -> tensor<?x6x16xf32> {
  %a = call @gqa(%q, %kv, %c, %p) : (tensor<?x6x16xf32>, tensor<?x3x16xf32>, !xf.kv_cache<64x3x16xf32>, index) -> tensor<?x6x16xf32>
  return %a : tensor<?x6x16xf32>
}

// -----

// Weights the model file stores quantized are split as their dequantized
// values and quantized again per shard (whole groups: the same codes).
// CHECK-LABEL: func.func private @quantized
// CHECK-SAME: !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, %{{.*}}: !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK-LABEL: func.func @forward_shard1(
// CHECK: %[[U:.*]] = xf.dequantize %{{.*}} : !xf.qtensor<128x64xi8, {{.*}}> -> tensor<128x64xf32>
// CHECK: %[[US:.*]] = xf.slice %[[U]][0 : 64, 64] : tensor<128x64xf32> -> tensor<64x64xf32>
// CHECK: %[[UQ:.*]] = xf.quantize %[[US]] : tensor<64x64xf32> -> !xf.qtensor<64x64xi8, {{.*}}>
// CHECK: %[[D:.*]] = xf.dequantize %{{.*}} : !xf.qtensor<64x128xi8, {{.*}}> -> tensor<64x128xf32>
// CHECK: %[[DS:.*]] = xf.slice %[[D]][1 : 64, 64] : tensor<64x128xf32> -> tensor<64x64xf32>
// CHECK: %[[DQ:.*]] = xf.quantize %[[DS]] : tensor<64x64xf32> -> !xf.qtensor<64x64xi8, {{.*}}>
// CHECK: call @quantized(%{{.*}}, %[[UQ]], %[[DQ]])
func.func private @quantized(%x: tensor<?x64xf32>, %wu: !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, %wd: !xf.qtensor<64x128xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x64xf32> {
  %f = xf.ffn gelu %x up %wu down %wd : (tensor<?x64xf32>, !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<64x128xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x64xf32>
  return %f : tensor<?x64xf32>
}
func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %wu = xf.weight @wu : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %wd = xf.weight @wd : !xf.qtensor<64x128xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %f = call @quantized(%x, %wu, %wd) : (tensor<?x64xf32>, !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<64x128xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x64xf32>
  return %f : tensor<?x64xf32>
}
xf.global_weight @wu : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
xf.global_weight @wd : !xf.qtensor<64x128xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>

// -----

// A per-channel quantized weight has one scale per row for all columns:
// its columns cannot be split with the file's codes.
func.func private @per_channel(%x: tensor<?x64xf32>, %wu: tensor<64x64xf32>, %wd: !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>) -> tensor<?x64xf32> {
  // expected-error @+1 {{xf-split-sockets: cannot split the columns of the FFN down weight ('!xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>'): each row's one scale covers all of them}}
  %f = xf.ffn gelu %x up %wu down %wd : (tensor<?x64xf32>, tensor<64x64xf32>, !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>) -> tensor<?x64xf32>
  return %f : tensor<?x64xf32>
}
func.func @forward(%x: tensor<?x64xf32>, %wu: tensor<64x64xf32>, %wd: !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>) -> tensor<?x64xf32> {
  %f = call @per_channel(%x, %wu, %wd) : (tensor<?x64xf32>, tensor<64x64xf32>, !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>) -> tensor<?x64xf32>
  return %f : tensor<?x64xf32>
}

// -----

// A quantized weight split along its rows' groups must keep them whole.
func.func private @part_groups(%x: tensor<?x64xf32>, %wu: tensor<32x64xf32>, %wd: !xf.qtensor<64x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>) -> tensor<?x64xf32> {
  // expected-error @+1 {{xf-split-sockets: cannot split the FFN down weight ('!xf.qtensor<64x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>') at column 0, 16 wide: not in whole groups of 32}}
  %f = xf.ffn gelu %x up %wu down %wd : (tensor<?x64xf32>, tensor<32x64xf32>, !xf.qtensor<64x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>) -> tensor<?x64xf32>
  return %f : tensor<?x64xf32>
}
func.func @forward(%x: tensor<?x64xf32>, %wu: tensor<32x64xf32>, %wd: !xf.qtensor<64x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>) -> tensor<?x64xf32> {
  %f = call @part_groups(%x, %wu, %wd) : (tensor<?x64xf32>, tensor<32x64xf32>, !xf.qtensor<64x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>) -> tensor<?x64xf32>
  return %f : tensor<?x64xf32>
}

// -----

// Each split attention needs a cache of its own: the shard's cache has 1/n
// of the KV heads once.
func.func private @shared_cache(%q: tensor<?x2x16xf32>, %c: !xf.kv_cache<64x2x16xf32>, %p: index) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{xf-split-sockets: expected the attention's KV cache to be an argument of @shared_cache used by it alone}}
  %a = xf.attention %q, %q, %q cache %c at %p causal : tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>
  %b = xf.attention %a, %a, %a cache %c at %p causal : tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>
  return %b : tensor<?x2x16xf32>
}
func.func @forward(%q: tensor<?x2x16xf32>, %c: !xf.kv_cache<64x2x16xf32>, %p: index) -> tensor<?x2x16xf32> {
  %a = call @shared_cache(%q, %c, %p) : (tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32>, index) -> tensor<?x2x16xf32>
  return %a : tensor<?x2x16xf32>
}

// -----

// expected-error @+1 {{xf-split-sockets: the module has no @forward}}
module {
  func.func @main() {
    return
  }
}
