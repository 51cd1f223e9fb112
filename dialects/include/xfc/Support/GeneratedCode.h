//===- GeneratedCode.h - Wrap TableGen output ------------------*- C++ -*-===//
//
// ODS output leaves some parameters unused. Wrapping each `.inc` include in
// these macros silences that for generated code only, so -Wall -Wextra keeps
// judging XFC's own code.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_SUPPORT_GENERATEDCODE_H
#define XFC_SUPPORT_GENERATEDCODE_H

#define XFC_BEGIN_GENERATED_CODE                                               \
  _Pragma("GCC diagnostic push")                                               \
      _Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")
#define XFC_END_GENERATED_CODE _Pragma("GCC diagnostic pop")

#endif // XFC_SUPPORT_GENERATEDCODE_H
