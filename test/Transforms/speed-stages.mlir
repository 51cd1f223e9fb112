// RUN: xfc-opt %s -split-input-file -xf-speed-stages -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-speed-stages=max-rows=1 -verify-diagnostics | FileCheck %s --check-prefix=ONE
// SPEED stages and batch decode entry points share the per-row layers.
// RUN: xfc-opt %s -split-input-file -xf-speed-stages -xf-batch-decode=max-rows=2 2>/dev/null | FileCheck %s --check-prefix=BOTH

// One distinct layer repeated twice. @speed_embed is @forward's head; each
// @speed_stage<M> runs the layer once on M rows, each row's attention on
// its own cache (xf.cache_row) at its own position, then the classifier.
// The one-row attention is a function of its own: one copy of its kernel
// for every M.
// CHECK: module attributes {xf.layer_cycle = array<i64: 1, 2>, xf.speed_rows = 2 : i64}
// CHECK-LABEL: func.func private @layer_attention_row(
// CHECK-SAME: %[[AQ:[^:]*]]: tensor<1x1x8xf32>, %[[AK:[^:]*]]: tensor<1x1x8xf32>, %[[AV:[^:]*]]: tensor<1x1x8xf32>, %[[AC:[^:]*]]: !xf.kv_cache<16x1x8xf32>, %[[AP:[^:]*]]: index) -> tensor<1x1x8xf32>
// CHECK: %[[AO:.*]] = xf.attention %[[AQ]], %[[AK]], %[[AV]] cache %[[AC]] at %[[AP]] causal : {{.*}} -> tensor<1x1x8xf32>
// CHECK: return %[[AO]]
// CHECK-LABEL: func.func private @layer_rows2(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>, %[[POS:[^:]*]]: tensor<?xi32>, %[[P0:[^:]*]]: index, %[[P1:[^:]*]]: index, %[[C0:[^:]*]]: !xf.kv_cache<16x1x8xf32>, %[[C1:[^:]*]]: !xf.kv_cache<16x1x8xf32>, %[[W:[^:]*]]: tensor<8x8xf32>
// CHECK: %[[Q:.*]] = xf.rope interleaved
// CHECK: %[[Q0:.*]] = xf.slice %[[Q]][0 : 0, 1] : tensor<?x1x8xf32> -> tensor<1x1x8xf32>
// CHECK: %[[A0:.*]] = call @layer_attention_row(%[[Q0]], %{{.*}}, %{{.*}}, %[[C0]], %[[P0]])
// CHECK: %[[Q1:.*]] = xf.slice %[[Q]][0 : 1, 1] : tensor<?x1x8xf32> -> tensor<1x1x8xf32>
// CHECK: %[[A1:.*]] = call @layer_attention_row(%[[Q1]], %{{.*}}, %{{.*}}, %[[C1]], %[[P1]])
// CHECK: xf.concat %[[A0]], %[[A1]][0] : (tensor<1x1x8xf32>, tensor<1x1x8xf32>) -> tensor<?x1x8xf32>
// CHECK-LABEL: func.func private @layer_rows1(
// CHECK-LABEL: func.func @forward(
// CHECK-LABEL: func.func @speed_embed(
// CHECK-SAME: %[[T:.*]]: tensor<?xi32> {xf.name = "tokens"}, %{{.*}}: tensor<?xi32> {xf.name = "positions"}) -> tensor<?x8xf32>
// CHECK: %[[E:.*]] = xf.weight @embd
// CHECK: %[[R:.*]] = xf.embedding %[[E]][%[[T]]]
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @speed_stage1(
// CHECK-LABEL: func.func @speed_stage2(
// CHECK-SAME: %[[H:[^:]*]]: tensor<?x8xf32> {xf.name = "hidden"}, %[[SP:[^:]*]]: tensor<?xi32> {xf.name = "positions"},
// CHECK-SAME: %[[SC0:[^:]*]]: !xf.kv_cache<16x1x8xf32> {xf.cache_row = 0 : i64, xf.name = "cache.0.0"},
// CHECK-SAME: %[[SC1:[^:]*]]: !xf.kv_cache<16x1x8xf32> {xf.cache_row = 1 : i64, xf.name = "cache.1.0"})
// CHECK-SAME: -> (tensor<?x8xf32>, tensor<?x32xf32>)
// CHECK: %[[I0:.*]] = arith.constant 0 : index
// CHECK: %[[E0:.*]] = tensor.extract %[[SP]][%[[I0]]]
// CHECK: %[[R0:.*]] = arith.index_cast %[[E0]] : i32 to index
// CHECK: %[[I1:.*]] = arith.constant 1 : index
// CHECK: %[[E1:.*]] = tensor.extract %[[SP]][%[[I1]]]
// CHECK: %[[R1:.*]] = arith.index_cast %[[E1]] : i32 to index
// CHECK: %[[LW:.*]] = xf.weight @w
// CHECK: %[[Y:.*]] = call @layer_rows2(%[[H]], %[[SP]], %[[R0]], %[[R1]], %[[SC0]], %[[SC1]], %[[LW]])
// CHECK: %[[G:.*]] = xf.weight @norm
// CHECK: %[[N:.*]] = xf.rms_norm %[[Y]], %[[G]]
// CHECK: %[[HW:.*]] = xf.weight @head
// CHECK: %[[L:.*]] = xf.linear %[[N]], %[[HW]]
// CHECK: return %[[Y]], %[[L]]

// ONE: xf.speed_rows = 1
// BOTH: xf.batch_rows = 2 : i64, xf.layer_cycle = array<i64: 1, 2>, xf.speed_rows = 2 : i64
// BOTH-COUNT-1: func.func private @layer_rows2(
// BOTH-LABEL: func.func @speed_stage2(
// BOTH: call @layer_rows2(
// BOTH-LABEL: func.func @decode_batch2(
// BOTH: call @layer_rows2(
// BOTH: call @layer_rows2(
// ONE-NOT: @speed_stage2
module attributes {xf.layer_cycle = array<i64: 1, 2>} {
  xf.global_weight @embd : tensor<32x8xf32>
  xf.global_weight @w : tensor<8x8xf32>
  xf.global_weight @norm : tensor<8xf32>
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
    %x2 = call @layer(%x1, %pos, %p, %c1, %w) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    %g = xf.weight @norm : tensor<8xf32>
    %n = xf.rms_norm %x2, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
    %hw = xf.weight @head : tensor<32x8xf32>
    %l = xf.linear %n, %hw : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
    return %l : tensor<?x32xf32>
  }
}

// -----

// Layers that do not repeat: nothing to pipeline, the module is unchanged.
// CHECK-LABEL: module {
// CHECK-NOT: speed
module {
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    return %x : tensor<?x4xf32>
  }
}

// -----

// The position reaches the layer function's attention through another op:
// a row's position cannot replace it. The model compiles without stages.
// CHECK-LABEL: module attributes {xf.layer_cycle = array<i64: 1, 2>} {
// CHECK-NOT: speed
module attributes {xf.layer_cycle = array<i64: 1, 2>} {
  func.func private @layer(%x: tensor<?x8xf32>, %p: index, %c: !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32> {
    %h = xf.reshape %x : tensor<?x8xf32> -> tensor<?x1x8xf32>
    %one = arith.constant 1 : index
    %p1 = arith.addi %p, %one : index
    // expected-warning @+1 {{xf-speed-stages: expected the attention to read its cache and position from arguments of the layer function that nothing else reads; compiling without SPEED stages}}
    %a = xf.attention %h, %h, %h cache %c at %p1 causal : tensor<?x1x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32>, !xf.kv_cache<16x1x8xf32> -> tensor<?x1x8xf32>
    %o = xf.reshape %a : tensor<?x1x8xf32> -> tensor<?x8xf32>
    return %o : tensor<?x8xf32>
  }
  func.func @forward(%x: tensor<?x8xf32> {xf.name = "tokens"}, %pos: tensor<?xi32> {xf.name = "positions"}, %p: index {xf.name = "position"}, %c0: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.0"}, %c1: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.1"}) -> tensor<?x8xf32> {
    %x1 = call @layer(%x, %p, %c0) : (tensor<?x8xf32>, index, !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32>
    %x2 = call @layer(%x1, %p, %c1) : (tensor<?x8xf32>, index, !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32>
    return %x2 : tensor<?x8xf32>
  }
}

// -----

// A layer reading the token ids has no place in a stage, which starts
// from the residual stream: nothing is left of the stages begun.
// CHECK-LABEL: module attributes {xf.layer_cycle = array<i64: 1, 2>} {
// CHECK-NOT: speed
module attributes {xf.layer_cycle = array<i64: 1, 2>} {
  func.func private @layer(%x: tensor<?x8xf32>, %t: tensor<?xi32>, %p: index, %c: !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32> {
    %h = xf.reshape %x : tensor<?x8xf32> -> tensor<?x1x8xf32>
    %a = xf.attention %h, %h, %h cache %c at %p causal : tensor<?x1x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32>, !xf.kv_cache<16x1x8xf32> -> tensor<?x1x8xf32>
    %o = xf.reshape %a : tensor<?x1x8xf32> -> tensor<?x8xf32>
    return %o : tensor<?x8xf32>
  }
  // expected-warning @+1 {{xf-speed-stages: the new entry point cannot read @forward's argument 'tokens'; compiling without SPEED stages}}
  func.func @forward(%t: tensor<?xi32> {xf.name = "tokens"}, %pos: tensor<?xi32> {xf.name = "positions"}, %p: index {xf.name = "position"}, %c0: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.0"}, %c1: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.1"}) -> tensor<?x8xf32> {
    %e = xf.weight @embd : tensor<32x8xf32>
    %x = xf.embedding %e[%t] : (tensor<32x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %x1 = call @layer(%x, %t, %p, %c0) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32>
    %x2 = call @layer(%x1, %t, %p, %c1) : (tensor<?x8xf32>, tensor<?xi32>, index, !xf.kv_cache<16x1x8xf32>) -> tensor<?x8xf32>
    return %x2 : tensor<?x8xf32>
  }
  xf.global_weight @embd : tensor<32x8xf32>
}

// -----

// The second repetition passes other weights: it does not repeat the
// first, and a stage would run it with the first's.
// CHECK-LABEL: module attributes {xf.layer_cycle = array<i64: 1, 2>} {
// CHECK-NOT: speed
module attributes {xf.layer_cycle = array<i64: 1, 2>} {
  xf.global_weight @w0 : tensor<8x8xf32>
  xf.global_weight @w1 : tensor<8x8xf32>
  func.func private @layer(%x: tensor<?x8xf32>, %p: index, %c: !xf.kv_cache<16x1x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
    %y = xf.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    %h = xf.reshape %y : tensor<?x8xf32> -> tensor<?x1x8xf32>
    %a = xf.attention %h, %h, %h cache %c at %p causal : tensor<?x1x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32>, !xf.kv_cache<16x1x8xf32> -> tensor<?x1x8xf32>
    %o = xf.reshape %a : tensor<?x1x8xf32> -> tensor<?x8xf32>
    return %o : tensor<?x8xf32>
  }
  func.func @forward(%x: tensor<?x8xf32> {xf.name = "tokens"}, %pos: tensor<?xi32> {xf.name = "positions"}, %p: index {xf.name = "position"}, %c0: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.0"}, %c1: !xf.kv_cache<16x1x8xf32> {xf.name = "cache.1"}) -> tensor<?x8xf32> {
    %w0 = xf.weight @w0 : tensor<8x8xf32>
    %w1 = xf.weight @w1 : tensor<8x8xf32>
    %x1 = call @layer(%x, %p, %c0, %w0) : (tensor<?x8xf32>, index, !xf.kv_cache<16x1x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    // expected-warning @+1 {{xf-speed-stages: layer 1 does not repeat layer 0 (another function or other weights); compiling without SPEED stages}}
    %x2 = call @layer(%x1, %p, %c1, %w1) : (tensor<?x8xf32>, index, !xf.kv_cache<16x1x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    return %x2 : tensor<?x8xf32>
  }
}
