// RUN: xfc-opt %s -split-input-file -xf-fuse-qkv | FileCheck %s --check-prefix=QKV
// RUN: xfc-opt %s -split-input-file -xf-fuse-ffn | FileCheck %s --check-prefix=FFN
// RUN: xfc-opt %s -split-input-file -xf-decompose-fused | FileCheck %s --check-prefix=DEC
// RUN: xfc-opt %s -split-input-file -xf-quantize=weights=int8 | FileCheck %s --check-prefix=INT8
// RUN: xfc-opt %s -split-input-file -xf-quantize=weights=f16 | FileCheck %s --check-prefix=F16

// How the graph passes treat `backend` (xf-select-kernels' choice): a
// fusion joins only GEMMs with one backend and keeps it; decomposition
// gives it to every projection; quantizing a weight to ggml blocks, which
// oneDNN cannot read, drops it, while f16 weights keep it.

// QKV-LABEL: func.func @siblings
// QKV: %[[W:.*]] = xf.concat %{{.*}}, %{{.*}}[0] : (tensor<64x64xf32>, tensor<32x64xf32>) -> tensor<96x64xf32>
// QKV: xf.linear %{{.*}}, %[[W]] backend onednn : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
// QKV: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
// INT8-LABEL: func.func @siblings
// INT8-NOT: backend
// F16-LABEL: func.func @siblings
// F16: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<64x64xf16>)
func.func @siblings(%x: tensor<?x64xf32>, %wq: tensor<64x64xf32>, %wk: tensor<32x64xf32>, %wv: tensor<32x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %q = xf.linear %x, %wq backend onednn : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %k = xf.linear %x, %wk backend onednn : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %v = xf.linear %x, %wv : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  return %q, %k, %v : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// FFN-LABEL: func.func @ffn_same
// FFN: xf.ffn swiglu %{{.*}} gate_up %{{.*}} down %{{.*}} backend onednn :
// DEC-LABEL: func.func @ffn_same
// DEC-NOT: xf.ffn
func.func @ffn_same(%x: tensor<?x64xf32>, %wg: tensor<128x64xf32>, %wu: tensor<128x64xf32>, %wd: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %g = xf.linear %x, %wg backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  %u = xf.linear %x, %wu backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  %s = xf.silu %g : tensor<?x128xf32>
  %h = xf.mul %s, %u : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  %y = xf.linear %h, %wd backend onednn : (tensor<?x128xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// FFN-LABEL: func.func @ffn_mixed
// FFN-NOT: xf.ffn
// FFN: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x128xf32>, tensor<64x128xf32>)
func.func @ffn_mixed(%x: tensor<?x64xf32>, %wg: tensor<128x64xf32>, %wu: tensor<128x64xf32>, %wd: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %g = xf.linear %x, %wg : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  %u = xf.linear %x, %wu : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  %s = xf.silu %g : tensor<?x128xf32>
  %h = xf.mul %s, %u : (tensor<?x128xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  %y = xf.linear %h, %wd backend onednn : (tensor<?x128xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// DEC-LABEL: func.func @decompose
// DEC: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<256x64xf32>) -> tensor<?x256xf32>
// DEC: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x128xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
// INT8-LABEL: func.func @decompose
// INT8: xf.ffn swiglu {{.*}} : (tensor<?x64xf32>, !xf.qtensor
// F16-LABEL: func.func @decompose
// F16: xf.ffn swiglu {{.*}} backend onednn : (tensor<?x64xf32>, tensor<256x64xf16>, tensor<64x128xf16>)
func.func @decompose(%x: tensor<?x64xf32>, %gu: tensor<256x64xf32>, %d: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %y = xf.ffn swiglu %x gate_up %gu down %d backend onednn : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
