"""change_tensor_end.py MODEL.gguf TENSOR: changes the last value of an f32
tensor of a GGUF file in place (x -> 1.5 x + 0.01), so that the tensor
differs from another only at its end."""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "reference"))
from gguf_reference import Reader  # noqa: E402

path, wanted = sys.argv[1], sys.argv[2]
data = np.memmap(path, dtype=np.uint8, mode="r+")
r = Reader(data)
r.take("<I"), r.take("<I")
n_tensors, n_kv = r.take("<Q"), r.take("<Q")
meta = {}
for _ in range(n_kv):
    key = r.string()
    meta[key] = r.value(r.take("<I"))
found = None
for _ in range(n_tensors):
    name = r.string()
    dims = [r.take("<Q") for _ in range(r.take("<I"))]
    ttype, offset = r.take("<I"), r.take("<Q")
    if name == wanted:
        found = (dims, ttype, offset)
if not found or found[1] != 0:
    sys.exit(f"{path}: no f32 tensor {wanted}")
align = meta.get("general.alignment", 32)
start = (r.pos + align - 1) // align * align
dims, _, offset = found
at = start + offset + 4 * (int(np.prod(dims)) - 1)
value = struct.unpack_from("<f", data, at)[0]
struct.pack_into("<f", data, at, 1.5 * value + 0.01)
data.flush()
