//===- ExampleDialect.td - An out-of-tree dialect for xf -----*- tablegen -*-===//

#ifndef XFC_EXAMPLE_DIALECT_TD
#define XFC_EXAMPLE_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def XFEx_Dialect : Dialect {
  let name = "xfex";
  let cppNamespace = "::xfex";
  let summary = "An example dialect loaded into xfc-opt as a plugin";
}

def XFEx_ClampOp : Op<XFEx_Dialect, "clamp",
                      [Pure, SameOperandsAndResultType]> {
  let summary = "Clamps every element to [min, max]";
  let description = [{
    An activation a model might bring that XFC does not know, added
    without rebuilding XFC:

    ```mlir
    %y = xfex.clamp %x [-1.0, 1.0] : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input, F32Attr:$min,
                       F32Attr:$max);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `[` $min `,` $max `]` attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

#endif // XFC_EXAMPLE_DIALECT_TD
