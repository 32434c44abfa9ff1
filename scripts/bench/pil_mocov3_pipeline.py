#!/usr/bin/env python3
"""The MoCo v3 two-view augmentation as the official code runs it (torchvision's PIL backend, moco-v3
loader.py's PIL GaussianBlur and Solarize), in PIL + numpy only, so the baseline of `pretrain bench data`
can be measured on the same images where torch/torchvision are not installed.

  python3 scripts/bench/pil_mocov3_pipeline.py DIR [--workers 2] [--images 1280]

Prints images/s for decode + one random resized crop (one process) and for the full two-view pipeline
with --workers processes (as a DataLoader with that many workers). Needs Pillow and numpy
(Debian: apt-get install python3-pil python3-numpy).
"""
import argparse, glob, io, math, multiprocessing as mp, random, time

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)


def rrc(img, size=224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision RandomResizedCrop.get_params + resized_crop (bilinear)."""
    w, h = img.size
    area = w * h
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    box = None
    for _ in range(10):
        target = area * random.uniform(*scale)
        aspect = math.exp(random.uniform(*log_ratio))
        cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            x, y = random.randint(0, w - cw), random.randint(0, h - ch)
            box = (x, y, x + cw, y + ch)
            break
    if box is None:  # centre fallback
        in_ratio = w / h
        if in_ratio < ratio[0]:
            cw, ch = w, int(round(w / ratio[0]))
        elif in_ratio > ratio[1]:
            ch, cw = h, int(round(h * ratio[1]))
        else:
            cw, ch = w, h
        x, y = (w - cw) // 2, (h - ch) // 2
        box = (x, y, x + cw, y + ch)
    # torchvision's F.resized_crop on PIL: crop, then resize.
    return img.crop(box).resize((size, size), Image.BILINEAR)


def adjust_hue(img, f):
    """torchvision.transforms.functional_pil.adjust_hue."""
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    with np.errstate(over="ignore"):
        np_h += np.uint8(f * 255)
    return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert("RGB")


def color_jitter(img, b=0.4, c=0.4, s=0.2, h=0.1):
    ops = [
        lambda im: ImageEnhance.Brightness(im).enhance(random.uniform(1 - b, 1 + b)),
        lambda im: ImageEnhance.Contrast(im).enhance(random.uniform(1 - c, 1 + c)),
        lambda im: ImageEnhance.Color(im).enhance(random.uniform(1 - s, 1 + s)),
        lambda im: adjust_hue(im, random.uniform(-h, h)),
    ]
    random.shuffle(ops)
    for op in ops:
        img = op(img)
    return img


def view(img, blur_p, solarize_p):
    x = rrc(img)
    if random.random() < 0.5:
        x = x.transpose(Image.FLIP_LEFT_RIGHT)
    if random.random() < 0.8:
        x = color_jitter(x)
    if random.random() < 0.2:
        x = x.convert("L").convert("RGB")
    if random.random() < blur_p:
        x = x.filter(ImageFilter.GaussianBlur(radius=random.uniform(0.1, 2.0)))
    if random.random() < solarize_p:
        x = ImageOps.solarize(x)
    t = np.asarray(x, dtype=np.float32).transpose(2, 0, 1) / 255.0  # ToTensor
    return (t - MEAN) / STD  # Normalize


def two_views(data):
    img = Image.open(io.BytesIO(data)).convert("RGB")
    return view(img, 1.0, 0.0), view(img, 0.1, 0.2)


def decode_crop(data):
    return rrc(Image.open(io.BytesIO(data)).convert("RGB"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--images", type=int, default=1280)
    a = ap.parse_args()
    files = sorted(glob.glob(a.dir + "/**/*.jp*g", recursive=True))
    if not files:
        raise SystemExit(f"{a.dir}: no JPEG files")
    blobs = [open(f, "rb").read() for f in files[: min(len(files), 600)]]
    work = [blobs[i % len(blobs)] for i in range(a.images)]
    random.seed(0)
    for d in work[:32]:
        decode_crop(d)
    t0 = time.perf_counter()
    for d in work:
        decode_crop(d)
    dc = len(work) / (time.perf_counter() - t0)
    with mp.Pool(a.workers) as pool:
        pool.map(two_views, work[: 8 * a.workers], chunksize=4)
        t0 = time.perf_counter()
        for _ in pool.imap_unordered(two_views, work, chunksize=8):
            pass
        full = len(work) / (time.perf_counter() - t0)
    print(f"PIL decode+crop: {dc:.0f} images/s per core ({1000 / dc:.2f} ms/image)")
    print(f"PIL full two-view MoCo v3 pipeline: {full:.0f} images/s with {a.workers} worker processes")


if __name__ == "__main__":
    main()
