#!/usr/bin/python3
"""PyTorch's own bf16 autocast on the tiny MoCo v3 + SDMP ViT of tests/Pretrain.Tests (issue #15): how close
does one bf16 step's gradient come to fp32's, from the same weights and batch?

The model is TinyRun.Config's: 16 px images, patch 4, embed 32, depth 1, 2 heads, MLP ratio 4, qkv bias, stop-grad
patch embedding, sin-cos position table; projector 3 layers 32 -> 64 -> 64 -> 16 (last BN, no affine), predictor
2 layers 16 -> 64 -> 16 (last BN); MoCo v3's initialisation (xavier-uniform Linears with Q, K, V as separate
matrices, zero biases, CLS ~ N(0, 1e-6), uniform patch projection); tau 0.2; batch 16; SDMP with its soft_ce
terms (0.5 / 0.5), per-view BatchNorm statistics. Images are white shapes on black, like the tests' synthetic
data (`--data noise`: Gaussian pixels instead). Model code, losses and SDMP mixing are scripts/bench/torch_step.py's.

For each seed it prints, against the fp32 gradient (all query-encoder parameters as one vector):
  autocast   torch.autocast('cpu', dtype=torch.bfloat16) around the forward passes (PyTorch's recipe)
  rounded    fp32 compute with every weight rounded to bf16 first: no bf16 arithmetic at all, only the
             perturbation a bf16 weight cast makes; a bound on what any bf16 recipe can reach
  fp64       fp32 against a float64 run: fp32's own rounding
and the same after --train fp32 AdamW steps (the state a run is in after its first steps).

  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/oblas
  LD_LIBRARY_PATH=/tmp/oblas/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 scripts/bench/bf16_grad_cosine.py
"""
import argparse
import copy
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_step import ViT, moco_mlp, set_chunks, ema, moco_loss, sdmp_moco_term, mix_weights, mix  # noqa: E402

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def moco_init(vit):
    """moco-v3 vits.py, as VisionTransformer.InitMoco."""
    with torch.no_grad():
        for blk in vit.blocks:
            w = blk.attn.qkv.weight
            bound = math.sqrt(6.0 / (w.shape[0] // 3 + w.shape[1]))
            nn.init.uniform_(w, -bound, bound)
            nn.init.zeros_(blk.attn.qkv.bias)
            for lin in (blk.attn.proj, blk.fc1, blk.fc2):
                nn.init.xavier_uniform_(lin.weight)
                nn.init.zeros_(lin.bias)
        nn.init.normal_(vit.cls_token, std=1e-6)
        p = vit.patch_embed.weight.shape[-1]
        bound = math.sqrt(6.0 / (3 * p * p + vit.patch_embed.weight.shape[0]))
        nn.init.uniform_(vit.patch_embed.weight, -bound, bound)
        nn.init.zeros_(vit.patch_embed.bias)


def shapes(n, size, g):
    """White rectangles / discs on black, random place and size, ImageNet-normalised."""
    x = torch.zeros(n, 3, size, size)
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    for i in range(n):
        cy, cx = (torch.rand(2, generator=g) * size).tolist()
        r = 2 + float(torch.rand(1, generator=g)) * size / 3
        if i % 2:
            m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        else:
            m = ((yy - cy).abs() <= r) & ((xx - cx).abs() <= r * 0.7)
        x[i, :, m] = 1.0
    return (x - MEAN) / STD


def batch(n, size, kind, g):
    if kind == "noise":
        return torch.randn(2, n, 3, size, size, generator=g).unbind(0)
    v1, v2 = shapes(n, size, g), shapes(n, size, g)
    # The two "views": the second one jittered in brightness (the tests' views are two augmentations).
    return v1, v2 * (0.8 + 0.4 * torch.rand(n, 1, 1, 1, generator=g))


class TinyMoco:
    def __init__(self, seed, sdmp=True):
        torch.manual_seed(seed)
        vit = ViT(img=16, patch=4, dim=32, depth=2, heads=2, drop=0.0, stop_grad_patch=True)
        vit.blocks = vit.blocks[:1]   # depth 1 (torch_step's ViT divides by depth - 1)
        moco_init(vit)
        self.query_encoder = nn.Sequential(vit, moco_mlp(3, 32, 64, 16, True))
        self.predictor = moco_mlp(2, 16, 64, 16, True)
        self.query = nn.Sequential(self.query_encoder, self.predictor)
        self.momentum = copy.deepcopy(self.query_encoder)
        for p in self.momentum.parameters():
            p.requires_grad = False
        self.sdmp, self.tau = sdmp, 0.2

    def params(self):
        return [p for p in self.query.parameters() if p.requires_grad]

    def loss(self, x1, x2, mixed, autocast=False, dtype=torch.float32):
        """mixed: (mix1, mix2, lam2) drawn once (the box draws use torch's global generator)."""
        mix1, mix2, lam2 = (t.to(dtype) for t in mixed)
        x1, x2 = x1.to(dtype), x2.to(dtype)
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else torch.autocast("cpu", enabled=False)
        n = x1.shape[0]
        with ctx:
            if not self.sdmp:
                set_chunks(self.query, 2)
                q1, q2 = self.query(torch.cat([x1, x2])).float().to(dtype).chunk(2)
                with torch.no_grad():
                    set_chunks(self.momentum, 2)
                    k1, k2 = self.momentum(torch.cat([x1, x2])).float().to(dtype).chunk(2)
            else:
                set_chunks(self.query, 2)
                q1, qm2 = self.query(torch.cat([x1, mix2])).float().to(dtype).chunk(2)
                with torch.no_grad():
                    set_chunks(self.momentum, 3)
                    k1, km1, k2 = self.momentum(torch.cat([x1, mix1, x2])).float().to(dtype).chunk(3)
        # losses outside autocast, in fp32 (fp64 for the reference), as pretrain's methods do
        if not self.sdmp:
            return moco_loss(q1, k2, self.tau) + moco_loss(q2, k1, self.tau)
        src = sdmp_moco_term(qm2, k1, lam2, 1 - lam2, self.tau)
        ws, wf = mix_weights(lam2, lam2.flip(0))
        return moco_loss(q1, k2, self.tau) + 0.5 * src + 0.5 * sdmp_moco_term(qm2, km1, ws, wf, self.tau)


def mixes(x1, x2, op, lam):
    with torch.no_grad():
        mix1, _ = mix(x1, op, lam)
        mix2, lam2 = mix(x2, op, lam)
    return mix1, mix2, lam2


def grad_of(model, x1, x2, mixed, autocast=False, dtype=torch.float32, round_weights=False):
    m = copy.deepcopy(model)
    if dtype != torch.float32:
        m.query.to(dtype)
        m.momentum.to(dtype)
    if round_weights:
        with torch.no_grad():
            for p in list(m.query.parameters()) + list(m.momentum.parameters()):
                p.copy_(p.bfloat16().float())
    m.query.train()
    m.momentum.train()
    loss = m.loss(x1, x2, mixed, autocast, dtype)
    loss.backward()
    g = torch.cat([p.grad.double().flatten() for p in m.params()])
    names = [n for n, p in m.query.named_parameters() if p.requires_grad]
    parts = {n: p.grad.double().flatten() for n, p in zip(names, m.params())}
    return float(loss), g, parts


def cos(a, b):
    return float(a @ b / (a.norm() * b.norm()))


def train_fp32(model, steps, n, kind, g, lr):
    opt = torch.optim.AdamW(model.params(), lr=lr, weight_decay=0.1)
    for it in range(steps):
        x1, x2 = batch(n, 16, kind, g)
        op, lam = int(torch.randint(0, 3, (1,), generator=g)), torch.rand(n, generator=g)
        model.query.train()
        model.momentum.train()
        loss = model.loss(x1, x2, mixes(x1, x2, op, lam))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema(model.query_encoder, model.momentum, 0.99)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--data", choices=["shapes", "noise"], default="shapes")
    ap.add_argument("--no-sdmp", action="store_true")
    ap.add_argument("--train", type=int, default=24, help="fp32 steps before the second measurement (0: skip)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--detail", action="store_true", help="per-tensor cosine of the first seed")
    a = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}; tiny MoCo v3{'' if a.no_sdmp else ' + SDMP'} ViT, batch {a.batch}, {a.data} images")
    rows = []
    for seed in range(a.seeds):
        model = TinyMoco(seed, sdmp=not a.no_sdmp)
        g = torch.Generator().manual_seed(100 + seed)
        for stage in (["fresh"] + ([f"after {a.train} fp32 steps"] if a.train else [])):
            if stage != "fresh":
                train_fp32(model, a.train, a.batch, a.data, g, a.lr)
            x1, x2 = batch(a.batch, 16, a.data, g)
            op, lam = int(torch.randint(0, 3, (1,), generator=g)), torch.rand(a.batch, generator=g)
            mixed = mixes(x1, x2, op, lam)
            l32, g32, p32 = grad_of(model, x1, x2, mixed)
            lbf, gbf, pbf = grad_of(model, x1, x2, mixed, autocast=True)
            _, grd, _ = grad_of(model, x1, x2, mixed, round_weights=True)
            _, g64, _ = grad_of(model, x1, x2, mixed, dtype=torch.float64)
            r = dict(seed=seed, stage=stage, autocast=cos(g32, gbf), rounded=cos(g32, grd), fp64=cos(g32, g64),
                     loss_rel=abs(lbf - l32) / abs(l32), cls_share=float(p32["0.0.cls_token"].norm() / g32.norm()))
            rows.append(r)
            print(f"seed {seed} {stage:>20}: cosine autocast bf16 {r['autocast']:.6f}  fp32 rounded weights {r['rounded']:.6f}"
                  f"  fp64 {r['fp64']:.8f}  loss rel {r['loss_rel']:.1e}  |g_cls|/|g| {r['cls_share']:.3f}")
            if a.detail and seed == 0:
                for k in p32:
                    print(f"    {k:<40} |g|/|G| {float(p32[k].norm() / g32.norm()):.3f}  cos {cos(p32[k], pbf[k]):.6f}")
    for stage in sorted({r["stage"] for r in rows}, key=lambda s: s != "fresh"):
        sel = [r for r in rows if r["stage"] == stage]
        print(f"{stage}: autocast bf16 cosine min {min(r['autocast'] for r in sel):.4f} median "
              f"{sorted(r['autocast'] for r in sel)[len(sel) // 2]:.4f}; rounded weights min {min(r['rounded'] for r in sel):.4f}"
              f" median {sorted(r['rounded'] for r in sel)[len(sel) // 2]:.4f}")


if __name__ == "__main__":
    main()
