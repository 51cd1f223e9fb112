// RUN: xfc-opt %s -split-input-file -xf-forall-to-parallel-for -verify-diagnostics

// Loops on tensors must be bufferized first.
func.func @tensor_results(%t: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @below {{has results: bufferize before running it on the thread pool}}
  %r = scf.forall (%i) in (8) shared_outs(%o = %t) -> (tensor<8xf32>) {
    %s = tensor.extract_slice %o[%i] [1] [1] : tensor<8xf32> to tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %o[%i] [1] [1] : tensor<1xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}

// -----

// The runtime function is declared with another signature.
func.func private @xfm_parallel_for(i32)

func.func @wrong_runtime(%a: memref<8xf32>, %v: f32) {
  // expected-error @below {{'xfm_parallel_for' is already defined with another type than '(i64, (!llvm.ptr, i64, i64) -> (), !llvm.ptr) -> ()'}}
  scf.forall (%i) in (8) {
    memref.store %v, %a[%i] : memref<8xf32>
  }
  return
}
