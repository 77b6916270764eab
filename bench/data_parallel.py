"""Data-parallel speed, side by side in one run: our `train` loop on 1 and N devices (mlx.launch: NCCL on GPUs,
ring on CPUs) against PyTorch DDP with torch.compile (torchrun) on 1 and N GPUs, same model shape, batch per
device, sequence length and dtype; then what the gradient all-reduce costs (issue 20, and the projection of
issue 22).

    python bench/data_parallel.py --model 134m --batch 32 --gpus 2                         # two H200s
    python bench/data_parallel.py --model 2m --batch 4 --seq 256 --gpus 2 --dtype float32  # CPU, ring

Rows (each its own launch, so peak memory is its own):
- `ours-1`, `ours-N`: `mlx_pretrain.trainer.train` as every command runs it. With N ranks each builds the global
  batch (batch x N windows, from the seed and the step) and keeps its rows (`LMTask.batches`); the compiled step
  sums the gradient tree over the ranks (`sum_gradients`, MLX's packed `all_sum`). Timed between the loop's reports.
- `torch-1`, `torch-N`: transformers' LlamaForCausalLM (sdpa) under torch.compile, fused AdamW; with N ranks
  wrapped in DistributedDataParallel (NCCL, 25 MB buckets overlapped with the backward pass), as `torchrun
  --nproc_per_node N` runs it. The compiled module is `torch.compile(DDP(model))`, PyTorch's recommended order.
- `allreduce-N`: MLX's `all_sum` alone on N ranks: buffers of 1 MB to 512 MB, and the model's gradient tree
  as the step sends it (packed in 32 MB buffers) — the time per step the collective costs and its bus bandwidth.
Tokens/s count every rank's tokens. Peak memory is each rank's own (MLX's or PyTorch's allocator counter).
"""
import argparse, json, os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
from speed_compare import SHAPES, hf_args, shape_args, flops_per_token, mlx_model

def emit(**row): print("ROW " + json.dumps(row), flush=True)

def child_ours(s, a):
    import numpy as np, mlx.core as mx, mlx.optimizers as optim
    from mlx_pretrain.trainer import train, TrainArgs, Callback
    from mlx_pretrain.data import PackedSequences, iterate_batches
    from mlx_pretrain.distributed import get_world, shard
    from mlx_pretrain.losses import lm_loss
    w = get_world()
    mx.random.seed(0)                                   # every rank starts from the same weights, as a run does
    model = mlx_model(s, a.seq, a.dtype)
    steps = a.warmup + a.steps
    stream = np.random.default_rng(0).integers(0, s["vocab"], a.batch * w.size * a.seq * (steps + 1) + 1)
    seqs = PackedSequences(stream.astype(np.int32), a.seq, 0)
    def batches(position):                              # what LMTask.batches does
        for (x, y), pos, tokens in iterate_batches(seqs, a.batch * w.size, 0, position):
            yield shard((x, y), w), pos, tokens
    marks = {}
    class Clock(Callback):
        def on_train_loss_report(self, info): marks[info["step"]] = time.perf_counter()
    mx.reset_peak_memory()
    train(model, optim.AdamW(1e-4, weight_decay=0.0), batches, lm_loss,
          TrainArgs(steps, logging_interval=10, checkpoint_interval=0, gradient_clip=1.0), None, None, [Clock()],
          world=w)
    (s0, t0), (s1, t1) = min(marks.items()), max(marks.items())
    emit(rank=w.rank, ranks=w.size, tok_s=(s1 - s0) * a.batch * w.size * a.seq / (t1 - t0),
         ms=(t1 - t0) / (s1 - s0) * 1e3, peak_gb=mx.get_peak_memory() / 1e9)

def child_allreduce(s, a):
    "all_sum alone: raw buffers of growing size, and the model's gradient tree as the compiled step sends it."
    import mlx.core as mx, mlx.nn as nn
    from mlx.utils import tree_map, tree_flatten
    from mlx_pretrain.distributed import get_world, all_sum, sum_gradients
    w = get_world()
    dt = mx.bfloat16 if a.dtype == "bfloat16" else mx.float32
    def timed(fn, x, reps):
        for _ in range(3): mx.eval(fn(x))
        ts = []
        for _ in range(reps):
            mx.eval(all_sum(mx.array(0.0), w))                     # start together
            t = time.perf_counter(); mx.eval(fn(x)); ts.append(time.perf_counter() - t)
        return sorted(ts)[len(ts) // 2]
    one = mx.compile(lambda x: all_sum(x, w))
    for mb in (m for m in (1, 4, 16, 64, 256, 512) if m <= a.max_mb):
        x = mx.ones((mb * 2 ** 20 // dt.size,), dt)
        sec = timed(one, x, a.reps)
        emit(rank=w.rank, ranks=w.size, what=f"buffer {mb} MB", bytes=x.nbytes, ms=sec * 1e3)
    grads = tree_map(lambda p: mx.ones_like(p), mlx_model(s, a.seq, a.dtype).trainable_parameters())
    n = sum(g.nbytes for _, g in tree_flatten(grads))
    packed = mx.compile(lambda g: sum_gradients(g, w))
    emit(rank=w.rank, ranks=w.size, what="gradient tree (sum_gradients)", bytes=n, ms=timed(packed, grads, a.reps) * 1e3)
    stream = mx.new_stream(mx.default_device())
    for mb, st in VARIANTS:
        f = mx.compile(lambda g: nn.average_gradients(g, w.group, mb * 2 ** 20, stream if st else None))
        emit(rank=w.rank, ranks=w.size, what=variant_name(mb, st), bytes=n, ms=timed(f, grads, a.reps) * 1e3)

VARIANTS = [(0, False), (8, False), (128, False), (1024, False), (32, True), (1024, True)]   # (bucket MB, own stream)
def variant_name(mb, st):
    return f"average_gradients, {f'{mb} MB buckets' if mb else 'one call per array'}{', own stream' if st else ''}"

def child_profile(s, a):
    """Our compiled step on this rank's rows (as `train` queues it), under CUPTI (torch.profiler, which also sees
    MLX's and NCCL's kernels): wall time and kernel time per step, and the share of NCCL's all-reduce kernels.
    With --variant MB,STREAM the gradients go through average_gradients with those buckets/stream instead."""
    import torch  # noqa: F401  (loaded before MLX: one set of CUDA libraries)
    import mlx.core as mx, mlx.nn as nn
    from mlx.utils import tree_map
    import mlx_pretrain.trainer as trainer
    from mlx_pretrain.distributed import get_world
    from kernel_profile import kernels_torch_profiler, mlx_steps
    w = get_world()
    if a.variant:
        mb, st = (int(v) for v in a.variant.split(","))
        stream = mx.new_stream(mx.default_device()) if st else None
        trainer.sum_gradients = lambda g, w: tree_map(lambda x: x * w.size,
                                                      nn.average_gradients(g, w.group, mb * 2 ** 20, stream))
    mx.random.seed(0)                                   # the same weights on every rank
    run = mlx_steps(s, a, w)
    run(a.warmup)
    t = time.perf_counter(); run(a.steps); ms = (time.perf_counter() - t) / a.steps * 1e3
    k = kernels_torch_profiler(run, a.steps)
    per_step = lambda pick: sum(us for name, (us, _) in k.items() if pick(name.lower())) / a.steps / 1e3
    emit(rank=w.rank, ranks=w.size, what=f"profile {a.variant or 'sum_gradients'}", ms=ms,
         kernel_ms=per_step(lambda n: True), nccl_ms=per_step(lambda n: "nccl" in n),
         pack_ms=per_step(lambda n: "concat" in n or "split" in n or "copy" in n), peak_gb=mx.get_peak_memory() / 1e9)

def child_torch(s, a):
    import torch, torch.distributed as dist
    from transformers import LlamaConfig, LlamaForCausalLM
    ranks, rank = int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("RANK", 0))
    dev = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    torch.cuda.set_device(dev)
    if ranks > 1: dist.init_process_group("nccl", device_id=torch.device(dev))
    torch.manual_seed(0)
    dtype = torch.bfloat16 if a.dtype == "bfloat16" else torch.float32
    cfg = LlamaConfig(**{k: v for k, v in hf_args(s, a.seq).items() if k != "model_type"}, attn_implementation="sdpa")
    model = LlamaForCausalLM(cfg).to(dev, dtype)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0, fused=True)
    if ranks > 1: model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[torch.device(dev)])
    fwd = torch.compile(model)
    g = torch.Generator(device=dev).manual_seed(rank)
    x = torch.randint(0, s["vocab"], (a.batch, a.seq), device=dev, generator=g)
    y = torch.randint(0, s["vocab"], (a.batch, a.seq), device=dev, generator=g)
    def step():
        loss = torch.nn.functional.cross_entropy(fwd(x).logits.float().view(-1, s["vocab"]), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)         # ours clips too
        opt.step(); opt.zero_grad(set_to_none=True)
    for _ in range(a.warmup): step()
    torch.cuda.synchronize()
    if ranks > 1: dist.barrier()
    torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(a.steps): step()
    torch.cuda.synchronize(); sec = time.perf_counter() - t
    emit(rank=rank, ranks=ranks, tok_s=a.steps * a.batch * ranks * a.seq / sec, ms=sec / a.steps * 1e3,
         peak_gb=torch.cuda.max_memory_allocated() / 1e9)
    if ranks > 1: dist.destroy_process_group()

CHILDREN = {"ours": child_ours, "allreduce": child_allreduce, "torch": child_torch, "profile": child_profile}

def launch(row: str, a, argv) -> list[dict]:
    "Run one row (`ours-2`, `torch-1`, …) in its own processes; every rank's ROW lines."
    kind, n = row.rsplit("-", 1)
    me = [os.path.abspath(__file__), "--child", kind, *argv]
    if "@" in n: n, variant = n.split("@"); me += ["--variant", variant.replace("/", ",")]
    if kind == "torch":
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}", *me]
    elif int(n) == 1 and kind in ("ours", "profile"):
        cmd = [sys.executable, *me]
    else:
        import mlx.core as mx
        cmd = [sys.executable, "-c", "from mlx._distributed_utils.launch import main; main()", "-n", n, "--backend",
               "nccl" if mx.cuda.is_available() else "ring", "--python", sys.executable, *me]
        a.port_offset += 1                              # a fresh port per launch: the last may linger
        cmd[5:5] = ["--nccl-port" if mx.cuda.is_available() else "--starting-port", str(12345 + 10 * a.port_offset)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    rows = [json.loads(l.split("ROW ", 1)[1]) for l in out.stdout.splitlines() if "ROW {" in l]
    if out.returncode or not rows:
        print(f"{row}: failed (exit {out.returncode}): {out.stderr.strip()[-2000:]}", file=sys.stderr)
    return rows

def main():
    p = shape_args(argparse.ArgumentParser(), model="2m", batch=4)
    p.add_argument("--gpus", type=int, default=2, help="N: the ranks of the -N rows (GPUs, or processes on a CPU)")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--reps", type=int, default=20, help="timed all_sum calls per buffer (median)")
    p.add_argument("--max-mb", type=int, default=512, help="the largest all_sum buffer of the allreduce rows")
    p.add_argument("--rows", default=None, help="comma-separated, of ours-K, torch-K, allreduce-K "
                   "(default: ours-1,ours-N,torch-1,torch-N,allreduce-N, the torch rows where PyTorch has CUDA)")
    p.add_argument("--peak-tflops", type=float, default=None)
    p.add_argument("--variant", default="", help="profile rows: MB,STREAM (average_gradients' buckets, own stream 0/1)")
    p.add_argument("--child")
    a, argv = p.parse_args(), [x for x in sys.argv[1:]]
    s = SHAPES[a.model]
    if a.child: return CHILDREN[a.child](s, a)
    import mlx.core as mx, platform
    try: import torch; cuda = torch.cuda.is_available()
    except ImportError: cuda = False
    N = a.gpus
    rows = a.rows.split(",") if a.rows else ["ours-1", f"ours-{N}", *(["torch-1", f"torch-{N}"] if cuda else []),
                                              f"allreduce-{N}"]
    a.port_offset, results = 0, []
    for row in rows:
        got = launch(row, a, argv)
        results.append((row, got))
        for r in got: print(row, r, file=sys.stderr, flush=True)
    gpu = mx.cuda.is_available()
    peak = a.peak_tflops or (790.0 if gpu else None)
    fpt = flops_per_token(s, a.seq)
    print(f"\n{a.model} ({s['layers']} x {s['d']}, vocab {s['vocab']}), batch {a.batch} x {a.seq} per "
          f"{'GPU' if gpu else 'process'}, {a.dtype}, AdamW; mlx {mx.__version__}"
          f"{', torch ' + torch.__version__ if cuda else ''}; {'GPU' if gpu else 'CPU'} {platform.machine()} "
          f"{os.cpu_count()} cores; {a.steps} timed steps after {a.warmup}; {time.strftime('%Y-%m-%d')}\n")
    print("| row | ranks | tokens/s (all ranks) | ms/step | MFU per device | peak memory per rank (GB) |")
    print("|---|---:|---:|---:|---:|---|")
    best = {}
    for row, got in results:
        if not row.startswith(("ours", "torch")) or not got: continue
        r0 = next(r for r in got if r["rank"] == 0)
        mfu = f"{r0['tok_s'] / r0['ranks'] * fpt / peak / 1e12:.3f}" if peak else "—"
        mem = ", ".join(f"{r['peak_gb']:.2f}" for r in sorted(got, key=lambda r: r["rank"]))
        print(f"| {row} | {r0['ranks']} | {r0['tok_s']:,.0f} | {r0['ms']:.1f} | {mfu} | {mem} |")
        best[row] = max(best.get(row, 0), r0["tok_s"])
    print()
    for x, y, what in ((f"ours-{N}", "ours-1", f"ours on {N} / ours on 1 (scaling)"),
                       (f"torch-{N}", "torch-1", f"torch DDP on {N} / torch.compile on 1 (scaling)"),
                       (f"ours-{N}", f"torch-{N}", f"ours on {N} / torch DDP on {N}")):
        if x in best and y in best: print(f"{what}: {best[x] / best[y]:.3f}")
    prof = [(row, r) for row, got in results if row.startswith("profile") for r in got]
    if prof:
        print("\nThe step under CUPTI (torch.profiler), per step, each rank: wall clock, all kernels, NCCL's kernels, "
              "the packing copies (concatenate/split/copy kernels)\n")
        print("| row | rank | ms/step (wall) | kernels ms | NCCL ms | copies ms | peak GB |\n|---|---:|---:|---:|---:|---:|---:|")
        for row, r in prof:
            print(f"| {row} | {r['rank']} | {r['ms']:.2f} | {r['kernel_ms']:.2f} | {r['nccl_ms']:.2f} | {r['pack_ms']:.2f} "
                  f"| {r['peak_gb']:.2f} |")
    for row, got in results:
        if not row.startswith("allreduce") or not got: continue
        n = got[0]["ranks"]
        print(f"\n`all_sum` on {n} ranks ({row}), median of {a.reps}; bus bandwidth = bytes x 2(n-1)/n / time\n")
        print("| what | bytes | ms (rank 0) | ms (slowest rank) | bus GB/s |\n|---|---:|---:|---:|---:|")
        for what in dict.fromkeys(r["what"] for r in got):
            rs = [r for r in got if r["what"] == what]
            ms0, msx = next(r["ms"] for r in rs if r["rank"] == 0), max(r["ms"] for r in rs)
            bw = rs[0]["bytes"] * 2 * (n - 1) / n / (msx / 1e3) / 1e9
            print(f"| {what} | {rs[0]['bytes']:,} | {ms0:.3f} | {msx:.3f} | {bw:.1f} |")

if __name__ == "__main__": main()
