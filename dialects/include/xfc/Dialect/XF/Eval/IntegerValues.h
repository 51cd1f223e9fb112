//===- IntegerValues.h - The evaluator's integers, held as doubles -*- C++
//-*-===//
//
// The evaluator holds every number as a double. An integer of `width` bits
// (a signless MLIR integer) is held as its two's-complement signed value,
// exact up to 2^53; `i1` is held as 0 or 1. These helpers compute on such
// values with the wrap-around semantics of the compiled code, and read
// them as signed or unsigned where an op says which.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_DIALECT_XF_EVAL_INTEGERVALUES_H
#define XFC_DIALECT_XF_EVAL_INTEGERVALUES_H

namespace mlir::xf::eval {

/// `value` (an integer, possibly out of range) wrapped to `width` bits and
/// held as the signed value of those bits.
double wrapInteger(double value, unsigned width);

/// The number a held integer of `width` bits stands for: itself, or read
/// as unsigned (a negative value plus 2^width).
double integerValue(double held, unsigned width, bool isUnsigned);

/// A float converted to an integer of `width` bits: rounded toward zero,
/// saturated at the bounds of the signed or unsigned type, NaN as 0; held.
double floatToInteger(double value, unsigned width, bool isUnsigned);

enum class IntegerOp { Add, Sub, Mul, Div, Pow };

/// `x op y` on held integers of `width` bits, as xf's integer ops define it
/// (wrapping; division by zero is 0; a negative exponent truncates). The
/// result is held in `resultWidth` bits (`width` if 0), its low bits kept
/// exactly: a 64-bit result wrapped to 32 bits loses nothing to the double.
double integerBinary(IntegerOp op, double x, double y, unsigned width,
                     bool isUnsigned, unsigned resultWidth = 0);

} // namespace mlir::xf::eval

#endif // XFC_DIALECT_XF_EVAL_INTEGERVALUES_H
