// RUN: xfc-opt %s -xf-bind-weights | FileCheck %s

// Weights in the kernels' layouts are placed as their packed bytes (float
// panels: ceil(96/64) * 64 rows * 32 * 2 bytes; Q4_0 tiles: ceil(40/16) *
// 64/32 tiles of 288 bytes), read as tensor<Bxi8> and cast back to the
// declared type; functions take them as bytes. Plain weights stay tensors.

// CHECK: module attributes {xf.weight_bytes = 9952 : i64, xf.weight_layout = [
// CHECK-SAME: {name = "panels", offset = 0 : i64, type = tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>},
// CHECK-SAME: {name = "tiles", offset = 8192 : i64, type = !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>},
// CHECK-SAME: {name = "bias", offset = 9920 : i64, type = tensor<8xf32>}]}
// CHECK-LABEL: func.func private @layer
// CHECK-SAME: (%{{.*}}: tensor<?x32xf32>, %[[P:.*]]: tensor<8192xi8>, %[[T:.*]]: tensor<1728xi8>, %{{.*}}: tensor<8xf32>)
// CHECK-DAG: builtin.unrealized_conversion_cast %[[P]] : tensor<8192xi8> to tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>
// CHECK-DAG: builtin.unrealized_conversion_cast %[[T]] : tensor<1728xi8> to !xf.qtensor<40x64xi4, {{.*}}>
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[BLOB:arg[0-9]+]]: memref<?xi8> {xf.name = "weights"}
// CHECK-DAG: %[[VP:.*]] = memref.view %[[BLOB]][%{{.*}}][] : memref<?xi8> to memref<8192xi8>
// CHECK-DAG: %[[TP:.*]] = bufferization.to_tensor %[[VP]] restrict : memref<8192xi8> to tensor<8192xi8>
// CHECK-DAG: %[[VT:.*]] = memref.view %[[BLOB]][%{{.*}}][] : memref<?xi8> to memref<1728xi8>
// CHECK-DAG: %[[TT:.*]] = bufferization.to_tensor %[[VT]] restrict : memref<1728xi8> to tensor<1728xi8>
// CHECK: call @layer(%{{.*}}, %[[TP]], %[[TT]], %{{.*}})
// CHECK-NOT: unrealized_conversion_cast
xf.global_weight @panels : tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>
xf.global_weight @tiles : !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
xf.global_weight @bias : tensor<8xf32>

func.func private @layer(%x: tensor<?x32xf32>, %p: tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>,
    %t: !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>,
    %b: tensor<8xf32>) -> (tensor<?x96xf32>, tensor<?x40xf32>) {
  %y = xf.linear %x, %p : (tensor<?x32xf32>, tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>) -> tensor<?x96xf32>
  %h = xf.slice %y [1 : 0, 64] : tensor<?x96xf32> -> tensor<?x64xf32>
  %z = xf.linear %h, %t : (tensor<?x64xf32>, !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>) -> tensor<?x40xf32>
  return %y, %z : tensor<?x96xf32>, tensor<?x40xf32>
}

func.func @forward(%x: tensor<?x32xf32>) -> (tensor<?x96xf32>, tensor<?x40xf32>) {
  %p = xf.weight @panels : tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>
  %t = xf.weight @tiles : !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>
  %b = xf.weight @bias : tensor<8xf32>
  %y, %z = call @layer(%x, %p, %t, %b) : (tensor<?x32xf32>, tensor<96x32xf16, #xf.layout<blocked, tile = [64, 1]>>, !xf.qtensor<40x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<blocked, tile = [16, 32], vnni = 4>>, tensor<8xf32>) -> (tensor<?x96xf32>, tensor<?x40xf32>)
  return %y, %z : tensor<?x96xf32>, tensor<?x40xf32>
}
