"""Time and peak memory of retrieval Recall@K (`mlx_pretrain.metrics.recall_at_k`) at COCO 5k test size: 5,000 images
× 25,000 captions (5 per image), 256-d random embeddings, K = 1, 5, 10; against the direct way in the same run — the
whole similarity matrix in numpy, ranks counted from it — which also checks that both give the same numbers.

    python bench/recall_speed.py                       # 5000 x 25000 x 256
    python bench/recall_speed.py --images 1000 --per-image 5

Each way runs in its own child process, so that its peak resident memory (ru_maxrss: Python, MLX, the embeddings
and everything the computation allocates) is its own. Prints one markdown table. MB = 1e6 bytes.
"""
import argparse, json, platform, resource, subprocess, sys, time
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import numpy as np

def data(a):
    rng = np.random.default_rng(0)
    img = rng.normal(size=(a.images, a.dim)).astype(np.float32)
    owner = np.repeat(np.arange(a.images), a.per_image)
    txt = (rng.normal(size=(len(owner), a.dim)) + 0.3 * img[owner]).astype(np.float32)
    return img, txt, owner

def blocked(img, txt, owner, ks):
    from mlx_pretrain.metrics import recall_at_k
    return recall_at_k(img, txt, owner, ks)

def full_matrix(img, txt, owner, ks):
    "The direct way: the whole caption x image similarity matrix, ties broken by index as recall_at_k does."
    img = img / np.linalg.norm(img, axis=1, keepdims=True); txt = txt / np.linalg.norm(txt, axis=1, keepdims=True)
    s = txt @ img.T
    own = s[np.arange(len(owner)), owner]
    t2i = (s > own[:, None]).sum(1) + ((s == own[:, None]) & (np.arange(len(img))[None] < owner[:, None])).sum(1)
    best = np.full(len(img), -np.inf, np.float32); np.maximum.at(best, owner, own)
    first = np.full(len(img), len(owner)); np.minimum.at(first, owner, np.where(own == best[owner], np.arange(len(owner)), len(owner)))
    i2t = (s > best[None]).sum(0) + ((s == best[None]) & (np.arange(len(owner))[:, None] < first[None])).sum(0)
    out = {f"i2t_recall@{k}": float((i2t < k).mean()) for k in ks} | {f"t2i_recall@{k}": float((t2i < k).mean()) for k in ks}
    return out | {"mean_recall": float(np.mean(list(out.values())))}

def child(a):
    img, txt, owner = data(a)
    t = time.perf_counter()
    r = {"blocked": blocked, "full": full_matrix}[a.child](img, txt, owner, (1, 5, 10))
    secs = time.perf_counter() - t
    print(json.dumps({"secs": secs, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, "r": r}))

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=5000); p.add_argument("--per-image", type=int, default=5)
    p.add_argument("--dim", type=int, default=256); p.add_argument("--child", choices=["blocked", "full"])
    a = p.parse_args()
    if a.child: return child(a)
    rows = {}
    for way in ("blocked", "full"):
        out = subprocess.run([sys.executable, __file__, "--child", way, "--images", str(a.images), "--per-image",
                              str(a.per_image), "--dim", str(a.dim)], capture_output=True, text=True, check=True)
        rows[way] = json.loads(out.stdout.strip().splitlines()[-1])
    same = all(abs(rows["blocked"]["r"][k] - v) < 1e-12 for k, v in rows["full"]["r"].items())
    print(f"{a.images:,} images x {a.images * a.per_image:,} captions x {a.dim}-d, K = 1, 5, 10 "
          f"({platform.machine()}, {platform.system()}); same numbers both ways: {same}\n")
    print("| way | seconds | peak resident MB | t2i R@1 | i2t R@1 | mean recall |\n|---|---|---|---|---|---|")
    for way, name in (("blocked", "recall_at_k (blocks of 1,024 captions, MLX)"), ("full", "whole matrix (numpy)")):
        r = rows[way]
        print(f"| {name} | {r['secs']:.2f} | {r['peak_mb']:,.0f} | {r['r']['t2i_recall@1']:.4f} | "
              f"{r['r']['i2t_recall@1']:.4f} | {r['r']['mean_recall']:.4f} |")

if __name__ == "__main__": main()
