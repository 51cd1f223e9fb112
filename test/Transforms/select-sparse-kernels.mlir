// RUN: xfc-opt %s -split-input-file -xf-select-sparse-kernels=emit-remarks -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-select-sparse-kernels="mode=always" | FileCheck %s --check-prefix=ALWAYS
// RUN: xfc-opt %s -split-input-file -xf-select-sparse-kernels="mode=never" | FileCheck %s --check-prefix=NEVER
// RUN: xfc-opt %s -split-input-file -xf-select-sparse-kernels="mode=always sparse-codes=0" | FileCheck %s --check-prefix=NO-CODES
// RUN: not xfc-opt %s -split-input-file -xf-select-sparse-kernels="mode=sometimes" 2>&1 | FileCheck %s --check-prefix=BAD-MODE
// BAD-MODE: xf-select-sparse-kernels: unknown mode 'sometimes' (expected auto, always or never)

// With the default cost model, 90% zeros in f32 are predicted 2.5x faster
// (bound by the expansion: 1.6 bytes' time per value, against 4 bytes
// read dense), so they take the sparse panels with the measured value
// slots; 20% zeros (1.5 x 0.93 of the dense bytes) stay dense, as does a
// weight without a measurement. `always` takes the sparse panels wherever
// they are smaller.

// CHECK-LABEL: xf.global_weight @sparse
// CHECK-SAME: packing = #xf.layout<sparse, tile = [64, 1], values = 1700>
// CHECK-LABEL: xf.global_weight @dense
// CHECK-NOT: packing
// CHECK-LABEL: xf.global_weight @unmeasured
// CHECK-NOT: packing
// CHECK-LABEL: func.func @forward
// ALWAYS: @sparse {{.*}}packing = #xf.layout<sparse, tile = [64, 1], values = 1700>
// ALWAYS: @dense {{.*}}packing = #xf.layout<sparse, tile = [64, 1], values = 13200>
// NEVER-NOT: packing
// expected-remark @below {{90.0% zeros, predicted decode speedup 2.50: sparse panels}}
xf.global_weight @sparse : tensor<128x256xf32> {sparsity = #xf.sparsity<zeros = 0.9, slots = 1700>}
// expected-remark @below {{20.0% zeros, predicted decode speedup 0.80: dense panels}}
xf.global_weight @dense : tensor<128x256xf32> {sparsity = #xf.sparsity<zeros = 0.2, slots = 13200>}
xf.global_weight @unmeasured : tensor<128x256xf32>

func.func @forward(%x: tensor<?x256xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) {
  %a = xf.weight @sparse : tensor<128x256xf32>
  %b = xf.weight @dense : tensor<128x256xf32>
  %c = xf.weight @unmeasured : tensor<128x256xf32>
  %y0 = xf.linear %x, %a : (tensor<?x256xf32>, tensor<128x256xf32>) -> tensor<?x128xf32>
  %y1 = xf.linear %x, %b : (tensor<?x256xf32>, tensor<128x256xf32>) -> tensor<?x128xf32>
  %y2 = xf.linear %x, %c : (tensor<?x256xf32>, tensor<128x256xf32>) -> tensor<?x128xf32>
  return %y0, %y1, %y2 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// The weights one layer function takes as an argument are decided
// together, with the most value slots any needs, so the function keeps one
// type; a weight that also reaches an argument some call passes a computed
// value stays dense, with every weight it is decided with.

// CHECK-LABEL: xf.global_weight @l0
// CHECK-SAME: packing = #xf.layout<sparse, tile = [64, 1], values = 1800>
// CHECK-LABEL: xf.global_weight @l1
// CHECK-SAME: packing = #xf.layout<sparse, tile = [64, 1], values = 1800>
// CHECK-LABEL: xf.global_weight @m0
// CHECK-NOT: packing
// CHECK-LABEL: func.func private @layer
// expected-remark @below {{90.0% zeros, predicted decode speedup 2.50: sparse panels}}
xf.global_weight @l0 : tensor<128x256xf32> {sparsity = #xf.sparsity<zeros = 0.9, slots = 1700>}
// expected-remark @below {{90.0% zeros, predicted decode speedup 2.50: sparse panels}}
xf.global_weight @l1 : tensor<128x256xf32> {sparsity = #xf.sparsity<zeros = 0.9, slots = 1800>}
xf.global_weight @m0 : tensor<128x256xf32> {sparsity = #xf.sparsity<zeros = 0.9, slots = 1700>}

func.func private @layer(%x: tensor<?x256xf32>, %w: tensor<128x256xf32>, %v: tensor<128x256xf32>) -> tensor<?x128xf32> {
  %y = xf.linear %x, %w : (tensor<?x256xf32>, tensor<128x256xf32>) -> tensor<?x128xf32>
  %z = xf.linear %x, %v : (tensor<?x256xf32>, tensor<128x256xf32>) -> tensor<?x128xf32>
  %s = xf.add %y, %z : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  return %s : tensor<?x128xf32>
}

func.func @forward(%x: tensor<?x256xf32>) -> tensor<?x128xf32> {
  %w0 = xf.weight @l0 : tensor<128x256xf32>
  %w1 = xf.weight @l1 : tensor<128x256xf32>
  %m0 = xf.weight @m0 : tensor<128x256xf32>
  %h = call @layer(%x, %w0, %m0) : (tensor<?x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>) -> tensor<?x128xf32>
  %m1 = xf.add %m0, %m0 : (tensor<128x256xf32>, tensor<128x256xf32>) -> tensor<128x256xf32>
  %y = call @layer(%x, %w1, %m1) : (tensor<?x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Half-precision weights save half as many bytes per zero as f32 ones,
// less than expanding them costs (2 / 1.6 = 1.25x at most). Quantized
// weights skip the groups left out, so their bytes decide: 1 of 8 groups
// of 16 x 32 stored per block reads 320 bytes instead of 8 x 288. Slots
// beyond a row's groups are no measurement of this weight.

// CHECK-LABEL: xf.global_weight @f16
// CHECK-NOT: packing
// CHECK-LABEL: xf.global_weight @q4
// CHECK-SAME: packing = #xf.layout<sparse, tile = [16, 32], vnni = 4, values = 1>
// CHECK-LABEL: xf.global_weight @q8
// CHECK-NOT: packing
// CHECK: func.func @forward
// expected-remark @below {{90.0% zeros, predicted decode speedup 1.25: dense panels}}
xf.global_weight @f16 : tensor<128x256xf16> {sparsity = #xf.sparsity<zeros = 0.9, slots = 1700>}
// expected-remark @below {{87.5% zeros, predicted decode speedup 7.20: sparse tiles}}
xf.global_weight @q4 : !xf.qtensor<128x256xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {sparsity = #xf.sparsity<zeros = 0.875, slots = 1>}
xf.global_weight @q8 : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {sparsity = #xf.sparsity<zeros = 0.9, slots = 1700>}

func.func @forward(%x: tensor<?x256xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %a = xf.weight @f16 : tensor<128x256xf16>
  %b = xf.weight @q8 : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %c = xf.weight @q4 : !xf.qtensor<128x256xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %y0 = xf.linear %x, %a : (tensor<?x256xf32>, tensor<128x256xf16>) -> tensor<?x128xf32>
  %y1 = xf.linear %x, %b compute int8 : (tensor<?x256xf32>, !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x128xf32>
  %y2 = xf.linear %x, %c compute int8 : (tensor<?x256xf32>, !xf.qtensor<128x256xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x128xf32>
  return %y0, %y1 : tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// Unstructured zeros in Q8_0 weights: no whole group is zero, so the
// sparse tiles save nothing, but the sparse codes keep only the nonzero
// values. Per block of 16 rows: 8 groups of 64 bytes of masks and 32 of
// scales, then 1229 values: 2048 bytes, counted 1.35 times, against 8 x
// 544 dense. At 20% zeros the codes (4096 bytes a block) lose to the
// dense tiles. A weight measured without a code count has none.

// CHECK-LABEL: xf.global_weight @q8_70
// CHECK-SAME: packing = #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 1229>
// CHECK-LABEL: xf.global_weight @q8_20
// CHECK-NOT: packing
// CHECK-LABEL: xf.global_weight @q8_uncounted
// CHECK-NOT: packing
// CHECK: func.func @codes
// ALWAYS-LABEL: xf.global_weight @q8_70
// ALWAYS-SAME: packing = #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 1229>
// ALWAYS-LABEL: xf.global_weight @q8_20
// ALWAYS-SAME: packing = #xf.layout<sparse, tile = [16, 4], vnni = 4, values = 3277>
// NEVER-LABEL: xf.global_weight @q8_70
// NEVER-NOT: packing
// Without AVX512_VBMI2 (sparse-codes=0), only the tiles are considered,
// which are no smaller here.
// NO-CODES-LABEL: xf.global_weight @q8_70
// NO-CODES-NOT: packing
// NO-CODES-LABEL: xf.global_weight @q8_20
// NO-CODES-NOT: packing
// NO-CODES-LABEL: func.func @codes
// expected-remark @below {{70.0% zeros, predicted decode speedup 1.57: sparse codes}}
xf.global_weight @q8_70 : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {sparsity = #xf.sparsity<zeros = 0.7, slots = 8, codes = 1229>}
// expected-remark @below {{20.0% zeros, predicted decode speedup 0.99: dense tiles}}
xf.global_weight @q8_20 : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {sparsity = #xf.sparsity<zeros = 0.2, slots = 8, codes = 3277>}
// expected-remark @below {{70.0% zeros, predicted decode speedup 0.99: dense tiles}}
xf.global_weight @q8_uncounted : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>> {sparsity = #xf.sparsity<zeros = 0.7, slots = 8>}

func.func @codes(%x: tensor<?x256xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) {
  %a = xf.weight @q8_70 : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %b = xf.weight @q8_20 : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %c = xf.weight @q8_uncounted : !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
  %y0 = xf.linear %x, %a compute int8 : (tensor<?x256xf32>, !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x128xf32>
  %y1 = xf.linear %x, %b compute int8 : (tensor<?x256xf32>, !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x128xf32>
  %y2 = xf.linear %x, %c compute int8 : (tensor<?x256xf32>, !xf.qtensor<128x256xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>) -> tensor<?x128xf32>
  return %y0, %y1, %y2 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>
}
