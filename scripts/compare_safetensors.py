#!/usr/bin/env python3
"""Compare two safetensors files tensor by tensor (pure Python, no numpy or torch needed).

    scripts/compare_safetensors.py A.safetensors B.safetensors

Prints one line per differing tensor (name, dtype, shape, number of differing bytes) and a summary;
exits 0 when every tensor is byte-identical with the same name, dtype and shape, 1 otherwise,
2 on a file that is not safetensors.
"""
import json
import struct
import sys


def read(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
    except (OSError, ValueError, struct.error) as e:
        print(f"{path}: not a safetensors file ({e})", file=sys.stderr)
        sys.exit(2)
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensors[name] = (info["dtype"], tuple(info["shape"]), body[start:end])
    return tensors


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    a, b = read(sys.argv[1]), read(sys.argv[2])
    differ = 0
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            print(f"{name}: only in {'A' if name in a else 'B'}")
            differ += 1
            continue
        (da, sa, ba), (db, sb, bb) = a[name], b[name]
        if da != db or sa != sb:
            print(f"{name}: {da}{list(sa)} vs {db}{list(sb)}")
            differ += 1
        elif ba != bb:
            nbytes = sum(1 for x, y in zip(ba, bb) if x != y)
            print(f"{name}: {da}{list(sa)} {nbytes} of {len(ba)} bytes differ")
            differ += 1
    same = len(set(a) & set(b)) - differ
    print(f"{len(a)} vs {len(b)} tensors; {differ} differ; {'IDENTICAL' if differ == 0 else 'DIFFERENT'}")
    sys.exit(0 if differ == 0 else 1)


if __name__ == "__main__":
    main()
