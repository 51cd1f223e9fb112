// RUN: xfc-opt %s -split-input-file -xf-bind-weights | FileCheck %s

// A split model's blob: the weights several shards read (replicated) first,
// then each shard's own from a page boundary on, in shard order whatever
// the declaration order; xf.weight_shards gives each shard's byte range.
// CHECK: module attributes {xf.shards = 2 : i64, xf.weight_bytes = 8448 : i64, xf.weight_layout = [
// CHECK-SAME: {name = "emb", offset = 0 : i64, type = tensor<8x16xf32>},
// CHECK-SAME: {name = "norm", offset = 512 : i64, type = tensor<16xf32>},
// CHECK-SAME: {name = "a0", offset = 4096 : i64, type = tensor<4x16xf32>},
// CHECK-SAME: {name = "b0", offset = 4352 : i64, type = tensor<4x16xf32>},
// CHECK-SAME: {name = "a1", offset = 8192 : i64, type = tensor<4x16xf32>}],
// CHECK-SAME: xf.weight_shards = [array<i64: 4096, 4608>, array<i64: 8192, 8448>]}
// CHECK-LABEL: func.func @forward_shard0
// CHECK-DAG: memref.view %{{.*}}[%c0{{.*}}][] : memref<?xi8> to memref<8x16xf32>
// CHECK-DAG: memref.view %{{.*}}[%c4096{{.*}}][] : memref<?xi8> to memref<4x16xf32>
// CHECK-LABEL: func.func @forward_shard1
// CHECK-DAG: memref.view %{{.*}}[%c8192{{.*}}][] : memref<?xi8> to memref<4x16xf32>
module attributes {xf.shards = 2 : i64} {
  xf.global_weight @a1 : tensor<4x16xf32>
  xf.global_weight @emb : tensor<8x16xf32>
  xf.global_weight @a0 : tensor<4x16xf32>
  xf.global_weight @norm : tensor<16xf32>
  xf.global_weight @b0 : tensor<4x16xf32>
  func.func @forward_shard0() -> (tensor<8x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<4x16xf32>) attributes {xf.shard = 0 : i64} {
    %e = xf.weight @emb : tensor<8x16xf32>
    %a = xf.weight @a0 : tensor<4x16xf32>
    %n = xf.weight @norm : tensor<16xf32>
    %b = xf.weight @b0 : tensor<4x16xf32>
    return %e, %a, %n, %b : tensor<8x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<4x16xf32>
  }
  func.func @forward_shard1() -> (tensor<8x16xf32>, tensor<4x16xf32>, tensor<16xf32>) attributes {xf.shard = 1 : i64} {
    %e = xf.weight @emb : tensor<8x16xf32>
    %a = xf.weight @a1 : tensor<4x16xf32>
    %n = xf.weight @norm : tensor<16xf32>
    return %e, %a, %n : tensor<8x16xf32>, tensor<4x16xf32>, tensor<16xf32>
  }
}

// -----

// Not split: declaration order, no shard ranges.
// CHECK: module attributes {xf.weight_bytes = 512 : i64, xf.weight_layout = [
// CHECK-SAME: {name = "b", offset = 0 : i64, type = tensor<4x16xf32>},
// CHECK-SAME: {name = "a", offset = 256 : i64, type = tensor<4x16xf32>}]}
// CHECK-NOT: xf.weight_shards
module {
  xf.global_weight @b : tensor<4x16xf32>
  xf.global_weight @a : tensor<4x16xf32>
  func.func @forward() -> (tensor<4x16xf32>, tensor<4x16xf32>) {
    %a = xf.weight @a : tensor<4x16xf32>
    %b = xf.weight @b : tensor<4x16xf32>
    return %a, %b : tensor<4x16xf32>, tensor<4x16xf32>
  }
}
