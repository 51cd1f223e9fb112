// RUN: xfc-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// #xf.quant
//===----------------------------------------------------------------------===//

// expected-error @+1 {{quantization bits must be 4 or 8, got 3}}
func.func private @bits() attributes {q = #xf.quant<bits = 3, group = 32, symmetric, scale = f16>}

// -----

// expected-error @+1 {{quantization group size must be positive or per_channel, got -32}}
func.func private @negative_group() attributes {q = #xf.quant<bits = 4, group = -32, symmetric, scale = f16>}

// -----

// expected-error @+1 {{quantization scale type must be f16, bf16 or f32, got 'f64'}}
func.func private @scale_f64() attributes {q = #xf.quant<bits = 8, group = per_channel, symmetric, scale = f64>}

// -----

// expected-error @+1 {{quantization scale type must be f16, bf16 or f32, got 'i8'}}
func.func private @scale_int() attributes {q = #xf.quant<bits = 8, group = 32, asymmetric, scale = i8>}

// -----

// expected-error @+1 {{unknown quantization mode 'signed'}}
func.func private @mode() attributes {q = #xf.quant<bits = 4, group = 32, signed, scale = f16>}

// -----

// expected-error @+1 {{expected integer value}}
func.func private @group_keyword() attributes {q = #xf.quant<bits = 4, group = per_row, symmetric, scale = f16>}

// -----

// expected-error @+1 {{quantization bits must be 4 or 8, got 3}}
func.func private @bits_in_qtensor(!xf.qtensor<64x64xi3, #xf.quant<bits = 3, group = 32, symmetric, scale = f16>>)

// -----

//===----------------------------------------------------------------------===//
// #xf.layout
//===----------------------------------------------------------------------===//

// expected-error @+1 {{unknown layout 'col_major'}}
func.func private @layout_kind() attributes {l = #xf.layout<col_major>}

// -----

// expected-error @+1 {{unknown layout parameter 'tiles', expected 'tile', 'vnni' or 'values'}}
func.func private @layout_param() attributes {l = #xf.layout<blocked, tiles = [16, 64]>}

// -----

// expected-error @+1 {{only the 'blocked' layout takes tile and vnni parameters}}
func.func private @row_major_tile() attributes {l = #xf.layout<row_major, tile = [16, 64]>}

// -----

// expected-error @+1 {{only the 'blocked' layout takes tile and vnni parameters}}
func.func private @ggml_vnni() attributes {l = #xf.layout<ggml, vnni = 2>}

// -----

// expected-error @+1 {{'blocked' layout needs tile = [n, k] with positive sizes}}
func.func private @blocked_no_tile() attributes {l = #xf.layout<blocked>}

// -----

// expected-error @+1 {{'blocked' layout needs tile = [n, k] with positive sizes}}
func.func private @blocked_tile_rank() attributes {l = #xf.layout<blocked, tile = [16, 64, 4]>}

// -----

// expected-error @+1 {{'blocked' layout needs tile = [n, k] with positive sizes}}
func.func private @blocked_tile_zero() attributes {l = #xf.layout<blocked, tile = [0, 64]>}

// -----

// expected-error @+1 {{vnni group must be 1, 2 or 4, got 3}}
func.func private @vnni() attributes {l = #xf.layout<blocked, tile = [16, 63], vnni = 3>}

// -----

// expected-error @+1 {{tile k (6) must be a multiple of the vnni group (4)}}
func.func private @vnni_tile() attributes {l = #xf.layout<blocked, tile = [16, 6], vnni = 4>}

// -----

// expected-error @+1 {{'sparse' layout needs tile = [64, 1] (float panels), tile = [16, 32], vnni = 4 (quantized tiles) or tile = [16, 4], vnni = 4 (INT8 codes)}}
func.func private @sparse_tile() attributes {l = #xf.layout<sparse, tile = [16, 1], values = 4>}

// -----

// expected-error @+1 {{'sparse' layout needs values = C >= 0, the most values a panel stores}}
func.func private @sparse_values() attributes {l = #xf.layout<sparse, tile = [64, 1]>}

// -----

// expected-error @+1 {{only the 'sparse' layout takes a values parameter}}
func.func private @blocked_values() attributes {l = #xf.layout<blocked, tile = [64, 1], values = 4>}

// -----

// expected-error @+1 {{must be a static 2-D [out, in] weight whose panels of 64 rows have room for the values}}
func.func private @sparse_room(tensor<64x2xf32, #xf.layout<sparse, tile = [64, 1], values = 129>>)

// -----

// expected-error @+1 {{the sparse layout of quantized weights is tile = [16, 32], vnni = 4 of Q8_0, Q4_0 or Q4_1 values with at most the groups of a row}}
func.func private @sparse_quantized(!xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<sparse, tile = [64, 1], values = 4>>)

// -----

// expected-error @+1 {{sparsity zeros must be a fraction in [0, 1], got 1.5}}
func.func private @sparsity_zeros() attributes {s = #xf.sparsity<zeros = 1.5, slots = 4>}

// -----

// expected-error @+1 {{sparsity slots must be >= 0, got -1}}
func.func private @sparsity_values() attributes {s = #xf.sparsity<zeros = 0.5, slots = -1>}

// -----

//===----------------------------------------------------------------------===//
// !xf.qtensor
//===----------------------------------------------------------------------===//

// expected-error @+1 {{quantized storage type must be an integer type, got 'f16'}}
func.func private @storage_float(!xf.qtensor<64x64xf16, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>>)

// -----

// expected-error @+1 {{expected static shape}}
func.func private @dynamic(!xf.qtensor<?x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>)

// -----

// expected-error @+1 {{quantized weights must be 2-D [out, in], got rank 1}}
func.func private @rank1(!xf.qtensor<64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>)

// -----

// expected-error @+1 {{quantized weights must be 2-D [out, in], got rank 3}}
func.func private @rank3(!xf.qtensor<2x64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>)

// -----

// expected-error @+1 {{quantized weight dimensions must be positive}}
func.func private @zero_dim(!xf.qtensor<0x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>)

// -----

// expected-error @+1 {{storage type 'i8' does not match the scheme's 4 bits}}
func.func private @storage_width(!xf.qtensor<64x64xi8, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>)

// -----

// expected-error @+1 {{input dimension 48 is not a multiple of the group size 32}}
func.func private @group(!xf.qtensor<64x48xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>)

// -----

// The blocked layout of quantized weights is the kernels' one, of the ggml
// schemes only.
// expected-error @+1 {{the blocked layout of quantized weights is #xf.layout<blocked, tile = [16, 32], vnni = 4> of Q8_0, Q4_0 or Q4_1 values (f16 or f32 scales, groups of a multiple of 32 or per channel), not #xf.layout<blocked, tile = [16, 64], vnni = 4>}}
func.func private @tile_shape(!xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 64], vnni = 4>>)

// -----

// expected-error @+1 {{the blocked layout of quantized weights is #xf.layout<blocked, tile = [16, 32], vnni = 4> of Q8_0, Q4_0 or Q4_1 values (f16 or f32 scales, groups of a multiple of 32 or per channel), not #xf.layout<blocked, tile = [16, 32]>}}
func.func private @tile_vnni(!xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32]>>)

// -----

// expected-error @+1 {{not #xf.layout<blocked, tile = [16, 32], vnni = 4> of #xf.quant<bits = 8, group = per_channel, symmetric, scale = bf16>}}
func.func private @tile_scheme(!xf.qtensor<40x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = bf16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>)

// -----

// expected-error @+1 {{not #xf.layout<blocked, tile = [16, 32], vnni = 4> of #xf.quant<bits = 8, group = 32, asymmetric, scale = f16>}}
func.func private @tile_asymmetric(!xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = 32, asymmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>)

// -----

// expected-error @+1 {{not #xf.layout<blocked, tile = [16, 32], vnni = 4> of #xf.quant<bits = 8, group = 32, min_offset, scale = f16>}}
func.func private @tile_q8_min(!xf.qtensor<32x64xi8, #xf.quant<bits = 8, group = 32, min_offset, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>)

// -----

// expected-error @+1 {{not #xf.layout<blocked, tile = [16, 32], vnni = 4> of #xf.quant<bits = 4, group = 32, symmetric, scale = bf16>}}
func.func private @tile_bf16_scales(!xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = bf16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>)

// -----

// The group size is checked before the layout: K = 48 holds no whole
// block of 32, so no such ggml or blocked weight exists.
// expected-error @+1 {{input dimension 48 is not a multiple of the group size 32}}
func.func private @tile_k(!xf.qtensor<16x48xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>)

// -----

// The scheme and the layout can not swap places.
// expected-error @+1 {{invalid kind of attribute specified}}
func.func private @scheme_kind(!xf.qtensor<64x64xi4, #xf.layout<ggml>>)

// -----

// expected-error @+1 {{only the 'blocked' layout takes tile and vnni parameters}}
func.func private @layout_in_qtensor(!xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml, tile = [16, 64]>>)

// -----

//===----------------------------------------------------------------------===//
// #xf.layout as a tensor encoding
//===----------------------------------------------------------------------===//

// expected-error @+1 {{a 'f32' weight's layout must be #xf.layout<blocked, tile = [64, 1]> (the panels the kernels read), got #xf.layout<blocked, tile = [16, 32], vnni = 4>}}
func.func private @tensor_tiles(tensor<64x64xf32, #xf.layout<blocked, tile = [16, 32], vnni = 4>>)

// -----

// expected-error @+1 {{a 'f16' weight's layout must be #xf.layout<blocked, tile = [64, 1]> (the panels the kernels read), got #xf.layout<ggml>}}
func.func private @tensor_ggml(tensor<64x64xf16, #xf.layout<ggml>>)

// -----

// expected-error @+1 {{a 'f16' weight's layout must be #xf.layout<blocked, tile = [64, 1]> (the panels the kernels read), got #xf.layout<blocked, tile = [64, 4], vnni = 4>}}
func.func private @tensor_vnni(tensor<64x64xf16, #xf.layout<blocked, tile = [64, 4], vnni = 4>>)

// -----

// bf16 panels hold pairs of k (vdpbf16ps's operand).
// expected-error @+1 {{a 'bf16' weight's layout must be #xf.layout<blocked, tile = [64, 2], vnni = 2> (the panels the kernels read), got #xf.layout<blocked, tile = [64, 1]>}}
func.func private @tensor_bf16_single(tensor<64x64xbf16, #xf.layout<blocked, tile = [64, 1]>>)

// -----

// expected-error @+1 {{a 'f32' weight's layout must be #xf.layout<blocked, tile = [64, 1]> (the panels the kernels read), got #xf.layout<blocked, tile = [64, 2], vnni = 2>}}
func.func private @tensor_f32_pairs(tensor<64x64xf32, #xf.layout<blocked, tile = [64, 2], vnni = 2>>)

// -----

// expected-error @+1 {{a tensor in #xf.layout<blocked, tile = [64, 1]> must be a static 2-D [out, in] weight}}
func.func private @tensor_rank3(tensor<2x64x64xf32, #xf.layout<blocked, tile = [64, 1]>>)

// -----

// expected-error @+1 {{a tensor in #xf.layout<blocked, tile = [64, 1]> must be a static 2-D [out, in] weight}}
func.func private @tensor_dynamic(tensor<?x64xf32, #xf.layout<blocked, tile = [64, 1]>>)

// -----

// expected-error @+1 {{a tensor in #xf.layout<blocked, tile = [64, 1]> must have f32, f16 or bf16 elements, got 'f64'}}
func.func private @tensor_f64(tensor<64x64xf64, #xf.layout<blocked, tile = [64, 1]>>)

// -----

// expected-error @+1 {{a tensor in #xf.layout<blocked, tile = [64, 1]> must have f32, f16 or bf16 elements, got 'i8'}}
func.func private @tensor_i8(tensor<64x64xi8, #xf.layout<blocked, tile = [64, 1]>>)

// -----

//===----------------------------------------------------------------------===//
// !xf.kv_cache
//===----------------------------------------------------------------------===//

// expected-error @+1 {{expected max_context x kv_heads x head_dim, got 2 dimensions}}
func.func private @cache_rank2(!xf.kv_cache<2048x256xf16>)

// -----

// expected-error @+1 {{expected max_context x kv_heads x head_dim, got 4 dimensions}}
func.func private @cache_rank4(!xf.kv_cache<2x2048x4x64xf16>)

// -----

// expected-error @+1 {{expected static shape}}
func.func private @cache_dynamic(!xf.kv_cache<?x4x64xf16>)

// -----

// expected-error @+1 {{KV cache dimensions must be positive}}
func.func private @cache_zero(!xf.kv_cache<2048x0x64xf16>)

// -----

// expected-error @+1 {{KV cache element type must be a float type or i8, got 'i32'}}
func.func private @cache_i32(!xf.kv_cache<2048x4x64xi32>)

// -----

// expected-error @+1 {{KV cache element type must be a float type or i8, got 'index'}}
func.func private @cache_index(!xf.kv_cache<2048x4x64xindex>)

// -----

//===----------------------------------------------------------------------===//
// Unknown mnemonics
//===----------------------------------------------------------------------===//

// expected-error @+1 {{type `tensor` in dialect `xf`}}
func.func private @unknown_type(!xf.tensor<4xf32>)

// -----

// expected-error @+1 {{unknown attribute `quantization` in dialect `xf`}}
func.func private @unknown_attr() attributes {q = #xf.quantization<bits = 4>}

// -----

// A spelled-out 0 is not per_channel.
// expected-error @+1 {{quantization group size must be positive or per_channel}}
func.func private @group_zero() -> !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 0, symmetric, scale = f16>>

// -----

// expected-error @+1 {{layout parameter 'vnni' given twice}}
func.func private @vnni_twice() -> !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 64], vnni = 2, vnni = 4>>

// -----

// ggml blocks exist only for Q8_0, Q4_0 and Q4_1 values, in groups of a
// multiple of 32 (ggml's own are 32) or per channel.
// expected-error @+1 {{the ggml layout holds only blocks of Q8_0, Q4_0 and Q4_1 values (f16 or f32 scales, groups of a multiple of 32 or per channel), not #xf.quant<bits = 8, group = 64, asymmetric, scale = bf16> over rows of 64}}
func.func private @ggml_scheme() -> !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 64, asymmetric, scale = bf16>, #xf.layout<ggml>>

// -----

// expected-error @+1 {{the ggml layout holds only blocks of Q8_0, Q4_0 and Q4_1 values (f16 or f32 scales, groups of a multiple of 32 or per channel), not #xf.quant<bits = 4, group = 48, symmetric, scale = f16> over rows of 96}}
func.func private @ggml_group() -> !xf.qtensor<128x96xi4, #xf.quant<bits = 4, group = 48, symmetric, scale = f16>, #xf.layout<ggml>>

// -----

// Per channel, the rows must be whole runs of 32 values.
// expected-error @+1 {{of #xf.quant<bits = 8, group = per_channel, symmetric, scale = f16> over rows of 48}}
func.func private @ggml_channel_rows() -> !xf.qtensor<128x48xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>

// -----

// INT8 codes hold 8-bit codes only.
// expected-error @+1 {{the sparse-codes layout #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 4> holds 8-bit symmetric codes in groups of 32 to 256, at most 16 x 64 values per block}}
func.func private @codes_q4(!xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 4>>)

// -----

// expected-error @+1 {{at most 16 x 64 values per block}}
func.func private @codes_room(!xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 1025>>)

// -----

// expected-error @+1 {{sparsity codes must be >= 0, got -2}}
func.func private @sparsity_codes() attributes {s = #xf.sparsity<zeros = 0.5, slots = 1, codes = -2>}
