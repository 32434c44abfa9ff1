#!/usr/bin/python3
"""PyTorch eager equivalent of one `pretrain bench step` training step (issue #15 item 5).

Mirrors configs/bench/{mocov3_vit_sdmp,mocov3_vit,dino_vit_sdmp,dino_vit}.yaml as `pretrain config show`
resolves them, with the same passes as src/Pretrain/Methods (MocoV3.cs, Dino.cs, SdmpPart.cs):

  mocov3 + SDMP: query encoder (backbone + projector + predictor) on [x1, mix2] (per-view BatchNorm),
                 momentum EMA of backbone + projector, keys on [x1, mix1, x2] without grad (per-view BN),
                 L_moco(q1, k2) + 0.5 L_source(q~2, k1) + 0.5 L_mix(q~2, k~1) (soft_ce), AdamW (decay all).
  mocov3:        queries on [x1, x2], keys on [x1, x2], symmetric InfoNCE.
  dino + SDMP:   teacher on [g1, g2, mix1] (one 32 px call), student on [g1, g2, mix2] (32 px) and 4 local
                 16 px crops (one call), head on all features; DINO loss + SDMP source / mix terms, center
                 update, per-parameter clipping at 3, last layer's grads dropped (epoch 0 < freeze 1),
                 AdamW (no decay on biases and norms), teacher EMA after the step.
  dino:          teacher [g1, g2], student [g1, g2] + locals.

Inside the timed step, as in StepBench: uint8 HWC -> float CHW, photometric ops per view (colour jitter
p 0.8 in a random order, grayscale p 0.2, solarize p 0.2 on view 2 / global 2, normalize; blur is off in
these configs), SDMP mixing (one of mixup / cutmix / resizemix per step), forward, backward, optimizer,
EMA. The geometric crops (loader work in both programs) are random uint8 batches made before timing.
PyTorch 1.13 has no scaled_dot_product_attention: attention is the eager softmax(q k^T / sqrt(d)) v.

BLAS: Debian's python3-torch 1.13 is built with BLAS_INFO=generic, i.e. against whatever libblas.so.3 the
alternatives system gives; with only libblas3 (netlib's reference BLAS) installed a MoCo step takes ~70 s.
Give it OpenBLAS without touching the system (the figures in README.md "Benchmarks" used this):
  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/oblas
  export LD_LIBRARY_PATH=/tmp/oblas/usr/lib/x86_64-linux-gnu/openblas-pthread

Usage: /usr/bin/python3 scripts/bench/torch_step.py --config mocov3_vit_sdmp [--steps 10 --warmup 3]
Prints one JSON line: median_ms_per_step, step_ms, peak_rss_mib (ru_maxrss), threads, torch version.
"""
import argparse
import json
import math
import os
import resource
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # as pretrain's Program.cs sets it

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


# ---- photometric ops (batched, per-sample factors; same formulas as src/Pretrain/Augment) ----------

def luma(x):
    return x[:, 0:1] * 0.299 + x[:, 1:2] * 0.587 + x[:, 2:3] * 0.114


def adjust_hue_(x, shift):
    maxc = x.amax(1, keepdim=True)
    minc = x.amin(1, keepdim=True)
    cr = maxc - minc
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    eqc = (maxc == minc)
    crd = torch.where(eqc, torch.ones_like(cr), cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h6 = (hr + hg + hb + shift.view(-1, 1, 1, 1) * 6.0).remainder(6.0)
    off = torch.tensor([3.0, 2.0, 4.0]).view(1, 3, 1, 1)
    sign = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)
    bias = torch.tensor([-1.0, 2.0, 2.0]).view(1, 3, 1, 1)
    ramp = ((h6 - off).abs_() * sign + bias).clamp_(0, 1)
    x.copy_(ramp.mul_(cr).add_(minc))
    return x


def photometric(raw, jitter_p=0.8, gray_p=0.2, solarize_p=0.0):
    """raw uint8 [B,S,S,3] -> normalized float [B,3,S,S]."""
    with torch.no_grad():
        b = raw.shape[0]
        x = torch.empty(b, 3, raw.shape[1], raw.shape[2])
        x.copy_(raw.permute(0, 3, 1, 2))
        x.div_(255.0)
        jit = torch.nonzero(torch.rand(b) < jitter_p).flatten()
        if jit.numel() > 0:
            y = x.index_select(0, jit)
            n = y.shape[0]
            bri = torch.empty(n).uniform_(0.6, 1.4).view(-1, 1, 1, 1)
            con = torch.empty(n).uniform_(0.6, 1.4).view(-1, 1, 1, 1)
            sat = torch.empty(n).uniform_(0.8, 1.2).view(-1, 1, 1, 1)
            hue = torch.empty(n).uniform_(-0.1, 0.1)
            for op in torch.randperm(4).tolist():
                if op == 0:
                    y.mul_(bri).clamp_(0, 1)
                elif op == 1:
                    m = luma(y).mean([1, 2, 3], keepdim=True)
                    y.mul_(con).add_(m * (1 - con)).clamp_(0, 1)
                elif op == 2:
                    y.mul_(sat).add_(luma(y) * (1 - sat)).clamp_(0, 1)
                else:
                    adjust_hue_(y, hue)
            x.index_copy_(0, jit, y)
        gray = torch.nonzero(torch.rand(b) < gray_p).flatten()
        if gray.numel() > 0:
            y = x.index_select(0, gray)
            x.index_copy_(0, gray, luma(y).expand(-1, 3, -1, -1).contiguous())
        if solarize_p > 0:
            sol = torch.nonzero(torch.rand(b) < solarize_p).flatten()
            if sol.numel() > 0:
                y = x.index_select(0, sol)
                x.index_copy_(0, sol, torch.minimum(y, 1 - y))
        x.sub_(MEAN).div_(STD)
        return x


# ---- SDMP mixing (one op per step; partner p(i) = n-1-i; lambda ~ Beta(1,1)) -------------------------

def box_masks(n, h, w, lam):
    cut = torch.sqrt(1 - lam)
    ch, cw = (cut * h).long(), (cut * w).long()
    cy, cx = torch.randint(0, h, (n,)), torch.randint(0, w, (n,))
    t, bot = (cy - ch // 2).clamp(0, h), (cy + ch // 2).clamp(0, h)
    l, r = (cx - cw // 2).clamp(0, w), (cx + cw // 2).clamp(0, w)
    rows = torch.arange(h).view(1, h, 1)
    cols = torch.arange(w).view(1, 1, w)
    mask = (rows >= t.view(n, 1, 1)) & (rows < bot.view(n, 1, 1)) & (cols >= l.view(n, 1, 1)) & (cols < r.view(n, 1, 1))
    return mask.unsqueeze(1), t, bot, l, r


def mix(x, op, lam):
    n, _, h, w = x.shape
    partner = x.flip(0)
    if op == 0:
        return lam.view(n, 1, 1, 1) * x + (1 - lam.view(n, 1, 1, 1)) * partner, lam
    mask, t, bot, l, r = box_masks(n, h, w, lam)
    if op == 1:
        area = ((bot - t) * (r - l)).float() / (h * w)
        return torch.where(mask, partner, x), 1 - area
    bh, bw = (bot - t).clamp_min(1).float().view(n, 1, 1), (r - l).clamp_min(1).float().view(n, 1, 1)
    gy = ((torch.arange(h).float().view(1, h, 1) - t.float().view(n, 1, 1)) * 2 + 1) / bh - 1
    gx = ((torch.arange(w).float().view(1, 1, w) - l.float().view(n, 1, 1)) * 2 + 1) / bw - 1
    grid = torch.stack([gx.expand(n, h, w), gy.expand(n, h, w)], -1)
    pasted = F.grid_sample(partner, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return torch.where(mask, pasted, x), lam


def sdmp_mix(x1, x2, n):
    op = int(torch.randint(0, 3, (1,)))
    lam = torch.rand(n)
    with torch.no_grad():
        m1, l1 = mix(x1, op, lam)
        m2, l2 = mix(x2, op, lam)
    return m1, m2, l2, l1


# ---- models ------------------------------------------------------------------------------------------

def sincos_2d(grid, dim, temperature=10000.0):
    gw, gh = torch.meshgrid(torch.arange(grid, dtype=torch.float32), torch.arange(grid, dtype=torch.float32), indexing="ij")
    pos_dim = dim // 4
    omega = 1.0 / (temperature ** (torch.arange(pos_dim, dtype=torch.float32) / pos_dim))
    out_w = gw.flatten()[:, None] * omega[None]
    out_h = gh.flatten()[:, None] * omega[None]
    pe = torch.cat([out_w.sin(), out_w.cos(), out_h.sin(), out_h.cos()], 1)
    return torch.cat([torch.zeros(1, dim), pe], 0).unsqueeze(0)


def drop_path(x, rate, training):
    if rate == 0 or not training:
        return x
    keep = 1 - rate
    mask = torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype).add_(keep).floor_()
    return x.div(keep) * mask


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, heads, dpr):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, dim * 4)
        self.fc2 = nn.Linear(dim * 4, dim)
        self.dpr = dpr

    def forward(self, x):
        x = x + drop_path(self.attn(self.norm1(x)), self.dpr, self.training)
        return x + drop_path(self.fc2(F.gelu(self.fc1(self.norm2(x)))), self.dpr, self.training)


class ViT(nn.Module):
    def __init__(self, img=32, patch=4, dim=192, depth=6, heads=3, drop=0.0, learned_pos=False, stop_grad_patch=False):
        super().__init__()
        self.grid = img // patch
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        if learned_pos:
            self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid ** 2, dim))
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        else:
            self.register_buffer("pos_embed", sincos_2d(self.grid, dim), persistent=False)
        self.learned_pos = learned_pos
        rates = [drop * i / (depth - 1) for i in range(depth)]
        self.blocks = nn.ModuleList([Block(dim, heads, r) for r in rates])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        if stop_grad_patch:
            self.patch_embed.weight.requires_grad = False
            self.patch_embed.bias.requires_grad = False

    def pos(self, gh, gw):
        if gh == self.grid:
            return self.pos_embed
        cls, grid = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        d = grid.shape[-1]
        grid = grid.reshape(1, self.grid, self.grid, d).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, scale_factor=((gh + 0.1) / self.grid, (gw + 0.1) / self.grid), mode="bicubic", align_corners=False)
        return torch.cat([cls, grid.permute(0, 2, 3, 1).reshape(1, gh * gw, d)], 1)

    def forward(self, x):
        p = self.patch_embed(x)
        gh, gw = p.shape[2], p.shape[3]
        t = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), p.flatten(2).transpose(1, 2)], 1) + self.pos(gh, gw)
        for blk in self.blocks:
            t = blk(t)
        return self.norm(t)[:, 0]


class ChunkedBN(nn.BatchNorm1d):
    """BatchNorm1d with per-view statistics: the batch holds `chunks` equal view batches."""
    chunks = 1

    def forward(self, x):
        if not self.training or self.chunks == 1:
            return super().forward(x)
        return torch.cat([super(ChunkedBN, self).forward(c) for c in x.chunk(self.chunks)])


def moco_mlp(layers, din, hidden, dout, last_bn):
    mods = []
    for l in range(layers):
        d1 = din if l == 0 else hidden
        d2 = dout if l == layers - 1 else hidden
        mods.append(nn.Linear(d1, d2, bias=False))
        if l < layers - 1:
            mods += [ChunkedBN(d2), nn.ReLU(inplace=True)]
        elif last_bn:
            mods.append(ChunkedBN(d2, affine=False))
    return nn.Sequential(*mods)


def set_chunks(module, k):
    for m in module.modules():
        if isinstance(m, ChunkedBN):
            m.chunks = k


class DinoHead(nn.Module):
    def __init__(self, din, dout=4096, hidden=2048, bottleneck=256):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(din, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, bottleneck))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck, dout, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = False

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1, p=2))


class MultiCrop(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, crops):
        feats, i = [], 0
        while i < len(crops):
            j = i + 1
            while j < len(crops) and crops[j].shape[-1] == crops[i].shape[-1]:
                j += 1
            feats.append(self.backbone(torch.cat(crops[i:j])))
            i = j
        return self.head(torch.cat(feats))


@torch.no_grad()
def ema(online, target, m):
    for po, pt in zip(online.parameters(), target.parameters()):
        pt.mul_(m).add_(po.detach(), alpha=1 - m)


# ---- losses ------------------------------------------------------------------------------------------

def logits(q, k, tau):
    return F.normalize(q, dim=1) @ F.normalize(k, dim=1).t() / tau


def moco_loss(q, k, tau):
    return F.cross_entropy(logits(q, k, tau), torch.arange(q.shape[0])) * 2 * tau


def sdmp_moco_term(q, k, w_self, w_flip, tau):
    lp = F.log_softmax(logits(q, k, tau), 1)
    n = q.shape[0]
    own = lp.diagonal()
    partner = lp.gather(1, torch.arange(n - 1, -1, -1).unsqueeze(1)).squeeze(1)
    return (-(w_self * own + w_flip * partner)).mean() * 2 * tau


def mix_weights(lam_own, lam_partner):
    c = torch.minimum(lam_own, 1 - lam_partner) + torch.minimum(1 - lam_own, lam_partner)
    return 1 / (1 + c), c / (1 + c)


def dino_loss(s_out, t_out, center, s_temp, t_temp):
    b = t_out.shape[0] // 2
    t = F.softmax((t_out - center) / t_temp, -1).reshape(2, -1)
    n = s_out.shape[0] // b
    ls = F.log_softmax(s_out / s_temp, -1).reshape(n, -1)
    cross = -(t @ ls.t()) / b
    return (cross * (1 - torch.eye(2, n))).sum() / (2 * (n - 1))


def dino_soft_term(t_out, s_logp, center, t_temp, w_self, w_flip):
    t = F.softmax((t_out - center) / t_temp, -1)
    target = w_self.unsqueeze(1) * t + w_flip.unsqueeze(1) * t.flip(0)
    return (-(target * s_logp).sum(-1)).mean()


# ---- steps -------------------------------------------------------------------------------------------

class MocoStep:
    def __init__(self, sdmp, batch, steps_per_epoch):
        def encoder():
            return nn.Sequential(ViT(stop_grad_patch=True), moco_mlp(3, 192, 1024, 256, True))
        torch.manual_seed(0)
        self.query_encoder = encoder()
        self.predictor = moco_mlp(2, 256, 1024, 256, True)
        self.query = nn.Sequential(self.query_encoder, self.predictor)
        self.momentum = encoder()
        self.momentum.load_state_dict(self.query_encoder.state_dict())
        for p in self.momentum.parameters():
            p.requires_grad = False
        params = [p for p in self.query.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(params, lr=1.5e-4 * batch / 256, weight_decay=0.1)
        self.sdmp, self.tau, self.batch, self.spe = sdmp, 0.2, batch, steps_per_epoch
        self.views = [dict(solarize_p=0.0), dict(solarize_p=0.2)]

    def step(self, raws, it):
        x1, x2 = photometric(raws[0], **self.views[0]), photometric(raws[1], **self.views[1])
        m = 1 - 0.5 * (1 + math.cos(math.pi * it / (self.spe * 10))) * (1 - 0.99)
        tau, n = self.tau, x1.shape[0]
        if not self.sdmp:
            set_chunks(self.query, 2)
            q1, q2 = self.query(torch.cat([x1, x2])).chunk(2)
            ema(self.query_encoder, self.momentum, m)
            with torch.no_grad():
                set_chunks(self.momentum, 2)
                k1, k2 = self.momentum(torch.cat([x1, x2])).chunk(2)
            loss = moco_loss(q1, k2, tau) + moco_loss(q2, k1, tau)
        else:
            if torch.rand(1).item() < 0.5:
                x1, x2 = x2, x1
            mix1, mix2, lam2, lam1 = sdmp_mix(x1, x2, n)
            set_chunks(self.query, 2)
            q1, qm2 = self.query(torch.cat([x1, mix2])).chunk(2)
            ema(self.query_encoder, self.momentum, m)
            with torch.no_grad():
                set_chunks(self.momentum, 3)
                k1, km1, k2 = self.momentum(torch.cat([x1, mix1, x2])).chunk(3)
            lam_own = lam2
            src = sdmp_moco_term(qm2, k1, lam_own, 1 - lam_own, tau)
            ws, wf = mix_weights(lam_own, lam_own.flip(0))
            mx = sdmp_moco_term(qm2, km1, ws, wf, tau)
            loss = moco_loss(q1, k2, tau) + 0.5 * src + 0.5 * mx
        torch.stack([loss.detach()])   # the trainer stacks the logged terms
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss


class DinoStep:
    def __init__(self, sdmp, batch, steps_per_epoch):
        torch.manual_seed(0)
        self.student = MultiCrop(ViT(drop=0.1, learned_pos=True), DinoHead(192))
        self.teacher = MultiCrop(ViT(drop=0.0, learned_pos=True), DinoHead(192))
        self.teacher.load_state_dict(self.student.state_dict())
        for p in self.teacher.parameters():
            p.requires_grad = False
        reg, noreg = [], []
        for name, p in self.student.named_parameters():
            if not p.requires_grad:
                continue
            (noreg if name.endswith(".bias") or len(p.shape) == 1 else reg).append(p)
        self.opt = torch.optim.AdamW([{"params": reg}, {"params": noreg, "weight_decay": 0.0}], lr=0.0005 * batch / 256)
        self.center = torch.zeros(1, 4096)
        self.sdmp, self.spe = sdmp, steps_per_epoch
        self.views = [dict(solarize_p=0.0), dict(solarize_p=0.2)] + [dict(solarize_p=0.0)] * 4

    def step(self, raws, it):
        crops = [photometric(r, **v) for r, v in zip(raws, self.views)]
        g1, g2, locs = crops[0], crops[1], crops[2:]
        b = g1.shape[0]
        t_temp, s_temp = 0.04, 0.1
        center = self.center.clone()
        if self.sdmp:
            mix1, mix2, lam2, lam1 = sdmp_mix(g1, g2, b)
            with torch.no_grad():
                t_out = self.teacher([g1, g2, mix1])
            s_out = self.student([g1, g2, mix2] + locs)
            t_clean = t_out[: 2 * b]
            s_clean = torch.cat([s_out[: 2 * b], s_out[3 * b:]])
            l_dino = dino_loss(s_clean, t_clean, center, s_temp, t_temp)
            s_logp = F.log_softmax(s_out[2 * b: 3 * b] / s_temp, -1)
            src = dino_soft_term(t_clean[:b], s_logp, center, t_temp, lam2, 1 - lam2)
            ws, wf = mix_weights(lam2, lam2.flip(0))
            mx = dino_soft_term(t_out[2 * b:], s_logp, center, t_temp, ws, wf)
            loss = l_dino + 0.5 * src + 0.5 * mx
        else:
            with torch.no_grad():
                t_out = self.teacher([g1, g2])
            s_out = self.student([g1, g2] + locs)
            t_clean, s_clean = t_out, s_out
            loss = dino_loss(s_clean, t_clean, center, s_temp, t_temp)
        with torch.no_grad():   # the collapse diagnostics pretrain logs (entropy of the targets, KL)
            t = F.softmax((t_clean - center) / t_temp, -1)
            (-(t * torch.log(t + 1e-12)).sum(-1)).mean()
            torch.stack([loss.detach()])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        for p in self.student.parameters():   # DINO clip_gradients, per parameter
            if p.grad is not None:
                p.grad.mul_((3.0 / (p.grad.norm(2) + 1e-6)).clamp(max=1.0))
        for p in self.student.head.last_layer.parameters():   # cancel_gradients_last_layer (epoch 0)
            p.grad = None
        self.opt.step()
        m = 1 - 0.5 * (1 + math.cos(math.pi * it / (self.spe * 50))) * (1 - 0.996)
        ema(self.student, self.teacher, m)
        with torch.no_grad():
            self.center.mul_(0.9).add_(t_clean.mean(0, keepdim=True), alpha=0.1)
        return loss


CONFIGS = {
    "mocov3_vit_sdmp": (MocoStep, True, [32, 32]),
    "mocov3_vit": (MocoStep, False, [32, 32]),
    "dino_vit_sdmp": (DinoStep, True, [32, 32, 16, 16, 16, 16]),
    "dino_vit": (DinoStep, False, [32, 32, 16, 16, 16, 16]),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, choices=sorted(CONFIGS))
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cls, sdmp, sizes = CONFIGS[a.config]
    method = cls(sdmp, a.batch, steps_per_epoch=2048 // a.batch)
    method.query.train() if hasattr(method, "query") else method.student.train()
    g = torch.Generator().manual_seed(1)
    batches = [[torch.randint(0, 256, (a.batch, s, s, 3), dtype=torch.uint8, generator=g) for s in sizes]
               for _ in range(a.warmup + a.steps)]
    times = []
    for i, raws in enumerate(batches):
        t0 = time.perf_counter()
        method.step(raws, i)
        dt = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(dt)
    s = sorted(times)
    med = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
    print(json.dumps({"config": a.config, "median_ms_per_step": round(med, 1), "step_ms": [round(t, 1) for t in times],
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "threads": torch.get_num_threads(), "batch": a.batch, "torch": torch.__version__,
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}))


if __name__ == "__main__":
    main()
