"""The loss ablation of our small VLM on easy-vqa (issue 19): the same config and step budget three times — the
LM loss alone; + the contrastive loss; + contrastive + image-text matching — each validated on the whole test split
(9,673 questions, 1,000 images, 24 distinct captions).

    python bench/vlm_ablation.py                          # configs/vlm.yaml as it is (1,500 steps)
    python bench/vlm_ablation.py --set training.iters=300 # a quicker look

Each run is a real `train` run (runs in bench/out/vlm_ablation/). Time per step is measured after the three runs, in
one quiet window: each variant's compiled training step on its own batches, 5 warm-up steps, then the median of 30
timed steps. With the LM loss alone the embedding heads are never trained: its retrieval numbers are what an
untrained head gives (chance is 1/24 = 0.042 for image -> caption). Prints one markdown table.
"""
import argparse, platform, statistics, subprocess, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
from mlx_pretrain.config import load_config, parse_yaml
from mlx_pretrain.runs import read_metrics
from mlx_pretrain.runs import open_run
from mlx_pretrain.task import make_optimizer
from mlx_pretrain.trainer import make_step
from mlx_pretrain.vlm import VLMTask, train_vlm
import mlx.core as mx

VARIANTS = {"LM only": {"data.multimodal_loss.enable_contrastive_loss": False,
                        "data.multimodal_loss.enable_matching_loss": False},
            "LM + contrastive": {"data.multimodal_loss.enable_contrastive_loss": True,
                                 "data.multimodal_loss.enable_matching_loss": False},
            "LM + contrastive + matching": {"data.multimodal_loss.enable_contrastive_loss": True,
                                            "data.multimodal_loss.enable_matching_loss": True}}
METRICS = ["val_vqa_accuracy", "val_i2t_recall@1", "val_i2t_recall@5", "val_t2i_recall@1", "val_t2i_recall@5"]

def step_seconds(cfg, steps: int = 30, warmup: int = 5) -> float:
    "Median seconds of the compiled training step of `cfg`'s task on its own batches."
    task = VLMTask()
    with open_run(cfg, "bench/out/vlm_ablation/timing", quiet=True) as s:
        model, _ = task.prepare(s)
        loss = task.loss(model, s)
    opt = make_optimizer(cfg, 1000)
    state, step = make_step(model, opt, loss, cfg.training.hyperparameters.gradient_clip)
    batches, times = task.batches(0), []
    for i in range(warmup + steps):
        arrays, *_ = next(batches)
        t0 = time.perf_counter()
        mx.eval(state, step(*(mx.array(a) for a in arrays)))
        if i >= warmup: times.append(time.perf_counter() - t0)
    return statistics.median(times)

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", default="configs/vlm.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a = p.parse_args()
    sets = {k: parse_yaml(v, k) for k, _, v in (s.partition("=") for s in a.set)}
    rows, cfgs = [], []
    for i, (name, over) in enumerate(VARIANTS.items()):
        cfg = load_config(a.config, {**sets, **over, "name": f"ablation-{i}", "overwrite": True,
                                     "vlm_evaluation.retrieval_k_values": [1, 5]})
        t0 = time.time()
        run = train_vlm(cfg, runs_dir="bench/out/vlm_ablation", quiet=True)
        wall = time.time() - t0
        val = [r for r in read_metrics(run) if "val_vqa_accuracy" in r][-1]
        rows.append([name, *(f"{val[m]:.4f}" for m in METRICS), f"{wall:.0f}"]); cfgs.append(cfg)
        print(f"{name}: done in {wall:.0f} s", flush=True)
    for row, cfg in zip(rows, cfgs): row.insert(-1, f"{step_seconds(cfg):.3f}")   # the quiet window
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"\n`python bench/vlm_ablation.py {' '.join('--set ' + s for s in a.set)}` at {commit}, {cfg.training.iters} "
          f"steps of batch {cfg.training.hyperparameters.batch_size} each ({platform.machine()}, "
          f"MLX {cfg.system.device})\n")
    print("| losses | VQA accuracy | i2t R@1 | i2t R@5 | t2i R@1 | t2i R@5 | s/step | run, s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows: print("| " + " | ".join(r) + " |")

if __name__ == "__main__": main()
