// RUN: xfc-opt %s -split-input-file -xf-lower-attention="accumulator-vectors=2" -canonicalize -cse -verify-diagnostics | FileCheck %s --implicit-check-not="?x?"
// RUN: xfc-opt %s -split-input-file -xf-lower-attention -xf-approximate-math -canonicalize | FileCheck %s --check-prefix=DEFAULT
// RUN: not xfc-opt %s -split-input-file -xf-lower-attention=decode-kv-block=0 2>&1 | FileCheck %s --check-prefix=BADOPT

// No [tokens x kv_tokens] buffer anywhere (--implicit-check-not="?x?"): the
// kernel keeps one row's scores of a 16-key block in a vector.

// Grouped-query attention (4 query heads on 2 KV heads), dynamic tokens:
// one token takes the decode path, more the prefill path; both write the
// one result buffer.
// CHECK-LABEL: func.func @gqa_causal(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x4x16xf32>, %[[K:[^:]*]]: tensor<?x2x16xf32>, %[[V:[^:]*]]: tensor<?x2x16xf32>)
// CHECK-DAG: %[[KEYS:.*]] = tensor.dim %[[K]], %c0
// CHECK-DAG: %[[T:.*]] = tensor.dim %[[Q]], %c0
// CHECK: %[[OUT:.*]] = tensor.empty(%[[T]]) : tensor<?x4x16xf32>
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %[[T]], %c1
// CHECK: %[[RES:.*]] = scf.if %[[ONE]] -> (tensor<?x4x16xf32>) {
//
// Decode: KV blocks of 256 keys times head groups, each leaving
// (max, sum, acc)...
// CHECK: %[[DEND:.*]] = arith.minsi %[[KEYS]], %c1
// CHECK: %[[BLOCKS:.*]] = arith.ceildivsi %[[DEND]], %c256
// CHECK: %[[PACC:.*]] = tensor.empty(%[[BLOCKS]]) : tensor<?x4x16xf32>
// CHECK: %[[PSTATS:.*]] = tensor.empty(%[[BLOCKS]]) : tensor<?x4x2xf32>
// CHECK: %[[PART:.*]]:2 = scf.forall (%[[HB:.*]], %[[B:.*]]) in (2, %[[BLOCKS]]) shared_outs(%[[A:.*]] = %[[PACC]], %[[S:.*]] = %[[PSTATS]])
// CHECK: %[[BEGIN:.*]] = arith.muli %[[B]], %c256
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %{{.*}} step %c16 iter_args(
// CHECK: scf.yield
// CHECK: tensor.extract_slice %[[A]][%[[B]], %{{.*}}, 0] [1, 2, 16]
// CHECK: tensor.extract_slice %[[S]][%[[B]], %{{.*}}, 0] [1, 2, 2]
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[A]]
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[S]]
//
// ...which one forall over heads combines, rescaled to the global max.
// CHECK: %[[DEC:.*]] = scf.forall (%[[H:.*]]) in (4) shared_outs(%[[O1:.*]] = %[[OUT]])
// CHECK: %[[GMAX:.*]] = scf.for %{{.*}} = %c0 to %[[BLOCKS]] step %c1 iter_args(%[[RM:.*]] = %{{.*}}) -> (f32)
// CHECK: tensor.extract %[[PART]]#1
// CHECK: arith.maxnumf %[[RM]]
// CHECK: scf.for %[[BB:.*]] = %c0 to %[[BLOCKS]] step %c1 iter_args(%[[RS:.*]] = %{{.*}}, %[[RA:.*]] = %{{.*}}) -> (f32, vector<16xf32>)
// CHECK: %[[BMAX:.*]] = tensor.extract %[[PART]]#1[%[[BB]], %[[H]], %c0]
// CHECK: %[[BSUM:.*]] = tensor.extract %[[PART]]#1[%[[BB]], %[[H]], %c1]
// CHECK: %[[DIFF:.*]] = arith.subf %[[BMAX]], %[[GMAX]]
// CHECK: %[[W:.*]] = math.exp %[[DIFF]] : f32
// CHECK: math.fma %[[BSUM]], %[[W]], %[[RS]]
// CHECK: vector.transfer_read %[[PART]]#0[%[[BB]], %[[H]], %c0]
// CHECK: vector.fma %{{.*}}, %{{.*}}, %[[RA]]
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[O1]][0, %[[H]], 0] [1, 1, 16]
// CHECK: scf.yield %[[DEC]]
// CHECK: } else {
//
// Prefill: head groups times blocks of tokens (one token here: the budget
// of 2 accumulators holds the 2 heads of a group).
// CHECK: %[[PRE:.*]] = scf.forall (%[[G:.*]], %[[TBI:.*]]) in (2, %[[T]]) shared_outs(%[[O2:.*]] = %[[OUT]])
// CHECK: %[[FH:.*]] = arith.muli %[[G]], %c2
// CHECK: %[[KVH:.*]] = arith.divui %[[FH]], %c2
// CHECK: %[[Q0:.*]] = vector.transfer_read %[[Q]][%{{.*}}, %[[FH]], %c0]
// CHECK: arith.mulf %[[Q0]], %cst{{.*}} : vector<16xf32>
// The key loop: per row a running max, a running sum and the accumulator.
// CHECK: scf.for %[[J:.*]] = %c0 to %{{.*}} step %c16 iter_args(%[[M0:.*]] = %{{.*}}, %[[L0:.*]] = %{{.*}}, %[[ACC0:.*]] = %{{.*}}, %[[M1:.*]] = %{{.*}}, %[[L1:.*]] = %{{.*}}, %[[ACC1:.*]] = %{{.*}}) -> (f32, f32, vector<16xf32>, f32, f32, vector<16xf32>)
// CHECK: vector.transfer_read %[[K]][%{{.*}}, %[[KVH]], %c0]
// The 16 products of a row are summed across lanes pairwise.
// CHECK: vector.shuffle {{.*}} [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]
// CHECK: vector.shuffle {{.*}} [1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31]
// Keys past the row's causal limit or the end are masked.
// CHECK: %[[VALID:.*]] = arith.cmpi sge, %{{.*}} : vector<16xi32>
// CHECK: %[[SC:.*]] = arith.select %[[VALID]], %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// Online softmax: rescale the sum and the accumulator by exp(old - new max).
// CHECK: %[[BM:.*]] = vector.reduction <maxnumf>, %[[SC]]
// CHECK: %[[NM:.*]] = arith.maxnumf %[[M0]], %[[BM]]
// CHECK: %[[D:.*]] = arith.subf %[[M0]], %[[NM]]
// CHECK: %[[R:.*]] = math.exp %[[D]] : f32
// CHECK: %[[P:.*]] = math.exp %{{.*}} : vector<16xf32>
// CHECK: %[[PS:.*]] = vector.reduction <add>, %[[P]] fastmath<reassoc>
// CHECK: math.fma %[[L0]], %[[R]], %[[PS]]
// CHECK: %[[RV:.*]] = vector.broadcast %[[R]]
// CHECK: %[[SCALED:.*]] = arith.mulf %[[ACC0]], %[[RV]]
// acc += p * v, one value row per key.
// CHECK: vector.transfer_read %[[V]][%{{.*}}, %[[KVH]], %c0]
// CHECK: %[[P0:.*]] = vector.extract %[[P]][0]
// CHECK: %[[P0V:.*]] = vector.broadcast %[[P0]]
// CHECK: vector.fma %[[P0V]], %{{.*}}, %[[SCALED]]
// CHECK: scf.yield
// CHECK: arith.divf
// CHECK: vector.transfer_write
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[O2]]
// CHECK: scf.yield %[[PRE]]
// CHECK: return %[[RES]]

// The default budget (32 accumulators) takes 16 tokens of both heads.
// DEFAULT-LABEL: func.func @gqa_causal
// DEFAULT-NOT: math.exp
// DEFAULT: arith.ceildivsi %{{.*}}, %c16
// DEFAULT: scf.forall (%{{.*}}, %{{.*}}) in (2, %{{.*}})
// DEFAULT-NOT: math.exp
// DEFAULT: return
func.func @gqa_causal(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  %o = xf.attention %q, %k, %v causal : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  return %o : tensor<?x4x16xf32>
}

// BADOPT: error: xf-lower-attention: decode-kv-block and accumulator-vectors must be positive

// -----

// One token with an f16 cache: the new rows are appended (xf-lower-kv-cache
// rounds them), the cache is read in place in f16 and widened as it is
// loaded. A static token count emits the decode path alone.
// CHECK-LABEL: func.func @decode_f16_cache(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x16xf32>, %[[K:[^:]*]]: tensor<1x4x16xf32>, %[[V:[^:]*]]: tensor<1x4x16xf32>, %[[C:[^:]*]]: !xf.kv_cache<512x4x16xf16>, %[[POS:[^:]*]]: index)
// CHECK: xf.kv_append %[[C]][%[[POS]]], %[[K]], %[[V]] : !xf.kv_cache<512x4x16xf16>, tensor<1x4x16xf32>, tensor<1x4x16xf32>
// CHECK: %[[LEN:.*]] = arith.addi %[[POS]], %c1
// CHECK: %[[KEYS:.*]], %[[VALUES:.*]] = xf.kv_read %[[C]][%[[LEN]]] : !xf.kv_cache<512x4x16xf16> -> tensor<?x4x16xf16>, tensor<?x4x16xf16>
// The last visible key is the query's own position (pos + 1 keys, which
// is also the cache length).
// CHECK: %[[END:.*]] = arith.minsi %[[LEN]], %[[LEN]]
// CHECK: %[[NB:.*]] = arith.ceildivsi %[[END]], %c256
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, %[[NB]])
// CHECK: %[[KR:.*]] = vector.transfer_read %[[KEYS]]{{.*}} : tensor<?x4x16xf16>, vector<16xf16>
// CHECK: arith.extf %[[KR]] : vector<16xf16> to vector<16xf32>
// CHECK: vector.transfer_read %[[VALUES]]{{.*}} : tensor<?x4x16xf16>, vector<16xf16>
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK-NOT: scf.forall (
// CHECK: return
func.func @decode_f16_cache(%q: tensor<1x4x16xf32>, %k: tensor<1x4x16xf32>, %v: tensor<1x4x16xf32>, %c: !xf.kv_cache<512x4x16xf16>, %pos: index) -> tensor<1x4x16xf32> {
  %o = xf.attention %q, %k, %v cache %c at %pos causal : tensor<1x4x16xf32>, tensor<1x4x16xf32>, tensor<1x4x16xf32>, !xf.kv_cache<512x4x16xf16> -> tensor<1x4x16xf32>
  return %o : tensor<1x4x16xf32>
}

// -----

// An i8 cache: the f32 rows are appended as they are (xf-lower-kv-cache
// quantizes them), and the kernel reads the stored rows in place, 16 codes
// at a time, each row's scale from the 4 bytes after its codes.
// CHECK-LABEL: func.func @decode_i8_cache(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x16xf32>, %[[K:[^:]*]]: tensor<1x2x16xf32>, %[[V:[^:]*]]: tensor<1x2x16xf32>, %[[C:[^:]*]]: !xf.kv_cache<512x2x16xi8>, %[[POS:[^:]*]]: index)
// CHECK: xf.kv_append %[[C]][%[[POS]]], %[[K]], %[[V]] : !xf.kv_cache<512x2x16xi8>, tensor<1x2x16xf32>, tensor<1x2x16xf32>
// CHECK: %[[LEN:.*]] = arith.addi %[[POS]], %c1
// CHECK: %[[KEYS:.*]], %[[VALUES:.*]] = xf.kv_read_raw %[[C]][%[[LEN]]] : !xf.kv_cache<512x2x16xi8> -> tensor<?x2x20xi8>, tensor<?x2x20xi8>
// CHECK: scf.forall
// CHECK: %[[KS:.*]] = vector.transfer_read %[[KEYS]][%{{.*}}, %{{.*}}, %c16], %{{.*}} {in_bounds = [true]} : tensor<?x2x20xi8>, vector<4xi8>
// CHECK: %[[KSW:.*]] = vector.bitcast %[[KS]] : vector<4xi8> to vector<1xf32>
// CHECK: %[[KSF:.*]] = vector.extract %[[KSW]][0] : f32 from vector<1xf32>
// CHECK: %[[KSV:.*]] = vector.broadcast %[[KSF]] : f32 to vector<16xf32>
// CHECK: %[[KC:.*]] = vector.transfer_read %[[KEYS]][%{{.*}}, %{{.*}}, %c0], %{{.*}} {in_bounds = [true]} : tensor<?x2x20xi8>, vector<16xi8>
// CHECK: %[[KF:.*]] = arith.sitofp %[[KC]] : vector<16xi8> to vector<16xf32>
// CHECK: arith.mulf %[[KF]], %[[KSV]] : vector<16xf32>
// CHECK: vector.transfer_read %[[VALUES]][%{{.*}}, %{{.*}}, %c16], %{{.*}} {in_bounds = [true]} : tensor<?x2x20xi8>, vector<4xi8>
// CHECK: vector.transfer_read %[[VALUES]][%{{.*}}, %{{.*}}, %c0], %{{.*}} {in_bounds = [true]} : tensor<?x2x20xi8>, vector<16xi8>
// CHECK: return
func.func @decode_i8_cache(%q: tensor<1x4x16xf32>, %k: tensor<1x2x16xf32>, %v: tensor<1x2x16xf32>, %c: !xf.kv_cache<512x2x16xi8>, %pos: index) -> tensor<1x4x16xf32> {
  %o = xf.attention %q, %k, %v cache %c at %pos causal : tensor<1x4x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>, !xf.kv_cache<512x2x16xi8> -> tensor<1x4x16xf32>
  return %o : tensor<1x4x16xf32>
}

// -----

// Several static tokens: the prefill path alone. head_dim 24 is one full
// vector and a masked one (not in bounds, padded with zeros) both when
// loading and when storing; f16 activations are widened on load and
// narrowed on store. The explicit scale multiplies the queries.
// CHECK-LABEL: func.func @prefill_f16_head_dim_24(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<5x1x24xf16>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<5.000000e-01> : vector<16xf32>
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f16
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<5x1x24xf16>
// One head, so the canonicalizer drops the head-block dimension.
// CHECK: scf.forall (%{{.*}}) in (5) shared_outs(%{{.*}} = %[[OUT]])
// CHECK: %[[Q0:.*]] = vector.transfer_read %[[Q]][%{{.*}}, %{{.*}}, %c0], %[[ZERO]] {in_bounds = [true]} : tensor<5x1x24xf16>, vector<16xf16>
// CHECK: %[[Q0W:.*]] = arith.extf %[[Q0]]
// CHECK: vector.transfer_read %[[Q]][%{{.*}}, %{{.*}}, %c16], %[[ZERO]] : tensor<5x1x24xf16>, vector<16xf16>
// CHECK: arith.mulf %[[Q0W]], %[[SCALE]]
// 9 keys make one block, so the canonicalizer removes the key loop.
// CHECK-NOT: scf.for
// CHECK: vector.reduction <maxnumf>
// CHECK: arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// CHECK: vector.transfer_write %{{.*}}[%c0, %c0, %c0] {in_bounds = [true]} : vector<16xf16>, tensor<?x1x24xf16>
// CHECK: vector.transfer_write %{{.*}}[%c0, %c0, %c16] : vector<16xf16>, tensor<?x1x24xf16>
// CHECK-NOT: scf.forall (
// CHECK: return
func.func @prefill_f16_head_dim_24(%q: tensor<5x1x24xf16>, %k: tensor<9x1x24xf16>, %v: tensor<9x1x24xf16>) -> tensor<5x1x24xf16> {
  %o = xf.attention %q, %k, %v scale = 0.5 : tensor<5x1x24xf16>, tensor<9x1x24xf16>, tensor<9x1x24xf16> -> tensor<5x1x24xf16>
  return %o : tensor<5x1x24xf16>
}

// -----

// The kernel computes in f32: wider types keep the op (xf-decompose-fused
// takes it in the lowering pipeline).
// CHECK-LABEL: func.func @f64_not_lowered
// CHECK: xf.attention
// CHECK-NOT: scf.forall (
func.func @f64_not_lowered(%q: tensor<?x2x8xf64>) -> tensor<?x2x8xf64> {
  %o = xf.attention %q, %q, %q causal : tensor<?x2x8xf64>, tensor<?x2x8xf64>, tensor<?x2x8xf64> -> tensor<?x2x8xf64>
  return %o : tensor<?x2x8xf64>
}
