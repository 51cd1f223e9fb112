// RUN: xfc-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// xf.global_weight
//===----------------------------------------------------------------------===//

// expected-error @+1 {{type must be a statically shaped float tensor or a quantized tensor, got 'tensor<?x64xf32>'}}
xf.global_weight @w : tensor<?x64xf32>

// -----

// expected-error @+1 {{type must be a statically shaped float tensor or a quantized tensor, got 'tensor<64x64xi32>'}}
xf.global_weight @w : tensor<64x64xi32>

// -----

// expected-error @+1 {{type must be a statically shaped float tensor or a quantized tensor, got 'memref<64x64xf32>'}}
xf.global_weight @w : memref<64x64xf32>

// -----

//===----------------------------------------------------------------------===//
// xf.weight
//===----------------------------------------------------------------------===//

func.func @weight_unknown_symbol() -> tensor<64x64xf32> {
  // expected-error @+1 {{'missing' does not name an xf.global_weight}}
  %w = xf.weight @missing : tensor<64x64xf32>
  return %w : tensor<64x64xf32>
}

// -----

// The symbol exists but is not an xf.global_weight.
func.func private @not_a_weight()

func.func @weight_wrong_symbol_kind() -> tensor<64x64xf32> {
  // expected-error @+1 {{'not_a_weight' does not name an xf.global_weight}}
  %w = xf.weight @not_a_weight : tensor<64x64xf32>
  return %w : tensor<64x64xf32>
}

// -----

xf.global_weight @w : tensor<64x64xf16>

func.func @weight_type_mismatch() -> tensor<64x64xf32> {
  // expected-error @+1 {{result type 'tensor<64x64xf32>' does not match the type 'tensor<64x64xf16>' declared for 'w'}}
  %w = xf.weight @w : tensor<64x64xf32>
  return %w : tensor<64x64xf32>
}

// -----

xf.global_weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>

func.func @weight_quant_mismatch() -> !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 64, symmetric, scale = f16>> {
  // expected-error @+1 {{does not match the type '!xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>' declared for 'q'}}
  %q = xf.weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 64, symmetric, scale = f16>>
  return %q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 64, symmetric, scale = f16>>
}

// -----

func.func @weight_int_result() -> tensor<64xi32> {
  // expected-error @+1 {{result #0 must be float tensor or quantized weight, but got 'tensor<64xi32>'}}
  %w = xf.weight @w : tensor<64xi32>
  return %w : tensor<64xi32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.dequantize
//===----------------------------------------------------------------------===//

func.func @dequantize_shape(%q: !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<64x128xf32> {
  // expected-error @+1 {{result shape must equal the quantized shape}}
  %f = xf.dequantize %q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>> -> tensor<64x128xf32>
  return %f : tensor<64x128xf32>
}

// -----

func.func @dequantize_float_input(%x: tensor<128x64xf32>) -> tensor<128x64xf32> {
  // expected-error @+1 {{operand #0 must be A statically shaped, quantized weight tensor, but got 'tensor<128x64xf32>'}}
  %f = xf.dequantize %x : tensor<128x64xf32> -> tensor<128x64xf32>
  return %f : tensor<128x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @add_element_type(%x: tensor<4xf32>, %y: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{operands and result must have the same element type}}
  %0 = xf.add %x, %y : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @mul_element_type(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xbf16> {
  // expected-error @+1 {{operands and result must have the same element type}}
  %0 = xf.mul %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

func.func @add_int_operand(%x: tensor<4xi32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'xf.add' op operands and result must have the same element type}}
  %0 = xf.add %x, %y : (tensor<4xi32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_not_broadcastable(%x: tensor<4x3xf32>, %y: tensor<4xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{operands don't have broadcast-compatible shapes}}
  %0 = xf.add %x, %y : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @mul_bad_result_shape(%x: tensor<4x3xf32>, %y: tensor<3xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{result type '4x5' not broadcast compatible with broadcasted operands's shapes '4x3'}}
  %0 = xf.mul %x, %y : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @sub_element_type(%x: tensor<4xf32>, %y: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{operands and result must have the same element type}}
  %0 = xf.sub %x, %y : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @sub_not_broadcastable(%x: tensor<4x3xf32>, %y: tensor<4x1xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{result type '4x4' not broadcast compatible with broadcasted operands's shapes '4x3'}}
  %0 = xf.sub %x, %y : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @silu_type_mismatch(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "xf.silu"(%x) : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @gelu_unknown_approximation(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'approximation' [erf, tanh]}}
  %0 = xf.gelu fast %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @convert_shape(%x: tensor<4xf16>) -> tensor<8xf32> {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = xf.convert %x : tensor<4xf16> to tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

func.func @rms_norm_rank0(%x: tensor<f32>, %g: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{input must have rank >= 1}}
  %0 = xf.rms_norm %x, %g eps = 1.0e-6 : tensor<f32>, tensor<1xf32>
  return %0 : tensor<f32>
}

// -----

func.func @rms_norm_negative_eps(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{epsilon must be non-negative, got -1}}
  %0 = xf.rms_norm %x, %g eps = -1.0 : tensor<?x64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_nan_eps(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{epsilon must be non-negative}}
  %0 = xf.rms_norm %x, %g eps = 0x7FC00000 : tensor<?x64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_weight_size(%x: tensor<?x64xf32>, %g: tensor<32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{norm parameter must be a 1-D tensor of 64 elements, got 'tensor<32xf32>'}}
  %0 = xf.rms_norm %x, %g eps = 1.0e-6 : tensor<?x64xf32>, tensor<32xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_weight_rank(%x: tensor<?x64xf32>, %g: tensor<1x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{norm parameter must be a 1-D tensor of 64 elements, got 'tensor<1x64xf32>'}}
  %0 = xf.rms_norm %x, %g eps = 1.0e-6 : tensor<?x64xf32>, tensor<1x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_weight_element_type(%x: tensor<?x64xf32>, %g: tensor<64xf16>) -> tensor<?x64xf32> {
  // expected-error @+1 {{norm parameters must have the input's element type}}
  %0 = xf.rms_norm %x, %g eps = 1.0e-6 : tensor<?x64xf32>, tensor<64xf16>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_result_type(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> tensor<?x64xf16> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "xf.rms_norm"(%x, %g) {epsilon = 1.0e-6 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf16>
  return %0 : tensor<?x64xf16>
}

// -----

func.func @layer_norm_bias_size(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %b: tensor<65xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{norm parameter must be a 1-D tensor of 64 elements, got 'tensor<65xf32>'}}
  %0 = xf.layer_norm %x, %g, %b eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>, tensor<65xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @layer_norm_bias_element_type(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xbf16>) -> tensor<?x64xf32> {
  // expected-error @+1 {{norm parameters must have the input's element type}}
  %0 = xf.layer_norm %x, %g, %b eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xbf16>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @layer_norm_negative_eps(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{epsilon must be non-negative}}
  %0 = xf.layer_norm %x, %g, %b eps = -1.0e-5 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.rope
//===----------------------------------------------------------------------===//

func.func @rope_rank(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{input must be [tokens, heads, head_dim], got 'tensor<?x64xf32>'}}
  %0 = xf.rope neox %x, %pos theta = 10000.0 : tensor<?x64xf32>, tensor<?xi32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rope_dynamic_head_dim(%x: tensor<?x8x?xf32>, %pos: tensor<?xi32>) -> tensor<?x8x?xf32> {
  // expected-error @+1 {{head_dim must be static}}
  %0 = xf.rope neox %x, %pos theta = 10000.0 : tensor<?x8x?xf32>, tensor<?xi32>
  return %0 : tensor<?x8x?xf32>
}

// -----

func.func @rope_odd_dims(%x: tensor<?x8x64xf32>, %pos: tensor<?xi32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{rotary dims must be even and in (0, 64], got 31}}
  %0 = xf.rope neox %x, %pos theta = 10000.0 dims = 31 : tensor<?x8x64xf32>, tensor<?xi32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @rope_dims_too_large(%x: tensor<?x8x64xf32>, %pos: tensor<?xi32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{rotary dims must be even and in (0, 64], got 128}}
  %0 = xf.rope neox %x, %pos theta = 10000.0 dims = 128 : tensor<?x8x64xf32>, tensor<?xi32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @rope_zero_dims(%x: tensor<?x8x64xf32>, %pos: tensor<?xi32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{rotary dims must be even and in (0, 64], got 0}}
  %0 = xf.rope neox %x, %pos theta = 10000.0 dims = 0 : tensor<?x8x64xf32>, tensor<?xi32>
  return %0 : tensor<?x8x64xf32>
}

// -----

// Without `dims`, the rotary dim defaults to head_dim, which is odd here.
func.func @rope_odd_head_dim(%x: tensor<?x8x63xf32>, %pos: tensor<?xi32>) -> tensor<?x8x63xf32> {
  // expected-error @+1 {{rotary dims must be even and in (0, 63], got 63}}
  %0 = xf.rope interleaved %x, %pos theta = 10000.0 : tensor<?x8x63xf32>, tensor<?xi32>
  return %0 : tensor<?x8x63xf32>
}

// -----

func.func @rope_positions_count(%x: tensor<4x8x64xf32>, %pos: tensor<5xi32>) -> tensor<4x8x64xf32> {
  // expected-error @+1 {{has 4 tokens but 5 positions}}
  %0 = xf.rope neox %x, %pos theta = 10000.0 : tensor<4x8x64xf32>, tensor<5xi32>
  return %0 : tensor<4x8x64xf32>
}

// -----

func.func @rope_theta(%x: tensor<?x8x64xf32>, %pos: tensor<?xi32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{theta must be positive}}
  %0 = xf.rope neox %x, %pos theta = 0.0 : tensor<?x8x64xf32>, tensor<?xi32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @rope_float_positions(%x: tensor<?x8x64xf32>, %pos: tensor<?xf32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<?xf32>'}}
  %0 = xf.rope neox %x, %pos theta = 10000.0 : tensor<?x8x64xf32>, tensor<?xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.causal_mask
//===----------------------------------------------------------------------===//

func.func @causal_mask_rank(%s: tensor<?xf32>, %off: index) -> tensor<?xf32> {
  // expected-error @+1 {{scores must have rank >= 2 ([..., queries, keys])}}
  %0 = xf.causal_mask %s, %off : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @causal_mask_offset_type(%s: tensor<?x?xf32>, %off: i64) -> tensor<?x?xf32> {
  // expected-error @+1 {{operand #1 must be index, but got 'i64'}}
  %0 = "xf.causal_mask"(%s, %off) : (tensor<?x?xf32>, i64) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.linear
//===----------------------------------------------------------------------===//

func.func @linear_int8_reduction(%x: tensor<?x48xf32>, %w: tensor<8x48xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{compute int8 needs reduction sizes that are multiples of 32, not 48}}
  %0 = xf.linear %x, %w compute int8 : (tensor<?x48xf32>, tensor<8x48xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @ffn_int8_hidden(%x: tensor<?x64xf32>, %wu: tensor<40x64xf32>, %wd: tensor<64x40xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{compute int8 needs reduction sizes that are multiples of 32, not 40}}
  %0 = xf.ffn gelu %x up %wu down %wd compute int8 : (tensor<?x64xf32>, tensor<40x64xf32>, tensor<64x40xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// BF16 compute multiplies bf16 values: every weight must be bf16.

func.func @linear_bf16_weight(%x: tensor<?x64xf32>, %w: tensor<8x64xf16>) -> tensor<?x8xf32> {
  // expected-error @+1 {{compute bf16 needs bf16 weights, not 'tensor<8x64xf16>'}}
  %0 = xf.linear %x, %w compute bf16 : (tensor<?x64xf32>, tensor<8x64xf16>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @ffn_bf16_down(%x: tensor<?x64xf32>, %wu: tensor<40x64xbf16>, %wd: tensor<64x40xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{compute bf16 needs bf16 weights, not 'tensor<64x40xf32>'}}
  %0 = xf.ffn gelu %x up %wu down %wd compute bf16 : (tensor<?x64xf32>, tensor<40x64xbf16>, tensor<64x40xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @linear_rank(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) -> tensor<128xf32> {
  // expected-error @+1 {{input and result must have the same rank >= 1}}
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<128xf32>
  return %0 : tensor<128xf32>
}

// -----

func.func @linear_rank0(%x: tensor<f32>, %w: tensor<1x1xf32>) -> tensor<f32> {
  // expected-error @+1 {{input and result must have the same rank >= 1}}
  %0 = xf.linear %x, %w : (tensor<f32>, tensor<1x1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @linear_element_type(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) -> tensor<?x128xf16> {
  // expected-error @+1 {{input and result must have the same element type}}
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf16>
  return %0 : tensor<?x128xf16>
}

// -----

func.func @linear_weight_shape(%x: tensor<?x64xf32>, %w: tensor<64x128xf32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{weight must have shape [128, 64], got 'tensor<64x128xf32>'}}
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @linear_weight_rank(%x: tensor<?x64xf32>, %w: tensor<2x128x64xf32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{weight must have shape [128, 64], got 'tensor<2x128x64xf32>'}}
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<2x128x64xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @linear_qweight_shape(%x: tensor<?x32xf32>, %q: !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x128xf32> {
  // expected-error @+1 {{weight must have shape [128, 32], got '!xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>'}}
  %0 = xf.linear %x, %q : (tensor<?x32xf32>, !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @linear_int_weight(%x: tensor<?x64xf32>, %w: tensor<128x64xi8>) -> tensor<?x128xf32> {
  // expected-error @+1 {{operand #1 must be float tensor or quantized weight, but got 'tensor<128x64xi8>'}}
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xi8>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @linear_batch_dim(%x: tensor<4x64xf32>, %w: tensor<128x64xf32>) -> tensor<5x128xf32> {
  // expected-error @+1 {{result dimension 0 (5) does not match the input's (4)}}
  %0 = xf.linear %x, %w : (tensor<4x64xf32>, tensor<128x64xf32>) -> tensor<5x128xf32>
  return %0 : tensor<5x128xf32>
}

// -----

func.func @linear_bias_size(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<64xf32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{bias must be a 1-D tensor of 128 elements, got 'tensor<64xf32>'}}
  %0 = xf.linear %x, %w, %b : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<64xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @linear_bias_element_type(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf16>) -> tensor<?x128xf32> {
  // expected-error @+1 {{bias must have the result's element type}}
  %0 = xf.linear %x, %w, %b : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf16>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.matmul
//===----------------------------------------------------------------------===//

func.func @matmul_rank(%a: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<f32> {
  // expected-error @+1 {{operands and result must have the same rank >= 2}}
  %0 = xf.matmul %a, %b : (tensor<64xf32>, tensor<64xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @matmul_rank_mismatch(%a: tensor<8x4x64xf32>, %b: tensor<64x16xf32>) -> tensor<8x4x16xf32> {
  // expected-error @+1 {{operands and result must have the same rank >= 2}}
  %0 = xf.matmul %a, %b : (tensor<8x4x64xf32>, tensor<64x16xf32>) -> tensor<8x4x16xf32>
  return %0 : tensor<8x4x16xf32>
}

// -----

func.func @matmul_element_type(%a: tensor<4x64xf32>, %b: tensor<64x16xf16>) -> tensor<4x16xf32> {
  // expected-error @+1 {{operands and result must have the same element type}}
  %0 = xf.matmul %a, %b : (tensor<4x64xf32>, tensor<64x16xf16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @matmul_batch(%a: tensor<8x4x64xf32>, %b: tensor<4x64x16xf32>) -> tensor<8x4x16xf32> {
  // expected-error @+1 {{batch dimension 0 differs}}
  %0 = xf.matmul %a, %b : (tensor<8x4x64xf32>, tensor<4x64x16xf32>) -> tensor<8x4x16xf32>
  return %0 : tensor<8x4x16xf32>
}

// -----

func.func @matmul_result_batch(%a: tensor<8x4x64xf32>, %b: tensor<8x64x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{batch dimension 0 differs}}
  %0 = xf.matmul %a, %b : (tensor<8x4x64xf32>, tensor<8x64x16xf32>) -> tensor<2x4x16xf32>
  return %0 : tensor<2x4x16xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<4x64xf32>, %b: tensor<32x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{contraction sizes differ: 64 vs 32}}
  %0 = xf.matmul %a, %b : (tensor<4x64xf32>, tensor<32x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// With transpose_rhs the contraction dimension of rhs is its last one.
func.func @matmul_contraction_transposed(%a: tensor<4x64xf32>, %b: tensor<64x16xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{contraction sizes differ: 64 vs 16}}
  %0 = xf.matmul %a, %b transpose_rhs : (tensor<4x64xf32>, tensor<64x16xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @matmul_result(%a: tensor<?x64xf32>, %b: tensor<64x16xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{result must be [..., ?, 16]}}
  %0 = xf.matmul %a, %b : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.embedding
//===----------------------------------------------------------------------===//

func.func @embedding_table_rank(%t: tensor<1000xf32>, %ids: tensor<?xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{table must be 2-D [vocab, dim]}}
  %0 = xf.embedding %t[%ids] : (tensor<1000xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @embedding_result_dim(%t: tensor<1000x64xf32>, %ids: tensor<?xi32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{result must be [tokens, 64], got 'tensor<?x32xf32>'}}
  %0 = xf.embedding %t[%ids] : (tensor<1000x64xf32>, tensor<?xi32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @embedding_result_tokens(%t: tensor<1000x64xf32>, %ids: tensor<4xi32>) -> tensor<5x64xf32> {
  // expected-error @+1 {{result must be [tokens, 64], got 'tensor<5x64xf32>'}}
  %0 = xf.embedding %t[%ids] : (tensor<1000x64xf32>, tensor<4xi32>) -> tensor<5x64xf32>
  return %0 : tensor<5x64xf32>
}

// -----

func.func @embedding_result_rank(%t: tensor<1000x64xf32>, %ids: tensor<?xi32>) -> tensor<?x1x64xf32> {
  // expected-error @+1 {{result must be [tokens, 64], got 'tensor<?x1x64xf32>'}}
  %0 = xf.embedding %t[%ids] : (tensor<1000x64xf32>, tensor<?xi32>) -> tensor<?x1x64xf32>
  return %0 : tensor<?x1x64xf32>
}

// -----

func.func @embedding_ids_rank(%t: tensor<1000x64xf32>, %ids: tensor<1x4xi32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<1x4xi32>'}}
  %0 = xf.embedding %t[%ids] : (tensor<1000x64xf32>, tensor<1x4xi32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.reshape
//===----------------------------------------------------------------------===//

func.func @reshape_element_type(%x: tensor<4x16xf32>) -> tensor<64xf16> {
  // expected-error @+1 {{input and result must have the same element type}}
  %0 = xf.reshape %x : tensor<4x16xf32> -> tensor<64xf16>
  return %0 : tensor<64xf16>
}

// -----

func.func @reshape_two_dynamic(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{at most one dynamic dimension per side is allowed}}
  %0 = xf.reshape %x : tensor<?x?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @reshape_count(%x: tensor<4x16xf32>) -> tensor<65xf32> {
  // expected-error @+1 {{element counts differ: 64 vs 65}}
  %0 = xf.reshape %x : tensor<4x16xf32> -> tensor<65xf32>
  return %0 : tensor<65xf32>
}

// -----

func.func @reshape_into_dynamic(%x: tensor<4x16xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{cannot reshape 64 elements into a multiple of 5}}
  %0 = xf.reshape %x : tensor<4x16xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @reshape_from_dynamic(%x: tensor<?x5xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{cannot reshape a multiple of 5 elements into 64}}
  %0 = xf.reshape %x : tensor<?x5xf32> -> tensor<64xf32>
  return %0 : tensor<64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.transpose
//===----------------------------------------------------------------------===//

func.func @transpose_element_type(%x: tensor<4x8xf32>) -> tensor<8x4xf16> {
  // expected-error @+1 {{input and result must have the same element type}}
  %0 = xf.transpose %x [1, 0] : tensor<4x8xf32> -> tensor<8x4xf16>
  return %0 : tensor<8x4xf16>
}

// -----

func.func @transpose_rank(%x: tensor<4x8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{permutation, input and result must have the same rank}}
  %0 = xf.transpose %x [1, 0, 2] : tensor<4x8xf32> -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @transpose_duplicate(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{permutation is not a permutation of [0, 2)}}
  %0 = xf.transpose %x [0, 0] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @transpose_out_of_range(%x: tensor<4x8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{permutation is not a permutation of [0, 2)}}
  %0 = xf.transpose %x [2, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @transpose_result_dim(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{result dimension 0 must be input dimension 1 (8)}}
  %0 = xf.transpose %x [1, 0] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.slice
//===----------------------------------------------------------------------===//

func.func @slice_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = xf.slice %x [2 : 0, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @slice_negative_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{axis -1 is out of range for rank 2}}
  %0 = xf.slice %x [-1 : 0, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @slice_result_rank(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{result must have the input's rank and element type}}
  %0 = xf.slice %x [1 : 0, 1] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @slice_result_element_type(%x: tensor<4x8xf32>) -> tensor<4x2xf16> {
  // expected-error @+1 {{result must have the input's rank and element type}}
  %0 = xf.slice %x [1 : 0, 2] : tensor<4x8xf32> -> tensor<4x2xf16>
  return %0 : tensor<4x2xf16>
}

// -----

func.func @slice_negative_offset(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{needs offset >= 0 and size > 0}}
  %0 = xf.slice %x [1 : -1, 2] : tensor<4x8xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @slice_zero_size(%x: tensor<4x8xf32>) -> tensor<4x0xf32> {
  // expected-error @+1 {{needs offset >= 0 and size > 0}}
  %0 = xf.slice %x [1 : 0, 0] : tensor<4x8xf32> -> tensor<4x0xf32>
  return %0 : tensor<4x0xf32>
}

// -----

func.func @slice_out_of_bounds(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{range of 4 at offset 6 exceeds dimension 1 of size 8}}
  %0 = xf.slice %x [1 : 6, 4] : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @slice_result_size(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{result dimension 1 must be 4}}
  %0 = xf.slice %x [1 : 0, 4] : tensor<4x8xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @slice_other_dim(%x: tensor<4x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{result dimension 0 must be 4}}
  %0 = xf.slice %x [1 : 0, 4] : tensor<4x8xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.repeat_interleave
//===----------------------------------------------------------------------===//

func.func @repeat_interleave_axis(%k: tensor<?x4x64xf32>) -> tensor<?x4x64xf32> {
  // expected-error @+1 {{axis 3 is out of range for rank 3}}
  %0 = xf.repeat_interleave %k [3 x 2] : tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  return %0 : tensor<?x4x64xf32>
}

// -----

func.func @repeat_interleave_repeats(%k: tensor<?x4x64xf32>) -> tensor<?x4x64xf32> {
  // expected-error @+1 {{repeats must be >= 1, got 0}}
  %0 = xf.repeat_interleave %k [1 x 0] : tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  return %0 : tensor<?x4x64xf32>
}

// -----

func.func @repeat_interleave_result_rank(%k: tensor<?x4x64xf32>) -> tensor<?x512xf32> {
  // expected-error @+1 {{result must have the input's rank and element type}}
  %0 = xf.repeat_interleave %k [1 x 2] : tensor<?x4x64xf32> -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

func.func @repeat_interleave_result_dim(%k: tensor<?x4x64xf32>) -> tensor<?x16x64xf32> {
  // expected-error @+1 {{result dimension 1 must be 32}}
  %0 = xf.repeat_interleave %k [1 x 8] : tensor<?x4x64xf32> -> tensor<?x16x64xf32>
  return %0 : tensor<?x16x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.kv_append / xf.kv_read
//===----------------------------------------------------------------------===//

func.func @kv_append_heads(%c: !xf.kv_cache<2048x4x64xf16>, %pos: index, %k: tensor<?x8x64xf32>) {
  // expected-error @+1 {{keys and values must be [tokens, 4, 64] to match '!xf.kv_cache<2048x4x64xf16>', got 'tensor<?x8x64xf32>'}}
  xf.kv_append %c[%pos], %k, %k : !xf.kv_cache<2048x4x64xf16>, tensor<?x8x64xf32>, tensor<?x8x64xf32>
  return
}

// -----

func.func @kv_append_rank(%c: !xf.kv_cache<2048x4x64xf16>, %pos: index, %k: tensor<?x256xf32>) {
  // expected-error @+1 {{keys and values must be [tokens, 4, 64] to match '!xf.kv_cache<2048x4x64xf16>', got 'tensor<?x256xf32>'}}
  xf.kv_append %c[%pos], %k, %k : !xf.kv_cache<2048x4x64xf16>, tensor<?x256xf32>, tensor<?x256xf32>
  return
}

// -----

func.func @kv_append_values(%c: !xf.kv_cache<2048x4x64xf16>, %pos: index, %k: tensor<?x4x64xf32>, %v: tensor<?x4x32xf32>) {
  // expected-error @+1 {{got 'tensor<?x4x32xf32>'}}
  xf.kv_append %c[%pos], %k, %v : !xf.kv_cache<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x32xf32>
  return
}

// -----

func.func @kv_append_same_type(%c: !xf.kv_cache<2048x4x64xf16>, %pos: index, %k: tensor<?x4x64xf32>, %v: tensor<?x4x64xf16>) {
  // expected-error @+1 {{keys and values must have the same type}}
  xf.kv_append %c[%pos], %k, %v : !xf.kv_cache<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x64xf16>
  return
}

// -----

func.func @kv_read_raw_float(%c: !xf.kv_cache<2048x4x64xf16>, %len: index) {
  // expected-error @+1 {{reads the stored rows of an i8 cache, not of '!xf.kv_cache<2048x4x64xf16>'}}
  %k, %v = xf.kv_read_raw %c[%len] : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x68xi8>, tensor<?x4x68xi8>
  return
}

// -----

func.func @kv_read_raw_row(%c: !xf.kv_cache<2048x4x64xi8>, %len: index) {
  // expected-error @+1 {{stored rows must be [tokens, 4, 68] to match '!xf.kv_cache<2048x4x64xi8>', got 'tensor<?x4x64xi8>'}}
  %k, %v = xf.kv_read_raw %c[%len] : !xf.kv_cache<2048x4x64xi8> -> tensor<?x4x64xi8>, tensor<?x4x64xi8>
  return
}

// -----

func.func @kv_read_raw_same_type(%c: !xf.kv_cache<2048x4x64xi8>, %len: index) {
  // expected-error @+1 {{keys and values must have the same type}}
  %k, %v = xf.kv_read_raw %c[%len] : !xf.kv_cache<2048x4x64xi8> -> tensor<?x4x68xi8>, tensor<3x4x68xi8>
  return
}

// -----

func.func @kv_append_tensor_cache(%c: tensor<2048x4x64xf16>, %pos: index, %k: tensor<?x4x64xf32>) {
  // expected-error @+1 {{operand #0 must be One layer's pre-allocated key/value cache, but got 'tensor<2048x4x64xf16>'}}
  xf.kv_append %c[%pos], %k, %k : tensor<2048x4x64xf16>, tensor<?x4x64xf32>, tensor<?x4x64xf32>
  return
}

// -----

func.func @kv_read_head_dim(%c: !xf.kv_cache<2048x4x64xf16>, %len: index) -> tensor<?x4x128xf32> {
  // expected-error @+1 {{keys and values must be [tokens, 4, 64] to match '!xf.kv_cache<2048x4x64xf16>', got 'tensor<?x4x128xf32>'}}
  %k, %v = xf.kv_read %c[%len] : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x128xf32>, tensor<?x4x128xf32>
  return %k : tensor<?x4x128xf32>
}

// -----

func.func @kv_read_same_type(%c: !xf.kv_cache<2048x4x64xf16>, %len: index) -> tensor<?x4x64xf32> {
  // expected-error @+1 {{keys and values must have the same type}}
  %k, %v = xf.kv_read %c[%len] : !xf.kv_cache<2048x4x64xf16> -> tensor<?x4x64xf32>, tensor<8x4x64xf32>
  return %k : tensor<?x4x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.attention
//===----------------------------------------------------------------------===//

func.func @attention_rank(%q: tensor<?x512xf32>, %k: tensor<?x2x64xf32>) -> tensor<?x512xf32> {
  // expected-error @+1 {{query, key and value must be [tokens, heads, head_dim]}}
  %0 = xf.attention %q, %k, %k : tensor<?x512xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

func.func @attention_key_value(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x4x64xf32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{key and value must have the same type}}
  %0 = xf.attention %q, %k, %v : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x4x64xf32> -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @attention_element_type(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf16>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{query, key and value must have the same element type}}
  %0 = xf.attention %q, %k, %k : tensor<?x8x64xf32>, tensor<?x2x64xf16>, tensor<?x2x64xf16> -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @attention_dynamic_heads(%q: tensor<?x?x64xf32>, %k: tensor<?x2x64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{head counts and head_dim must be static}}
  %0 = xf.attention %q, %k, %k : tensor<?x?x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

func.func @attention_head_dim(%q: tensor<?x8x64xf32>, %k: tensor<?x2x32xf32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{query head_dim 64 differs from key head_dim 32}}
  %0 = xf.attention %q, %k, %k : tensor<?x8x64xf32>, tensor<?x2x32xf32>, tensor<?x2x32xf32> -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @attention_gqa(%q: tensor<?x8x64xf32>, %k: tensor<?x3x64xf32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{query heads (8) must be a multiple of KV heads (3)}}
  %0 = xf.attention %q, %k, %k : tensor<?x8x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @attention_result(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>) -> tensor<?x512xf32> {
  // expected-error @+1 {{result type must equal the query type}}
  %0 = xf.attention %q, %k, %k : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

// The custom syntax always pairs `cache` with `at`; the generic form can not.
func.func @attention_cache_without_position(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %c: !xf.kv_cache<512x2x64xf16>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{a cache needs a position and vice versa}}
  %0 = "xf.attention"(%q, %k, %k, %c) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>, !xf.kv_cache<512x2x64xf16>) -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @attention_position_without_cache(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %pos: index) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{a cache needs a position and vice versa}}
  %0 = "xf.attention"(%q, %k, %k, %pos) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1>}> : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>, index) -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @attention_cache_heads(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %c: !xf.kv_cache<512x4x64xf16>, %pos: index) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{keys and values must be [tokens, 4, 64] to match '!xf.kv_cache<512x4x64xf16>'}}
  %0 = xf.attention %q, %k, %k cache %c at %pos : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>, !xf.kv_cache<512x4x64xf16> -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

func.func @attention_cache_tokens(%q: tensor<4x8x64xf32>, %k: tensor<16x2x64xf32>, %c: !xf.kv_cache<512x2x64xf16>, %pos: index) -> tensor<4x8x64xf32> {
  // expected-error @+1 {{with a cache, key and value hold the new tokens and must match the query's count}}
  %0 = xf.attention %q, %k, %k cache %c at %pos : tensor<4x8x64xf32>, tensor<16x2x64xf32>, tensor<16x2x64xf32>, !xf.kv_cache<512x2x64xf16> -> tensor<4x8x64xf32>
  return %0 : tensor<4x8x64xf32>
}

// -----

func.func @attention_scale(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{scale must be positive}}
  %0 = xf.attention %q, %k, %k scale = -0.125 : tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32> -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.ffn
//===----------------------------------------------------------------------===//

func.func @ffn_rank0(%x: tensor<f32>, %wu: tensor<4x1xf32>, %wd: tensor<1x4xf32>) -> tensor<f32> {
  // expected-error @+1 {{input must have rank >= 1}}
  %0 = xf.ffn gelu %x up %wu down %wd : (tensor<f32>, tensor<4x1xf32>, tensor<1x4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @ffn_result(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf16> {
  // expected-error @+1 {{result type must equal the input type}}
  %0 = xf.ffn gelu %x up %wu down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf16>
  return %0 : tensor<?x64xf16>
}

// -----

func.func @ffn_missing_gate(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'swiglu' needs a gate and an up weight, or gate_up}}
  %0 = xf.ffn swiglu %x up %wu down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_geglu_missing_gate(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'geglu' needs a gate and an up weight, or gate_up}}
  %0 = xf.ffn geglu %x up %wu down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_gelu_gate(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'gelu' takes no gate weight}}
  %0 = xf.ffn gelu %x up %wu gate %wu down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_gelu_erf_gate(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'gelu_erf' takes no gate weight}}
  %0 = xf.ffn gelu_erf %x up %wu gate %wu down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_up_rank(%x: tensor<?x64xf32>, %wu: tensor<256xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{up weight must be 2-D}}
  %0 = xf.ffn gelu %x up %wu down %wd : (tensor<?x64xf32>, tensor<256xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_up_shape(%x: tensor<?x64xf32>, %wu: tensor<256x32xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{up weight must have shape [256, 64], got 'tensor<256x32xf32>'}}
  %0 = xf.ffn gelu %x up %wu down %wd : (tensor<?x64xf32>, tensor<256x32xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_gate_shape(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wg: tensor<128x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{gate weight must have shape [256, 64], got 'tensor<128x64xf32>'}}
  %0 = xf.ffn swiglu %x up %wu gate %wg down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<128x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_down_shape(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<256x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{down weight must have shape [64, 256], got 'tensor<256x64xf32>'}}
  %0 = xf.ffn gelu %x up %wu down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_up_bias(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{up bias must be a 1-D tensor of 256 elements, got 'tensor<64xf32>'}}
  %0 = xf.ffn gelu %x up %wu down %wd up_bias %b : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_down_bias(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>, %b: tensor<256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{down bias must be a 1-D tensor of 64 elements, got 'tensor<256xf32>'}}
  %0 = xf.ffn gelu %x up %wu down %wd up_bias %b down_bias %b : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @ffn_unknown_kind(%x: tensor<?x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [swiglu, geglu, gelu, gelu_erf]}}
  %0 = xf.ffn relu %x up %wu down %wd : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Zero KV heads used to divide by zero in the verifier.
func.func @attention_zero_kv_heads(%q: tensor<?x8x64xf32>, %k: tensor<?x0x64xf32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{head counts and head_dim must be positive}}
  %0 = xf.attention %q, %k, %k : tensor<?x8x64xf32>, tensor<?x0x64xf32>, tensor<?x0x64xf32> -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

// offset + size must not wrap around.
func.func @slice_offset_overflow(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{range of 1 at offset 9223372036854775807 exceeds dimension 1 of size 8}}
  %0 = xf.slice %x [1 : 9223372036854775807, 1] : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// 3 * r must not wrap around to the result size.
func.func @repeat_overflow(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{repeating 3 elements 6148914691236517206 times overflows}}
  %0 = xf.repeat_interleave %x [1 x 6148914691236517206] : tensor<4x3xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @embedding_dynamic_width(%t: tensor<?x?xf32>, %ids: tensor<?xi32>) -> tensor<?xf32> {
  // expected-error @+1 {{result must be [tokens, ?]}}
  %0 = xf.embedding %t[%ids] : (tensor<?x?xf32>, tensor<?xi32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @ffn_bias_type(%x: tensor<?x16xf32>, %u: tensor<32x16xf32>, %d: tensor<16x32xf32>, %bu: tensor<32xf16>) -> tensor<?x16xf32> {
  // expected-error @+1 {{up bias must have the input's element type}}
  %0 = xf.ffn gelu %x up %u down %d up_bias %bu : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>, tensor<32xf16>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// expected-error @+1 {{'xf.global_weight' op weight 'tensor<0x64xf32>' has no elements}}
xf.global_weight @empty : tensor<0x64xf32>

// -----

// A zero-sized static part fits only zero elements.
func.func @reshape_zero_into_one(%x: tensor<?x0xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{cannot reshape a multiple of 0 elements into 1}}
  %0 = xf.reshape %x : tensor<?x0xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// Both sides dynamic: a zero-sized static part cannot meet a non-empty one.
func.func @reshape_zero_both_dynamic(%x: tensor<?x64xf32>) -> tensor<?x0xf32> {
  // expected-error @+1 {{a zero-sized side cannot match a non-empty one}}
  %0 = xf.reshape %x : tensor<?x64xf32> -> tensor<?x0xf32>
  return %0 : tensor<?x0xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Derived weights
//===----------------------------------------------------------------------===//

xf.global_weight @a : tensor<4x4xf32>
// expected-error @+1 {{initializer yields 'tensor<4x4xf32>' but the weight is declared as 'tensor<8x4xf32>'}}
xf.global_weight @b : tensor<8x4xf32> = {
  %a = xf.weight @a : tensor<4x4xf32>
  xf.yield %a : tensor<4x4xf32>
}

// -----

// Packing changes the layout only: the yield may not differ otherwise.
xf.global_weight @a : tensor<4x4xf32>
// expected-error @+1 {{initializer yields 'tensor<4x4xf32>' but the weight is declared as 'tensor<4x4xf16, #xf.layout<blocked, tile = [64, 1]>>' (only the layouts may differ)}}
xf.global_weight @b : tensor<4x4xf16, #xf.layout<blocked, tile = [64, 1]>> = {
  %a = xf.weight @a : tensor<4x4xf32>
  xf.yield %a : tensor<4x4xf32>
}

// -----

xf.global_weight @a : !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// expected-error @+1 {{only the layouts may differ}}
xf.global_weight @b : !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>> = {
  %a = xf.weight @a : !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  xf.yield %a : !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
}

// -----

// expected-error @+1 {{a weight tensor's encoding must be an #xf.layout, got "dense"}}
xf.global_weight @w : tensor<4x4xf32, "dense">

// -----

xf.global_weight @w : tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>
func.func @load_unpacked() -> tensor<64x64xf32> {
  // expected-error @+1 {{result type 'tensor<64x64xf32>' does not match the type 'tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>' declared for 'w'}}
  %w = xf.weight @w : tensor<64x64xf32>
  return %w : tensor<64x64xf32>
}

// -----

// A packed tensor is a weight, never an activation.
func.func @packed_activation(%x: tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>> {
  // expected-error @+1 {{operand #0 must be plain ranked tensor of floating-point values, but got 'tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>'}}
  %y = xf.silu %x : tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>
  return %y : tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>
}

// -----

func.func @packed_linear_input(%x: tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>, %w: tensor<8x64xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{operand #0 must be plain ranked tensor of floating-point values}}
  %y = xf.linear %x, %w : (tensor<64x64xf32, #xf.layout<blocked, tile = [64, 1]>>, tensor<8x64xf32>) -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}

// -----

// expected-error @+1 {{initializer must be one block without arguments}}
xf.global_weight @b : tensor<4x4xf32> = {
^bb0(%x: tensor<4x4xf32>):
  xf.yield %x : tensor<4x4xf32>
}

// -----

xf.global_weight @b : tensor<4x4xf32> = {
  // expected-error @+1 {{'b' refers to itself in its own initializer}}
  %b = xf.weight @b : tensor<4x4xf32>
  xf.yield %b : tensor<4x4xf32>
}

// -----

func.func @yield_outside(%x: tensor<4xf32>) {
  // expected-error @+1 {{expects parent op 'xf.global_weight'}}
  xf.yield %x : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.concat
//===----------------------------------------------------------------------===//

func.func @concat_axis(%a: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %0 = xf.concat %a, %a [1] : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @concat_other_dim(%a: tensor<4x2xf32>, %b: tensor<4x3xf32>) -> tensor<8x2xf32> {
  // expected-error @+1 {{inputs differ from the result in dimension 1, which is not the concatenation axis}}
  %0 = xf.concat %a, %b [0] : (tensor<4x2xf32>, tensor<4x3xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @concat_size(%a: tensor<4x2xf32>) -> tensor<9x2xf32> {
  // expected-error @+1 {{result dimension 0 must be 8}}
  %0 = xf.concat %a, %a [0] : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<9x2xf32>
  return %0 : tensor<9x2xf32>
}

// -----

func.func @concat_type(%a: tensor<4x2xf32>, %b: tensor<4x2xf16>) -> tensor<8x2xf32> {
  // expected-error @+1 {{inputs must have the result's rank and element type}}
  %0 = xf.concat %a, %b [0] : (tensor<4x2xf32>, tensor<4x2xf16>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @concat_empty() -> tensor<8x2xf32> {
  // expected-error @+1 {{needs at least one input}}
  %0 = xf.concat [0] : () -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.ffn gate_up
//===----------------------------------------------------------------------===//

func.func @ffn_gate_up_odd(%x: tensor<?x8xf32>, %w: tensor<31x8xf32>, %wd: tensor<8x16xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{gate_up weight must have an even number of rows (gate rows, then up rows)}}
  %0 = xf.ffn swiglu %x gate_up %w down %wd : (tensor<?x8xf32>, tensor<31x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @ffn_gate_up_and_up(%x: tensor<?x8xf32>, %w: tensor<32x8xf32>, %wu: tensor<16x8xf32>, %wd: tensor<8x16xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{gate_up replaces the gate and up weights}}
  %0 = xf.ffn swiglu %x up %wu gate_up %w down %wd : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<32x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @ffn_gelu_gate_up(%x: tensor<?x8xf32>, %w: tensor<32x8xf32>, %wd: tensor<8x16xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'gelu' takes no gate weight}}
  %0 = xf.ffn gelu %x gate_up %w down %wd : (tensor<?x8xf32>, tensor<32x8xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @ffn_gate_up_bias(%x: tensor<?x8xf32>, %w: tensor<32x8xf32>, %wd: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{gate_up takes no up bias}}
  %0 = xf.ffn swiglu %x gate_up %w down %wd up_bias %b : (tensor<?x8xf32>, tensor<32x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @ffn_gate_up_shape(%x: tensor<?x8xf32>, %w: tensor<32x4xf32>, %wd: tensor<8x16xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{gate_up weight must have shape [32, 8], got 'tensor<32x4xf32>'}}
  %0 = xf.ffn swiglu %x gate_up %w down %wd : (tensor<?x8xf32>, tensor<32x4xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// xf.reduce_mean
//===----------------------------------------------------------------------===//

func.func @reduce_mean_rank0(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{input must have rank >= 1}}
  %0 = xf.reduce_mean %x [0] : tensor<f32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @reduce_mean_axis(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = xf.reduce_mean %x [2] : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @reduce_mean_negative_axis(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{axis -1 is out of range for rank 2}}
  %0 = xf.reduce_mean %x [-1] : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @reduce_mean_element_type(%x: tensor<4x8xf16>) -> tensor<4x1xf32> {
  // expected-error @+1 {{input and result must have the same element type}}
  %0 = xf.reduce_mean %x [1] : tensor<4x8xf16> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @reduce_mean_drops_axis(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{result must keep the input's rank 2}}
  %0 = xf.reduce_mean %x [1] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_mean_empty(%x: tensor<4x0xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{cannot average an empty dimension}}
  %0 = xf.reduce_mean %x [1] : tensor<4x0xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @reduce_mean_axis_size(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{result dimension 1 must be 1, got 8}}
  %0 = xf.reduce_mean %x [1] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @reduce_mean_other_dim(%x: tensor<4x8xf32>) -> tensor<5x1xf32> {
  // expected-error @+1 {{result dimension 0 must be 4, got 5}}
  %0 = xf.reduce_mean %x [1] : tensor<4x8xf32> -> tensor<5x1xf32>
  return %0 : tensor<5x1xf32>
}

// -----

func.func @concat_quantized_axis(%a: !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<32x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {
  // expected-error @+1 {{quantized weights concatenate along axis 0 only}}
  %0 = xf.concat %a, %a [1] : (!xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<32x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  return %0 : !xf.qtensor<32x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
}

// -----

func.func @concat_quantized_scheme(%a: !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, %b: !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {
  // expected-error @+1 {{quantized inputs must have the result's type but for their row count}}
  %0 = xf.concat %a, %b [0] : (!xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  return %0 : !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
}

// -----

func.func @concat_quantized_rows(%a: !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<96x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {
  // expected-error @+1 {{result dimension 0 must be 64}}
  %0 = xf.concat %a, %a [0] : (!xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<96x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  return %0 : !xf.qtensor<96x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
}

// -----

func.func @concat_mixed(%a: tensor<32x64xf32>, %b: !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {
  // expected-error @+1 {{quantized inputs must have the result's type but for their row count}}
  %0 = xf.concat %a, %b [0] : (tensor<32x64xf32>, !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  return %0 : !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
}

// -----

func.func @unknown_backend(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{enum values for attribute 'backend' [generated, onednn]}}
  %0 = xf.linear %x, %w backend cublas : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @unknown_quantization_method(%w: tensor<32x64xf32>) -> !xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {
  // expected-error @+1 {{'xf.quantize' op unknown quantization method 'gptq' (registered: mse, rtn)}}
  %0 = xf.quantize %w method "gptq" : tensor<32x64xf32> -> !xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  return %0 : !xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
}

// -----

func.func @lora_rank_mismatch(%b: tensor<64x8xf32>, %a: tensor<4x32xf32>) -> tensor<64x32xf32> {
  // expected-error @+1 {{'xf.lora_delta' op B has rank 8 but A rank 4}}
  %0 = xf.lora_delta %b, %a scale 1.0 : (tensor<64x8xf32>, tensor<4x32xf32>) -> tensor<64x32xf32>
  return %0 : tensor<64x32xf32>
}

// -----

func.func @lora_result_shape(%b: tensor<64x8xf32>, %a: tensor<8x32xf32>) -> tensor<32x64xf32> {
  // expected-error @+1 {{'xf.lora_delta' op result must be [64, 32] (B's rows, A's columns), not 'tensor<32x64xf32>'}}
  %0 = xf.lora_delta %b, %a scale 1.0 : (tensor<64x8xf32>, tensor<8x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @lora_dynamic(%b: tensor<?x8xf32>, %a: tensor<8x32xf32>) -> tensor<64x32xf32> {
  // expected-error @+1 {{'xf.lora_delta' op takes and gives static f32 matrices}}
  %0 = xf.lora_delta %b, %a scale 1.0 : (tensor<?x8xf32>, tensor<8x32xf32>) -> tensor<64x32xf32>
  return %0 : tensor<64x32xf32>
}

// -----

func.func @kron_result_shape(%w1: tensor<8x4xf32>, %w2: tensor<8x8xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'xf.kron_delta' op result must be [64, 32] (the factors' shapes multiplied), not 'tensor<64x64xf32>'}}
  %0 = xf.kron_delta %w1, %w2 scale 1.0 : (tensor<8x4xf32>, tensor<8x8xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @kron_linear_input(%x: tensor<?x60xf32>, %a: tensor<8x4xf32>, %b: tensor<8x16xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'xf.kron_linear' op input rows must hold 64 values (the factors' rows multiplied), not 60}}
  %0 = xf.kron_linear %x, %a, %b scale 1.0 : (tensor<?x60xf32>, tensor<8x4xf32>, tensor<8x16xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @kron_linear_result(%x: tensor<?x64xf32>, %a: tensor<8x4xf32>, %b: tensor<8x16xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'xf.kron_linear' op result rows must hold 64 values (the factors' columns multiplied), not 32}}
  %0 = xf.kron_linear %x, %a, %b scale 1.0 : (tensor<?x64xf32>, tensor<8x4xf32>, tensor<8x16xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @kron_linear_residual(%x: tensor<?x64xf32>, %a: tensor<8x2xf32>, %b: tensor<8x3xf32>) -> tensor<?x6xf32> {
  // expected-error @+1 {{'xf.kron_linear' op a residual needs as many outputs as inputs (64 in, 6 out)}}
  %0 = xf.kron_linear %x, %a, %b scale 1.0 residual 1.0 : (tensor<?x64xf32>, tensor<8x2xf32>, tensor<8x3xf32>) -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

func.func @kron_linear_factor(%x: tensor<?x64xf32>, %a: tensor<8x4xf16>, %b: tensor<8x16xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'xf.kron_linear' op factors must be static f32 matrices}}
  %0 = xf.kron_linear %x, %a, %b scale 1.0 : (tensor<?x64xf32>, tensor<8x4xf16>, tensor<8x16xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @prune_level(%w: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'xf.prune' op level 1.500000e+00 is not in [0, 1)}}
  %0 = xf.prune %w unstructured level 1.5 : tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @prune_nm_level(%w: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'xf.prune' op 2:4 sparsity is 5.000000e-01, not level 3.000000e-01}}
  %0 = xf.prune %w nm size [2, 4] level 0.3 : tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @prune_nm_runs(%w: tensor<64x66xf32>) -> tensor<64x66xf32> {
  // expected-error @+1 {{'xf.prune' op rows of 66 values are not whole runs of 4}}
  %0 = xf.prune %w nm size [2, 4] : tensor<64x66xf32>
  return %0 : tensor<64x66xf32>
}

// -----

func.func @prune_block(%w: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'xf.prune' op [64, 64] is not made of 3x16 blocks}}
  %0 = xf.prune %w block size [3, 16] level 0.5 : tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @prune_unstructured_block(%w: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'xf.prune' op unstructured pruning takes no block shape}}
  %0 = xf.prune %w unstructured size [2, 4] level 0.5 : tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @prune_dynamic(%w: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'xf.prune' op prunes static [out, in] weights}}
  %0 = xf.prune %w unstructured level 0.5 : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @div_mixed_types(%a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'xf.div' op operands and result must have the same element type}}
  %0 = xf.div %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @div_unsigned_floats(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'xf.div' op is 'unsigned' but computes on no integers}}
  %0 = xf.div unsigned %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_booleans(%a: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{'xf.add' op operand #0 must be plain ranked tensor of floats or 8- to 64-bit integers}}
  %0 = xf.add %a, %a : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @convert_unsigned_floats(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'xf.convert' op is 'unsigned' but computes on no integers}}
  %0 = xf.convert unsigned %x : tensor<4xf32> to tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @convert_toward_zero_f16(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'xf.convert' op rounds 'toward_zero' only from f32 to bf16}}
  %0 = xf.convert toward_zero %x : tensor<4xf32> to tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @pow_not_broadcastable(%a: tensor<4xf32>, %b: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'xf.pow' op operands don't have broadcast-compatible shapes}}
  %0 = xf.pow %a, %b : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @where_types(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'xf.where' op the chosen operands and the result must have the same element type}}
  %0 = xf.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @broadcast_shrinks(%x: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'xf.broadcast' op cannot broadcast rank 2 to rank 1}}
  %0 = xf.broadcast %x : tensor<3x4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @broadcast_mismatch(%x: tensor<3x2xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'xf.broadcast' op input dimension 1 (2) does not broadcast to 4}}
  %0 = xf.broadcast %x : tensor<3x2xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @gather_axis(%x: tensor<3x5xf32>, %i: tensor<2xi64>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'xf.gather' op axis 2 is not a dimension of rank 2}}
  %0 = xf.gather %x[%i] {axis = 2 : i64} : (tensor<3x5xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @gather_shape(%x: tensor<3x5xf32>, %i: tensor<2xi64>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'xf.gather' op result shape must be the input's before axis 1, the indices', then the input's after}}
  %0 = xf.gather %x[%i] {axis = 1 : i64} : (tensor<3x5xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
