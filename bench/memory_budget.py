"""Memory and speed of a training step with and without gradient checkpointing (and, with --loss-chunk, the chunked
loss), and the largest batch that fits a memory budget. One markdown table, one row per shape and setting.

    python bench/memory_budget.py --model 134m --seq 1024 --dtype bfloat16 --batch 32 --budget-gb 32 --steps 5
    python bench/memory_budget.py --model 134m ... --loss-chunk 4096     # also: chunk, ckpt+chunk
    python bench/memory_budget.py --model 2m,134m,400m ...        # rows for each shape
    python bench/memory_budget.py --model 2m --seq 256 --batch 8 --budget-gb 2 --dtype float32   # small, for a CPU

Settings: `plain`; `ckpt` (gradient checkpointing of the blocks, `training.gradient_checkpointing`); with
--loss-chunk N also `chunk N` and `ckpt+chunk N` (`chunked_lm_loss`: the output layer and cross-entropy N tokens at
a time, recomputed in the backward pass; `training.loss_chunk_tokens`).
Shapes and the model are bench/speed_compare.py's (`SHAPES`, `mlx_model`: an mlx-lm Llama). For each shape and
setting, a child process (so that one's cached buffers and peak do not leak into the other):
builds the model and AdamW; finds the largest batch whose compiled training step peaks at <= --budget-gb
(`find_batch_size`: doubling from 1, then bisection, up to --max-batch; the model and optimizer are restored after
each trial); then runs the step (`make_step`, the setting's loss, grad clip 1.0) at --batch: one warm-up step
(compilation, optimizer state) and --steps timed ones. Peak memory is MLX's (`mx.get_peak_memory()` after
`mx.reset_peak_memory()`), over the warm-up and timed steps: weights, optimizer state, gradients and activations.
Tokens are random (memory and speed do not depend on them). GB = 1e9 bytes.
"""
import argparse, json, os, platform, subprocess, sys, time
from functools import partial
from pathlib import Path
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
sys.path.insert(0, str(Path(__file__).parent))
from speed_compare import SHAPES, mlx_model

def setting_name(ckpt: bool, chunk: int) -> str:
    return "+".join(["ckpt"] * ckpt + [f"chunk {chunk}"] * bool(chunk)) or "plain"

def measure(a, model_name, ckpt: bool, chunk: int = 0) -> dict:
    "One child's row: the largest batch within the budget, then peak memory and speed at --batch."
    import mlx.core as mx, mlx.optimizers as optim
    from mlx_pretrain.trainer import make_step, checkpointed, find_batch_size
    from mlx_pretrain.losses import lm_loss, chunked_lm_loss
    from mlx_pretrain.models import split_head
    s = SHAPES[model_name]
    model = mlx_model(s, a.seq, a.dtype)
    if chunk and not split_head(model): raise SystemExit(f"{model_name}: not head(body(x)), so the chunked loss does not apply")
    loss = partial(chunked_lm_loss, chunk=chunk) if chunk else lm_loss
    opt = optim.AdamW(1e-4, weight_decay=0.0)
    t = time.perf_counter()
    best, trials = find_batch_size(model, opt, a.seq, a.budget_gb * 1e9, loss_fn=loss, grad_checkpointing=ckpt, max_batch=a.max_batch)
    out = {"model": model_name, "ckpt": ckpt, "chunk": chunk, "best": best, "trials": trials, "find_s": time.perf_counter() - t}
    print(f"{model_name} {setting_name(ckpt, chunk)}: largest batch {best}; trials (batch, peak GB): "
          f"{[(b, round(p / 1e9, 3) if p else None) for b, p in trials]}", file=sys.stderr, flush=True)
    with checkpointed(model, ckpt):
        state, step = make_step(model, opt, loss)
        x, y = (mx.random.randint(0, s["vocab"], (1, a.batch, a.seq), key=k) for k in mx.random.split(mx.random.key(0)))
        mx.eval(x, y); mx.clear_cache(); mx.reset_peak_memory()
        try:
            mx.eval(step(x, y), state)                  # warm-up: compilation and the optimizer's state
            t = time.perf_counter()
            for _ in range(a.steps): mx.eval(step(x, y), state)
            dt = time.perf_counter() - t
        except RuntimeError as e:                       # out of memory at --batch: the row says so
            if not any(w in str(e).lower() for w in ("memory", "alloc")): raise
            return {**out, "peak": None, "tok_s": None, "ms": None}
    return {**out, "peak": mx.get_peak_memory(), "tok_s": a.steps * a.batch * a.seq / dt, "ms": dt / a.steps * 1e3}

def fmt_batch(r, a):
    "The largest batch; '≥N' where the search stopped at --max-batch, '≥N (2^31 logits)' at `logits_batch_limit`."
    from mlx_pretrain.trainer import logits_batch_limit
    if r is None: return "—"
    if r["best"] == a.max_batch: return f"≥{r['best']}"
    return f"≥{r['best']} (2^31 logits)" if r["best"] == logits_batch_limit(a.seq, SHAPES[r["model"]]["vocab"]) else str(r["best"])
def fmt(v, spec): return "OOM" if v is None else format(v, spec)

def main():
    p = argparse.ArgumentParser(description="Peak memory and tokens/s with and without gradient checkpointing (and the chunked loss), and the largest batch within a memory budget.")
    p.add_argument("--model", default="2m", help=f"one or more of {', '.join(SHAPES)}, comma-separated")
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--dtype", choices=["bfloat16", "float32"], default="bfloat16")
    p.add_argument("--batch", type=int, default=32, help="batch for the peak-memory and tokens/s columns")
    p.add_argument("--budget-gb", type=float, default=32.0, help="memory budget for the largest-batch search (GB = 1e9 bytes)")
    p.add_argument("--max-batch", type=int, default=1024, help="largest batch the search tries")
    p.add_argument("--steps", type=int, default=5, help="timed steps (after one warm-up step)")
    p.add_argument("--loss-chunk", type=int, default=0, metavar="N", help="also measure the chunked loss, N tokens per chunk (without and with checkpointing)")
    p.add_argument("--without-ckpt", action="store_true", help="skip the checkpointed settings")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    models = a.model.split(",")
    if bad := [m for m in models if m not in SHAPES]: p.error(f"--model: unknown shape {bad[0]!r}; choose from {', '.join(SHAPES)}")
    if a.loss_chunk < 0: p.error(f"--loss-chunk: must be >= 0 (0: no chunked settings), got {a.loss_chunk}")
    if a.child:
        name, ckpt, chunk = a.child.split(":")
        return print(json.dumps(measure(a, name, ckpt == "1", int(chunk))))
    import mlx.core as mx
    settings = [(False, 0), (True, 0)] + ([(False, a.loss_chunk), (True, a.loss_chunk)] if a.loss_chunk else [])
    if a.without_ckpt: settings = [(ckpt, chunk) for ckpt, chunk in settings if not ckpt]
    rows = {}
    for name in models:
        for ckpt, chunk in settings:
            out = subprocess.run([sys.executable, __file__, "--child", f"{name}:{int(ckpt)}:{chunk}", *sys.argv[1:]], stdout=subprocess.PIPE, text=True)
            if out.returncode: print(f"{name} {setting_name(ckpt, chunk)}: failed (exit {out.returncode})", file=sys.stderr); continue
            rows[name, ckpt, chunk] = json.loads(out.stdout.strip().splitlines()[-1])
    gpu = mx.default_device() == mx.gpu
    print(f"\nAdamW, compiled step (make_step); batch {a.batch} for peak and tokens/s ({a.steps} timed steps after 1); budget "
          f"{a.budget_gb:g} GB, search up to {a.max_batch}; mlx {mx.__version__}, {'GPU' if gpu else 'CPU'} {platform.machine()} "
          f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}\n")
    B, G = a.batch, f"{a.budget_gb:g} GB"
    print(f"| model | seq | dtype | setting | peak GB @{B} | tok/s @{B} | batch ≤ {G} |")
    print("|---|---:|---|---|---:|---:|---:|")
    get = lambda r, k, spec, scale=1: "—" if r is None else fmt(None if r[k] is None else r[k] / scale, spec)
    for name in models:
        for ckpt, chunk in settings:
            r = rows.get((name, ckpt, chunk))
            print(f"| {name} | {a.seq} | {a.dtype} | {setting_name(ckpt, chunk)} | {get(r, 'peak', '.3f', 1e9)} | "
                  f"{get(r, 'tok_s', ',.0f')} | {fmt_batch(r, a)} |")

if __name__ == "__main__":
    main()
