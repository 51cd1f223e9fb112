// RUN: not xfc-opt %s -xf-sparsify="pattern=2:4 level=0.3" 2>&1 | FileCheck %s --check-prefix=LEVEL
// RUN: not xfc-opt %s -xf-sparsify="pattern=block:3x16 level=0.5" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not xfc-opt %s -xf-sparsify="pattern=3:2" 2>&1 | FileCheck %s --check-prefix=PATTERN
// RUN: not xfc-opt %s -xf-sparsify="level=1.0" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not xfc-opt %s -xf-sparsify="layer-levels=attn_v" 2>&1 | FileCheck %s --check-prefix=ENTRY

// LEVEL: xf-sparsify: level 0.30 is impossible with 2:4, which zeros 2 of every 4 values (level 0.50)
// DIVIDE: xf-sparsify: weight 'blk.0.attn_v.weight' is [32, 64], which block:3x16 does not divide (exclude it, or choose another pattern)
// PATTERN: xf-sparsify: unknown pattern '3:2' (expected unstructured, N:M such as 2:4, or block:RxC such as block:4x16)
// RANGE: xf-sparsify: level 1.000000 is not in [0, 1)
// ENTRY: xf-sparsify: layer-levels entry 'attn_v' is not substring=level
func.func @gemm(%x: tensor<?x64xf32>, %v: tensor<32x64xf32> {xf.weight = "blk.0.attn_v.weight"}) -> tensor<?x32xf32> {
  %a = xf.linear %x, %v : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  return %a : tensor<?x32xf32>
}
