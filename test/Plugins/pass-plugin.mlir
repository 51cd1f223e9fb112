// The example out-of-tree pass (examples/pass-plugin) loads into xfc-opt and
// runs on xf IR.
// RUN: xfc-opt %s --load-pass-plugin=%xfc_libs/XFCExamplePassPlugin%shlibext \
// RUN:   --pass-pipeline='builtin.module(xf-example-approximate-gelu)' | FileCheck %s

// Without the plugin the pass is unknown.
// RUN: not xfc-opt %s --pass-pipeline='builtin.module(xf-example-approximate-gelu)' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOPLUGIN
// NOPLUGIN: 'xf-example-approximate-gelu' does not refer to a registered pass

// CHECK-LABEL: func.func @gelus
func.func @gelus(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: xf.gelu tanh
  // CHECK-NEXT: xf.gelu tanh
  // CHECK-NOT: xf.gelu erf
  %0 = xf.gelu erf %x : tensor<4x8xf32>
  %1 = xf.gelu tanh %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}
