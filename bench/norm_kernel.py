"""The lean block's RMS norm backward pass (nbs/07_kernels.ipynb) alone: `norm_vjp_kernel` (one CUDA kernel) against
`norm_vjp_mlx` (MLX's rms_norm, its VJP, the sum for w's gradient and the residual gradient's add), compiled, at a training step's shape.

    python bench/norm_kernel.py [--tokens 32768] [--d 768] [--reps 20] [--rows-per-warp 4]      (CUDA GPU only)

Per dtype (bf16, float16, float32): the median of 5 rounds of --reps calls queued and evaluated together (after a
compiling one), in ms per call, and the kernel's largest difference from MLX's n, dx and dw, in eps of the dtype
relative to each one's largest value. `--rows-per-warp 1,2,4,8` times the kernel with each (kernels.NORM_ROWS_PER_WARP):
fewer rows a warp make more, shorter blocks, more give fewer partial sums of w's gradient to add.
"""
import argparse, statistics, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx
import mlx_pretrain.kernels as K

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tokens", type=int, default=32768)
    p.add_argument("--d", type=int, default=768)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--rows-per-warp", default=str(K.NORM_ROWS_PER_WARP), help="comma-separated, each at least 1")
    a = p.parse_args()
    if min(a.tokens, a.d, a.reps) < 1: p.error("--tokens, --d and --reps must be at least 1")
    try: per_warp = [int(r) for r in a.rows_per_warp.split(",")]
    except ValueError: per_warp = [0]
    if min(per_warp) < 1: p.error(f"--rows-per-warp: expected integers of at least 1, got {a.rows_per_warp!r}")
    if not K.kernels_enabled(): raise SystemExit("the norm kernel needs MLX's CUDA backend and the GPU")
    print(f"{a.tokens} tokens, width {a.d}; mlx {mx.__version__}; {time.strftime('%Y-%m-%d')}\n")
    print("| dtype | version | ms a call | difference from MLX's (eps) |\n|---|---|---:|---:|")
    for dtype in (mx.bfloat16, mx.float16, mx.float32):
        mx.random.seed(0)
        x, dn, dr = (mx.random.normal((a.tokens, a.d)).astype(dtype) for _ in range(3))
        w = (1 + 0.1 * mx.random.normal((a.d,))).astype(dtype)
        if not K.norm_vjp_covers(x, w, dn, dr): raise SystemExit(f"norm_vjp_covers is False for {a.tokens} x {a.d} {dtype}")
        def kernel(R):                               # read when the compiled function is traced (first call)
            def f(*args): K.NORM_ROWS_PER_WARP = R; return K.norm_vjp_kernel(*args, 1e-5)
            return mx.compile(f)
        runs = {"MLX's operations": mx.compile(lambda *a: K.norm_vjp_mlx(*a, 1e-5)),
                **{f"kernel, {R} rows a warp": kernel(R) for R in per_warp}}
        eps = float(mx.finfo(dtype).eps)
        rel = lambda u, v: (mx.abs(u.astype(mx.float32) - v.astype(mx.float32)).max()
                            / mx.abs(v.astype(mx.float32)).max()).item() / eps
        ref = runs["MLX's operations"](x, w, dn, dr)
        for name, f in runs.items():
            out = f(x, w, dn, dr); mx.eval(out)
            def round_():
                t = time.perf_counter(); mx.eval([f(x, w, dn, dr) for _ in range(a.reps)])
                return (time.perf_counter() - t) / a.reps * 1e3
            ms = statistics.median(round_() for _ in range(5))
            print(f"| {dtype} | {name} | {ms:.3f} | {max(rel(u, v) for u, v in zip(out, ref)):.2f} |", flush=True)

if __name__ == "__main__": main()
