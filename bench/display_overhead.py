"""Training speed with the live dashboard (LiveDisplay, nbs/14_display.ipynb) on and off: the demo config, 120 steps,
validation every 60, each setting twice, alternating; tokens/s as the trainer reports it (first report excluded).

    python bench/display_overhead.py
"""
import mlx_pretrain, statistics, tempfile
from pathlib import Path
from mlx_pretrain.config import load_config
from mlx_pretrain.pretrain import pretrain, read_metrics
from mlx_pretrain.display import LiveDisplay
runs = tempfile.mkdtemp()
def run(name, cbs):
    cfg = load_config(str(Path(__file__).resolve().parent.parent / "configs/llama-2m.yaml"), {"name": name, "training.iters": 120, "logging.steps.validation_interval": 60})
    r = pretrain(cfg, runs, callbacks=cbs, quiet=True)
    tps = [m["tokens_per_second"] for m in read_metrics(r) if "tokens_per_second" in m][1:]
    return statistics.mean(tps), cbs[0].draws if cbs else 0
res = {}
for name, cbs in (("off", []), ("on", [LiveDisplay(auto_show=False)]), ("off2", []), ("on2", [LiveDisplay(auto_show=False)])):
    res[name] = run(name, cbs); print(name, res[name], flush=True)
off = (res["off"][0] + res["off2"][0]) / 2; on = (res["on"][0] + res["on2"][0]) / 2
print(f"display on / off tokens/s: {on:,.0f} / {off:,.0f} = {on / off:.3f}")
