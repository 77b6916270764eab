"""Where the memory of a training step goes: the step taken apart, each part in its own process, MLX's peak after each.

    python bench/memory_census.py --model 134m --batch 32 --seq 1024 --dtype bfloat16     # the performance issue's
    python bench/memory_census.py --model 2m --batch 8 --seq 256 --dtype float32          # small, for a CPU

Rows (each a child process, so one's cache and peak do not leak into the next; peak = `mx.get_peak_memory()` after
`mx.reset_peak_memory()`, GB = 1e9 bytes):
- `weights`: the model's parameters alone (active memory after building it).
- `logits`: the forward pass to the logits, evaluated (what one (B, T, V) array in the model's dtype costs with all
  that is alive while it is made).
- `loss`: the forward pass and the loss, compiled as the step compiles it, no gradient.
- `loss+grad`: `nn.value_and_grad` of the loss, compiled, no optimizer: what the backward pass keeps alive.
- `step`: our compiled training step (`make_step`: loss, gradients, clipping, AdamW), the optimizer's state made
  first; `step+chunked`: the same with `chunked_lm_loss` (the output layer and cross-entropy N tokens at a
  time, recomputed in the backward pass); `step+checkpointed`: the blocks recomputed in the backward pass;
  `step+plain-blocks`: the step with mlx-lm's blocks where `make_step` would use `LeanBlock`s (on CUDA).
Environment variables reach the children: `MLX_MAX_MB_PER_BUFFER=50` measures smaller CUDA graphs (nbs/07_kernels).
Then the sizes the arithmetic gives for the same shape (parameters, gradients, AdamW's two moments, one logits array
in bf16 and in float32, one block's saved activations), to read the rows against.
"""
import argparse, json, subprocess, sys, time
from functools import partial
from pathlib import Path
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
sys.path.insert(0, str(Path(__file__).parent))
from speed_compare import SHAPES, mlx_model, shape_args

ROWS = ["weights", "logits", "loss", "loss+grad", "step", "step+plain-blocks", "step+chunked", "step+checkpointed"]

def child(row: str, a) -> dict:
    import mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
    from mlx_pretrain.trainer import make_step, checkpointed
    from mlx_pretrain.losses import lm_loss, chunked_lm_loss
    s = SHAPES[a.model]
    if a.memory_limit: mx.set_memory_limit(int(a.memory_limit * 1e9))
    model = mlx_model(s, a.seq, a.dtype)
    x, y = (mx.random.randint(0, s["vocab"], (1, a.batch, a.seq), key=k) for k in mx.random.split(mx.random.key(0)))
    mx.eval(x, y, model.parameters()); mx.clear_cache(); mx.reset_peak_memory()
    if row == "weights": return {"peak": mx.get_active_memory(), "ms": 0.0}
    loss = partial(chunked_lm_loss, chunk=a.chunk) if row == "step+chunked" else lm_loss
    xb, yb = x[0], y[0]
    if row == "logits": fn = lambda: model(xb)
    elif row == "loss":
        f = mx.compile(lambda x, y: loss(model, x, y)[0], inputs=model.state)
        fn = lambda: f(xb, yb)
    elif row == "loss+grad":
        vg = nn.value_and_grad(model, lambda m, x, y: loss(m, x, y)[0])
        f = mx.compile(lambda x, y: vg(model, x, y), inputs=model.state, outputs=model.state)
        fn = lambda: f(xb, yb)
    else:
        ctx = checkpointed(model, row == "step+checkpointed")   # held: once collected, it would undo itself
        ctx.__enter__()
        state, step = make_step(model, optim.AdamW(1e-4, weight_decay=0.0), loss, 1.0, lean=row != "step+plain-blocks")
        mx.eval(step(x, y), state)                      # compiled, and the optimizer's state made
        mx.clear_cache(); mx.reset_peak_memory()
        fn = lambda: (step(x, y), state)
    mx.eval(fn())
    t = time.perf_counter()
    for _ in range(a.steps): mx.eval(fn())
    return {"peak": mx.get_peak_memory(), "ms": (time.perf_counter() - t) / a.steps * 1e3}

def arithmetic(a) -> list[tuple[str, float]]:
    "Sizes in bytes for the shape: what the rows should be read against."
    s, b = SHAPES[a.model], 2 if a.dtype == "bfloat16" else 4
    d, f, L, V = s["d"], s["ffn"], s["layers"], s["vocab"]
    n = L * (4 * d * d + 3 * d * f + 2 * d) + V * d * (1 if s["tied"] else 2) + d
    BT = a.batch * a.seq
    # one block's inputs the backward pass needs: 2 norms, q k v, attention output, o-proj input, gate up, act
    block = BT * (2 * d + 3 * d + d + d + 3 * f) * b
    return [("parameters", n * b), ("gradients", n * b), ("AdamW moments (2, as the parameters)", 2 * n * b),
            (f"one logits array ({a.dtype})", BT * V * b), ("one logits array (float32)", BT * V * 4),
            (f"one block's saved activations, about ({L} blocks)", block)]

def main():
    p = shape_args(argparse.ArgumentParser(), model="2m", batch=8)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--chunk", type=int, default=4096, help="tokens per chunk of the `step, chunked loss` row")
    p.add_argument("--rows", default=",".join(ROWS))
    p.add_argument("--memory-limit", type=float, default=0.0,
                   help="GB: mx.set_memory_limit, past which MLX waits for queued work to finish before queueing more")
    p.add_argument("--child")
    a = p.parse_args()
    if a.child: return print(json.dumps(child(a.child, a)))
    import mlx.core as mx
    out = []
    for row in a.rows.split(","):
        r = subprocess.run([sys.executable, __file__, "--child", row, *sys.argv[1:]], capture_output=True, text=True)
        if r.returncode: print(f"{row}: failed: {r.stderr.strip()[-800:]}", file=sys.stderr); continue
        out.append((row, json.loads(r.stdout.strip().splitlines()[-1])))
        print(row, out[-1][1], file=sys.stderr, flush=True)
    s = SHAPES[a.model]
    print(f"\n{a.model} ({s['layers']} x {s['d']}, vocab {s['vocab']}), batch {a.batch} x {a.seq}, {a.dtype}; mlx "
          f"{mx.__version__}, {'GPU' if mx.default_device() == mx.gpu else 'CPU'}; {time.strftime('%Y-%m-%d')}\n")
    print("| what runs | peak GB | ms |\n|---|---:|---:|")
    for row, r in out:
        name = f"step+chunked (loss {a.chunk} tokens at a time)" if row == "step+chunked" else row
        print(f"| {name} | {r['peak'] / 1e9:.2f} | {r['ms']:.1f} |")
    print("\n| the arithmetic | GB |\n|---|---:|")
    for what, nbytes in arithmetic(a): print(f"| {what} | {nbytes / 1e9:.2f} |")

if __name__ == "__main__": main()
