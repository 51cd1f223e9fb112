// RUN: xfc-opt %s -split-input-file -xf-convert-kv-cache=element=int8 | FileCheck %s --check-prefix=INT8
// RUN: xfc-opt %s -split-input-file -xf-convert-kv-cache=element=f16 | FileCheck %s --check-prefix=F16
// RUN: xfc-opt %s -split-input-file -xf-convert-kv-cache | FileCheck %s --check-prefix=KEEP
// RUN: not xfc-opt %s -split-input-file -xf-convert-kv-cache=element=int4 2>&1 | FileCheck %s --check-prefix=BAD

// The entry point's caches and the layer function's (its signature, which
// the call must keep matching) are retyped; the ops on them are not
// touched, and other arguments keep their types.
// INT8-LABEL: func.func private @layer(
// INT8-SAME: %{{.*}}: tensor<?x2x16xf32>, %[[C:.*]]: !xf.kv_cache<64x2x16xi8>, %{{.*}}: index)
// INT8: xf.attention %{{.*}} cache %[[C]] at %{{.*}} causal : {{.*}}, !xf.kv_cache<64x2x16xi8> -> tensor<?x2x16xf32>
// INT8-LABEL: func.func @forward(
// INT8-SAME: %{{.*}}: !xf.kv_cache<64x2x16xi8> {xf.name = "cache.0"}, %{{.*}}: !xf.kv_cache<64x2x16xi8> {xf.name = "cache.1"}
// INT8: call @layer(%{{.*}}) : (tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xi8>, index) -> tensor<?x2x16xf32>
// INT8: call @layer(%{{.*}}) : (tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xi8>, index) -> tensor<?x2x16xf32>
// F16-LABEL: func.func private @layer(
// F16-SAME: !xf.kv_cache<64x2x16xf16>
// F16-LABEL: func.func @forward(
// F16-SAME: %{{.*}}: !xf.kv_cache<64x2x16xf16> {xf.name = "cache.0"}, %{{.*}}: !xf.kv_cache<64x2x16xf16> {xf.name = "cache.1"}
// KEEP-LABEL: func.func @forward(
// KEEP-SAME: !xf.kv_cache<64x2x16xf32> {xf.name = "cache.0"}, %{{.*}}: !xf.kv_cache<64x2x16xf32> {xf.name = "cache.1"}
// BAD: error: xf-convert-kv-cache: unknown element 'int4' (expected keep, f32, f16, bf16 or int8)
func.func private @layer(%x: tensor<?x2x16xf32>, %c: !xf.kv_cache<64x2x16xf32>, %pos: index) -> tensor<?x2x16xf32> {
  %o = xf.attention %x, %x, %x cache %c at %pos causal : tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>
  return %o : tensor<?x2x16xf32>
}

func.func @forward(%x: tensor<?x2x16xf32>, %c0: !xf.kv_cache<64x2x16xf32> {xf.name = "cache.0"}, %c1: !xf.kv_cache<64x2x16xf32> {xf.name = "cache.1"}, %pos: index) -> tensor<?x2x16xf32> {
  %y = call @layer(%x, %c0, %pos) : (tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32>, index) -> tensor<?x2x16xf32>
  %z = call @layer(%y, %c1, %pos) : (tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32>, index) -> tensor<?x2x16xf32>
  return %z : tensor<?x2x16xf32>
}
