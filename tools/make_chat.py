"""Build data/chat/{train,valid}.jsonl, instruction/response pairs from the PyPI package `chatterbot-corpus`
1.3.3 (BSD), in the seed's SFT format {"instruction", "response", "topic"}.

Run once by the maintainers (`pip install chatterbot-corpus==1.3.3 && python tools/make_chat.py`); the output
is committed. Each pair of consecutive turns in an English conversation is one example; every tenth pair is
held out for validation.
"""
import json
from pathlib import Path
import yaml, chatterbot_corpus

def main(dest=Path(__file__).parent.parent / "data" / "chat"):
    src = Path(chatterbot_corpus.__file__).parent / "data" / "english"
    pairs = []
    for f in sorted(src.glob("*.yml")):
        for conv in yaml.safe_load(f.read_text(encoding="utf-8")).get("conversations", []):
            turns = [str(t).strip() for t in conv]
            pairs += [{"instruction": q, "response": a, "topic": f.stem} for q, a in zip(turns, turns[1:]) if q and a]
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / "train.jsonl", "w") as tr, open(dest / "valid.jsonl", "w") as va:
        for i, p in enumerate(pairs): (va if i % 10 == 9 else tr).write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"{len(pairs)} pairs -> {dest}")

if __name__ == "__main__": main()
