"""SFT with and without packing on the same data: windows, padding, tokens/s and response tokens/s.

    python bench/sft_packing.py [--pretrained_model runs/llama-2m] [--steps 30]

Without --pretrained_model, a demo-sized model is pretrained for 5 steps first (the speed does not depend on the
weights). Tokens/s counts every input position of the windows (padding included), as the trainer does; response
tokens/s counts only the targets that carry loss, which is what packing buys.
"""
import argparse, json, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pretrained_model", default=None)
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args()
    import mlx_pretrain, mlx.core as mx, time, os
    from mlx_pretrain.config import load_config
    from mlx_pretrain.pretrain import pretrain
    from mlx_pretrain.runs import read_metadata
    from mlx_pretrain.sft import sft
    tmp = Path(tempfile.mkdtemp())
    base = args.pretrained_model or pretrain(load_config(ROOT / "configs/llama-2m.yaml", {"name": "base", "training.iters": 5}), tmp, quiet=True)
    rows = []
    for packing in (True, False):
        cfg = load_config(ROOT / "configs/sft.yaml", {"name": f"packing-{packing}", "data.packing": packing, "training.iters": args.steps + 10,
                          "logging.steps.logging_interval": 10, "logging.steps.validation_interval": 0, "logging.steps.checkpoint_interval": 0})
        run = sft(cfg, base, tmp, quiet=True)
        meta = read_metadata(run)
        rates = [r["tokens_per_second"] for r in map(json.loads, open(run / "metrics.jsonl")) if "tokens_per_second" in r][1:]
        st, tps = meta["data"]["train"], sum(rates) / len(rates)
        rows.append((packing, st["windows"], st["padding"], tps, tps * st["target_tokens"] / (st["windows"] * cfg.data.preprocessing.max_context_size)))
    print(f"\nconfigs/sft.yaml on data/chat/train.jsonl, {args.steps} timed steps, mlx {mx.__version__}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}\n")
    print("| packing | windows | padding | tokens/s | response tokens/s |")
    print("|---|---:|---:|---:|---:|")
    for pk, w, pad, tps, rtps in rows: print(f"| {'on' if pk else 'off'} | {w} | {pad:.1%} | {tps:,.0f} | {rtps:,.0f} |")
    print(f"\npacking speed-up in response tokens/s: {rows[0][4] / rows[1][4]:.2f}x")

if __name__ == "__main__": main()
