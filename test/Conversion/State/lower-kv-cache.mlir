// RUN: xfc-opt %s -split-input-file -xf-lower-kv-cache -verify-diagnostics | FileCheck %s

// An entry point's caches (one per layer, of one type) become one memref
// of all layers, whose layer l is a view of the type a layer function
// takes. f32 rows are copied in place and read in place.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[ALL:[^:]*]]: memref<2x2x64x2x16xf32> {xf.name = "caches"}
// CHECK-SAME: %[[POS:[^:]*]]: index
// CHECK: %[[L0:.*]] = memref.subview %[[ALL]][0, 0, 0, 0, 0] [1, 2, 64, 2, 16] [1, 1, 1, 1, 1] : memref<2x2x64x2x16xf32> to memref<2x64x2x16xf32, strided<[2048, 32, 16, 1]>>
// CHECK: %[[C0:.*]] = memref.cast %[[L0]] : {{.*}} to memref<2x64x2x16xf32, strided<[2048, 32, 16, 1], offset: ?>>
// CHECK: memref.subview %[[ALL]][1, 0, 0, 0, 0]
// CHECK: %[[KROWS:.*]] = memref.subview %[[C0]][0, %[[POS]], 0, 0] [1, %{{.*}}, 2, 16] [1, 1, 1, 1]
// CHECK: bufferization.materialize_in_destination %{{.*}} in writable %[[KROWS]]
// CHECK: %[[VROWS:.*]] = memref.subview %[[C0]][1, %[[POS]], 0, 0]
// CHECK: bufferization.materialize_in_destination %{{.*}} in writable %[[VROWS]]
// CHECK: %[[KVIEW:.*]] = memref.subview %[[C0]][0, 0, 0, 0] [1, %[[POS]], 2, 16]
// CHECK: %[[KEYS:.*]] = bufferization.to_tensor %[[KVIEW]] restrict
// CHECK: return %[[KEYS]]
func.func @forward(%c0: !xf.kv_cache<64x2x16xf32> {xf.name = "cache.0"}, %c1: !xf.kv_cache<64x2x16xf32> {xf.name = "cache.1"}, %pos: index, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  xf.kv_append %c0[%pos], %k, %k : !xf.kv_cache<64x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>
  %keys, %values = xf.kv_read %c0[%pos] : !xf.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>, tensor<?x2x16xf32>
  return %keys : tensor<?x2x16xf32>
}

// -----

// An f16 cache in a layer function: f32 rows are rounded before the copy,
// and a read as f32 widens what it reads in place.
// CHECK-LABEL: func.func private @layer_f16(
// CHECK-SAME: %[[C:[^:]*]]: memref<2x64x2x16xf16, strided<[2048, 32, 16, 1], offset: ?>>
// CHECK-SAME: %[[POS:[^:]*]]: index, %[[K:[^:]*]]: tensor<?x2x16xf32>
// CHECK: %[[K16:.*]] = xf.convert %[[K]] : tensor<?x2x16xf32> to tensor<?x2x16xf16>
// CHECK: %[[KROWS:.*]] = memref.subview %[[C]][0, %[[POS]], 0, 0]
// CHECK: bufferization.materialize_in_destination %[[K16]] in writable %[[KROWS]]
// CHECK: %[[VIEW:.*]] = memref.subview %[[C]][0, 0, 0, 0] [1, %[[POS]], 2, 16]
// CHECK: %[[RAW:.*]] = bufferization.to_tensor %[[VIEW]] restrict {{.*}} to tensor<?x2x16xf16>
// CHECK: %[[WIDE:.*]] = xf.convert %[[RAW]] : tensor<?x2x16xf16> to tensor<?x2x16xf32>
// CHECK: return %[[WIDE]]
func.func private @layer_f16(%c: !xf.kv_cache<64x2x16xf16>, %pos: index, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  xf.kv_append %c[%pos], %k, %k : !xf.kv_cache<64x2x16xf16>, tensor<?x2x16xf32>, tensor<?x2x16xf32>
  %keys, %values = xf.kv_read %c[%pos] : !xf.kv_cache<64x2x16xf16> -> tensor<?x2x16xf32>, tensor<?x2x16xf32>
  return %keys : tensor<?x2x16xf32>
}

// -----

// An i8 cache stores rows of 16 codes and 4 scale bytes. Appending
// quantizes each (token, head) row: max|x|, then the codes, then the
// scale's bytes, copied into the two parts of the rows. A read as f32
// dequantizes the prefix; xf.kv_read_raw reads the stored rows in place.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[B0:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
// CHECK-DAG: #[[B3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, 3)>
// CHECK-LABEL: func.func private @layer_i8(
// CHECK-SAME: %[[C:[^:]*]]: memref<2x64x2x20xi8, strided<[2560, 40, 20, 1], offset: ?>>
// CHECK-SAME: %[[POS:[^:]*]]: index, %[[K:[^:]*]]: tensor<?x2x16xf32>, %[[V:[^:]*]]: tensor<?x2x16xf32>
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[K]] : tensor<?x2x16xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[CODES:.*]] = linalg.generic {{.*}} ins(%[[K]], %[[MAX]] : tensor<?x2x16xf32>, tensor<?x2xf32>) outs(%{{.*}} : tensor<?x2x16xi8>)
// CHECK: %[[SCALE:.*]] = arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK: %[[INV:.*]] = arith.divf %cst{{.*}}, %[[SCALE]] : f32
// CHECK: %[[X:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: math.roundeven %[[X]]
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: %[[BYTES:.*]] = linalg.generic {{.*}} ins(%[[MAX]] : tensor<?x2xf32>) outs(%{{.*}} : tensor<?x2x4xi8>)
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: linalg.index 2
// CHECK: arith.shrui
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: %[[KCODES:.*]] = memref.subview %[[C]][0, %[[POS]], 0, 0] [1, %{{.*}}, 2, 16] [1, 1, 1, 1] {{.*}} to memref<?x2x16xi8, strided<[40, 20, 1], offset: ?>>
// CHECK: bufferization.materialize_in_destination %[[CODES]] in writable %[[KCODES]]
// CHECK: %[[KSCALES:.*]] = memref.subview %[[C]][0, %[[POS]], 0, 16] [1, %{{.*}}, 2, 4] [1, 1, 1, 1] {{.*}} to memref<?x2x4xi8, strided<[40, 20, 1], offset: ?>>
// CHECK: bufferization.materialize_in_destination %[[BYTES]] in writable %[[KSCALES]]
// The values, the same way, at index 1.
// CHECK: linalg.generic {{.*}} ins(%[[V]] : tensor<?x2x16xf32>)
// CHECK: memref.subview %[[C]][1, %[[POS]], 0, 0] [1, %{{.*}}, 2, 16]
// CHECK: memref.subview %[[C]][1, %[[POS]], 0, 16] [1, %{{.*}}, 2, 4]
// Dequantizing read: codes times the scale the four bytes spell.
// CHECK: %[[RC:.*]] = memref.subview %[[C]][0, 0, 0, 0] [1, %[[POS]], 2, 16]
// CHECK: %[[RCODES:.*]] = bufferization.to_tensor %[[RC]] restrict
// CHECK: %[[RS:.*]] = memref.subview %[[C]][0, 0, 0, 16] [1, %[[POS]], 2, 4]
// CHECK: %[[RBYTES:.*]] = bufferization.to_tensor %[[RS]] restrict
// CHECK: %[[KEYS:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[B0]], #{{.*}}, #{{.*}}, #[[B3]], #[[ID]]], {{.*}} ins(%[[RCODES]], %[[RBYTES]], %[[RBYTES]], %[[RBYTES]], %[[RBYTES]] : {{.*}}) outs(%{{.*}} : tensor<?x2x16xf32>)
// CHECK-COUNT-3: arith.ori
// CHECK-NEXT: %[[S:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[CF:.*]] = arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.mulf %[[CF]], %[[S]] : f32
// CHECK: %[[RAWV:.*]] = memref.subview %[[C]][1, 0, 0, 0] [1, %[[POS]], 2, 20]
// CHECK: %[[RAW:.*]] = bufferization.to_tensor %[[RAWV]] restrict {{.*}} to tensor<?x2x20xi8>
// CHECK: return %[[KEYS]], %[[RAW]]
func.func private @layer_i8(%c: !xf.kv_cache<64x2x16xi8>, %pos: index, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> (tensor<?x2x16xf32>, tensor<?x2x20xi8>) {
  xf.kv_append %c[%pos], %k, %v : !xf.kv_cache<64x2x16xi8>, tensor<?x2x16xf32>, tensor<?x2x16xf32>
  %keys, %values = xf.kv_read %c[%pos] : !xf.kv_cache<64x2x16xi8> -> tensor<?x2x16xf32>, tensor<?x2x16xf32>
  %rk, %rv = xf.kv_read_raw %c[%pos] : !xf.kv_cache<64x2x16xi8> -> tensor<?x2x20xi8>, tensor<?x2x20xi8>
  return %keys, %rv : tensor<?x2x16xf32>, tensor<?x2x20xi8>
}

// -----

// expected-error @+1 {{all KV caches of a function must have one type}}
func.func @mixed(%c0: !xf.kv_cache<64x2x16xf32>, %c1: !xf.kv_cache<64x2x16xi8>) {
  return
}

// -----

// A SPEED stage's caches: those of each row (xf.cache_row) make a memref
// of their own, in row order, so the runtime can point each row at its
// repetition group's layers. A one-row append keeps its static size.
// CHECK-LABEL: func.func @speed_stage2(
// CHECK-SAME: %[[H:[^:]*]]: tensor<?x16xf32>
// CHECK-SAME: %[[ROW0:[^:]*]]: memref<2x2x64x2x16xf32> {xf.name = "caches.0"}
// CHECK-SAME: %[[ROW1:[^:]*]]: memref<2x2x64x2x16xf32> {xf.name = "caches.1"}
// CHECK-SAME: %[[POS:[^:]*]]: index
// CHECK: %[[R0L1:.*]] = memref.subview %[[ROW0]][1, 0, 0, 0, 0]
// CHECK: %[[C01:.*]] = memref.cast %[[R0L1]]
// CHECK: %[[R1L0:.*]] = memref.subview %[[ROW1]][0, 0, 0, 0, 0]
// CHECK: %[[C10:.*]] = memref.cast %[[R1L0]]
// CHECK: memref.subview %[[C01]][0, %[[POS]], 0, 0] [1, 1, 2, 16] [1, 1, 1, 1] : {{.*}} to memref<1x2x16xf32,
// CHECK: memref.subview %[[C10]][0, %[[POS]], 0, 0] [1, 1, 2, 16]
func.func @speed_stage2(%h: tensor<?x16xf32>, %c00: !xf.kv_cache<64x2x16xf32> {xf.cache_row = 0 : i64}, %c01: !xf.kv_cache<64x2x16xf32> {xf.cache_row = 0 : i64}, %c10: !xf.kv_cache<64x2x16xf32> {xf.cache_row = 1 : i64}, %c11: !xf.kv_cache<64x2x16xf32> {xf.cache_row = 1 : i64}, %pos: index, %k: tensor<1x2x16xf32>) -> tensor<?x16xf32> {
  xf.kv_append %c01[%pos], %k, %k : !xf.kv_cache<64x2x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>
  xf.kv_append %c10[%pos], %k, %k : !xf.kv_cache<64x2x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>
  return %h : tensor<?x16xf32>
}
