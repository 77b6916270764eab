"""Training throughput: `mlx-pretrain train` against a bare compiled MLX step of the same model and batch,
with OpenBLAS on and off (each setting in its own process, since the BLAS is chosen when MLX loads).

    python bench/train_speed.py [--config configs/llama-2m.yaml] [--steps 40]

The bare step is the textbook MLX loop (nn.value_and_grad + optimizer update under mx.compile, random tokens,
no data pipeline, no logging); `train` is the real command on the real data: tokenizer and data from the cache,
packed batches, the compiled step with clipping, reports every 10 steps. Both skip their first 10 steps (compile
and warm-up). Prints one table.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def bare_step(cfg, steps):
    "tokens/s of a bare compiled AdamW step on random tokens, same model and batch as `cfg`."
    import mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
    from functools import partial
    from mlx_pretrain.models import build_model
    from mlx_pretrain.pretrain import vocab_size
    T, B = cfg.data.preprocessing.max_context_size, cfg.training.hyperparameters.batch_size
    model, _ = build_model(cfg.model, vocab_size(cfg), T, log=lambda *_: None)
    opt = optim.AdamW(1e-3)
    loss_fn = lambda m, x, y: nn.losses.cross_entropy(m(x), y, reduction="mean")
    state, lg = [model.state, opt.state], nn.value_and_grad(model, loss_fn)
    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, g = lg(model, x, y); opt.update(model, g); return loss
    x = mx.random.randint(0, vocab_size(cfg), (B, T)); y = mx.random.randint(0, vocab_size(cfg), (B, T))
    for _ in range(10): mx.eval(step(x, y), state)
    t = time.perf_counter()
    for _ in range(steps): mx.eval(step(x, y), state)
    return B * T * steps / (time.perf_counter() - t)

def train_command(config, steps):
    "tokens/s of `mlx-pretrain train` as reported in metrics.jsonl, first report (compile) excluded."
    from mlx_pretrain.config import load_config
    from mlx_pretrain.pretrain import pretrain
    cfg = load_config(config, {"name": "bench", "overwrite": True, "training.iters": steps + 10,
                               "logging.steps.logging_interval": 10, "logging.steps.validation_interval": 0,
                               "logging.steps.checkpoint_interval": 0})
    run = pretrain(cfg, runs_dir=tempfile.mkdtemp(), quiet=True)
    reps = [json.loads(l) for l in open(run / "metrics.jsonl")]
    rates = [r["tokens_per_second"] for r in reps if "tokens_per_second" in r][1:]
    return sum(rates) / len(rates)

def child(args):
    import mlx_pretrain
    from mlx_pretrain.config import load_config
    from mlx_pretrain.core import openblas_path
    cfg = load_config(args.config)
    print(json.dumps({"blas": "OpenBLAS" if openblas_path else "bundled (reference)",
                      "bare": bare_step(cfg, args.steps), "train": train_command(args.config, args.steps)}))

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default=str(ROOT / "configs/llama-2m.yaml"))
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--child", action="store_true")
    args = p.parse_args()
    if args.child: return child(args)
    rows = []
    for blas in ("on", "off"):
        env = {**os.environ, **({"MLX_PRETRAIN_OPENBLAS": "0"} if blas == "off" else {})}
        out = subprocess.run([sys.executable, __file__, "--child", "--config", args.config, "--steps", str(args.steps)],
                             env=env, capture_output=True, text=True, cwd=ROOT)
        if out.returncode: sys.exit(out.stderr)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    import mlx.core as mx, platform
    print(f"\n{Path(args.config).name}, {args.steps} timed steps, mlx {mx.__version__}, {platform.machine()} {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}\n")
    print("| BLAS | bare compiled step (tok/s) | `train` (tok/s) | train / bare |")
    print("|---|---:|---:|---:|")
    for r in rows: print(f"| {r['blas']} | {r['bare']:,.0f} | {r['train']:,.0f} | {r['train'] / r['bare']:.2f} |")
    print(f"\nOpenBLAS speed-up of `train`: {rows[0]['train'] / rows[1]['train']:.1f}x")

if __name__ == "__main__": main()
