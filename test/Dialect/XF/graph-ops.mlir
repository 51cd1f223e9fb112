// RUN: xfc-opt %s -split-input-file | FileCheck %s
// The generic form parses back to the same ops.
// RUN: xfc-opt %s -split-input-file -mlir-print-op-generic | xfc-opt -split-input-file | FileCheck %s

// The elementwise and indexing ops graph importers (ONNX) need.

// CHECK-LABEL: func.func @arithmetic(
// CHECK: xf.div %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: xf.pow %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x3xf32>
// CHECK: xf.sqrt %{{.*}} : tensor<2x3xf32>
// CHECK: xf.reciprocal %{{.*}} : tensor<2x3xf32>
// CHECK: xf.erf %{{.*}} : tensor<2x3xf32>
// CHECK: xf.tanh %{{.*}} : tensor<2x3xf32>
// CHECK: xf.sigmoid %{{.*}} : tensor<2x3xf32>
// CHECK: xf.relu %{{.*}} : tensor<2x3xf32>
func.func @arithmetic(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %p: tensor<1xf32>) -> tensor<2x3xf32> {
  %0 = xf.div %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = xf.pow %0, %p : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x3xf32>
  %2 = xf.sqrt %1 : tensor<2x3xf32>
  %3 = xf.reciprocal %2 : tensor<2x3xf32>
  %4 = xf.erf %3 : tensor<2x3xf32>
  %5 = xf.tanh %4 : tensor<2x3xf32>
  %6 = xf.sigmoid %5 : tensor<2x3xf32>
  %7 = xf.relu %6 : tensor<2x3xf32>
  return %7 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @indexing(
// CHECK: xf.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: xf.broadcast %{{.*}} : tensor<3x1xf32> -> tensor<2x3x4xf32>
// CHECK: xf.gather %{{.*}}[%{{.*}}] {axis = 1 : i64} : (tensor<3x5xf32>, tensor<2x2xi64>) -> tensor<3x2x2xf32>
func.func @indexing(%c: tensor<2x1xi1>, %a: tensor<2x3xf32>, %b: tensor<3xf32>,
                    %x: tensor<3x1xf32>, %t: tensor<3x5xf32>, %i: tensor<2x2xi64>)
    -> (tensor<2x3xf32>, tensor<2x3x4xf32>, tensor<3x2x2xf32>) {
  %0 = xf.where %c, %a, %b : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = xf.broadcast %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  %2 = xf.gather %t[%i] {axis = 1 : i64} : (tensor<3x5xf32>, tensor<2x2xi64>) -> tensor<3x2x2xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3x4xf32>, tensor<3x2x2xf32>
}

// -----

// A choice between integers (ONNX Where on int64 values) computes nothing.
// CHECK-LABEL: func.func @where_integers(
// CHECK: xf.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2xi1>, tensor<2xi64>, tensor<1xi64>) -> tensor<2xi64>
func.func @where_integers(%c: tensor<2xi1>, %a: tensor<2xi64>, %b: tensor<1xi64>) -> tensor<2xi64> {
  %0 = xf.where %c, %a, %b : (tensor<2xi1>, tensor<2xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// Integer arithmetic; division and power say when the integers are
// unsigned, and so does a conversion whose integer side is.
// CHECK-LABEL: func.func @integers(
// CHECK: xf.add %{{.*}}, %{{.*}} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK: xf.div unsigned %{{.*}}, %{{.*}} : (tensor<4xi8>, tensor<1xi8>) -> tensor<4xi8>
// CHECK: xf.div %{{.*}}, %{{.*}} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK: xf.pow unsigned %{{.*}}, %{{.*}} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK: xf.convert unsigned %{{.*}} : tensor<4xi8> to tensor<4xf32>
// CHECK: xf.convert %{{.*}} : tensor<4xf32> to tensor<4xi1>
// CHECK: xf.convert toward_zero %{{.*}} : tensor<4xf32> to tensor<4xbf16>
func.func @integers(%a: tensor<4xi8>, %b: tensor<4xi8>, %c: tensor<1xi8>)
    -> (tensor<4xi8>, tensor<4xi1>, tensor<4xbf16>) {
  %0 = xf.add %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %1 = xf.div unsigned %0, %c : (tensor<4xi8>, tensor<1xi8>) -> tensor<4xi8>
  %2 = xf.div %1, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %3 = xf.pow unsigned %2, %a : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %4 = xf.convert unsigned %3 : tensor<4xi8> to tensor<4xf32>
  %5 = xf.convert %4 : tensor<4xf32> to tensor<4xi1>
  %6 = xf.convert toward_zero %4 : tensor<4xf32> to tensor<4xbf16>
  return %3, %5, %6 : tensor<4xi8>, tensor<4xi1>, tensor<4xbf16>
}
