"""Which GPU kernels one training step runs and how long each takes: our compiled step (`make_step`, queued one
step ahead as `train` does) and PyTorch's `torch.compile` step on a `speed_compare.py` shape, side by side.

    python bench/kernel_profile.py --model 134m --batch 32 [--rows mlx,torch] [--tool torch|ncu] [--top 40]   (CUDA GPU only)

Rows: `mlx` (our step), `mlx-plain` (our step with our CUDA kernels off, MLX_PRETRAIN_KERNELS=0), `torch`. With two
or more rows, the kernels whose time or count differs most between the first two follow the tables.

The kernels are read with CUPTI through PyTorch's profiler (`--tool torch`, which also sees the kernels MLX
launches, inside its CUDA graphs), or with Nsight Compute (`--tool ncu`: each kernel timed alone, so no overlap;
`cuProfilerStart` marks the profiled steps). Each row is its own process; time per step is the sum over
`--steps` profiled steps (after `--warmup`) divided by their number. The table groups kernels by what they do
(matrix products, attention, the loss, copies, ...) from their names; the top kernels follow with their names.
"""
import argparse, collections, csv, ctypes, io, json, os, re, subprocess, sys, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
from speed_compare import SHAPES, mlx_model, shape_args, torch_step

GROUPS = [  # (group, pattern on the lower-cased kernel name); the first match wins
    ("inductor (fused by torch.compile)", r"^triton_"),
    ("attention", r"sdpa|fmha|flash|attn|attention|cudnn"),
    ("loss", r"cross_entropy|crossentropy|nll|logsumexp"),
    ("optimizer", r"adam|multi_tensor|foreach"),
    ("fused elementwise", r"mlx::(core::cu::)?\w+_\d{6,}_(contiguous|strided)"),   # mx.compile's kernels: ops + a hash
    ("rms norm", r"rms"), ("rope", r"rope"), ("swiglu", r"swiglu"),   # before 'copies': ncu's names hold argument types
    ("matrix products", r"gemm|nvjet|xmma|cutlass|matmul|mma|splitk"),
    ("copies", r"copy|transpose|contiguous|memcpy|concat|slice"),
    ("gather / scatter", r"gather|scatter|index|embedding"),
    ("reductions", r"reduce|sum|squared_norm|all_reduce|row_reduce|col_reduce"),
    ("fused elementwise", r"compiled|fused|triton|elementwise|unary|binary|ternary|vectorized"),
]

def group(name):
    low = name.lower()
    return next((g for g, pat in GROUPS if re.search(pat, low)), "other")

def mlx_steps(s, a, world=None):
    """Our step, queued one ahead as `train` queues it (on this rank's rows, in a `world` of several: the gradients
    summed over the ranks); returns a function that runs n steps and waits."""
    import mlx.core as mx, mlx.optimizers as optim
    from mlx_pretrain.trainer import make_step
    from mlx_pretrain.distributed import World
    from mlx_pretrain.losses import lm_loss
    model = mlx_model(s, a.seq, a.dtype)
    state, step = make_step(model, optim.AdamW(1e-4, weight_decay=0.0), lm_loss, 1.0, False, world or World())
    x = mx.random.randint(0, s["vocab"], (1, a.batch, a.seq)); y = mx.random.randint(0, s["vocab"], (1, a.batch, a.seq))
    def run(n):
        out = step(x, y); mx.async_eval(out, state)
        for _ in range(n - 1):
            nxt = step(x, y); mx.async_eval(nxt, state); mx.eval(out); out = nxt
        mx.eval(out, state)
    return run

def torch_steps(s, a):
    "`speed_compare.py`'s torch.compile step; returns a function that runs n steps and waits."
    import torch
    step, x, y, _ = torch_step(s, a)
    def run(n):
        for _ in range(n): step(x, y)
        torch.cuda.synchronize()
    return run

def kernels_torch_profiler(run, steps):
    "Per kernel name: (total device microseconds, launches) over `steps` steps, from CUPTI via torch.profiler."
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CUDA]) as prof: run(steps)
    out = {}
    for e in prof.key_averages():
        us = getattr(e, "device_time_total", None) or getattr(e, "cuda_time_total", 0)
        if us and e.count: out[e.key] = (us, e.count)
    return out

def child(row, s, a):
    if a.tool == "torch": import torch  # noqa: F401  (loaded before MLX: one set of CUDA libraries)
    if row == "mlx-plain": os.environ["MLX_PRETRAIN_KERNELS"] = "0"
    run = (torch_steps if row == "torch" else mlx_steps)(s, a)
    run(a.warmup)
    t = time.perf_counter(); run(a.steps); ms = (time.perf_counter() - t) / a.steps * 1e3
    if a.tool == "torch": kernels = kernels_torch_profiler(run, a.steps)
    else:                                   # under ncu: profile only between these two calls
        cuda = ctypes.CDLL("libcuda.so.1"); cuda.cuProfilerStart(); run(a.steps); cuda.cuProfilerStop(); kernels = {}
    print(json.dumps({"row": row, "ms": ms, "kernels": kernels}))

def ncu_kernels(row, a):
    "Run the child under Nsight Compute and read each kernel's duration from its CSV."
    cmd = ["ncu", "--profile-from-start", "off", "--clock-control", "none", "--metrics", "gpu__time_duration.sum",
           "--csv", "--page", "raw", "--print-units", "base", sys.executable, __file__, "--child", row, *sys.argv[1:]]
    out = subprocess.run(cmd, capture_output=True, text=True)
    lines = out.stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith('"ID"'))
    res = json.loads(next(l for l in lines if l.startswith('{"row"')))
    kernels = collections.defaultdict(lambda: [0.0, 0])
    for r in list(csv.DictReader(io.StringIO("\n".join(lines[start:]))))[1:]:   # row 1 holds the units
        k = kernels[r["Kernel Name"]]; k[0] += float(r["gpu__time_duration.sum"].replace(",", "")) / 1e3; k[1] += 1
    res["kernels"] = {n: tuple(v) for n, v in kernels.items()}
    return res

def main():
    p = shape_args(argparse.ArgumentParser(), model="134m", batch=32)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rows", default="mlx,torch")
    p.add_argument("--tool", choices=["torch", "ncu"], default="torch")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--clip", type=float, default=1.0, help="PyTorch's gradient clipping, as make_step's default")
    p.add_argument("--json", help="also write the raw kernel lists here")
    p.add_argument("--child")
    a = p.parse_args()
    s = SHAPES[a.model]
    if a.child: return child(a.child, s, a)
    unknown = [r for r in a.rows.split(",") if r not in ("mlx", "mlx-plain", "torch")]
    if unknown: p.error(f"--rows: unknown {', '.join(map(repr, unknown))}; known: mlx, mlx-plain, torch")
    results = []
    for row in a.rows.split(","):
        if a.tool == "ncu": results.append(ncu_kernels(row, a)); continue
        out = subprocess.run([sys.executable, __file__, "--child", row, *sys.argv[1:]], capture_output=True, text=True)
        if out.returncode: print(f"{row}: failed: {out.stderr.strip()[-2000:]}", file=sys.stderr); continue
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if not results: sys.exit("no row ran (this script needs a CUDA GPU)")
    if a.json: open(a.json, "w").write(json.dumps(results))
    print(f"\n{a.model}, batch {a.batch} x {a.seq}, {a.dtype}; kernels of {a.steps} steps after {a.warmup} ({a.tool}); "
          f"{time.strftime('%Y-%m-%d')}\n")
    per = [{n: (us / a.steps / 1e3, c / a.steps) for n, (us, c) in r["kernels"].items()} for r in results]
    names = [r["row"] for r in results]
    print("| group | " + " | ".join(f"{n} ms/step | {n} kernels/step" for n in names) + " |")
    print("|---|" + "---:|---:|" * len(names))
    groups = list(dict.fromkeys(g for g, _ in GROUPS)) + ["other"]
    totals = [collections.defaultdict(lambda: [0.0, 0.0]) for _ in per]
    for t, k in zip(totals, per):
        for n, (ms, c) in k.items():
            g = t[group(n)]; g[0] += ms; g[1] += c
    for g in groups + ["all kernels"]:
        cells = []
        for t in totals:
            ms, c = (sum(v[0] for v in t.values()), sum(v[1] for v in t.values())) if g == "all kernels" else t[g]
            cells += [f"{ms:.2f}", f"{c:.0f}"]
        print(f"| {g} | " + " | ".join(cells) + " |")
    wall = "wall clock per step" + (" (slowed by ncu: not the step's speed)" if a.tool == "ncu" else "")
    print(f"| {wall} | " + " | ".join(f"{r['ms']:.2f} | " for r in results) + " |")
    if len(per) > 1:
        (n0, k0), (n1, k1) = zip(names[:2], per[:2])
        diff = sorted(set(k0) | set(k1), key=lambda n: -abs(k0.get(n, (0, 0))[0] - k1.get(n, (0, 0))[0]))
        print(f"\nkernels that differ most between {n0} and {n1} (ms/step, kernels/step)\n\n"
              f"| {n0} ms | {n0} n | {n1} ms | {n1} n | group | kernel |\n|---:|---:|---:|---:|---|---|")
        for n in [n for n in diff if k0.get(n, (0, 0)) != k1.get(n, (0, 0))][:a.top]:
            (m0, c0), (m1, c1) = k0.get(n, (0, 0)), k1.get(n, (0, 0))
            print(f"| {m0:.3f} | {c0:.0f} | {m1:.3f} | {c1:.0f} | {group(n)} | `{n[:110]}` |")
    for r, k in zip(results, per):
        print(f"\n{r['row']}: top {a.top} kernels by time per step\n\n| ms/step | kernels/step | group | kernel |\n|---:|---:|---|---|")
        for n, (ms, c) in sorted(k.items(), key=lambda kv: -kv[1][0])[:a.top]:
            print(f"| {ms:.3f} | {c:.0f} | {group(n)} | `{n[:110]}` |")

if __name__ == "__main__": main()
