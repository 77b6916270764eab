"""RoPE on the q (or k) projection of one attention layer, as the model computes it: `mx.fast.rope` on the transposed
(B, H, T, D) view (mlx-lm's way) against our `RoPEKernel` (nbs/07_kernels.ipynb: one CUDA kernel that rotates the
projection's (B, T, H, D) rows and leaves them in that layout; what `train` runs on CUDA) and two rewrites tried on
the H200 and not kept: `RowRoPE` (every (batch, position, head) row rotated as a length-1 sequence with its position
as offset, so the kernel reads the projection's contiguous layout) and `FusedRoPE` (x·cos + swap(x)·(−sin, sin) as elementwise arithmetic that
`mx.compile` fuses, the halves swapped by a negative-stride view, the inverse rotation as custom VJP). Forward (with
the copy back to (B, T, H·D) that the attention output needs) and forward+backward; each checked against the first.
The backward pass here gets its gradient as a contiguous (B, H, T, D) array, which `RoPEKernel` first copies to rows;
inside a training step the attention writes that gradient in q's layout, rows already (`kernel_profile.py` shows the
step's own kernels).

A `copy` row (x·1: the same bytes read and written by one of MLX's elementwise kernels) is the ceiling; the forward
column times `--chain` rotations in a row in one graph, so launches and the wait for the result are spread over them.
`--heads-per-thread` adds `RoPEKernel` rows with other numbers G of heads a thread (`ROPE_HEADS_PER_THREAD`; all
H of a row by default).

    python bench/rope.py [--batch 32] [--seq 1024] [--heads 12] [--head-dim 64] [--dtype bfloat16]
                         [--heads-per-thread 1,2,8]
"""
import argparse, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx, mlx.nn as nn
import mlx_pretrain.kernels as kernels
from mlx_pretrain.kernels import RoPEKernel, kernels_enabled

class RowRoPE(nn.Module):
    def __init__(self, rope): super().__init__(); self.rope = rope
    def __call__(self, x, offset=0):
        B, H, T, D = x.shape
        pos = mx.broadcast_to((mx.arange(T, dtype=mx.int32) + offset).reshape(1, T, 1), (B, T, H)).reshape(-1)
        rows = x.transpose(0, 2, 1, 3).reshape(B * T * H, 1, D)
        return self.rope(rows, offset=pos).reshape(B, T, H, D).transpose(0, 2, 1, 3)

@mx.custom_function
def _rotate_halves(x, cos, sin): return x * cos + x[..., ::-1, :] * sin

@_rotate_halves.vjp
def _rotate_halves_vjp(primals, cotangent, output):
    x, cos, sin = primals                       # a rotation's transpose is its inverse: the same with -sin
    return (cotangent * cos - cotangent[..., ::-1, :] * sin).astype(x.dtype), mx.zeros_like(cos), mx.zeros_like(sin)

class FusedRoPE(nn.Module):
    def __init__(self, rope): super().__init__(); self.rope = rope
    def __call__(self, x, offset=0):
        B, H, T, D = x.shape
        angles = ((mx.arange(T, dtype=mx.float32) + offset) * self.rope.scale)[:, None] * self.rope.base ** (-mx.arange(0, D, 2, dtype=mx.float32) / D)
        c, s = mx.cos(angles), mx.sin(angles)
        cos, sin = mx.stack([c, c], -2)[:, None], mx.stack([-s, s], -2)[:, None]      # (T, 1, 2, D/2)
        rows = x.transpose(0, 2, 1, 3).reshape(B, T, H, 2, D // 2)
        return _rotate_halves(rows, cos, sin).astype(x.dtype).reshape(B, T, H, D).transpose(0, 2, 1, 3)

class Copy(nn.Module):
    "Not RoPE: one elementwise pass that reads and writes the same bytes (x·1 in x's dtype), the bandwidth's ceiling."
    def __call__(self, x, offset=0): return x * mx.array(1, x.dtype)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--dtype", choices=["bfloat16", "float32"], default="bfloat16")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--chain", type=int, default=10, help="forward: this many rotations in a row in one graph, so "
                   "that the time a rotation takes is the kernel's and not the launch's")
    p.add_argument("--heads-per-thread", default="",
                   help="also RoPEKernel with these ROPE_HEADS_PER_THREAD, e.g. 1,2,8")
    a = p.parse_args()
    B, T, H, D = a.batch, a.seq, a.heads, a.head_dim
    x = mx.random.normal((B, T, H, D)).astype(getattr(mx, a.dtype)); w = mx.random.normal((B, H, T, D)).astype(x.dtype)
    G = kernels.ROPE_HEADS_PER_THREAD               # None: all H heads of a row in one thread
    ropes = {"mx.fast.rope on the transposed view": (nn.RoPE(D), G),
             f"RoPEKernel, G = {G or H}": (RoPEKernel(nn.RoPE(D), min_size=0), G)}
    for g in [int(g) for g in a.heads_per_thread.split(",") if g]:
        ropes[f"RoPEKernel, G = {g}"] = (RoPEKernel(nn.RoPE(D), min_size=0), g)
    ropes.update({"RowRoPE": (RowRoPE(nn.RoPE(D)), G), "FusedRoPE": (FusedRoPE(nn.RoPE(D)), G),
                  "copy (not RoPE)": (Copy(), G)})
    outs = []
    for name, (r, g) in ropes.items():
        kernels.ROPE_HEADS_PER_THREAD = g
        outs.append(r(x.transpose(0, 2, 1, 3)).astype(mx.float32))
        if len(outs) > 1 and name != "copy (not RoPE)":
            print(f"{name}: max |difference| {mx.abs(outs[0] - outs[-1]).max().item():.3g} "
                  f"(values up to {mx.abs(outs[0]).max().item():.3g})")
    mb = x.nbytes / 1e6
    print(f"\nB {B}, T {T}, H {H}, D {D}, {a.dtype} ({mb:.0f} MB per array); mlx {mx.__version__}, {mx.default_device()}; "
          f"median of {a.iters}; forward: {a.chain} in a row, ms a rotation; our kernels "
          f"{'on' if kernels_enabled() else 'off (RoPEKernel is mx.fast.rope)'}\n\n"
          "| rope | forward ms | GB/s (read + write) | forward+backward ms |\n|---|---:|---:|---:|")
    for name, (r, g) in ropes.items():
        kernels.ROPE_HEADS_PER_THREAD = g           # read when the functions below are traced
        def fwd(x):
            for _ in range(a.chain):    # through (B, T, H·D), as attention's input is: mx.fast.rope's output is copied
                x = r(x.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3).reshape(B, T, H * D).reshape(B, T, H, D)
            return x
        fwd = mx.compile(fwd)
        both = mx.compile(mx.grad(lambda x: (r(x.transpose(0, 2, 1, 3)) * w).astype(mx.float32).sum()))
        times = []
        for f in (fwd, both):
            for _ in range(3): mx.eval(f(x))
            ts = []
            for _ in range(a.iters):
                t = time.perf_counter(); mx.eval(f(x)); ts.append(time.perf_counter() - t)
            times.append(sorted(ts)[len(ts) // 2] * 1e3)
        per = times[0] / a.chain
        print(f"| {name} | {per:.4f} | {2 * x.nbytes / per / 1e6:,.0f} | {times[1]:.3f} |")

if __name__ == "__main__": main()
