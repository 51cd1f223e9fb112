// RUN: xfc-opt %s -split-input-file -xf-forall-to-parallel-for | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-forall-to-parallel-for=callee=my_pool_for | FileCheck %s --check-prefix=CALLEE
// RUN: xfc-opt %s -split-input-file -xf-forall-to-parallel-for -expand-strided-metadata -convert-scf-to-cf -convert-arith-to-llvm -finalize-memref-to-llvm -convert-cf-to-llvm -convert-func-to-llvm -reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// A memref and a scalar are captured; the body runs its chunk [begin, end)
// of the loop.
// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[A:.*]]: memref<?xf32>, %[[S:.*]]: f32, %[[N:.*]]: index)
// CHECK: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK: %[[SLOT:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, f32)>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[COUNT:.*]] = arith.maxsi %[[N]], %[[ZERO]] : index
// CHECK: %[[UNDEF:.*]] = llvm.mlir.poison
// CHECK: %[[DESC:.*]] = builtin.unrealized_conversion_cast %[[A]] : memref<?xf32> to !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK: %[[P0:.*]] = llvm.insertvalue %[[DESC]], %[[UNDEF]][0]
// CHECK: %[[P1:.*]] = llvm.insertvalue %[[S]], %[[P0]][1]
// CHECK: llvm.store %[[P1]], %[[SLOT]]
// CHECK: %[[TOTAL:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK: %[[FN:.*]] = constant @scale_forall0 : (!llvm.ptr, i64, i64) -> ()
// CHECK: call @xfm_parallel_for(%[[TOTAL]], %[[FN]], %[[SLOT]]) : (i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr) -> ()
// CHECK-NOT: scf.forall
// CHECK: return

// CHECK-LABEL: func.func private @scale_forall0(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK: %[[CAPS:.*]] = llvm.load %[[CTX]] : !llvm.ptr -> !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, f32)>
// CHECK: %[[D:.*]] = llvm.extractvalue %[[CAPS]][0]
// CHECK: %[[BA:.*]] = builtin.unrealized_conversion_cast %[[D]] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<?xf32>
// CHECK: %[[BS:.*]] = llvm.extractvalue %[[CAPS]][1]
// CHECK: %[[LO:.*]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK: %[[HI:.*]] = arith.index_cast %[[END]] : i64 to index
// CHECK: scf.for %[[I:.*]] = %[[LO]] to %[[HI]] step
// CHECK: %[[V:.*]] = memref.load %[[BA]][%[[I]]]
// CHECK: %[[M:.*]] = arith.mulf %[[V]], %[[BS]] : f32
// CHECK: memref.store %[[M]], %[[BA]][%[[I]]]
// CHECK: func.func private @xfm_parallel_for(i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr)

// CALLEE-LABEL: func.func @scale(
// CALLEE: call @my_pool_for(
// CALLEE: func.func private @my_pool_for(i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr)

// After the conversion to LLVM the casts are gone: the body is an internal
// void(ptr, i64, i64) function whose address goes to the runtime.
// LLVM-LABEL: llvm.func @scale(
// LLVM: %[[FN:.*]] = llvm.mlir.addressof @scale_forall0 : !llvm.ptr
// LLVM: %[[SLOT:.*]] = llvm.alloca
// LLVM: llvm.store %{{.*}}, %[[SLOT]]
// LLVM: llvm.call @xfm_parallel_for(%{{.*}}, %[[FN]], %[[SLOT]]) : (i64, !llvm.ptr, !llvm.ptr) -> ()
// LLVM-LABEL: llvm.func internal @scale_forall0(
// LLVM-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// LLVM-NOT: unrealized_conversion_cast
// LLVM: llvm.func @xfm_parallel_for(i64, !llvm.ptr, !llvm.ptr)
func.func @scale(%a: memref<?xf32>, %s: f32, %n: index) {
  scf.forall (%i) in (%n) {
    %v = memref.load %a[%i] : memref<?xf32>
    %m = arith.mulf %v, %s : f32
    memref.store %m, %a[%i] : memref<?xf32>
  }
  return
}

// -----

// Two dimensions are linearized: n = 2 x ceil((ub - lb) / 4). The body
// recovers (i, j) by remainder and division and applies the lower bounds
// and steps, the dynamic ones (lb, the inner count) from the context.
// The constant is cloned into the body instead of being captured.
// CHECK-LABEL: func.func @grid(
// CHECK-SAME: %[[A:.*]]: memref<8x?xf32>, %[[LB:.*]]: index, %[[UB:.*]]: index)
// CHECK: llvm.alloca {{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, i64, i64)>
// CHECK: %[[SPAN:.*]] = arith.subi %[[UB]], %[[LB]] : index
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[DIV:.*]] = arith.ceildivsi %[[SPAN]], %[[C4]] : index
// CHECK: %[[INNER:.*]] = arith.maxsi %[[DIV]], %{{.*}} : index
// CHECK: %[[LB64:.*]] = arith.index_cast %[[LB]] : index to i64
// CHECK: llvm.insertvalue %[[LB64]], %{{.*}}[1]
// CHECK: %[[INNER64:.*]] = arith.index_cast %[[INNER]] : index to i64
// CHECK: llvm.insertvalue %[[INNER64]], %{{.*}}[2]
// CHECK: %[[DYN:.*]] = arith.index_cast %[[INNER]] : index to i64
// CHECK: %[[C2:.*]] = arith.constant 2 : i64
// CHECK: %[[TOTAL:.*]] = arith.muli %[[DYN]], %[[C2]] : i64
// CHECK: call @xfm_parallel_for(%[[TOTAL]],

// CHECK-LABEL: func.func private @grid_forall0(
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[CAPS:.*]] = llvm.load
// CHECK: %[[BLB:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[BINNER:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[JPOS:.*]] = arith.remui %[[L]], %[[BINNER]] : index
// CHECK: %[[IPOS:.*]] = arith.divui %[[L]], %[[BINNER]] : index
// CHECK: %[[JS:.*]] = arith.muli %[[JPOS]], %{{.*}} : index
// CHECK: %[[J:.*]] = arith.addi %[[JS]], %[[BLB]] : index
// CHECK: %[[IS:.*]] = arith.muli %[[IPOS]], %{{.*}} : index
// CHECK: %[[I:.*]] = arith.addi %[[IS]], %{{.*}} : index
// CHECK: memref.store %[[ONE]], %{{.*}}[%[[I]], %[[J]]]
func.func @grid(%a: memref<8x?xf32>, %lb: index, %ub: index) {
  %one = arith.constant 1.0 : f32
  scf.forall (%i, %j) = (2, %lb) to (8, %ub) step (3, 4) {
    memref.store %one, %a[%i, %j] : memref<8x?xf32>
  }
  return
}

// -----

// Only the outermost loop is parallel: the inner forall becomes scf.for.
// CHECK-LABEL: func.func @nested(
// CHECK: %[[C4:.*]] = arith.constant 4 : i64
// CHECK: call @xfm_parallel_for(%[[C4]],
// CHECK-NOT: xfm_parallel_for(
// CHECK-LABEL: func.func private @nested_forall0(
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %[[C16]] step
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
// CHECK-NOT: scf.forall
// CHECK-NOT: call @xfm_parallel_for
func.func @nested(%a: memref<4x16xf32>) {
  %one = arith.constant 1.0 : f32
  scf.forall (%i) in (4) {
    scf.forall (%j) in (16) {
      memref.store %one, %a[%i, %j] : memref<4x16xf32>
    }
  }
  return
}

// -----

// A forall inside a loop: its context slot is allocated once, in the entry
// block, and refilled on every iteration. Each loop gets its own body.
// CHECK-LABEL: func.func @in_loop(
// CHECK-SAME: %[[A:.*]]: memref<16xf32>, %[[STEPS:.*]]: index)
// CHECK-DAG: %[[SLOT1:.*]] = llvm.alloca {{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
// CHECK-DAG: %[[SLOT0:.*]] = llvm.alloca {{.*}} x !llvm.struct<(i64, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>)>
// CHECK: scf.for %[[T:.*]] =
// CHECK: %[[T64:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK: llvm.insertvalue %[[T64]], %{{.*}}[0]
// CHECK: llvm.store %{{.*}}, %[[SLOT0]]
// CHECK: func.call @xfm_parallel_for(%{{.*}}, %{{.*}}, %[[SLOT0]])
// CHECK: }
// CHECK: llvm.store %{{.*}}, %[[SLOT1]]
// CHECK: call @xfm_parallel_for(%{{.*}}, %{{.*}}, %[[SLOT1]])
// CHECK-LABEL: func.func private @in_loop_forall0(
// CHECK: arith.sitofp
// CHECK-LABEL: func.func private @in_loop_forall1(
// CHECK: arith.constant 0.000000e+00 : f32
// CHECK: func.func private @xfm_parallel_for
func.func @in_loop(%a: memref<16xf32>, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %t = %c0 to %steps step %c1 {
    scf.forall (%i) in (16) {
      %x = arith.index_cast %t : index to i32
      %f = arith.sitofp %x : i32 to f32
      memref.store %f, %a[%i] : memref<16xf32>
    }
  }
  scf.forall (%i) in (16) {
    %z = arith.constant 0.0 : f32
    memref.store %z, %a[%i] : memref<16xf32>
  }
  return
}

// -----

// Nothing to capture: the context is null. An existing symbol with the
// body's name is kept; the body gets another.
// CHECK-LABEL: func.func @no_captures(
// CHECK-NOT: llvm.alloca
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: %[[FN:.*]] = constant @[[BODY:no_captures_forall0_[0-9]+]] :
// CHECK: call @xfm_parallel_for(%{{.*}}, %[[FN]], %[[NULL]])
// CHECK: func.func private @[[BODY]](
// CHECK: func.func private @no_captures_forall0()
func.func @no_captures() {
  scf.forall (%i) in (16) {
    func.call @no_captures_forall0() : () -> ()
  }
  return
}
func.func private @no_captures_forall0()
