"""Training speed with the live dashboard (LiveDisplay, nbs/14_display.ipynb) on and off: the demo config, 120 steps,
validation every 60 (its time, and a sample drawn there, are outside tokens/s), --pairs off/on pairs run alternately; tokens/s as the
trainer reports it (first report excluded). The ratio of each pair is printed, then their median: on this 2-core
machine two runs of the same setting differ by a few percent, so one pair says little.

    python bench/display_overhead.py [--pairs 4]
"""
import argparse, statistics, tempfile
from pathlib import Path
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
from mlx_pretrain.config import load_config
from mlx_pretrain.pretrain import pretrain, read_metrics
from mlx_pretrain.display import LiveDisplay

def run(runs, name, display: bool):
    cfg = load_config(str(Path(__file__).resolve().parent.parent / "configs/llama-2m.yaml"),
                      {"name": name, "training.iters": 120, "logging.steps.validation_interval": 60})
    cbs = [LiveDisplay(auto_show=False)] if display else []
    r = pretrain(cfg, runs, callbacks=cbs, quiet=True)
    tps = [m["tokens_per_second"] for m in read_metrics(r) if "tokens_per_second" in m][1:]
    return statistics.mean(tps), cbs[0].draws if cbs else 0

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", type=int, default=4)
    a = p.parse_args()
    runs, ratios = tempfile.mkdtemp(), []
    print("| pair | off tokens/s | on tokens/s | redraws | on / off |\n|---:|---:|---:|---:|---:|")
    for i in range(a.pairs):
        # alternate which setting goes first, so a slow drift of the machine does not favour one
        order = [False, True] if i % 2 == 0 else [True, False]
        res = {d: run(runs, f"{'on' if d else 'off'}{i}", d) for d in order}
        ratios.append(res[True][0] / res[False][0])
        print(f"| {i + 1} | {res[False][0]:,.0f} | {res[True][0]:,.0f} | {res[True][1]} | {ratios[-1]:.3f} |", flush=True)
    print(f"\nmedian on / off over {a.pairs} pairs: {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")

if __name__ == "__main__": main()
