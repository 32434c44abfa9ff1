#!/usr/bin/env python3
"""Compare two safetensors files tensor by tensor (pure Python, no numpy or torch needed).

    scripts/compare_safetensors.py A.safetensors B.safetensors [--rel TOL]

Prints one line per differing tensor (name, dtype, shape, number of differing bytes) and a summary;
exits 0 when every tensor is byte-identical with the same name, dtype and shape, 1 otherwise,
2 on a file that is not safetensors. With --rel TOL, float32 tensors may differ: it prints
max|A-B| / max|A| over all of them and exits 0 when that is <= TOL.
"""
import array
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


def relative(a, b):
    """max |a-b| / max |a| over the float32 tensors both files hold with the same shape."""
    diff = scale = 0.0
    for name in sorted(set(a) & set(b)):
        (da, sa, ba), (db, sb, bb) = a[name], b[name]
        if da != "F32" or db != "F32" or sa != sb:
            continue
        x, y = array.array("f", ba), array.array("f", bb)
        diff = max(diff, max((abs(p - q) for p, q in zip(x, y)), default=0.0))
        scale = max(scale, max((abs(p) for p in x), default=0.0))
    return diff, scale


def main():
    args = sys.argv[1:]
    tol = None
    if "--rel" in args:
        i = args.index("--rel")
        tol = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    a, b = read(args[0]), read(args[1])
    if tol is not None:
        diff, scale = relative(a, b)
        rel = diff / scale if scale > 0 else 0.0
        print(f"max|dw| {diff:.3e} / max|w| {scale:.3e} = {rel:.3e} relative (tolerance {tol:g}): {'OK' if rel <= tol else 'EXCEEDED'}")
        sys.exit(0 if rel <= tol else 1)
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
