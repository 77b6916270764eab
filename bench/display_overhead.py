"""Training speed with the live dashboard (LiveDisplay, nbs/20_display.ipynb) on and off: the demo config, 120 steps,
validation every 60 (its time, and a sample drawn there, are outside tokens/s), --pairs off/on pairs run alternately; tokens/s as the
trainer reports it (first report excluded). The ratio of each pair is printed, then their median: on this 2-core
machine two runs of the same setting can differ by 10% or more, so the ratio is noisy. The direct measure is the
time spent inside the dashboard's report hook (where it redraws) as a share of the training loop's time: that is
what the display takes from training.

    python bench/display_overhead.py [--pairs 4]
"""
import argparse, statistics, tempfile, time
from pathlib import Path
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
from mlx_pretrain.config import load_config
from mlx_pretrain.pretrain import pretrain
from mlx_pretrain.runs import read_metrics
from mlx_pretrain.display import LiveDisplay

class TimedDisplay(LiveDisplay):
    "The dashboard, with a clock around the hook that runs inside the timed part of the loop (reports)."
    spent = 0.0
    def on_train_loss_report(self, info):
        t = time.perf_counter(); super().on_train_loss_report(info); self.spent += time.perf_counter() - t

def run(runs, name, display: bool):
    cfg = load_config(str(Path(__file__).resolve().parent.parent / "configs/llama-2m.yaml"),
                      {"name": name, "training.iters": 120, "logging.steps.validation_interval": 60})
    cbs = [TimedDisplay(auto_show=False)] if display else []
    r = pretrain(cfg, runs, callbacks=cbs, quiet=True)
    reports = [m for m in read_metrics(r) if "tokens_per_second" in m]
    train_s, last = 0.0, 0                     # the loop's time outside validation, from the reported rates
    for m in reports: train_s += (m["tokens"] - last) / m["tokens_per_second"]; last = m["tokens"]
    share = cbs[0].spent / train_s if cbs else 0.0
    return statistics.mean(m["tokens_per_second"] for m in reports[1:]), cbs[0].draws if cbs else 0, share

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", type=int, default=4)
    a = p.parse_args()
    runs, ratios, shares = tempfile.mkdtemp(), [], []
    print("| pair | off tokens/s | on tokens/s | redraws | time in the dashboard | on / off |\n|---:|---:|---:|---:|---:|---:|")
    for i in range(a.pairs):
        # alternate which setting goes first, so a slow drift of the machine does not favour one
        order = [False, True] if i % 2 == 0 else [True, False]
        res = {d: run(runs, f"{'on' if d else 'off'}{i}", d) for d in order}
        ratios.append(res[True][0] / res[False][0]); shares.append(res[True][2])
        print(f"| {i + 1} | {res[False][0]:,.0f} | {res[True][0]:,.0f} | {res[True][1]} | {shares[-1]:.2%} | {ratios[-1]:.3f} |", flush=True)
    print(f"\ntime in the dashboard's report hook / training time (validation excluded): mean {statistics.mean(shares):.2%}, "
          f"max {max(shares):.2%}\nmedian on / off tokens/s over {a.pairs} pairs: {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}: the machine's run-to-run noise)")

if __name__ == "__main__": main()
