"""Where the time of one training step goes: the bare compiled MLX step on a `speed_compare.py` shape, with one part
changed or taken out per row. Each row is its own process (its own peak memory); the differences between rows are
what the parts cost.

    python bench/step_profile.py --model 134m --batch 32 [--seq 1024] [--dtype bfloat16] [--steps 30]

Rows: the textbook step (`nn.losses.cross_entropy` on float32 logits, as `speed_compare.py`'s bare step); the same
with MLX's fused cross-entropy (`token_ce`, what our trainer uses); our `make_step` (fused loss, gradient clipping,
summed loss / token count); gradients without the optimizer update; the forward pass and loss only; the model
without its output layer (loss on the last hidden states); the loss in chunks (`chunked_lm_loss`); the next step
queued before the last one is waited for (`mx.async_eval`, as in `train`); larger CUDA graphs
(`MLX_MAX_OPS_PER_BUFFER=200`, kernels per graph launch); the embedding frozen (no scatter-add in the backward pass);
without attention (the values pass through); attention without cuDNN (`MLX_CUDA_USE_CUDNN_SDPA=0`, the unfused
fallback on CUDA); SwiGLU with a custom VJP that recomputes the sigmoid (one fused kernel each way, nothing kept). `--loop pipelined` queues every row's next step before waiting, as `train` does.
"""
import argparse, json, os, subprocess, sys, time
from functools import partial
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
from speed_compare import SHAPES, mlx_model, shape_args

def textbook(m, x, y): return nn.losses.cross_entropy(m(x).astype(mx.float32), y, reduction="mean")
def fused(m, x, y):
    from mlx_pretrain.losses import token_ce
    return token_ce(m(x), y).mean()
def body_only(m, x, y): return m.model(x).astype(mx.float32).square().mean()
def chunked(m, x, y):
    from mlx_pretrain.losses import chunked_lm_loss
    total, n = chunked_lm_loss(m, x, y, 8192)
    return total / n

ROWS = {  # key: (what the row is, loss, what the step does, environment)
    "textbook": ("textbook CE (the bare step)", textbook, "update", {}),
    "fused": ("fused CE", fused, "update", {}),
    "make_step": ("fused CE, our make_step", None, "make_step", {}),
    "grads": ("fused CE, gradients only", fused, "grads", {}),
    "forward": ("fused CE, forward only", fused, "forward", {}),
    "no_head": ("no output layer", body_only, "update", {}),
    "chunked": ("fused CE in chunks of 8192 tokens", chunked, "update", {}),
    "pipelined": ("fused CE, next step queued (async_eval)", fused, "pipelined", {}),
    "ops200": ("fused CE, MLX_MAX_OPS_PER_BUFFER=200", fused, "update", {"MLX_MAX_OPS_PER_BUFFER": "200"}),
    "embed_frozen": ("fused CE, embedding frozen (no scatter-add)", fused, "update", {"EMBED": "frozen"}),
    "no_attention": ("fused CE, no attention", fused, "update", {"NO_ATTENTION": "1"}),
    "no_cudnn": ("fused CE, attention without cuDNN", fused, "update", {"MLX_CUDA_USE_CUDNN_SDPA": "0"}),
    "swiglu_vjp": ("fused CE, SwiGLU with its own VJP", fused, "update", {"SWIGLU": "vjp"}),
}

@mx.custom_function
def swiglu_vjp(gate, x): return nn.silu(gate) * x

@swiglu_vjp.vjp
def _swiglu_vjp(primals, cotangent, output):
    gate, x = primals                    # the sigmoid recomputed here instead of kept from the forward pass
    sig = mx.sigmoid(gate)
    return cotangent * x * sig * (1 + gate * (1 - sig)), cotangent * gate * sig

def run(name, s, a):
    _, loss_fn, kind, _ = ROWS[name]
    if os.environ.get("NO_ATTENTION"):
        import mlx_lm.models.llama as llama
        llama.scaled_dot_product_attention = lambda q, k, v, cache, scale, mask: v
    if os.environ.get("SWIGLU") == "vjp":
        import mlx_lm.models.llama as llama
        llama.swiglu = swiglu_vjp
    model = mlx_model(s, a.seq, a.dtype)
    if os.environ.get("EMBED") == "frozen": model.model.embed_tokens.freeze()
    opt = optim.AdamW(1e-4, weight_decay=0.0)
    x = mx.random.randint(0, s["vocab"], (a.batch, a.seq)); y = mx.random.randint(0, s["vocab"], (a.batch, a.seq))
    if kind == "make_step":
        from mlx_pretrain.trainer import make_step
        from mlx_pretrain.losses import lm_loss
        state, step_ = make_step(model, opt, lm_loss, grad_clip=1.0)
        step, x, y = (lambda x, y: step_(x, y)[0]), x[None], y[None]
    elif kind == "forward":
        state = [model.state]
        step = mx.compile(lambda x, y: loss_fn(model, x, y), inputs=state)
    else:
        state, lg = [model.state, opt.state], nn.value_and_grad(model, loss_fn)
        @partial(mx.compile, inputs=state, outputs=state)
        def step(x, y):
            loss, g = lg(model, x, y)
            if kind in ("update", "pipelined"): opt.update(model, g); return loss
            return loss, g
    if kind == "pipelined" or a.loop == "pipelined":     # queue step i+1 before waiting for step i, as `train` does
        def timed(n):
            out = step(x, y); mx.async_eval(out, state)
            for _ in range(n - 1):
                nxt = step(x, y); mx.async_eval(nxt, state); mx.eval(out); out = nxt
            mx.eval(out, state)
    else:
        def timed(n):
            for _ in range(n): mx.eval(step(x, y), state)
    mx.reset_peak_memory()
    timed(a.warmup)
    t = time.perf_counter()
    timed(a.steps)
    dt = time.perf_counter() - t
    return a.steps * a.batch * a.seq / dt, dt / a.steps, mx.get_peak_memory()

def main():
    p = shape_args(argparse.ArgumentParser(), model="134m", batch=32)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rows", default=",".join(ROWS), help="comma-separated keys of ROWS")
    p.add_argument("--loop", choices=["sync", "pipelined"], default="sync", help="every row waits for each step, or queues the next first")
    p.add_argument("--child")
    a = p.parse_args()
    s = SHAPES[a.model]
    if a.child:
        tps, sec, peak = run(a.child, s, a)
        return print(json.dumps({"row": ROWS[a.child][0], "tok_s": tps, "ms": sec * 1e3, "peak_gb": peak / 1e9}))
    rows = []
    for row in a.rows.split(","):
        env = {**os.environ, **ROWS[row][3]}
        out = subprocess.run([sys.executable, __file__, "--child", row, *sys.argv[1:]], capture_output=True, text=True, env=env)
        if out.returncode:
            print(f"{row}: failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}", file=sys.stderr); continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1])); print(rows[-1], file=sys.stderr, flush=True)
    gpu = mx.default_device() == mx.gpu
    print(f"\n{a.model}, batch {a.batch} x {a.seq}, {a.dtype}, AdamW; mlx {mx.__version__}, {'GPU' if gpu else 'CPU'}; {a.loop} loop; "
          f"{a.steps} timed steps after {a.warmup}; {time.strftime('%Y-%m-%d')}\n")
    base = next((r["ms"] for r in rows if r["row"] == "fused CE"), None)
    print("| row | ms/step | tokens/s | peak memory (GB) | ms vs fused CE |\n|---|---:|---:|---:|---:|")
    for r in rows:
        d = f"{r['ms'] - base:+.1f}" if base else ""
        print(f"| {r['row']} | {r['ms']:.1f} | {r['tok_s']:,.0f} | {r['peak_gb']:.2f} | {d} |")

if __name__ == "__main__": main()
