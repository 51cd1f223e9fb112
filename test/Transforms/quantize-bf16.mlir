// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=bf16 compute=bf16" | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-quantize="compute=bf16" -verify-diagnostics | FileCheck %s --check-prefix=KEEP

// Weights converted to bf16, then every GEMM whose weights are all bf16
// rounds its activations to bf16 (compute bf16).

// CHECK-LABEL: func.func @gemms
// CHECK: %[[W:.*]] = xf.convert %{{.*}} : tensor<16x64xf32> to tensor<16x64xbf16>
// CHECK: xf.linear %{{.*}}, %[[W]] compute bf16
// CHECK: xf.ffn swiglu {{.*}} compute bf16
// KEEP-LABEL: func.func @gemms
// KEEP-NOT: compute bf16
func.func @gemms(%x: tensor<?x64xf32>, %w: tensor<16x64xf32>, %gu: tensor<256x64xf32>, %d: tensor<64x128xf32>) -> (tensor<?x16xf32>, tensor<?x64xf32>) {
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  %1 = xf.ffn swiglu %x gate_up %gu down %d : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %0, %1 : tensor<?x16xf32>, tensor<?x64xf32>
}

// -----

// Weights that are bf16 already take bf16 compute on their own; a GEMM
// that reads a bf16 weight and another type keeps f32, with a remark.

// KEEP-LABEL: func.func @mixed
// KEEP: xf.linear %{{.*}}, %{{.*}} compute bf16
// KEEP-NOT: compute bf16
func.func @mixed(%x: tensor<?x64xf32>, %w: tensor<16x64xbf16>, %gu: tensor<256x64xbf16>, %d: tensor<64x128xf16>) -> (tensor<?x16xf32>, tensor<?x64xf32>) {
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<16x64xbf16>) -> tensor<?x16xf32>
  // expected-remark @+1 {{xf-quantize: keeps f32 activations: BF16 activations need bf16 weights}}
  %1 = xf.ffn swiglu %x gate_up %gu down %d : (tensor<?x64xf32>, tensor<256x64xbf16>, tensor<64x128xf16>) -> tensor<?x64xf32>
  return %0, %1 : tensor<?x16xf32>, tensor<?x64xf32>
}
