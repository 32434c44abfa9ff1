#!/usr/bin/python3
"""Writes the fault suite's corpus of damaged, unusual and hostile inputs.

    make_corpus.py OUT_DIR

OUT_DIR/good/      a few ordinary 24x24 images (enough for one batch with any one file added)
OUT_DIR/items/NAME.EXT  one file per case; OUT_DIR/items.tsv lists NAME.EXT, whether a decoder must
                   read it (valid) or reject it as a bad sample (bad), and what it is.
OUT_DIR/cifar/     a CIFAR-10 folder whose data_batch_1.bin has the wrong length
OUT_DIR/idx/       an IDX image file with a bad magic number
Needs Pillow (Debian: apt-get install python3-pil).
"""
import io
import os
import random
import struct
import sys
import zlib

from PIL import Image


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(width, height):
    """A small, valid-looking PNG whose header claims width x height (the decompression-bomb header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def image(mode, size=(24, 24), seed=0):
    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    img.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(size[0] * size[1])])
    return img.convert(mode) if mode != "RGB" else img


def encode(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def main():
    out = sys.argv[1]
    good = os.path.join(out, "good")
    items = os.path.join(out, "items")
    os.makedirs(good, exist_ok=True)
    os.makedirs(items, exist_ok=True)
    for i in range(8):
        image("RGB", seed=100 + i).save(os.path.join(good, f"g{i}.png"))

    jpeg = encode(image("RGB", (64, 48), 1), "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    frames = [image("P", seed=s) for s in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    gray16 = Image.new("I;16", (24, 24))
    gray16.putdata([(i * 257) % 65536 for i in range(24 * 24)])
    cases = [
        ("truncated.jpg", jpeg[: len(jpeg) // 2], "bad", "JPEG cut in half"),
        ("empty.jpg", b"", "bad", "0-byte file"),
        ("text.jpg", b"this is not an image\n" * 20, "bad", "text named .jpg"),
        ("random.png", bytes(random.Random(7).randrange(256) for _ in range(3000)), "bad", "random bytes named .png"),
        ("huge_header.png", huge_png(100000, 100000), "bad", "PNG header claiming 100000x100000 pixels"),
        ("cmyk.jpg", encode(image("CMYK", seed=2), "JPEG"), "valid", "CMYK JPEG"),
        ("gray16.png", encode(gray16, "PNG"), "valid", "16-bit grayscale PNG"),
        ("gray.png", encode(image("L", seed=3), "PNG"), "valid", "8-bit grayscale PNG"),
        ("palette.png", encode(image("P", seed=4), "PNG"), "valid", "palette PNG"),
        ("alpha.png", encode(image("RGBA", seed=5), "PNG"), "valid", "RGBA PNG"),
        ("animated.gif", gif.getvalue(), "valid", "animated GIF (first frame)"),
        ("progressive.jpg", encode(image("RGB", (64, 48), 6), "JPEG", progressive=True), "valid", "progressive JPEG"),
        ("exif_rotated.jpg", encode(image("RGB", (64, 48), 8), "JPEG", exif=exif.tobytes()), "valid", "EXIF-rotated JPEG"),
        ("one_pixel.png", encode(image("RGB", (1, 1), 9), "PNG"), "valid", "1x1 image"),
    ]
    with open(os.path.join(out, "items.tsv"), "w") as tsv:
        for name, data, kind, what in cases:
            with open(os.path.join(items, name), "wb") as f:
                f.write(data)
            tsv.write(f"{name}\t{kind}\t{what}\n")
        # Listed, then gone when read: a link whose target does not exist.
        os.symlink(os.path.join(items, "no-such-target.png"), os.path.join(items, "deleted.png"))
        tsv.write("deleted.png\tbad\tfile deleted between listing and reading\n")
        # A name that is not UTF-8 (Linux allows any bytes but / and NUL).
        with open(os.path.join(os.fsencode(items), b"name_\xff\xfe.png"), "wb") as f:
            f.write(encode(image("RGB", seed=10), "PNG"))
        # .NET turns file names into UTF-16 strings: bytes that are not UTF-8 cannot be opened by name, so
        # such a file is a bad sample (skipped and counted, or one line under on_error: fail).
        tsv.write("name_\\xff\\xfe.png\tbad\tfile name that is not UTF-8\n")

    cifar = os.path.join(out, "cifar")
    os.makedirs(cifar, exist_ok=True)
    with open(os.path.join(cifar, "data_batch_1.bin"), "wb") as f:
        f.write(b"\0" * (3073 * 3 + 17))  # not a whole number of records
    for k in range(2, 6):
        with open(os.path.join(cifar, f"data_batch_{k}.bin"), "wb") as f:
            f.write(b"\0" * 3073 * 2)
    with open(os.path.join(cifar, "test_batch.bin"), "wb") as f:
        f.write(b"\0" * 3073 * 2)

    idx = os.path.join(out, "idx")
    os.makedirs(idx, exist_ok=True)
    with open(os.path.join(idx, "train-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x00000999, 4, 28, 28) + b"\0" * (4 * 28 * 28))
    with open(os.path.join(idx, "train-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x00000801, 4) + b"\0" * 4)


if __name__ == "__main__":
    main()
