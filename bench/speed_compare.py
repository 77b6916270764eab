"""Training speed, side by side: our `train` loop vs a bare compiled MLX step vs PyTorch (eager and
torch.compile, transformers' LlamaForCausalLM with sdpa and fused AdamW) on the same model shape, batch,
sequence length and dtype. One table: tokens/s, ms/step, MFU, peak memory.

    python bench/speed_compare.py --model 2m   [--batch 16] [--seq 1024] [--dtype bfloat16] [--steps 30]
    python bench/speed_compare.py --model 134m [--batch 32] ...
    python bench/speed_compare.py --model 400m ...

Shapes: "2m" is 4 layers x 128 (4 heads, ffn 384, vocab 8192), "134m" 12 x 768 (12 heads, ffn 2048, vocab 32000,
untied), "400m" 24 x 1024 (16 heads, ffn 4096, vocab 32000, untied). Data: random tokens (speed does not depend
on them). Ours is `mlx_pretrain.trainer.train`, the loop every command runs: packed windows of a token stream,
batches prepared on the host, reports every 10 steps, and a checkpoint at --save-every as a user would set it.
The bare step is the textbook MLX loop (value_and_grad + AdamW under mx.compile, arrays made once). PyTorch runs
where it is installed (the H200 machine has it), on CUDA when there is one. Each row is its own process, so peak
memory is its own. MFU counts 6N + 12·L·d·T flops per token as nanoGPT does (N without embeddings), against
--peak-tflops (default: 790, the H200's measured bf16 rate, on a GPU; on a CPU a large matmul measured first).
Timing skips the first --warmup steps (compilation) and reads the clock after a device sync. Ours and PyTorch's rows
clip the gradient to global norm --clip (1.0, the config's default); PyTorch's rows did not clip before 2026-11-30 (the
'… without clipping' rows measure both sides without it).
"""
import argparse, json, os, subprocess, sys, tempfile, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)

SHAPES = {"2m": dict(layers=4, d=128, heads=4, ffn=384, vocab=8192, tied=True),
          "134m": dict(layers=12, d=768, heads=12, ffn=2048, vocab=32000, tied=False),
          "400m": dict(layers=24, d=1024, heads=16, ffn=4096, vocab=32000, tied=False)}

def hf_args(s, seq):
    return dict(model_type="llama", hidden_size=s["d"], num_hidden_layers=s["layers"], intermediate_size=s["ffn"],
                num_attention_heads=s["heads"], num_key_value_heads=s["heads"], vocab_size=s["vocab"], rms_norm_eps=1e-5,
                max_position_embeddings=seq, tie_word_embeddings=s["tied"], rope_theta=10000.0)

def shape_args(p, model, batch):
    "The model shape, batch, sequence length and dtype options every comparison script takes."
    p.add_argument("--model", choices=SHAPES, default=model)
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--dtype", choices=["bfloat16", "float32"], default="bfloat16")
    return p

def flops_per_token(s, seq):
    n = s["layers"] * (4 * s["d"] ** 2 + 3 * s["d"] * s["ffn"])          # non-embedding parameters
    return 6 * n + 12 * s["layers"] * s["d"] * seq

def mlx_model(s, seq, dtype):
    import mlx.core as mx
    from mlx_lm.models.llama import Model, ModelArgs
    model = Model(ModelArgs(**hf_args(s, seq)))
    if dtype == "bfloat16": model.set_dtype(mx.bfloat16)
    mx.eval(model.parameters())
    return model

def run_ours(s, a, lean=True, clip=None):
    "Our trainer's loop; tokens/s from the clock around the timed steps (reports and checkpoints included)."
    import numpy as np, mlx.core as mx, mlx.optimizers as optim
    from functools import partial
    from mlx_pretrain.trainer import train, TrainArgs, Callback
    from mlx_pretrain.data import PackedSequences, iterate_batches
    from mlx_pretrain.losses import lm_loss
    model = mlx_model(s, a.seq, a.dtype)
    stream = np.random.default_rng(0).integers(0, s["vocab"], a.batch * a.seq * (a.steps + a.warmup + 1) + 1).astype(np.int32)
    seqs = PackedSequences(stream, a.seq, 0)
    marks = {}
    class Clock(Callback):
        def on_train_loss_report(self, info): marks[info["step"]] = time.perf_counter()
    opt = optim.AdamW(1e-4, weight_decay=0.0)
    mx.reset_peak_memory()
    train(model, opt, partial(iterate_batches, seqs, a.batch, 0), lm_loss,
          TrainArgs(a.warmup + a.steps, logging_interval=10, checkpoint_interval=a.save_every,
                    gradient_clip=a.clip if clip is None else clip,
                    lean_blocks=lean),
          None, tempfile.mkdtemp(), [Clock()])
    if len(marks) < 2: raise SystemExit("ours: --warmup + --steps must reach 20: the loop reports every 10 steps and is timed between reports")
    (s0, t0), (s1, t1) = min(marks.items()), max(marks.items())
    return (s1 - s0) * a.batch * a.seq / (t1 - t0), (t1 - t0) / (s1 - s0), mx.get_peak_memory()

def run_bare(s, a):
    import mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
    from functools import partial
    model = mlx_model(s, a.seq, a.dtype)
    opt = optim.AdamW(1e-4, weight_decay=0.0)
    loss_fn = lambda m, x, y: nn.losses.cross_entropy(m(x).astype(mx.float32), y, reduction="mean")
    state, lg = [model.state, opt.state], nn.value_and_grad(model, loss_fn)
    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, g = lg(model, x, y); opt.update(model, g); return loss
    x = mx.random.randint(0, s["vocab"], (a.batch, a.seq)); y = mx.random.randint(0, s["vocab"], (a.batch, a.seq))
    mx.reset_peak_memory()
    for _ in range(a.warmup): mx.eval(step(x, y), state)
    t = time.perf_counter()
    for _ in range(a.steps): mx.eval(step(x, y), state)
    dt = time.perf_counter() - t
    return a.steps * a.batch * a.seq / dt, dt / a.steps, mx.get_peak_memory()

def torch_step(s, a, compiled=True, clip=None):
    """(step, x, y, device): transformers' LlamaForCausalLM (sdpa) + fused AdamW on the shape, eager or torch.compile;
    the gradient clipped to global norm --clip as ours is (`clip=0`: not clipped)."""
    clip = a.clip if clip is None else clip
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if a.dtype == "bfloat16" else torch.float32
    model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in hf_args(s, a.seq).items() if k != "model_type"}, attn_implementation="sdpa")).to(dev, dtype)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0, fused=dev == "cuda")
    def step(x, y):
        loss = torch.nn.functional.cross_entropy(model(x).logits.float().view(-1, s["vocab"]), y.view(-1))
        loss.backward()
        if clip > 0: torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step(); opt.zero_grad(set_to_none=True)
        return loss
    x = torch.randint(0, s["vocab"], (a.batch, a.seq), device=dev); y = torch.randint(0, s["vocab"], (a.batch, a.seq), device=dev)
    return (torch.compile(step) if compiled else step), x, y, dev

def run_torch(s, a, compiled, clip=None):
    import torch
    step, x, y, dev = torch_step(s, a, compiled, clip)
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    for _ in range(a.warmup): step(x, y)
    sync()
    if dev == "cuda": torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(a.steps): step(x, y)
    sync(); dt = time.perf_counter() - t
    import resource
    peak = torch.cuda.max_memory_allocated() if dev == "cuda" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return a.steps * a.batch * a.seq / dt, dt / a.steps, peak

def measured_peak_tflops(dtype):
    import mlx.core as mx
    n = 2048; w = mx.random.normal((n, n)).astype(mx.bfloat16 if dtype == "bfloat16" else mx.float32); mx.eval(w)
    for _ in range(2): mx.eval(w @ w)
    t = time.perf_counter()
    for _ in range(5): mx.eval(w @ w)
    return 5 * 2 * n ** 3 / (time.perf_counter() - t) / 1e12

def run_ours_plain(s, a):
    "Our loop with our CUDA kernels off (nbs/07_kernels.ipynb): what they are worth."
    os.environ["MLX_PRETRAIN_KERNELS"] = "0"
    return run_ours(s, a)

def run_ours_lean_part(part):
    "Our loop with only one half of the lean blocks (the other half as autodiff does it): what each half costs."
    def run(s, a):
        import mlx.core as mx, mlx.nn as nn, mlx_pretrain.kernels as k
        if part == "norms":     # LeanBlock reads these module globals at call time
            k.swiglu_linear = lambda r, gu, W: r + (nn.silu(gu[..., :gu.shape[-1] // 2]) * gu[..., gu.shape[-1] // 2:]) @ W.T
        else:
            k.norm_linear = lambda eps: lambda x, w, *ws: (x, *(mx.fast.rms_norm(x, w, eps) @ W.T for W in ws))
        return run_ours(s, a)
    return run

def run_ours_mlx_swiglu(s, a):
    "Our loop with the lean blocks' SwiGLU in MLX's operations instead of its CUDA kernels (nbs/07_kernels.ipynb)."
    import mlx_pretrain.kernels as k
    k.swiglu_linear = k.swiglu_mlx                   # LeanBlock reads this module global at call time
    return run_ours(s, a)

def run_ours_mlx_norm(s, a):
    "Our loop with the gradient norm in MLX's operations (a cast, a square and a sum a tensor) instead of one kernel."
    import mlx.core as mx, mlx_pretrain.trainer as t
    t.squared_norm = lambda arrays: sum(g.astype(mx.float32).square().sum() for g in arrays)   # read when traced
    return run_ours(s, a)

def run_ours_without_addmm(s, a):
    "Our loop with the lean blocks' residual sums as adds of their own instead of in the matrix products' epilogue."
    import mlx_pretrain.kernels as k
    k.add_linear = lambda r, x, W: r + x @ W.T        # the kernels module reads it at call time
    return run_ours(s, a)

def run_ours_mlx_norm_vjp(s, a):
    "Our loop with the lean blocks' RMS norm backward pass in MLX's operations instead of one kernel."
    import mlx_pretrain.kernels as k
    k.norm_vjp = k.norm_vjp_mlx                      # norm_linear's VJP reads this module global at call time
    return run_ours(s, a)

def run_ours_qkv(fused_from: int):
    "Our loop with q, k and v from one product from this width on (LeanBlock.qkv_fused_from; 1024 by default)."
    def run(s, a):
        import mlx_pretrain.kernels as k
        k.lean_block_classes()[1].qkv_fused_from = fused_from
        return run_ours(s, a)
    return run

def run_ours_per_weight(s, a):
    "Our loop with the optimizer's update a weight (MLX's layout) instead of one a dtype (nbs/15_checkpoints.ipynb)."
    import mlx_pretrain.trainer as t
    t.FLAT_OPTIMIZERS = ()                            # make_step reads it when it builds the step
    return run_ours(s, a)

ROWS = {"ours": run_ours, "ours with one update a weight": run_ours_per_weight,
        "ours with MLX's SwiGLU": run_ours_mlx_swiglu,
        "ours with MLX's gradient norm": run_ours_mlx_norm,
        "ours with MLX's RMS norm backward": run_ours_mlx_norm_vjp,
        "ours without addmm": run_ours_without_addmm,
        "ours with q k v from one product": run_ours_qkv(0), "ours with q k v from three products": run_ours_qkv(1 << 30),
        "ours without kernels": run_ours_plain, "ours without lean blocks": lambda s, a: run_ours(s, a, False),
        "ours with lean norms only": run_ours_lean_part("norms"), "ours with lean SwiGLU only": run_ours_lean_part("swiglu"),
        "ours with 50 MB graphs": run_ours, "mlx bare step": run_bare,
        "torch eager": lambda s, a: run_torch(s, a, False), "torch.compile": lambda s, a: run_torch(s, a, True),
        "ours without clipping": lambda s, a: run_ours(s, a, clip=0),
        "torch.compile without clipping": lambda s, a: run_torch(s, a, True, clip=0)}
# "ours with 50 MB graphs": MLX's CUDA graphs closed at 50 MB of inputs instead of 250 (nbs/00_core.ipynb, "Memory
# held by queued GPU work"); MLX reads the variable when the child first uses the GPU
ROW_ENV = {"ours with 50 MB graphs": {"MLX_MAX_MB_PER_BUFFER": "50"}}

def row_env(row: str) -> tuple[str, dict]:
    """A row's base row and the environment it runs in: ROW_ENV's, or the NAME=VALUE words after ' @ ' in its name
    ('ours @ MLX_MAX_OPS_PER_BUFFER=40' is `ours` with that variable set)."""
    base, _, extra = row.partition(" @ ")
    words = extra.split()
    if any("=" not in w or not w.split("=")[0].isupper() for w in words):
        raise ValueError(f"--rows: {row!r}: expected NAME=VALUE words (NAME in capitals) after ' @ '")
    env = dict(w.split("=", 1) for w in words)
    return base, {**ROW_ENV.get(base, {}), **env}

def main():
    p = shape_args(argparse.ArgumentParser(), model="2m", batch=16)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--save-every", type=int, default=1000, help="our loop's checkpoint interval (steps)")
    p.add_argument("--rows", default="ours,mlx bare step,torch eager,torch.compile", help=f"comma-separated, of: {', '.join(ROWS)}; a row may end in ' @ NAME=VALUE ...' (environment)")
    p.add_argument("--peak-tflops", type=float, default=None)
    p.add_argument("--clip", type=float, default=1.0, help="gradient clipping (global norm) of ours and PyTorch's rows, "
                   "as the config's default; 0: none (the '… without clipping' rows: 0 whatever this says)")
    p.add_argument("--child")
    a = p.parse_args()
    s = SHAPES[a.model]
    if a.child:
        knobs = {n: int(os.environ[n]) for n in ("ROPE_HEADS_PER_THREAD", "NORM_ROWS_PER_WARP") if n in os.environ}
        if knobs:                                     # a row '... @ NAME=VALUE' sets these kernel constants
            import mlx_pretrain.kernels as k
            if "ROPE_HEADS_PER_THREAD" in knobs:      # G of both RoPE kernels
                knobs["QKV_ROPE_HEADS_PER_THREAD"] = knobs["ROPE_HEADS_PER_THREAD"]
            for name, value in knobs.items(): setattr(k, name, value)
        tps, sec, peak = ROWS[row_env(a.child)[0]](s, a)
        return print(json.dumps({"row": a.child, "tok_s": tps, "ms": sec * 1e3, "peak_gb": peak / 1e9}))
    import mlx.core as mx, platform
    gpu = mx.default_device() == mx.gpu
    peak_tflops = a.peak_tflops or (790.0 if gpu else measured_peak_tflops(a.dtype))
    rows = []
    for row in a.rows.split(","):
        try: base = row_env(row)[0]
        except ValueError as e: p.error(str(e))
        if base not in ROWS: p.error(f"--rows: unknown row {row!r}; known: {', '.join(ROWS)}")
    for row in a.rows.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", row, *sys.argv[1:]], capture_output=True, text=True,
                             env={**os.environ, **row_env(row)[1]})
        if out.returncode:
            print(f"{row}: failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}", file=sys.stderr); continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1])); print(rows[-1], file=sys.stderr, flush=True)
    fpt = flops_per_token(s, a.seq)
    print(f"\n{a.model} ({s['layers']} x {s['d']}, vocab {s['vocab']}), batch {a.batch} x {a.seq}, {a.dtype}, AdamW; mlx {mx.__version__}, "
          f"{'GPU' if gpu else 'CPU'} {platform.machine()} {os.cpu_count()} cores; peak {peak_tflops:.1f} TFLOP/s "
          f"({'given' if a.peak_tflops or gpu else 'measured matmul'}); {a.steps} timed steps after {a.warmup}; {time.strftime('%Y-%m-%d')}\n")
    print("| row | tokens/s | ms/step | MFU | peak memory (GB) |\n|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['row']} | {r['tok_s']:,.0f} | {r['ms']:.1f} | {r['tok_s'] * fpt / peak_tflops / 1e12:.3f} | {r['peak_gb']:.2f} |")
    get = {r["row"]: r["tok_s"] for r in rows}
    for other in ("mlx bare step", "ours without kernels", "ours without lean blocks", "ours with 50 MB graphs", "torch.compile"):
        if "ours" in get and other in get: print(f"ours / {other}: {get['ours'] / get[other]:.3f}")
    if {"ours without clipping", "torch.compile without clipping"} <= set(get):
        print(f"ours / torch.compile, neither clipping: "
              f"{get['ours without clipping'] / get['torch.compile without clipping']:.3f}")

if __name__ == "__main__": main()
