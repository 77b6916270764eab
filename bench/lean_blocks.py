"""`LeanBlock` (nbs/07_kernels.ipynb) against mlx-lm's Llama block: the compiled loss-and-gradient of one batch, its
peak memory and time, and how far the lean gradients are from the plain ones.

    python bench/lean_blocks.py --model 134m --batch 32 --seq 1024 --dtype bfloat16     # the performance issue's shape
    python bench/lean_blocks.py --model 2m --batch 8 --seq 256 --dtype float32          # small, for a CPU
    python bench/lean_blocks.py --model 134m --batch 32 --kinds plain,lean,lean-mlx-swiglu   # SwiGLU kernels or not

Each block kind runs in its own process (peak = `mx.get_peak_memory()` after `mx.reset_peak_memory()`, GB = 1e9
bytes; ms = mean of --steps after one compiling call). The gradient difference is the largest |lean − plain| of any
parameter's gradient over that parameter's largest |plain| gradient, in units of the dtype's eps: the same products
summed in another order differ by a few units.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
sys.path.insert(0, str(Path(__file__).parent))
from speed_compare import SHAPES, mlx_model, shape_args

def child(kind: str, a) -> dict:
    import numpy as np, mlx.core as mx, mlx.nn as nn
    from mlx.utils import tree_flatten
    import mlx_pretrain.kernels as K
    from mlx_pretrain.losses import lm_loss
    s = SHAPES[a.model]
    mx.random.seed(0)                                    # both kinds start from the same weights
    model = mlx_model(s, a.seq, a.dtype)
    if kind.startswith("lean"): K.lean_blocks(model)
    if kind == "lean-mlx-swiglu": K.swiglu_linear = K.swiglu_mlx     # LeanBlock reads it at call time
    x, y = (mx.random.randint(0, s["vocab"], (a.batch, a.seq), key=k) for k in mx.random.split(mx.random.key(0)))
    vg = nn.value_and_grad(model, lambda m, x, y: lm_loss(m, x, y)[0])
    f = mx.compile(lambda x, y: vg(model, x, y), inputs=model.state, outputs=model.state)
    mx.eval(x, y); mx.clear_cache(); mx.reset_peak_memory()
    loss, g = f(x, y); mx.eval(loss, g)
    t = time.perf_counter()
    for _ in range(a.steps): mx.eval(f(x, y))
    ms = (time.perf_counter() - t) / a.steps * 1e3
    np.savez(a.grads / f"{kind}.npz", **{k: np.array(v.astype(mx.float32)) for k, v in tree_flatten(g)})
    return {"kind": kind, "peak": mx.get_peak_memory(), "ms": ms, "loss": loss.item()}

def main():
    p = shape_args(argparse.ArgumentParser(), model="2m", batch=8)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--kinds", default="plain,lean",
                   help="comma-separated, of: plain, lean, lean-mlx-swiglu (SwiGLU in MLX's operations, not kernels)")
    p.add_argument("--child")
    p.add_argument("--grads", type=Path, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child: return print(json.dumps(child(a.child, a)))
    import tempfile, numpy as np, mlx.core as mx
    tmp = Path(tempfile.mkdtemp())
    rows = []
    kinds = ["plain"] + [k for k in a.kinds.split(",") if k != "plain"]     # plain first: the reference
    if unknown := set(kinds) - {"plain", "lean", "lean-mlx-swiglu"}: p.error(f"--kinds: unknown {sorted(unknown)}")
    for kind in kinds:
        r = subprocess.run([sys.executable, __file__, "--child", kind, "--grads", str(tmp), *sys.argv[1:]], capture_output=True, text=True)
        if r.returncode: raise SystemExit(f"{kind}: {r.stderr.strip()[-800:]}")
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    plain, eps = np.load(tmp / "plain.npz"), float(mx.finfo(getattr(mx, a.dtype)).eps)
    def diff(kind):
        other = np.load(tmp / f"{kind}.npz")
        return max(float(np.abs(other[k] - plain[k]).max() / (np.abs(plain[k]).max() or 1)) for k in plain.files) / eps
    s = SHAPES[a.model]
    print(f"\n{a.model} ({s['layers']} x {s['d']}, ffn {s['ffn']}), batch {a.batch} x {a.seq}, {a.dtype}; compiled loss and "
          f"gradient; mlx {mx.__version__}, {'GPU' if mx.default_device() == mx.gpu else 'CPU'}; {time.strftime('%Y-%m-%d')}\n")
    names = {"plain": "mlx-lm", "lean": "LeanBlock", "lean-mlx-swiglu": "LeanBlock, MLX's SwiGLU"}
    print("| blocks | peak GB | ms | loss | largest gradient difference from mlx-lm's (eps) |\n|---|---:|---:|---:|---:|")
    for r in rows:
        d = "" if r["kind"] == "plain" else f"{diff(r['kind']):.1f}"
        print(f"| {names[r['kind']]} | {r['peak'] / 1e9:.2f} | {r['ms']:.1f} | {r['loss']:.6f} | {d} |")
    saved = s["layers"] * (2 * s["d"] + s["ffn"]) * a.batch * a.seq * (2 if a.dtype == "bfloat16" else 4)
    print(f"\npeak plain - lean: {(rows[0]['peak'] - rows[1]['peak']) / 1e9:.2f} GB (the arithmetic: {saved / 1e9:.2f} GB); "
          f"gradient differences in eps of {a.dtype}, relative to each parameter's largest gradient")

if __name__ == "__main__": main()
