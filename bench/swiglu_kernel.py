"""A candidate, not yet measured: the lean block's SwiGLU (`swiglu_linear`, nbs/07_kernels.ipynb) as two CUDA kernels.

The lean step's profile (bench/RESULTS.md, 2026-11-30 session 5) shows SwiGLU's elementwise work as five kernels a
block, 8.9 ms a step: MLX's compiler materialises every value read by two expressions (the sigmoid, g·sigmoid(g)).
Written out in MLX operations it got slower (the same entry). Here, one kernel for the forward pass, p = silu(g)·u,
and one for the backward pass, which reads g, u and dp = cotangent @ W once and writes p (for W's gradient), dg and
du. The arithmetic is in float32, each output rounded once.

It is wired in only by the benchmarks: `bench/speed_compare.py --rows "ours with SwiGLU kernel"` and
`bench/lean_blocks.py --kinds plain,lean,lean+swiglu-kernel`. It moves into nbs/07_kernels.ipynb, with a GPU
correctness cell, if the H200 shows that it pays. Alone:

    python bench/swiglu_kernel.py [--tokens 32768] [--ffn 2048] [--d 768]      (CUDA GPU only)

checks values and gradients against the library's `swiglu_linear` (bf16 and float32, compiled) and times the
compiled forward + backward of both (median of 20, after a compiling call).
"""
import argparse, statistics, time
from functools import lru_cache
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx
import mlx_pretrain.kernels as K

_HEADER = """
template <typename T> struct alignas(8 * sizeof(T)) Vec8 { T v[8]; };
"""

_FORWARD = """
    // 8 elements a thread: p = g * sigmoid(g) * u
    size_t i = (size_t(blockIdx.x) * blockDim.x + threadIdx.x) * 8;
    if (i >= COUNT) return;
    Vec8<T> a = *reinterpret_cast<const Vec8<T>*>(g + i), b = *reinterpret_cast<const Vec8<T>*>(u + i), r;
    for (int k = 0; k < 8; ++k) {
        float x = static_cast<float>(a.v[k]);
        r.v[k] = static_cast<T>(x / (1.0f + expf(-x)) * static_cast<float>(b.v[k]));
    }
    *reinterpret_cast<Vec8<T>*>(p + i) = r;
"""

_BACKWARD = """
    // 8 elements a thread: p as the forward pass, dg = dp·u·s·(1 + g·(1 − s)), du = dp·g·s with s = sigmoid(g)
    size_t i = (size_t(blockIdx.x) * blockDim.x + threadIdx.x) * 8;
    if (i >= COUNT) return;
    Vec8<T> a = *reinterpret_cast<const Vec8<T>*>(g + i), b = *reinterpret_cast<const Vec8<T>*>(u + i);
    Vec8<T> c = *reinterpret_cast<const Vec8<T>*>(dp + i), rp, rg, ru;
    for (int k = 0; k < 8; ++k) {
        float x = static_cast<float>(a.v[k]), y = static_cast<float>(b.v[k]), d = static_cast<float>(c.v[k]);
        float s = 1.0f / (1.0f + expf(-x)), xs = x * s;
        rp.v[k] = static_cast<T>(xs * y);
        rg.v[k] = static_cast<T>(d * y * s * (1.0f + x * (1.0f - s)));
        ru.v[k] = static_cast<T>(d * xs);
    }
    *reinterpret_cast<Vec8<T>*>(p + i) = rp;
    *reinterpret_cast<Vec8<T>*>(dg + i) = rg;
    *reinterpret_cast<Vec8<T>*>(du + i) = ru;
"""

@lru_cache(maxsize=None)
def _kernels():
    fwd = mx.fast.cuda_kernel(name="swiglu_fwd", input_names=["g", "u"], output_names=["p"], source=_FORWARD,
                              header=_HEADER)
    bwd = mx.fast.cuda_kernel(name="swiglu_bwd", input_names=["g", "u", "dp"], output_names=["p", "dg", "du"],
                              source=_BACKWARD, header=_HEADER)
    return fwd, bwd

def _launch(kernel, inputs, outputs: int):
    g = inputs[0]
    return kernel(inputs=inputs, template=[("T", g.dtype), ("COUNT", g.size)], grid=(g.size // 8, 1, 1),
                  threadgroup=(256, 1, 1), output_shapes=[g.shape] * outputs, output_dtypes=[g.dtype] * outputs)

def covers(g, u) -> bool:
    "Same shape and floating dtype, a multiple of 8 elements, fewer than 2^31 of them, on the GPU with kernels on."
    return (K.kernels_enabled() and g.shape == u.shape and g.dtype == u.dtype and g.size % 8 == 0
            and g.size < 2 ** 31 and g.dtype in (mx.bfloat16, mx.float16, mx.float32))

@mx.custom_function
def _swiglu_linear(g, u, W):
    "(silu(g)·u) @ W.T through the forward kernel; only where `covers(g, u)`."
    return _launch(_kernels()[0], [g, u], 1)[0] @ W.T

@_swiglu_linear.vjp
def _vjp(primals, cotangent, output):
    g, u, W = primals
    g, u = mx.depends([g, u], [cotangent])       # recomputed after the cotangent exists, as in nbs/07_kernels
    p, dg, du = _launch(_kernels()[1], [g, u, (cotangent @ W).astype(g.dtype)], 3)
    return K._like(primals, (dg, du, K._rows(cotangent).T @ K._rows(p)))

def install() -> bool:
    """Make lean blocks call the kernels where they cover the call (LeanBlock reads
    `mlx_pretrain.kernels.swiglu_linear` at call time), on the GPU with kernels on. Returns whether it did."""
    if not K.kernels_enabled(): return False
    library = K.swiglu_linear
    K.swiglu_linear = lambda g, u, W: _swiglu_linear(g, u, W) if covers(g, u) else library(g, u, W)
    return True

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tokens", type=int, default=32768)
    p.add_argument("--ffn", type=int, default=2048)
    p.add_argument("--d", type=int, default=768)
    a = p.parse_args()
    if min(a.tokens, a.ffn, a.d) < 1: p.error("--tokens, --ffn and --d must be at least 1")
    if not K.kernels_enabled(): raise SystemExit("the SwiGLU kernel needs MLX's CUDA backend and the GPU")
    print(f"{a.tokens} tokens, ffn {a.ffn}, width {a.d}; mlx {mx.__version__}; {time.strftime('%Y-%m-%d')}\n")
    print("| dtype | version | ms (forward + backward) | output diff (eps) | gradient diff (eps) |\n|---|---|---:|---:|---:|")
    for dtype in (mx.bfloat16, mx.float32):
        mx.random.seed(0)
        g, u = (mx.random.normal((a.tokens, a.ffn)).astype(dtype) for _ in range(2))
        W, w = (mx.random.normal(s).astype(dtype) * 0.02 for s in [(a.d, a.ffn), (a.tokens, a.d)])
        loss = lambda f: lambda g, u, W: (f(g, u, W).astype(mx.float32) * w).sum()
        runs = {name: mx.compile(mx.value_and_grad(loss(f), argnums=(0, 1, 2)))
                for name, f in [("library", K.swiglu_linear), ("kernel", _swiglu_linear)]}
        eps = float(mx.finfo(dtype).eps)
        rel = lambda x, y: (mx.abs(x.astype(mx.float32) - y.astype(mx.float32)).max()
                            / mx.abs(y.astype(mx.float32)).max()).item() / eps
        ref_out, ref_grads = runs["library"](g, u, W)
        for name, f in runs.items():
            out, grads = f(g, u, W); mx.eval(out, grads)
            times = []
            for _ in range(20):
                t = time.perf_counter(); mx.eval(f(g, u, W)); times.append((time.perf_counter() - t) * 1e3)
            print(f"| {dtype} | {name} | {statistics.median(times):.3f} | {rel(out, ref_out):.2f} | "
                  f"{max(rel(x, y) for x, y in zip(grads, ref_grads)):.2f} |", flush=True)

if __name__ == "__main__": main()
