// The bundled example that README command (a) runs stays valid, and the
// demo pipeline leaves no fused op behind.
// RUN: xfc-opt %S/../../examples/llama-block.mlir -xf-decompose-fused -xf-graph-cleanup | FileCheck %s

// CHECK-LABEL: func.func @forward
// CHECK-NOT: xf.attention
// CHECK-NOT: xf.ffn
// CHECK: xf.kv_append
// CHECK: xf.kv_read
// CHECK: xf.causal_mask
// CHECK: xf.softmax
// CHECK: xf.silu
// CHECK: return
