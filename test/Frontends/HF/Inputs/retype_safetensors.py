"""Relabels one tensor of a safetensors file with another dtype of the same
width (the bytes stay), for tests of dtype refusal.

  retype_safetensors.py FILE TENSOR DTYPE
"""
import json
import sys

path, tensor, dtype = sys.argv[1:4]
data = open(path, "rb").read()
size = int.from_bytes(data[:8], "little")
header = json.loads(data[8:8 + size])
header[tensor]["dtype"] = dtype
text = json.dumps(header).encode()
text += b" " * (size - len(text))
assert len(text) == size, "the new header must not be longer"
open(path, "wb").write(data[:8] + text + data[8 + size:])
