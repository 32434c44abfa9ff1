#!/usr/bin/python3
"""Prove that an exported backbone loads into the stock PyTorch model and computes the same features.

    scripts/check_export.py RUN_DIR/export/backbone.safetensors [--tol 1e-4]

Reads BACKBONE.safetensors and BACKBONE.check.safetensors (both written by `pretrain export`), builds the
model the export's metadata names (a ResNet: torchvision.models.resnet18/resnet50, or the ResNet
constructor with the export's layers; a ViT: timm, when it is installed), loads the weights with
strict=True (the classifier replaced by Identity: it is not exported), runs the check file's input in
eval mode and compares the features with the ones `pretrain` computed. Prints one line per fact and
exits 0 when max |ours - torch| <= TOL, 1 when not, 2 on unusable input.

Needs Debian's python3-torch and python3-torchvision (apt-get install python3-torch python3-torchvision).
"""
import json
import struct
import sys

DTYPES = {"F32": "float32", "F64": "float64", "I64": "int64", "I32": "int32", "F16": "float16", "BF16": "bfloat16"}


def read(path, torch):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = bytearray(data[8 + n:])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dtype = getattr(torch, DTYPES[info["dtype"]])
        t = torch.frombuffer(body[start:end], dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, meta


def build(meta, torch, torchvision):
    ctor = meta.get("python_constructor")
    stock = meta.get("torchvision_model") or meta.get("timm_model")
    if ctor is None:
        raise SystemExit(f"check_export: no stock PyTorch model builds this backbone (arch {meta.get('arch')}, {meta.get('model_config', '').strip()!r})")
    if ctor.startswith("timm."):
        try:
            import timm  # noqa: F401
        except ImportError:
            raise SystemExit(f"check_export: the export needs timm ({ctor}), which is not installed")
    namespace = {"torch": torch, "torchvision": torchvision}
    if ctor.startswith("timm."):
        import timm
        namespace["timm"] = timm
    print(f"model:    {ctor}" + (f"  (stock '{stock}')" if stock else ""))
    return eval(ctor, namespace)  # the export's own constructor string: torchvision/timm calls only


def main():
    args = sys.argv[1:]
    tol = 1e-4
    if "--tol" in args:
        i = args.index("--tol")
        tol = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1 or not args[0].endswith(".safetensors"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"check_export: {e}; install python3-torch and python3-torchvision", file=sys.stderr)
        sys.exit(2)
    path = args[0]
    check = path[: -len(".safetensors")] + ".check.safetensors"
    try:
        weights, meta = read(path, torch)
        probe, _ = read(check, torch)
    except (OSError, ValueError, KeyError, struct.error) as e:
        print(f"check_export: {e}", file=sys.stderr)
        sys.exit(2)
    try:
        model = build(meta, torch, torchvision)
    except SystemExit as e:
        print(e, file=sys.stderr)
        sys.exit(2)
    if hasattr(model, "fc"):
        model.fc = torch.nn.Identity()          # the classifier: not part of the backbone
    if hasattr(model, "head"):
        model.head = torch.nn.Identity()
    model.load_state_dict(weights, strict=True)  # raises on any missing, unexpected or mis-shaped key
    print(f"weights:  {len(weights)} tensors loaded with strict=True into {type(model).__name__} (torch {torch.__version__}, torchvision {torchvision.__version__})")
    model.eval()
    with torch.no_grad():
        ours = probe["features"]
        theirs = model(probe["input"])
    if theirs.shape != ours.shape:
        print(f"features: shape {tuple(theirs.shape)} vs pretrain's {tuple(ours.shape)}: MISMATCH")
        sys.exit(1)
    diff = (theirs - ours).abs().max().item()
    scale = ours.abs().max().item()
    ok = diff <= tol
    print(f"features: {tuple(ours.shape)} on the check input; max |pretrain - torch| = {diff:.3e} (max |feature| {scale:.3f}); tolerance {tol:g}: {'OK' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
