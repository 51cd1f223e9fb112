// RUN: xfc-opt %s -split-input-file -xf-batch-decode=max-rows=2 -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-batch-decode=max-rows=0 | FileCheck %s --check-prefix=NONE

// Two layers (no cycle). @decode_batch<M> runs @forward on M tokens of M
// sequences: the embedding, each layer's per-row variant (its attention
// split per row, each row on its own cache at its own position) and the
// classifier once on all rows. Row r's caches are cache.<r>.<l>
// (xf.cache_row = r), the runtime's slot of that row's sequence.
// CHECK: module attributes {xf.batch_rows = 2 : i64}
// CHECK-LABEL: func.func private @layer_attention_row(
// CHECK-LABEL: func.func private @layer_rows2(
// CHECK-SAME: %{{[^:]*}}: tensor<?x8xf32>, %{{[^:]*}}: tensor<?xi32>, %[[P0:[^:]*]]: index, %[[P1:[^:]*]]: index, %[[C0:[^:]*]]: !xf.kv_cache<16x1x8xf32>, %[[C1:[^:]*]]: !xf.kv_cache<16x1x8xf32>, %{{[^:]*}}: tensor<8x8xf32>
// CHECK: call @layer_attention_row(%{{.*}}, %{{.*}}, %{{.*}}, %[[C0]], %[[P0]])
// CHECK: call @layer_attention_row(%{{.*}}, %{{.*}}, %{{.*}}, %[[C1]], %[[P1]])
// CHECK-LABEL: func.func private @layer_rows1(
// CHECK-LABEL: func.func @forward(
// CHECK-LABEL: func.func @decode_batch1(
// CHECK-LABEL: func.func @decode_batch2(
// CHECK-SAME: %[[T:[^:]*]]: tensor<?xi32> {xf.name = "tokens"}, %[[SP:[^:]*]]: tensor<?xi32> {xf.name = "positions"},
// CHECK-SAME: %[[C00:[^:]*]]: !xf.kv_cache<16x1x8xf32> {xf.cache_row = 0 : i64, xf.name = "cache.0.0"},
// CHECK-SAME: %[[C01:[^:]*]]: !xf.kv_cache<16x1x8xf32> {xf.cache_row = 0 : i64, xf.name = "cache.0.1"},
// CHECK-SAME: %[[C10:[^:]*]]: !xf.kv_cache<16x1x8xf32> {xf.cache_row = 1 : i64, xf.name = "cache.1.0"},
// CHECK-SAME: %[[C11:[^:]*]]: !xf.kv_cache<16x1x8xf32> {xf.cache_row = 1 : i64, xf.name = "cache.1.1"})
// CHECK-SAME: -> tensor<?x32xf32>
// CHECK: %[[E0:.*]] = tensor.extract %[[SP]][%{{.*}}]
// CHECK: %[[R0:.*]] = arith.index_cast %[[E0]] : i32 to index
// CHECK: %[[E1:.*]] = tensor.extract %[[SP]][%{{.*}}]
// CHECK: %[[R1:.*]] = arith.index_cast %[[E1]] : i32 to index
// CHECK: %[[EW:.*]] = xf.weight @embd
// CHECK: %[[X:.*]] = xf.embedding %[[EW]][%[[T]]]
// CHECK: %[[W:.*]] = xf.weight @w
// CHECK: %[[Y1:.*]] = call @layer_rows2(%[[X]], %[[SP]], %[[R0]], %[[R1]], %[[C00]], %[[C10]], %[[W]])
// CHECK: %[[W2:.*]] = xf.weight @w2
// CHECK: %[[Y2:.*]] = call @layer_rows2(%[[Y1]], %[[SP]], %[[R0]], %[[R1]], %[[C01]], %[[C11]], %[[W2]])
// CHECK: %[[HW:.*]] = xf.weight @head
// CHECK: %[[L:.*]] = xf.linear %[[Y2]], %[[HW]]
// CHECK: return %[[L]]
// NONE-NOT: decode_batch
// NONE-NOT: xf.batch_rows
module {
  xf.global_weight @embd : tensor<32x8xf32>
  xf.global_weight @w : tensor<8x8xf32>
  xf.global_weight @w2 : tensor<8x8xf32>
  xf.global_weight @head : tensor<32x8xf32>
  func.func private @layer(%x: tensor<?x8xf32>, %pos: tensor<?xi32>, %p: index, %c: !xf.kv_cache<16x1x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
    %y = xf.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    %h = xf.reshape %y : tensor<?x8xf32> -> tensor<?x1x8xf32>
    %q = xf.rope interleaved %h, %pos theta = 1.000000e+04 : tensor<?x1x8xf32>, tensor<?xi32>
    %a = xf.attention %q, %h, %h cache %c at %p causal : tensor<?x1x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32>, !xf.kv_cache<16x1x8xf32> -> tensor<?x1x8xf32>
    %o = xf.reshape %a : tensor<?x1x8xf32> -> tensor<?x8xf32>
    %r = xf.add %x, %o : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
  func.func @forward(%t: tensor<?xi32> {xf.name = "tokens"}, %pos: tensor<?xi32> {xf.name = "positions"}, %p: index {xf.name = "position"}, %c0: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.0"}, %c1: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.1"}) -> tensor<?x32xf32> {
    %e = xf.weight @embd : tensor<32x8xf32>
    %x = xf.embedding %e[%t] : (tensor<32x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %w = xf.weight @w : tensor<8x8xf32>
    %x1 = call @layer(%x, %pos, %p, %c0, %w) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    %w2 = xf.weight @w2 : tensor<8x8xf32>
    %x2 = call @layer(%x1, %pos, %p, %c1, %w2) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    %hw = xf.weight @head : tensor<32x8xf32>
    %l = xf.linear %x2, %hw : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
    return %l : tensor<?x32xf32>
  }
}

// -----

// A module without @forward (a graph, or a model split across sockets) is
// left alone.
// CHECK-LABEL: module {
// CHECK-NOT: decode_batch
module {
  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// The classifier reads the shared position, which a batch row does not
// have: the model compiles without batch entry points, and what was built
// for them is gone.
// CHECK-LABEL: module {
// CHECK-NOT: decode_batch
// CHECK-NOT: _rows
// CHECK-NOT: attention_row
module {
  func.func private @layer(%x: tensor<?x8xf32>, %pos: tensor<?xi32>, %p: index, %c: !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32> {
    %h = xf.reshape %x : tensor<?x8xf32> -> tensor<?x1x8xf32>
    %a = xf.attention %h, %h, %h cache %c at %p causal : tensor<?x1x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32>, !xf.kv_cache<16x1x8xf32> -> tensor<?x1x8xf32>
    %o = xf.reshape %a : tensor<?x1x8xf32> -> tensor<?x8xf32>
    return %o : tensor<?x8xf32>
  }
  // expected-warning @+1 {{xf-batch-decode: the new entry point cannot read @forward's argument 'position'; compiling without batch decode entry points}}
  func.func @forward(%t: tensor<?x8xf32> {xf.name = "tokens"}, %pos: tensor<?xi32> {xf.name = "positions"}, %p: index {xf.name = "position"}, %c0: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.0"}) -> tensor<1x8xf32> {
    %x1 = call @layer(%t, %pos, %p, %c0) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32>
    %y = tensor.extract_slice %x1[%p, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// Two layer calls share one cache: a slot, laid out as @forward's caches,
// would give both rows of a layer the same memory. No entry points.
// CHECK-LABEL: module {
// CHECK-NOT: decode_batch
module {
  func.func private @layer(%x: tensor<?x8xf32>, %pos: tensor<?xi32>, %p: index, %c: !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32> {
    %h = xf.reshape %x : tensor<?x8xf32> -> tensor<?x1x8xf32>
    %a = xf.attention %h, %h, %h cache %c at %p causal : tensor<?x1x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32>, !xf.kv_cache<16x1x8xf32> -> tensor<?x1x8xf32>
    %o = xf.reshape %a : tensor<?x1x8xf32> -> tensor<?x8xf32>
    return %o : tensor<?x8xf32>
  }
  // expected-warning @+1 {{xf-batch-decode: expected one KV cache per layer call, found 1 caches and 2 layer calls; compiling without batch decode entry points}}
  func.func @forward(%t: tensor<?x8xf32> {xf.name = "tokens"}, %pos: tensor<?xi32> {xf.name = "positions"}, %p: index {xf.name = "position"}, %c0: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.0"}) -> tensor<?x8xf32> {
    %x1 = call @layer(%t, %pos, %p, %c0) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32>
    %x2 = call @layer(%x1, %pos, %p, %c0) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32>
    return %x2 : tensor<?x8xf32>
  }
}
