"""RoPE on the q (or k) projection of one attention layer, as the model computes it: `mx.fast.rope` on the transposed
(B, H, T, D) view (mlx-lm's way) against `FusedRoPE` (nbs/04_models), forward (with the copy back to (B, T, H·D)
that the attention output needs) and forward+backward; the two checked equal first.

    python bench/rope.py [--batch 32] [--seq 1024] [--heads 12] [--head-dim 64] [--dtype bfloat16]
"""
import argparse, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx, mlx.nn as nn
from mlx_pretrain.models import FusedRoPE

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--dtype", choices=["bfloat16", "float32"], default="bfloat16")
    p.add_argument("--iters", type=int, default=50)
    a = p.parse_args()
    B, T, H, D = a.batch, a.seq, a.heads, a.head_dim
    x = mx.random.normal((B, T, H, D)).astype(getattr(mx, a.dtype)); w = mx.random.normal((B, H, T, D)).astype(x.dtype)
    ropes = {"mx.fast.rope on the transposed view": nn.RoPE(D), "FusedRoPE": FusedRoPE(nn.RoPE(D))}
    outs = [r(x.transpose(0, 2, 1, 3)).astype(mx.float32) for r in ropes.values()]
    print(f"max |difference| {mx.abs(outs[0] - outs[1]).max().item():.3g} (values up to {mx.abs(outs[0]).max().item():.3g})")
    mb = x.nbytes / 1e6
    print(f"\nB {B}, T {T}, H {H}, D {D}, {a.dtype} ({mb:.0f} MB per array); mlx {mx.__version__}, {mx.default_device()}; "
          f"median of {a.iters}\n\n| rope | forward ms | forward+backward ms |\n|---|---:|---:|")
    for name, r in ropes.items():
        fwd = mx.compile(lambda x: r(x.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3).reshape(B, T, H * D))
        both = mx.compile(mx.grad(lambda x: (r(x.transpose(0, 2, 1, 3)) * w).astype(mx.float32).sum()))
        times = []
        for f in (fwd, both):
            for _ in range(3): mx.eval(f(x))
            ts = []
            for _ in range(a.iters):
                t = time.perf_counter(); mx.eval(f(x)); ts.append(time.perf_counter() - t)
            times.append(sorted(ts)[len(ts) // 2] * 1e3)
        print(f"| {name} | {times[0]:.3f} | {times[1]:.3f} |")

if __name__ == "__main__": main()
