"""The matrix products of one training step, one at a time: MLX against PyTorch on the same shapes, and the weight
gradient in each of the layouts MLX can be asked for it (cuBLAS picks its kernel by layout, so the same product can
run at different speeds).

    python bench/matmul_layouts.py [--model 134m|400m] [--tokens 32768] [--dtype bfloat16] [--reps 20]

For each linear layer of the shape (x: tokens × in, W: out × in, c: the gradient of x @ W.T):
- forward: x @ W.T;   input gradient: c @ W;
- weight gradient `c.T @ x` (what our lean blocks' VJPs compute: the (out, in) array itself), and `(x.T @ c).T` (what
  MLX's autodiff of `x @ W.T` computes: the gradient of W.T, then transposed; the transposition is a view).
Each product is queued --reps times with different outputs and evaluated once (median of 5 such rounds, after one to
warm up); PyTorch's the same way between CUDA events. Prints one markdown table, milliseconds per product.
"""
import argparse, statistics, time
import numpy as np
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx

SHAPES = {"134m": dict(d=768, ffn=2048, vocab=32000), "400m": dict(d=1024, ffn=4096, vocab=32000)}

def layers(s):
    """(name, in, out, how many of them in one block plus the head with each weight its own product, and with q, k, v
    in one product and gate, up in another (lean blocks do both, q, k, v from width 1024: LeanBlock.qkv_fused_from))"""
    d, f = s["d"], s["ffn"]
    return [("q/k/v/o", d, d, 4, 1), ("gate/up", d, f, 2, 0), ("down", f, d, 1, 1), ("lm head", d, s["vocab"], 1, 1),
            ("q+k+v", d, 3 * d, 0, 1), ("gate+up", d, 2 * f, 0, 1)]

def mlx_ms(fn, reps):
    def round_():
        t = time.perf_counter(); mx.eval([fn() for _ in range(reps)]); return (time.perf_counter() - t) / reps * 1e3
    round_()
    return statistics.median(round_() for _ in range(5))

def torch_ms(fn, reps):
    import torch
    def round_():
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); [fn() for _ in range(reps)]; b.record(); torch.cuda.synchronize(); return a.elapsed_time(b) / reps
    round_()
    return statistics.median(round_() for _ in range(5))

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="134m", choices=SHAPES)
    p.add_argument("--tokens", type=int, default=32768)
    p.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    p.add_argument("--reps", type=int, default=20)
    a = p.parse_args()
    if a.tokens < 1 or a.reps < 1: p.error("--tokens and --reps must be at least 1")
    dt = getattr(mx, a.dtype)
    try:
        import torch
        has_torch = torch.cuda.is_available()
    except ImportError: has_torch = False
    print(f"{a.model}, {a.tokens} tokens, {a.dtype}; mlx {mx.__version__}, {mx.default_device()}"
          + (f", torch {torch.__version__}" if has_torch else ", no PyTorch on a GPU") + f"; {time.strftime('%Y-%m-%d')}\n")
    print("| layer (in → out) | product | mlx ms | torch ms | mlx / torch |\n|---|---|---:|---:|---:|")
    total = {"mlx": 0.0, "torch": 0.0, "mlx fused": 0.0, "torch fused": 0.0}
    for name, i, o, count, fused in layers(SHAPES[a.model]):
        x, W, c = (mx.random.normal(s).astype(dt) for s in [(a.tokens, i), (o, i), (a.tokens, o)])
        mx.eval(x, W, c)
        rows = [("forward x @ W.T", lambda: x @ W.T, "x @ W.T"), ("input grad c @ W", lambda: c @ W, "c @ W"),
                ("weight grad c.T @ x", lambda: c.T @ x, "c.T @ x"), ("weight grad (x.T @ c).T", lambda: (x.T @ c).T, None)]
        if has_torch:
            tx, tW, tc = (torch.from_numpy(np.array(v.astype(mx.float32))).cuda().to(getattr(torch, a.dtype))
                          for v in (x, W, c))
            texpr = {"x @ W.T": lambda: tx @ tW.T, "c @ W": lambda: tc @ tW, "c.T @ x": lambda: tc.T @ tx}
        for label, fn, tkey in rows:
            m = mlx_ms(fn, a.reps)
            t = torch_ms(texpr[tkey], a.reps) if has_torch and tkey else None
            if tkey: total["mlx"] += m * count; total["mlx fused"] += m * fused     # (x.T @ c).T: an alternative
            if t: total["torch"] += t * count; total["torch fused"] += t * fused
            print(f"| {name} ({i} → {o}) | {label} | {m:.3f} | {t:.3f} | {m / t:.2f} |" if t else
                  f"| {name} ({i} → {o}) | {label} | {m:.3f} | — | — |", flush=True)
    print(f"\nOne block's seven layers plus the head, forward + both gradients (c.T @ x for the weight): mlx "
          f"{total['mlx']:.2f} ms" + (f", torch {total['torch']:.2f} ms" if has_torch else ""))
    print(f"The same with q, k, v in one product and gate, up in another: mlx {total['mlx fused']:.2f} ms"
          + (f", torch {total['torch fused']:.2f} ms" if has_torch else ""))

if __name__ == "__main__": main()
