// RUN: xfc-opt %s -split-input-file -xf-lower-kron-branches | FileCheck %s --check-prefix=AUTO
// RUN: xfc-opt %s -split-input-file -xf-lower-kron-branches="tokens=64" | FileCheck %s --check-prefix=PREFILL
// RUN: xfc-opt %s -split-input-file -xf-lower-kron-branches="strategy=factored" | FileCheck %s --check-prefix=FACTORED
// RUN: xfc-opt %s -split-input-file -xf-lower-kron-branches="strategy=merged" | FileCheck %s --check-prefix=MERGED
// RUN: not xfc-opt %s -split-input-file -xf-lower-kron-branches="strategy=dense" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: xf-lower-kron-branches: unknown strategy 'dense' (expected auto, factored or merged)

// 768 wide with (32, 24) x (24, 32) factors: 36864 multiply-adds a token
// factored, against 2.4 MB of merged weights to read per step. Factored,
// A first ((A^T X) B: 36864 MACs, against 49152 for A^T (X B)), even for a
// prefill; merged on demand, appended to the FFN's second GEMM.

// AUTO-LABEL: func.func @t5_shapes
// AUTO-NOT: xf.kron_linear
// AUTO-NOT: xf.concat
// AUTO: %[[AT:.*]] = xf.transpose %arg3 [1, 0] : tensor<32x24xf32> -> tensor<24x32xf32>
// AUTO: %[[ATS:.*]] = xf.mul %[[AT]], %{{.*}} : (tensor<24x32xf32>, tensor<f32>)
// AUTO: %[[BT:.*]] = xf.transpose %arg4 [1, 0] : tensor<24x32xf32> -> tensor<32x24xf32>
// AUTO: xf.reshape %arg0 : tensor<?x768xf32> -> tensor<?x32x24xf32>
// AUTO: xf.linear %{{.*}}, %[[ATS]] {xf.adapter_branch} : (tensor<?x32xf32>, tensor<24x32xf32>) -> tensor<?x24xf32>
// AUTO: xf.linear %{{.*}}, %[[BT]] {xf.adapter_branch} : (tensor<?x24xf32>, tensor<32x24xf32>) -> tensor<?x32xf32>
// AUTO: %[[Y:.*]] = xf.reshape %{{.*}} : tensor<?x32xf32> -> tensor<?x768xf32>
// AUTO: %[[R:.*]] = xf.mul %arg0, %{{.*}} : (tensor<?x768xf32>, tensor<f32>)
// AUTO: xf.add %[[Y]], %[[R]]
// PREFILL-LABEL: func.func @t5_shapes
// PREFILL-NOT: xf.concat
// MERGED-LABEL: func.func @t5_shapes
// MERGED: %[[K:.*]] = xf.kron_delta %arg3, %arg4 scale 7.500000e-01 : (tensor<32x24xf32>, tensor<24x32xf32>) -> tensor<768x768xf32>
// MERGED: %[[M:.*]] = xf.transpose %[[K]] [1, 0]
// MERGED: %[[W:.*]] = xf.concat %arg2, %[[M]][1] : (tensor<768x64xf32>, tensor<768x768xf32>) -> tensor<768x832xf32>
// MERGED: %[[X:.*]] = xf.concat %arg1, %arg0[1] : (tensor<?x64xf32>, tensor<?x768xf32>) -> tensor<?x832xf32>
// MERGED: %[[Y:.*]] = xf.linear %[[X]], %[[W]] : (tensor<?x832xf32>, tensor<768x832xf32>) -> tensor<?x768xf32>
// MERGED: xf.add %[[Y]], %{{.*}}
// MERGED-NOT: xf.linear
// MERGED: return
func.func @t5_shapes(%x: tensor<?x768xf32>, %h: tensor<?x64xf32>, %down: tensor<768x64xf32>,
                     %a: tensor<32x24xf32>, %b: tensor<24x32xf32>) -> tensor<?x768xf32> {
  %d = xf.linear %h, %down : (tensor<?x64xf32>, tensor<768x64xf32>) -> tensor<?x768xf32>
  %k = xf.kron_linear %x, %a, %b scale 0.75 residual 0.5 : (tensor<?x768xf32>, tensor<32x24xf32>, tensor<24x32xf32>) -> tensor<?x768xf32>
  %y = xf.add %d, %k : (tensor<?x768xf32>, tensor<?x768xf32>) -> tensor<?x768xf32>
  return %y : tensor<?x768xf32>
}

// -----

// One factor almost the whole matrix, (384, 384) x (2, 2): 296k
// multiply-adds a token either way. Factored for a decode step (cheaper
// than reading the 2.4 MB of M), merged for 64 tokens (the large GEMM runs
// M's MACs faster than two small ones). B first when it is cheaper:
// (3, 256) x (256, 3) costs 4608 MACs that way, 393216 the other.

// AUTO-LABEL: func.func @big_factor
// AUTO-NOT: xf.concat
// AUTO: return
// PREFILL-LABEL: func.func @big_factor
// PREFILL: xf.kron_delta
// PREFILL: xf.concat
// PREFILL: xf.concat
// PREFILL: xf.linear
// PREFILL-NOT: xf.linear
// PREFILL: return
// FACTORED-LABEL: func.func @b_first
// FACTORED: xf.reshape %arg0 : tensor<4x768xf32> -> tensor<12x256xf32>
// FACTORED: xf.linear %{{.*}} {xf.adapter_branch} : (tensor<12x256xf32>, tensor<3x256xf32>) -> tensor<12x3xf32>
// FACTORED: xf.linear %{{.*}} {xf.adapter_branch} : (tensor<12x3xf32>, tensor<256x3xf32>) -> tensor<12x256xf32>
// FACTORED: xf.transpose %{{.*}} [0, 2, 1] : tensor<4x3x256xf32> -> tensor<4x256x3xf32>
// FACTORED: xf.reshape %{{.*}} : tensor<4x256x3xf32> -> tensor<4x768xf32>
func.func @big_factor(%x: tensor<?x768xf32>, %h: tensor<?x64xf32>, %down: tensor<768x64xf32>,
                      %a: tensor<384x384xf32>, %b: tensor<2x2xf32>) -> tensor<?x768xf32> {
  %d = xf.linear %h, %down : (tensor<?x64xf32>, tensor<768x64xf32>) -> tensor<?x768xf32>
  %k = xf.kron_linear %x, %a, %b scale 1.0 : (tensor<?x768xf32>, tensor<384x384xf32>, tensor<2x2xf32>) -> tensor<?x768xf32>
  %y = xf.add %d, %k : (tensor<?x768xf32>, tensor<?x768xf32>) -> tensor<?x768xf32>
  return %y : tensor<?x768xf32>
}
func.func @b_first(%x: tensor<4x768xf32>, %a: tensor<3x256xf32>, %b: tensor<256x3xf32>) -> tensor<4x768xf32> {
  %k = xf.kron_linear %x, %a, %b scale 1.0 : (tensor<4x768xf32>, tensor<3x256xf32>, tensor<256x3xf32>) -> tensor<4x768xf32>
  return %k : tensor<4x768xf32>
}

// -----

// Merged without a GEMM to join (the branch alone): M gets a GEMM of its
// own. A quantized FFN weight cannot take f32 rows either.

// MERGED-LABEL: func.func @alone
// MERGED: %[[M:.*]] = xf.transpose
// MERGED: xf.linear %arg0, %[[M]] {xf.adapter_branch} : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
// MERGED-LABEL: func.func @quantized_down
// MERGED: xf.linear %arg1, %arg2 compute int8
// MERGED: xf.linear %arg0, %{{.*}} {xf.adapter_branch} : (tensor<?x64xf32>, tensor<64x64xf32>)
func.func @alone(%x: tensor<?x64xf32>, %a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> tensor<?x64xf32> {
  %k = xf.kron_linear %x, %a, %b scale 1.0 : (tensor<?x64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x64xf32>
  return %k : tensor<?x64xf32>
}
!q4 = !xf.qtensor<64x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
func.func @quantized_down(%x: tensor<?x64xf32>, %h: tensor<?x32xf32>, %down: !q4,
                          %a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> tensor<?x64xf32> {
  %d = xf.linear %h, %down compute int8 : (tensor<?x32xf32>, !q4) -> tensor<?x64xf32>
  %k = xf.kron_linear %x, %a, %b scale 1.0 : (tensor<?x64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x64xf32>
  %y = xf.add %d, %k : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
