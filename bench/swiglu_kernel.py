"""The lean block's SwiGLU (nbs/07_kernels.ipynb) alone: `swiglu_kernel` (two CUDA kernels) against `swiglu_mlx`
(MLX's operations), compiled forward + backward, at a training step's shape.

    python bench/swiglu_kernel.py [--tokens 32768] [--ffn 2048] [--d 768]      (CUDA GPU only)

Per dtype (bf16, float16): the median of 20 timed calls after a compiling one, and the kernel's difference from MLX's
loss (the SwiGLU's output weighted by random numbers and summed, in float32) and largest difference from its
gradients, in eps of the dtype relative to the largest value.
"""
import argparse, statistics, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx
import mlx_pretrain.kernels as K

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tokens", type=int, default=32768)
    p.add_argument("--ffn", type=int, default=2048)
    p.add_argument("--d", type=int, default=768)
    a = p.parse_args()
    if min(a.tokens, a.ffn, a.d) < 1: p.error("--tokens, --ffn and --d must be at least 1")
    if not K.kernels_enabled(): raise SystemExit("the SwiGLU kernel needs MLX's CUDA backend and the GPU")
    print(f"{a.tokens} tokens, ffn {a.ffn}, width {a.d}; mlx {mx.__version__}; {time.strftime('%Y-%m-%d')}\n")
    print("| dtype | version | ms (forward + backward) | loss diff (eps) | gradient diff (eps) |\n|---|---|---:|---:|---:|")
    for dtype in (mx.bfloat16, mx.float16):
        mx.random.seed(0)
        gu = mx.random.normal((a.tokens, 2 * a.ffn)).astype(dtype)     # g and u side by side, as a lean block has them
        W, w, r = (mx.random.normal(s).astype(dtype) * 0.02 for s in [(a.d, a.ffn), (a.tokens, a.d), (a.tokens, a.d)])
        if not K.swiglu_covers(gu): raise SystemExit(f"swiglu_covers is False for {a.tokens} x {a.ffn} {dtype}")
        loss = lambda f: lambda gu, W: (f(r, gu, W).astype(mx.float32) * w).sum()     # r: the block's residual
        runs = {name: mx.compile(mx.value_and_grad(loss(f), argnums=(0, 1)))
                for name, f in [("MLX's operations", K.swiglu_mlx), ("kernel", K.swiglu_kernel)]}
        eps = float(mx.finfo(dtype).eps)
        rel = lambda x, y: (mx.abs(x.astype(mx.float32) - y.astype(mx.float32)).max()
                            / mx.abs(y.astype(mx.float32)).max()).item() / eps
        ref_out, ref_grads = runs["MLX's operations"](gu, W)
        for name, f in runs.items():
            out, grads = f(gu, W); mx.eval(out, grads)
            times = []
            for _ in range(20):
                t = time.perf_counter(); mx.eval(f(gu, W)); times.append((time.perf_counter() - t) * 1e3)
            print(f"| {dtype} | {name} | {statistics.median(times):.3f} | {rel(out, ref_out):.2f} | "
                  f"{max(rel(x, y) for x, y in zip(grads, ref_grads)):.2f} |", flush=True)

if __name__ == "__main__": main()
