"""Causal attention alone, forward + backward: MLX's `mx.fast.scaled_dot_product_attention` (cuDNN on CUDA) against
PyTorch's `scaled_dot_product_attention` with each of its backends, on one shape (default: the 134M config's
attention, batch 32, 12 heads, 1024 tokens, head size 64, bfloat16). MLX's inputs in three layouts: as in mlx-lm's
models (q and k made by RoPE, contiguous batch, head, token, dim; v a transposed view of the projection output), all
contiguous, all transposed views.

    python bench/attention.py [--batch 32] [--heads 12] [--seq 1024] [--head-dim 64] [--steps 20]

TFLOP/s counts the causal half: forward 2·2·B·H·T²·D / 2, backward 2.5x the forward. Alone is not in a step:
inside a training step the same cuDNN kernels took less time in MLX than in PyTorch (`kernel_profile.py`, RESULTS.md).
"""
import argparse, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)

def flops(a): f = 2 * 2 * a.batch * a.heads * a.seq ** 2 * a.head_dim / 2; return f, 2.5 * f

def time_it(fn, sync, steps):
    for _ in range(3): fn()
    sync(); t = time.perf_counter()
    for _ in range(steps): fn()
    sync(); return (time.perf_counter() - t) / steps

def mlx_rows(a):
    import mlx.core as mx
    B, H, T, D = a.batch, a.heads, a.seq, a.head_dim
    base = [mx.random.normal((B, T, H, D)).astype(mx.bfloat16) for _ in range(3)]
    do = mx.random.normal((B, H, T, D)).astype(mx.bfloat16)
    sdpa = lambda q, k, v: mx.fast.scaled_dot_product_attention(q, k, v, scale=D ** -0.5, mask="causal")
    fwd = mx.compile(sdpa)
    both = mx.compile(lambda q, k, v: mx.vjp(sdpa, [q, k, v], [do])[1])
    layouts = {"as in the models": lambda q, k, v: ((q.transpose(0, 2, 1, 3) * 1), (k.transpose(0, 2, 1, 3) * 1), v.transpose(0, 2, 1, 3)),
               "all contiguous (B, H, T, D)": lambda q, k, v: tuple(t.transpose(0, 2, 1, 3) * 1 for t in (q, k, v)),
               "all (B, T, H, D) views": lambda q, k, v: tuple(t.transpose(0, 2, 1, 3) for t in (q, k, v))}
    rows = []
    for name, lay in layouts.items():
        q, k, v = lay(*base); mx.eval(q, k, v)
        f = time_it(lambda: mx.eval(fwd(q, k, v)), mx.synchronize, a.steps)
        fb = time_it(lambda: mx.eval(both(q, k, v)), mx.synchronize, a.steps)
        rows.append((f"mlx fast sdpa, {name}", f, fb))
    return rows

def torch_rows(a):
    import torch
    from torch.nn.attention import sdpa_kernel, SDPBackend
    B, H, T, D = a.batch, a.heads, a.seq, a.head_dim
    mk = lambda: torch.randn(B, T, H, D, device="cuda", dtype=torch.bfloat16).transpose(1, 2).requires_grad_()
    q, k, v = mk(), mk(), mk()
    do = torch.randn(B, H, T, D, device="cuda", dtype=torch.bfloat16)
    rows = []
    for name, be in [("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION), ("efficient", SDPBackend.EFFICIENT_ATTENTION)]:
        try:
            with sdpa_kernel(be):
                sd = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
                def both():
                    o = sd(); torch.autograd.grad(o, (q, k, v), do)
                with torch.no_grad(): f = time_it(sd, torch.cuda.synchronize, a.steps)
                fb = time_it(both, torch.cuda.synchronize, a.steps)
            rows.append((f"torch sdpa, {name}", f, fb))
        except Exception as e: print(f"torch {name}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    return rows

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32); p.add_argument("--heads", type=int, default=12)
    p.add_argument("--seq", type=int, default=1024); p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    rows = mlx_rows(a)
    try: rows += torch_rows(a)
    except ImportError: print("(PyTorch is not installed here: MLX only)")
    ff, fbw = flops(a)
    print(f"\ncausal attention, B {a.batch} x H {a.heads} x T {a.seq} x D {a.head_dim}, bfloat16; {time.strftime('%Y-%m-%d')}\n")
    print("| row | forward ms | forward TFLOP/s | forward+backward ms | forward+backward TFLOP/s |\n|---|---:|---:|---:|---:|")
    for name, f, fb in rows:
        print(f"| {name} | {f * 1e3:.2f} | {ff / f / 1e12:.0f} | {fb * 1e3:.2f} | {(ff + fbw) / fb / 1e12:.0f} |")

if __name__ == "__main__": main()
