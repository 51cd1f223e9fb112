//===- ExamplePasses.td - An out-of-tree xf pass -----------*- tablegen -*-===//

#ifndef XFC_EXAMPLE_PASSES_TD
#define XFC_EXAMPLE_PASSES_TD

include "mlir/Pass/PassBase.td"

def XFExampleApproximateGelu : Pass<"xf-example-approximate-gelu"> {
  let summary = "Switch exact GELUs to the tanh approximation";
  let description = [{
    An example plugin pass: rewrites `xf.gelu erf` into `xf.gelu tanh`,
    trading exactness for a cheaper kernel. It shows an out-of-tree
    OpRewritePattern on xf ops, run by the greedy driver.
  }];
}

#endif // XFC_EXAMPLE_PASSES_TD
