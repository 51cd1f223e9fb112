// The example out-of-tree dialect (examples/dialect-plugin) loads into
// xfc-opt, parses, verifies and prints beside xf ops.
// RUN: xfc-opt %s -split-input-file -verify-diagnostics \
// RUN:   --load-dialect-plugin=%xfc_libs/XFCExampleDialectPlugin%shlibext | FileCheck %s

// Without the plugin the dialect is unknown.
// RUN: not xfc-opt %s -split-input-file 2>&1 | FileCheck %s --check-prefix=NOPLUGIN
// NOPLUGIN: Dialect `xfex' not found for custom op 'xfex.clamp'

// CHECK-LABEL: func.func @clamped_gelu
func.func @clamped_gelu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[G:.*]] = xf.gelu tanh
  // CHECK: xfex.clamp %[[G]][-1.000000e+00, 1.000000e+00] : tensor<4x8xf32>
  %0 = xf.gelu tanh %x : tensor<4x8xf32>
  %1 = xfex.clamp %0 [-1.0, 1.0] : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

func.func @bad_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{min must not exceed max}}
  %0 = xfex.clamp %x [2.0, 1.0] : tensor<4xf32>
  return %0 : tensor<4xf32>
}
