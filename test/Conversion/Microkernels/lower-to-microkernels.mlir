// RUN: xfc-opt %s -split-input-file -xf-lower-to-microkernels | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-lower-to-microkernels=min-chunk=8 | FileCheck %s --check-prefix=CHUNK8
// RUN: xfc-opt %s -split-input-file -xf-lower-to-microkernels=fuse-activations=false | FileCheck %s --check-prefix=NOFUSE

// An f16-weight projection with a bias becomes one xfk_linear call per
// chunk of output features, on the operands' buffers.

// CHECK: func.func private @xfk_linear(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @f16_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<96x64xf16>, %[[B:.*]]: tensor<96xf32>)
// CHECK-DAG: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only
// CHECK-DAG: %[[WB:.*]] = bufferization.to_buffer %[[W]] read_only
// CHECK-DAG: %[[BB:.*]] = bufferization.to_buffer %[[B]] read_only
// CHECK: %[[Y:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x96xf32>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: func.call @xfk_linear(%{{.*}}) : (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
// CHECK: bufferization.to_tensor %[[Y]] restrict writable
// CHECK-NOT: xf.linear
// CHUNK8-LABEL: func.func @f16_bias
// CHUNK8: scf.forall (%{{.*}}) in (12)
func.func @f16_bias(%x: tensor<?x64xf32>, %w: tensor<96x64xf16>, %b: tensor<96xf32>) -> tensor<?x96xf32> {
  %y = xf.linear %x, %w, %b : (tensor<?x64xf32>, tensor<96x64xf16>, tensor<96xf32>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

// -----

// Leading dimensions are collapsed into the rows and expanded back.

// CHECK-LABEL: func.func @rank3
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<?x4x32xf32> into tensor<?x32xf32>
// CHECK: func.call @xfk_linear
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [%{{.*}}, 4, 16] : tensor<?x16xf32> into tensor<?x4x16xf32>
func.func @rank3(%x: tensor<?x4x32xf32>, %w: tensor<16x32xbf16>) -> tensor<?x4x16xf32> {
  %y = xf.linear %x, %w : (tensor<?x4x32xf32>, tensor<16x32xbf16>) -> tensor<?x4x16xf32>
  return %y : tensor<?x4x16xf32>
}

// -----

// Static leading dimensions (an ONNX graph's [batch, seq, dim]) make a
// static row count before the rows are expanded back.

// CHECK-LABEL: func.func @rank3_static
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<1x8x32xf32> into tensor<8x32xf32>
// CHECK: func.call @xfk_linear
// CHECK: %[[ROWS:.*]] = tensor.cast %{{.*}} : tensor<?x16xf32> to tensor<8x16xf32>
// CHECK: tensor.expand_shape %[[ROWS]] {{\[\[}}0, 1], [2]] output_shape [1, 8, 16] : tensor<8x16xf32> into tensor<1x8x16xf32>
func.func @rank3_static(%x: tensor<1x8x32xf32>, %w: tensor<16x32xbf16>) -> tensor<1x8x16xf32> {
  %y = xf.linear %x, %w : (tensor<1x8x32xf32>, tensor<16x32xbf16>) -> tensor<1x8x16xf32>
  return %y : tensor<1x8x16xf32>
}

// -----

// What no kernel covers stays for convert-xf-to-linalg: f16 activations,
// quantized weights whose bytes xf-bind-weights has not exposed, and
// matmuls of two activations.

// CHECK-LABEL: func.func @not_covered
// CHECK-NOT: xfk_linear
// CHECK-COUNT-2: xf.linear
// CHECK: xf.matmul
func.func @not_covered(%x: tensor<?x32xf16>, %w: tensor<8x32xf16>, %xf: tensor<?x32xf32>,
    %q: !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>,
    %d: tensor<?x32xf32>) -> (tensor<?x8xf16>, tensor<?x8xf32>, tensor<?x?xf32>) {
  %a = xf.linear %x, %w : (tensor<?x32xf16>, tensor<8x32xf16>) -> tensor<?x8xf16>
  %b = xf.linear %xf, %q : (tensor<?x32xf32>, !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x8xf32>
  %c = xf.matmul %xf, %d transpose_rhs : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x?xf32>
  return %a, %b, %c : tensor<?x8xf16>, tensor<?x8xf32>, tensor<?x?xf32>
}

// -----

// Quantized ggml weights are read as the bytes xf-bind-weights binds (cast
// back to their !xf.qtensor type); the row stride is the blocks' bytes.
// Embedding lookups gather and decode rows with xfk_embedding.

// CHECK-LABEL: func.func @quantized
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[QB:.*]]: tensor<576xi8>, %[[IDS:.*]]: tensor<?xi32>, %[[TB:.*]]: tensor<680xi8>)
// CHECK-DAG: %[[Q4_0:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[ROW:.*]] = arith.constant 36 : i64
// CHECK-DAG: bufferization.to_buffer %[[QB]] read_only
// CHECK: func.call @xfk_linear(%[[Q4_0]], %c32_i64{{[_0-9]*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ROW]],
// CHECK-DAG: %[[Q8_0:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[TROW:.*]] = arith.constant 68 : i64
// CHECK: call @xfk_embedding(%[[Q8_0]], %c32_i64{{[_0-9]*}}, %{{.*}}, %[[TROW]],
// CHECK-NOT: unrealized_conversion_cast
func.func @quantized(%x: tensor<?x64xf32>, %qb: tensor<576xi8>, %ids: tensor<?xi32>, %tb: tensor<680xi8>) -> (tensor<?x16xf32>, tensor<?x64xf32>) {
  %q = builtin.unrealized_conversion_cast %qb : tensor<576xi8> to !xf.qtensor<16x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %y = xf.linear %x, %q : (tensor<?x64xf32>, !xf.qtensor<16x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x16xf32>
  %t = builtin.unrealized_conversion_cast %tb : tensor<680xi8> to !xf.qtensor<10x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %e = xf.embedding %t[%ids] : (!xf.qtensor<10x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>, tensor<?xi32>) -> tensor<?x64xf32>
  return %y, %e : tensor<?x16xf32>, tensor<?x64xf32>
}

// -----

// A float weight in the kernels' panels (its bytes, as xf-bind-weights
// binds them) is read by xfk_linear_packed, without a row stride; chunks
// start at whole panels of 64 rows, whatever min-chunk asks.

// CHECK: func.func private @xfk_linear_packed(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @packed_f16
// CHECK-SAME: (%[[X:.*]]: tensor<?x32xf32>, %[[WB:.*]]: tensor<8192xi8>)
// CHECK-DAG: %[[F16:.*]] = arith.constant 1 : i64
// CHECK-DAG: bufferization.to_buffer %[[WB]] read_only
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: arith.constant 64 : i64
// CHECK: func.call @xfk_linear_packed(%[[F16]], %{{.*}}) : (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
// CHECK-NOT: unrealized_conversion_cast
// CHUNK8-LABEL: func.func @packed_f16
// CHUNK8: scf.forall (%{{.*}}) in (2)
// CHUNK8: arith.constant 64 : i64
func.func @packed_f16(%x: tensor<?x32xf32>, %wb: tensor<8192xi8>) -> tensor<?x96xf32> {
  %w = builtin.unrealized_conversion_cast %wb : tensor<8192xi8> to tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>
  %y = xf.linear %x, %w : (tensor<?x32xf32>, tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

// -----

// Quantized tiles under `compute int8`: the rows of X are quantized to
// INT8 once, before the loop (M * xfk_quantized_row_bytes(64) = M * 80
// bytes), and every chunk of whole 16-row tiles is one xfk_linear_q8 call
// on them. With f32 activations no kernel reads tiles.

// CHECK-DAG: func.func private @xfk_quantize_rows(i64, i64, i64, i64, i64, i64)
// CHECK-DAG: func.func private @xfk_linear_q8(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @packed_q4_0
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[WB:.*]]: tensor<1728xi8>, %[[B:.*]]: tensor<40xf32>)
// CHECK-DAG: %[[Q4_0:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[ROW:.*]] = arith.constant 80 : index
// CHECK-DAG: %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[BYTES:.*]] = arith.muli %[[M]], %[[ROW]] : index
// CHECK: %[[QX:.*]] = memref.alloc(%[[BYTES]]) {alignment = 64 : i64} : memref<?xi8>
// CHECK: call @xfk_quantize_rows(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[G:.*]], %[[QXA:[^)]*]]) : (i64, i64, i64, i64, i64, i64) -> ()
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK: func.call @xfk_linear_q8(%[[Q4_0]], %[[G]], %[[QXA]], %{{.*}}) : (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
// CHECK-NOT: unrealized_conversion_cast
// CHUNK8-LABEL: func.func @packed_q4_0
// CHUNK8: call @xfk_quantize_rows
// CHUNK8: scf.forall (%{{.*}}) in (3)
// CHUNK8-NOT: call @xfk_quantize_rows
func.func @packed_q4_0(%x: tensor<?x64xf32>, %wb: tensor<1728xi8>, %b: tensor<40xf32>) -> tensor<?x40xf32> {
  %w = builtin.unrealized_conversion_cast %wb : tensor<1728xi8> to !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
  %y = xf.linear %x, %w, %b compute int8 : (tensor<?x64xf32>, !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>, tensor<40xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// Per-channel weights: one group per row of 128 values, and the rows of X
// are quantized per token (M * (128 + 8) bytes).

// CHECK-LABEL: func.func @per_channel
// CHUNK8-LABEL: func.func @per_channel
// CHECK-DAG: %[[Q8:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[ROW:.*]] = arith.constant 136 : index
// CHECK: arith.muli %{{.*}}, %[[ROW]] : index
// CHECK: call @xfk_quantize_rows(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c128_i64{{[_0-9]*}}, %{{.*}})
// CHECK: func.call @xfk_linear_q8(%[[Q8]], %c128_i64{{[_0-9]*}},
func.func @per_channel(%x: tensor<?x128xf32>, %wb: tensor<4160xi8>) -> tensor<?x32xf32> {
  %w = builtin.unrealized_conversion_cast %wb : tensor<4160xi8> to !xf.qtensor<32x128xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
  %y = xf.linear %x, %w compute int8 : (tensor<?x128xf32>, !xf.qtensor<32x128xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// Weights in rows (ggml layout) with groups of 64 under `compute int8`:
// the f32 kernel reads activations rounded in the weights' groups.

// CHECK-LABEL: func.func @rows_g64
// CHECK: call @xfk_round_rows_int8(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c64_i64{{[_0-9]*}}, %{{.*}})
// CHECK: func.call @xfk_linear(%{{.*}}, %c64_i64{{[_0-9]*}},
func.func @rows_g64(%x: tensor<?x128xf32>, %wb: tensor<1056xi8>) -> tensor<?x8xf32> {
  %w = builtin.unrealized_conversion_cast %wb : tensor<1056xi8> to !xf.qtensor<8x128xi8, #xf.quant<bits = 8, group = 64, symmetric, scale = f16>, #xf.layout<ggml>>
  %y = xf.linear %x, %w compute int8 : (tensor<?x128xf32>, !xf.qtensor<8x128xi8, #xf.quant<bits = 8, group = 64, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// BF16 panels under `compute bf16`: the rows are rounded to bf16 pairs
// once (M * 2 * 64 bytes), then every chunk is one xfk_linear_bf16 call.
// In rows, the f32 kernel reads the activations' bf16 values.

// CHECK-LABEL: func.func @bf16_panels
// CHECK-DAG: %[[ROW:.*]] = arith.constant 128 : index
// CHECK: arith.muli %{{.*}}, %[[ROW]] : index
// CHECK: call @xfk_round_rows_bf16(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[XB:[^)]*]]) : (i64, i64, i64, i64, i64) -> ()
// CHECK: scf.forall
// CHECK: func.call @xfk_linear_bf16(%[[XB]], %{{.*}}) : (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
// CHECK-LABEL: func.func @bf16_rows
// CHECK: call @xfk_round_rows_bf16_f32
// CHECK: func.call @xfk_linear(%c2_i64{{[_0-9]*}},
func.func @bf16_panels(%x: tensor<?x64xf32>, %wb: tensor<8192xi8>) -> tensor<?x40xf32> {
  %w = builtin.unrealized_conversion_cast %wb : tensor<8192xi8> to tensor<40x64xbf16, #xf.layout<blocked, tile = [64, 2], vnni = 2>>
  %y = xf.linear %x, %w compute bf16 : (tensor<?x64xf32>, tensor<40x64xbf16, #xf.layout<blocked, tile = [64, 2], vnni = 2>>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
func.func @bf16_rows(%x: tensor<?x64xf32>, %w: tensor<40x64xbf16>) -> tensor<?x40xf32> {
  %y = xf.linear %x, %w compute bf16 : (tensor<?x64xf32>, tensor<40x64xbf16>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// CHECK-LABEL: func.func @tiles_f32
// CHECK-NOT: call @xfk_
// CHECK: xf.linear
func.func @tiles_f32(%x: tensor<?x64xf32>, %wb: tensor<1728xi8>) -> tensor<?x40xf32> {
  %w = builtin.unrealized_conversion_cast %wb : tensor<1728xi8> to !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
  %y = xf.linear %x, %w : (tensor<?x64xf32>, !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// -----

// The embedding kernel reads rows: a table in tiles is not its to read.

// CHECK-LABEL: func.func @packed_table
// CHECK-NOT: xfk_embedding
// CHECK: xf.embedding
func.func @packed_table(%ids: tensor<?xi32>, %tb: tensor<16384xi8>) -> tensor<?x64xf32> {
  %t = builtin.unrealized_conversion_cast %tb : tensor<16384xi8> to tensor<96x64xf16, #xf.layout<blocked, tile = [64, 1]>>
  %e = xf.embedding %t[%ids] : (tensor<96x64xf16, #xf.layout<blocked, tile = [64, 1]>>, tensor<?xi32>) -> tensor<?x64xf32>
  return %e : tensor<?x64xf32>
}

// -----

// A residual connection is folded into the kernel's epilogue: the add that
// is the projection's only user, with a residual of the result's type
// defined before the projection, becomes the kernel's residual argument
// (its address and row stride) and disappears. Near misses keep the add:
// a residual defined after the projection, a result with a second user,
// a broadcast add.

// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<64x64xf32>, %[[R:.*]]: tensor<?x64xf32>)
// CHECK: %[[RB:.*]] = bufferization.to_buffer %[[R]] read_only
// CHECK: %[[RBASE:.*]] = memref.extract_aligned_pointer_as_index %[[RB]]
// CHECK: func.call @xfk_linear({{.*}}) : (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
// CHECK-NOT: xf.add
// CHECK: return
func.func @residual(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>, %r: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %s = xf.add %r, %y : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @residual_near_misses
// CHECK-COUNT-4: xf.add
// CHECK-NOT: xf.add
// CHECK: return
func.func @residual_near_misses(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>, %b: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %y0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %later = xf.mul %x, %x : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %s0 = xf.add %y0, %later : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %y1 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %s1 = xf.add %x, %y1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %u = xf.add %s1, %y1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %y2 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %s2 = xf.add %y2, %b : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %s0, %u, %s2 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}


// -----

// An FFN's activation is folded into the kernel's epilogue: a SiLU or tanh
// GELU that is the projection's only user (act 1 or 2, up 0), and a gated
// one, where the projection's [gate; up] halves are sliced, the gate put
// through the activation and multiplied by up: the kernel writes the F
// gated outputs (up = F) and the slices, activation and product are gone.

// CHECK-LABEL: func.func @silu
// CHECK: memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x96xf32>
// CHECK: %[[SILU:.*]] = arith.constant 1 : i64
// CHECK: func.call @xfk_linear(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SILU]], %c0_i64{{[_0-9]*}}, %{{.*}})
// CHECK-NOT: xf.silu
// CHECK: return
// NOFUSE-LABEL: func.func @silu
// NOFUSE: xf.silu
// NOFUSE-LABEL: func.func @swiglu_q4_0
// NOFUSE: xf.silu
// NOFUSE: xf.mul
func.func @silu(%x: tensor<?x64xf32>, %w: tensor<96x64xf32>) -> tensor<?x96xf32> {
  %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
  %a = xf.silu %y : tensor<?x96xf32>
  return %a : tensor<?x96xf32>
}

// CHECK-LABEL: func.func @gelu_bias
// CHECK-DAG: %[[GELU:.*]] = arith.constant 2 : i64
// CHECK: func.call @xfk_linear(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[GELU]], %{{.*}}, %{{.*}})
// CHECK-NOT: xf.gelu
// CHECK: return
func.func @gelu_bias(%x: tensor<?x64xf32>, %w: tensor<96x64xf32>, %b: tensor<96xf32>) -> tensor<?x96xf32> {
  %y = xf.linear %x, %w, %b : (tensor<?x64xf32>, tensor<96x64xf32>, tensor<96xf32>) -> tensor<?x96xf32>
  %a = xf.gelu tanh %y : tensor<?x96xf32>
  return %a : tensor<?x96xf32>
}

// CHECK-LABEL: func.func @swiglu_q4_0
// CHECK: %[[Y:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x32xf32>
// CHECK: %[[SILU:.*]] = arith.constant 1 : i64
// CHECK: scf.forall
// CHECK: func.call @xfk_linear_q8(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SILU]], %c32_i64{{[_0-9]*}}, %{{.*}}, %c32_i64{{[_0-9]*}},
// CHECK: bufferization.to_tensor %[[Y]]
// CHECK-NOT: xf.slice
// CHECK-NOT: xf.silu
// CHECK-NOT: xf.mul
// CHECK: return
func.func @swiglu_q4_0(%x: tensor<?x64xf32>, %wb: tensor<2304xi8>) -> tensor<?x32xf32> {
  %w = builtin.unrealized_conversion_cast %wb : tensor<2304xi8> to !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
  %y = xf.linear %x, %w compute int8 : (tensor<?x64xf32>, !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>) -> tensor<?x64xf32>
  %g = xf.slice %y[1 : 0, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %u = xf.slice %y[1 : 32, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %a = xf.silu %g : tensor<?x32xf32>
  %h = xf.mul %u, %a : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}

// CHECK-LABEL: func.func @geglu_rank3
// CHECK: func.call @xfk_linear({{.*}}) : (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> ()
// CHECK: tensor.expand_shape %{{.*}} : tensor<?x24xf32> into tensor<?x2x24xf32>
// CHECK-NOT: xf.gelu
// CHECK: return
func.func @geglu_rank3(%x: tensor<?x2x64xf32>, %w: tensor<48x64xf16>) -> tensor<?x2x24xf32> {
  %y = xf.linear %x, %w : (tensor<?x2x64xf32>, tensor<48x64xf16>) -> tensor<?x2x48xf32>
  %g = xf.slice %y[2 : 0, 24] : tensor<?x2x48xf32> -> tensor<?x2x24xf32>
  %u = xf.slice %y[2 : 24, 24] : tensor<?x2x48xf32> -> tensor<?x2x24xf32>
  %a = xf.gelu tanh %g : tensor<?x2x24xf32>
  %h = xf.mul %a, %u : (tensor<?x2x24xf32>, tensor<?x2x24xf32>) -> tensor<?x2x24xf32>
  return %h : tensor<?x2x24xf32>
}

// -----

// Near misses keep the activation ops: an erf GELU; an activation whose
// input has a second user; a gate whose activation has another user; a
// product by something other than the up slice; and F not a whole number
// of the packed kernel's panels (packed f16: 64 rows).

// CHECK-LABEL: func.func @activation_near_misses
// CHECK: xf.gelu erf
// CHECK: xf.silu
// CHECK: xf.silu
// CHECK: xf.mul
// CHECK: xf.silu
// CHECK: xf.mul
// CHECK: xf.silu
// CHECK: xf.mul
// CHECK: return
func.func @activation_near_misses(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>,
    %wb: tensor<8192xi8>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %y0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %a0 = xf.gelu erf %y0 : tensor<?x64xf32>
  %y1 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %a1 = xf.silu %y1 : tensor<?x64xf32>
  %y2 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %g2 = xf.slice %y2[1 : 0, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %u2 = xf.slice %y2[1 : 32, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %a2 = xf.silu %g2 : tensor<?x32xf32>
  %h2 = xf.mul %a2, %u2 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y3 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %g3 = xf.slice %y3[1 : 0, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %u3 = xf.slice %y3[1 : 32, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %a3 = xf.silu %g3 : tensor<?x32xf32>
  %h3 = xf.mul %a3, %a3 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %w4 = builtin.unrealized_conversion_cast %wb : tensor<8192xi8> to tensor<64x64xf16, #xf.layout<blocked, tile = [64, 1]>>
  %y4 = xf.linear %x, %w4 : (tensor<?x64xf32>, tensor<64x64xf16, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<?x64xf32>
  %g4 = xf.slice %y4[1 : 0, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %u4 = xf.slice %y4[1 : 32, 32] : tensor<?x64xf32> -> tensor<?x32xf32>
  %a4 = xf.silu %g4 : tensor<?x32xf32>
  %h4 = xf.mul %a4, %u4 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %a0, %y1, %a1, %h2, %a2, %h3, %u3, %h4 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}
