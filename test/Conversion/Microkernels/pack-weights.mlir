// RUN: xfc-opt %s -split-input-file -xf-pack-weights=emit-remarks -verify-diagnostics | FileCheck %s

// Weights reach the shared layer function as arguments, as the GGUF
// importer emits them: float weights take the panels of 64 rows, ggml
// blocks read with `compute int8` the 16x32 VNNI tiles, in the
// declarations, the loads, and the layer's signature. Values and shapes
// stay; other arguments stay.

// CHECK-DAG: xf.global_weight @f32 : tensor<96x64xf32, #xf.layout<blocked, tile = [64, 1]>>
// CHECK-DAG: xf.global_weight @f16 : tensor<64x96xf16, #xf.layout<blocked, tile = [64, 1]>>
// CHECK-DAG: xf.global_weight @q4_0 : !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
// CHECK-DAG: xf.global_weight @q8_0 : !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
// CHECK-LABEL: func.func private @layer
// CHECK-SAME: (%{{.*}}: tensor<?x64xf32>,
// CHECK-SAME: %[[F32:arg[0-9]+]]: tensor<96x64xf32, #xf.layout<blocked, tile = [64, 1]>>,
// CHECK-SAME: %[[F16:arg[0-9]+]]: tensor<64x96xf16, #xf.layout<blocked, tile = [64, 1]>>,
// CHECK-SAME: %[[Q4:arg[0-9]+]]: !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>,
// CHECK-SAME: %[[Q8:arg[0-9]+]]: !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>,
// CHECK-SAME: %{{.*}}: tensor<96xf32>)
// CHECK: xf.linear %{{.*}}, %[[F32]], %{{.*}} : (tensor<?x64xf32>, tensor<96x64xf32, #xf.layout<blocked, tile = [64, 1]>>, tensor<96xf32>) -> tensor<?x96xf32>
// CHECK: xf.linear %{{.*}}, %[[F16]] : (tensor<?x96xf32>, tensor<64x96xf16, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<?x64xf32>
// CHECK: xf.linear %{{.*}}, %[[Q4]] compute int8
// CHECK: xf.linear %{{.*}}, %[[Q8]] compute int8
// CHECK-LABEL: func.func @forward
// CHECK: xf.weight @f32 : tensor<96x64xf32, #xf.layout<blocked, tile = [64, 1]>>
// CHECK: call @layer
// CHECK: xf.weight @f32 : tensor<96x64xf32, #xf.layout<blocked, tile = [64, 1]>>
// CHECK: call @layer
xf.global_weight @f32 : tensor<96x64xf32>
xf.global_weight @f16 : tensor<64x96xf16>
xf.global_weight @q4_0 : !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
xf.global_weight @q8_0 : !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// expected-remark @below {{keeps its layout: no microkernel reads tensor<96xf32>}}
xf.global_weight @bias : tensor<96xf32>

func.func private @layer(%x: tensor<?x64xf32>, %w1: tensor<96x64xf32>, %w2: tensor<64x96xf16>,
    %w3: !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>,
    %w4: !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>,
    %b: tensor<96xf32>) -> (tensor<?x64xf32>, tensor<?x40xf32>) {
  %h = xf.linear %x, %w1, %b : (tensor<?x64xf32>, tensor<96x64xf32>, tensor<96xf32>) -> tensor<?x96xf32>
  %y = xf.linear %h, %w2 : (tensor<?x96xf32>, tensor<64x96xf16>) -> tensor<?x64xf32>
  %z = xf.linear %y, %w3 compute int8 : (tensor<?x64xf32>, !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x40xf32>
  %o = xf.linear %y, %w4 compute int8 : (tensor<?x64xf32>, !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x64xf32>
  return %o, %z : tensor<?x64xf32>, tensor<?x40xf32>
}

func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w1 = xf.weight @f32 : tensor<96x64xf32>
  %w2 = xf.weight @f16 : tensor<64x96xf16>
  %w3 = xf.weight @q4_0 : !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %w4 = xf.weight @q8_0 : !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %b = xf.weight @bias : tensor<96xf32>
  %y0, %z0 = call @layer(%x, %w1, %w2, %w3, %w4, %b) : (tensor<?x64xf32>, tensor<96x64xf32>, tensor<64x96xf16>, !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, tensor<96xf32>) -> (tensor<?x64xf32>, tensor<?x40xf32>)
  %v1 = xf.weight @f32 : tensor<96x64xf32>
  %y1, %z1 = call @layer(%y0, %v1, %w2, %w3, %w4, %b) : (tensor<?x64xf32>, tensor<96x64xf32>, tensor<64x96xf16>, !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, tensor<96xf32>) -> (tensor<?x64xf32>, tensor<?x40xf32>)
  return %y1 : tensor<?x64xf32>
}

// -----

// A derived weight is declared packed; its initializer still computes the
// plain value, from weights that stay as they are (they are read by
// xf.concat).

// CHECK-LABEL: xf.global_weight @wq : tensor<32x32xbf16>
// CHECK: xf.global_weight @wk : tensor<32x32xbf16>
// CHECK: xf.global_weight @qk : tensor<64x32xbf16, #xf.layout<blocked, tile = [64, 2], vnni = 2>> = {
// CHECK:   xf.yield %{{.*}} : tensor<64x32xbf16>
// CHECK-LABEL: func.func @derived
// CHECK: xf.weight @qk : tensor<64x32xbf16, #xf.layout<blocked, tile = [64, 2], vnni = 2>>
// expected-remark @below {{keeps its layout: it is used by xf.concat}}
xf.global_weight @wq : tensor<32x32xbf16>
// expected-remark @below {{keeps its layout: it is used by xf.concat}}
xf.global_weight @wk : tensor<32x32xbf16>
xf.global_weight @qk : tensor<64x32xbf16> = {
  %q = xf.weight @wq : tensor<32x32xbf16>
  %k = xf.weight @wk : tensor<32x32xbf16>
  %qk = xf.concat %q, %k [0] : (tensor<32x32xbf16>, tensor<32x32xbf16>) -> tensor<64x32xbf16>
  xf.yield %qk : tensor<64x32xbf16>
}

func.func @derived(%x: tensor<?x32xf32>) -> tensor<?x64xf32> {
  %w = xf.weight @qk : tensor<64x32xbf16>
  %y = xf.linear %x, %w : (tensor<?x32xf32>, tensor<64x32xbf16>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A tied embedding table is read by xf.embedding as well as by the LM
// head: it keeps its rows, at every load.

// CHECK-LABEL: xf.global_weight @token_embd : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK-LABEL: func.func @tied
// CHECK: xf.weight @token_embd : !xf.qtensor<128x64xi8, {{.*}}, #xf.layout<ggml>>
// CHECK: xf.weight @token_embd : !xf.qtensor<128x64xi8, {{.*}}, #xf.layout<ggml>>
// expected-remark @below {{keeps its layout: it is used by xf.embedding}}
xf.global_weight @token_embd : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>

func.func @tied(%ids: tensor<?xi32>) -> tensor<?x128xf32> {
  %t = xf.weight @token_embd : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %h = xf.embedding %t[%ids] : (!xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, tensor<?xi32>) -> tensor<?x64xf32>
  %head = xf.weight @token_embd : !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %y = xf.linear %h, %head compute int8 : (tensor<?x64xf32>, !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// The same, through the layer function: the table also reaches the
// argument of a call where it is an LM head. Neither the argument nor the
// other weight passed for it at another call can be packed.

// CHECK-LABEL: xf.global_weight @embd : tensor<16x32xf32>
// CHECK: xf.global_weight @head : tensor<16x32xf32>
// CHECK-LABEL: func.func private @lm_head
// CHECK-SAME: tensor<16x32xf32>)
// expected-remark @below {{keeps its layout: it is used by xf.embedding}}
xf.global_weight @embd : tensor<16x32xf32>
// expected-remark @below {{keeps its layout: it is passed to @lm_head (argument #1): a call of @lm_head passes an unpacked value}}
xf.global_weight @head : tensor<16x32xf32>

func.func private @lm_head(%x: tensor<?x32xf32>, %w: tensor<16x32xf32>) -> tensor<?x16xf32> {
  %y = xf.linear %x, %w : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

func.func @shared(%ids: tensor<?xi32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %e = xf.weight @embd : tensor<16x32xf32>
  %h = xf.embedding %e[%ids] : (tensor<16x32xf32>, tensor<?xi32>) -> tensor<?x32xf32>
  %a = call @lm_head(%h, %e) : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  %w = xf.weight @head : tensor<16x32xf32>
  %b = call @lm_head(%h, %w) : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %a, %b : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// What no packed microkernel computes keeps its weights: f16 activations,
// ggml blocks read with f32 activations (xfk_linear decodes their rows), a
// float weight read with `compute int8`, a quantized weight in a layout no
// kernel reads (row_major), arguments of a public function. (A ggml weight
// always has K % 32 == 0: the type verifier refuses other shapes.)

// CHECK-LABEL: xf.global_weight @half : tensor<8x32xf16>
// CHECK: xf.global_weight @rows : !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
// CHECK: xf.global_weight @ggml_f32 : !xf.qtensor<8x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK: xf.global_weight @float_int8 : tensor<8x32xf32>
// CHECK-LABEL: func.func @not_covered
// CHECK-SAME: %{{.*}}: tensor<8x32xf32>)
// CHECK-NOT: #xf.layout<blocked
// expected-remark @below {{keeps its layout: it is read by an xf.linear that no packed microkernel computes}}
xf.global_weight @half : tensor<8x32xf16>
// expected-remark @below {{keeps its layout: no microkernel reads !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>}}
xf.global_weight @rows : !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
// expected-remark @below {{keeps its layout: it is read by an xf.linear that no packed microkernel computes}}
xf.global_weight @ggml_f32 : !xf.qtensor<8x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// expected-remark @below {{keeps its layout: it is read by an xf.linear that no packed microkernel computes}}
xf.global_weight @float_int8 : tensor<8x32xf32>

func.func @not_covered(%x: tensor<?x32xf16>, %xf: tensor<?x32xf32>, %arg: tensor<8x32xf32>) -> (tensor<?x8xf16>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %h = xf.weight @half : tensor<8x32xf16>
  %a = xf.linear %x, %h : (tensor<?x32xf16>, tensor<8x32xf16>) -> tensor<?x8xf16>
  %r = xf.weight @rows : !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %b = xf.linear %xf, %r : (tensor<?x32xf32>, !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x8xf32>
  %c = xf.linear %xf, %arg : (tensor<?x32xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  %g = xf.weight @ggml_f32 : !xf.qtensor<8x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %d = xf.linear %xf, %g : (tensor<?x32xf32>, !xf.qtensor<8x32xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x8xf32>
  %f = xf.weight @float_int8 : tensor<8x32xf32>
  %e = xf.linear %xf, %f compute int8 : (tensor<?x32xf32>, tensor<8x32xf32>) -> tensor<?x8xf32>
  return %a, %b, %c : tensor<?x8xf16>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Packing twice changes nothing.

// CHECK-LABEL: xf.global_weight @packed : tensor<8x32xf32, #xf.layout<blocked, tile = [64, 1]>>
// CHECK: xf.weight @packed : tensor<8x32xf32, #xf.layout<blocked, tile = [64, 1]>>
// expected-remark @below {{keeps its layout: it is packed already}}
xf.global_weight @packed : tensor<8x32xf32, #xf.layout<blocked, tile = [64, 1]>>

func.func @twice(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
  %w = xf.weight @packed : tensor<8x32xf32, #xf.layout<blocked, tile = [64, 1]>>
  %y = xf.linear %x, %w : (tensor<?x32xf32>, tensor<8x32xf32, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// xf-select-sparse-kernels' choice: the weights get the sparse panels it
// recorded, through the layer function's argument, and the GEMMs read
// them; a weight without it keeps the dense panels.

// CHECK-DAG: xf.global_weight @s0 : tensor<96x64xf32, #xf.layout<sparse, tile = [64, 1], values = 900>>
// CHECK-DAG: xf.global_weight @s1 : tensor<96x64xf32, #xf.layout<sparse, tile = [64, 1], values = 900>>
// CHECK-DAG: xf.global_weight @d : tensor<96x64xf32, #xf.layout<blocked, tile = [64, 1]>>
// CHECK-LABEL: func.func private @layer
// CHECK-SAME: %[[W:arg[0-9]+]]: tensor<96x64xf32, #xf.layout<sparse, tile = [64, 1], values = 900>>
// CHECK: xf.linear %{{.*}}, %[[W]] : (tensor<?x64xf32>, tensor<96x64xf32, #xf.layout<sparse, tile = [64, 1], values = 900>>) -> tensor<?x96xf32>
xf.global_weight @s0 : tensor<96x64xf32> {packing = #xf.layout<sparse, tile = [64, 1], values = 900>}
xf.global_weight @s1 : tensor<96x64xf32> {packing = #xf.layout<sparse, tile = [64, 1], values = 900>}
xf.global_weight @d : tensor<96x64xf32>

func.func private @layer(%x: tensor<?x64xf32>, %w: tensor<96x64xf32>) -> tensor<?x96xf32> {
  %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

func.func @forward(%x: tensor<?x64xf32>) -> (tensor<?x96xf32>, tensor<?x96xf32>) {
  %w0 = xf.weight @s0 : tensor<96x64xf32>
  %h = call @layer(%x, %w0) : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
  %w1 = xf.weight @s1 : tensor<96x64xf32>
  %y = call @layer(%x, %w1) : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
  %d = xf.weight @d : tensor<96x64xf32>
  %z = xf.linear %x, %d : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
  return %y, %z : tensor<?x96xf32>, tensor<?x96xf32>
}
