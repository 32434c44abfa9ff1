#!/usr/bin/env python3
"""Seeded mutations of every shipped config, for the fault suite's config class.

    fuzz_configs.py CONFIGS_DIR OUT_DIR N SEED

Copies CONFIGS_DIR to OUT_DIR (so `base:` paths resolve) and writes N mutants of each config there:
a wrong type, an unknown key, a value out of range, broken YAML, and `base:` cycles. Prints one line
per mutant: PATH<TAB>KIND<TAB>WHAT.
"""
import os
import random
import re
import shutil
import sys

LINE = re.compile(r"^(\s*)([a-z_0-9]+):\s+([^\s#{\[][^#]*?)\s*$")
RANGED = {"flip_p": "7", "jitter_p": "-1", "grayscale_p": "2", "temperature": "-0.5", "batch_size": "-16",
          "epochs": "0", "momentum": "3", "workers": "-2", "image_size": "0", "weight_decay": "-1", "base_lr": "-3"}


def mutate(lines, kind, rnd):
    scalars = [i for i, l in enumerate(lines) if LINE.match(l) and not l.lstrip().startswith("base:")]
    if kind == "wrong_type":
        numeric = [i for i in scalars if re.fullmatch(r"-?[0-9.eE+-]+|true|false", LINE.match(lines[i]).group(3))]
        if not numeric:
            return None
        i = rnd.choice(numeric)
        m = LINE.match(lines[i])
        lines[i] = f"{m.group(1)}{m.group(2)}: not_a_number"
        return f"line {i + 1}: {m.group(2)} = not_a_number"
    if kind == "unknown_key":
        if not scalars:
            return None
        i = rnd.choice(scalars)
        m = LINE.match(lines[i])
        lines[i] = f"{m.group(1)}{m.group(2)}x: {m.group(3)}"
        return f"line {i + 1}: {m.group(2)}x"
    if kind == "out_of_range":
        ranged = [i for i in scalars if LINE.match(lines[i]).group(2) in RANGED]
        if not ranged:
            return None
        i = rnd.choice(ranged)
        m = LINE.match(lines[i])
        lines[i] = f"{m.group(1)}{m.group(2)}: {RANGED[m.group(2)]}"
        return f"line {i + 1}: {m.group(2)} = {RANGED[m.group(2)]}"
    if kind == "broken_yaml":
        i = rnd.randrange(len(lines) + 1)
        bad = rnd.choice(["key: [unclosed, list", "\tindented_with_tab: 1", "- a list item in a mapping", "dup: {a: 1", "'unterminated: 1"])
        lines.insert(i, bad)
        return f"line {i + 1}: {bad!r}"
    raise ValueError(kind)


def main():
    src, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(src, out)
    rnd = random.Random(seed)
    originals = sorted(os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs if f.endswith(".yaml"))
    kinds = ["wrong_type", "unknown_key", "out_of_range", "broken_yaml"]
    for path in originals:
        text = open(path).read().split("\n")
        for k in range(n):
            kind = kinds[(k + rnd.randrange(len(kinds))) % len(kinds)]
            lines = list(text)
            what = mutate(lines, kind, rnd)
            if what is None:   # the file has nothing this mutation applies to
                kind, what = "broken_yaml", mutate(lines, "broken_yaml", rnd)
            stem = os.path.splitext(os.path.basename(path))[0]
            mutant = os.path.join(os.path.dirname(path), f"fuzz_{stem}_{k}.yaml")
            open(mutant, "w").write("\n".join(lines))
            print(f"{mutant}\t{kind}\t{what}")
    for k in range(max(1, n // 2)):
        a = os.path.join(out, f"fuzz_cycle_{k}_a.yaml")
        b = os.path.join(out, f"fuzz_cycle_{k}_b.yaml")
        open(a, "w").write(f"base: fuzz_cycle_{k}_b.yaml\nexperiment:\n  name: a\n")
        open(b, "w").write(f"base: fuzz_cycle_{k}_a.yaml\nexperiment:\n  name: b\n")
        print(f"{a}\tbase_cycle\tbase: a -> b -> a")


if __name__ == "__main__":
    main()
