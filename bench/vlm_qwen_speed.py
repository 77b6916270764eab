"""Training-step throughput of mlx-vlm's Qwen2-VL (issue 19, must-show 5): our VLM task's compiled step against
mlx-vlm's own trainer (`mlx_vlm.trainer.Trainer`, its VLM SFT task, on prepared batches), on the same model, the same
weights and the same batch, in one run, bfloat16.

    python bench/vlm_qwen_speed.py                                   # the H200 size below
    python bench/vlm_qwen_speed.py --tiny --steps 3 --rounds 1       # a smoke test on a CPU

The model: a Qwen2-VL whose language tower has Qwen2-0.5B's shape (24 blocks, width 896, 14 heads, 2 key/value
heads, MLP 4864, vocabulary 32,000) and a vision tower of 8 blocks of width 640 (10 heads) on 224 x 224 images at
patch 14, merged 2 x 2: 64 image tokens per image. Each row: <|vision_start|> + the image + <|vision_end|> + 24 prompt
tokens + 8 answer tokens (the loss on the answer only). Random weights, random images and tokens: the work of a
step does not depend on them.

Ours: `mlx_pretrain.vlm.vlm_loss` in the trainer's compiled step (`make_step`). Theirs: `Trainer(...).train()` for
`--steps` iterations; its engine reports `step_time` (seconds per iteration, data loading left out); mlx-vlm does not
compile a Qwen2-VL step (its vision tower calls .tolist()), so `compile=False`, its default. Rounds alternate ours and
theirs; each side's median step time is reported. images/s = batch / step time; tokens/s = batch x fused sequence
length / step time (the same count for both). Prints one markdown table.
"""
import argparse, copy, platform, statistics, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import numpy as np
import mlx.core as mx
import mlx.optimizers as optim
from mlx_pretrain.arch.vlm import qwen_args, qwen2_vl_model, _qwen_args, fusion_order, fused_targets
from mlx_pretrain.config import MultimodalLoss
from mlx_pretrain.data import IGNORE
from mlx_pretrain.trainer import make_step
from mlx_pretrain.vlm import vlm_loss

IMAGE, START, END = 3, 4, 5                      # the special tokens' ids (any ids below the vocabulary would do)

def model_config(tiny: bool) -> dict:
    text = ({"hidden_size": 64, "num_hidden_layers": 2, "intermediate_size": 128, "num_attention_heads": 4,
             "num_key_value_heads": 2} if tiny else
            {"hidden_size": 896, "num_hidden_layers": 24, "intermediate_size": 4864, "num_attention_heads": 14,
             "num_key_value_heads": 2})
    text |= {"rms_norm_eps": 1e-6, "vocab_size": 512 if tiny else 32000, "max_position_embeddings": 512,
             "rope_theta": 1e6, "tie_word_embeddings": True}
    vision = {"depth": 1, "embed_dim": 32, "num_heads": 2} if tiny else {"depth": 8, "embed_dim": 640, "num_heads": 10}
    vision |= {"patch_size": 14, "spatial_merge_size": 2}
    return qwen_args(text, vision, 56 if tiny else 224, {"image": IMAGE, "vision_start": START, "vision_end": END})

def batches(model, B: int, prompt: int, answer: int, seed: int = 0):
    "(our arrays, mlx-vlm's prepared samples) of the same B rows."
    a, rng = model.args, np.random.default_rng(seed)
    V, n = model.config.text_config.vocab_size, a.image_tokens
    images = rng.normal(size=(B, a.image_size, a.image_size, 3)).astype(np.float32)
    text = rng.integers(10, V, size=(B, prompt + answer))
    ids = np.concatenate([np.full((B, 1), START), np.full((B, 1), IMAGE), np.full((B, 1), END), text], 1)
    x, tgt = ids[:, :-1], ids[:, 1:].copy()
    tgt[:, :ids.shape[1] - 1 - answer] = IGNORE                    # the answer's tokens are the targets
    order = fusion_order(x, a)
    ours = [x.astype(np.int32), images, order, fused_targets(tgt, order, n)]
    # mlx-vlm: the image tokens spelled out, pixel values in Qwen2-VL's patch layout, a completion mask
    P, m, g = 14, 2, a.grid
    spelled = np.concatenate([ids[:, :1], np.full((B, n), IMAGE), ids[:, 2:]], 1).astype(np.int32)
    flat = np.broadcast_to(images.transpose(0, 3, 1, 2)[:, None], (B, 2, 3, g * P, g * P))
    flat = flat.reshape(B, 2, 3, g // m, m, P, g // m, m, P).transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    flat = flat.reshape(B, g * g, -1)
    theirs = [{"input_ids": mx.array(spelled[b:b + 1]), "attention_mask": mx.ones((1, spelled.shape[1]), mx.int32),
               "completion_mask": mx.array((np.arange(spelled.shape[1]) >= spelled.shape[1] - answer)[None]
                                           .astype(np.int32)),
               "pixel_values": mx.array(flat[b]), "image_grid_thw": mx.array([[1, g, g]])} for b in range(B)]
    return ours, theirs, order.shape[1]

def time_ours(model, arrays, steps: int, warmup: int = 2) -> float:
    opt = optim.AdamW(1e-4)
    state, step = make_step(model, opt, vlm_loss(("question",), MultimodalLoss()), 1.0)
    arrs = [mx.array(a[None]) for a in arrays]
    arrs[1] = arrs[1].astype(mx.bfloat16)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        mx.eval(state, step(*arrs))
        if i >= warmup: times.append(time.perf_counter() - t0)
    return statistics.median(times)

def time_theirs(model, samples, B: int, steps: int, warmup: int = 2) -> float:
    from mlx_vlm.trainer.api import Trainer
    from mlx_vlm.trainer.vlm.config import VLMTrainingArgs
    args = VLMTrainingArgs(batch_size=B, iters=warmup + steps, steps_per_report=1, steps_per_eval=None,
                           steps_per_save=10**9, max_seq_length=4096, pad_to_multiple=1, train_on_completions=True,
                           adapter_file="/tmp/vlm_qwen_speed_adapters.safetensors")
    times = []
    class Keep:                                                  # mlx-vlm's callback: its reports, each iteration
        def on_train_loss_report(self, info): times.append(info["step_time"])
        def on_val_loss_report(self, info): pass
    Trainer(model, args, task="vlm", train_dataset=samples, prepared=True, optimizer=optim.AdamW(1e-4),
            training_callback=Keep()).train()
    return statistics.median(times[warmup:])

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tiny", action="store_true")
    a = p.parse_args()
    cfg = model_config(a.tiny)
    mx.random.seed(0)
    ours_model = qwen2_vl_model(_qwen_args(**cfg)); ours_model.set_dtype(mx.bfloat16); mx.eval(ours_model.parameters())
    theirs_model = copy.deepcopy(ours_model)                     # the same weights, trained apart
    arrays, samples, L = batches(ours_model, a.batch, 24, 8)
    t_ours, t_theirs = [], []
    for r in range(a.rounds):
        t_ours.append(time_ours(ours_model, arrays, a.steps))
        t_theirs.append(time_theirs(theirs_model, samples, a.batch, a.steps))
        print(f"round {r}: ours {t_ours[-1]:.4f} s/step, mlx-vlm {t_theirs[-1]:.4f} s/step", flush=True)
    so, st = statistics.median(t_ours), statistics.median(t_theirs)
    device = mx.device_info().get("device_name", platform.machine())
    print(f"\nQwen2-VL training step, bfloat16, batch {a.batch} x {L} fused tokens ({ours_model.args.image_tokens} per "
          f"image), {a.rounds} rounds x {a.steps} steps, medians; {device}\n")
    print("| trainer | s/step | images/s | tokens/s | vs mlx-vlm |")
    print("|---|---|---|---|---|")
    for name, s in (("mlx-pretrain (vlm task, compiled)", so), ("mlx-vlm Trainer (vlm sft)", st)):
        print(f"| {name} | {s:.4f} | {a.batch / s:,.1f} | {a.batch * L / s:,.0f} | {st / s:.2f}x |")

if __name__ == "__main__": main()
