"""Render nbs/index.ipynb as README.md (Quarto, which nbdev_readme needs, cannot be installed here).

Markdown cells are copied; code cells become ```python blocks with nbdev directives removed (`#| hide` cells are
skipped), followed by their text output. `python tools/readme.py --check` exits 1 if README.md is out of date.
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path=root / "nbs" / "index.ipynb") -> str:
    parts = []
    for c in json.loads(nb_path.read_text())["cells"]:
        src = "".join(c["source"])
        lines = src.splitlines()
        if c["cell_type"] == "markdown": parts.append(src); continue
        if any(l.strip() in ("#| hide", "#|hide") for l in lines): continue
        code = "\n".join(l for l in lines if not l.startswith("#|")).strip()
        if code: parts.append(f"```python\n{code}\n```")
        out = "".join("".join(o.get("text", "")) for o in c.get("outputs", []) if o.get("output_type") == "stream")
        if out.strip(): parts.append(f"```\n{out.rstrip()}\n```")
    return "\n\n".join(parts).strip() + "\n"

if __name__ == "__main__":
    text, readme = render(), root / "README.md"
    if "--check" in sys.argv:
        if readme.read_text() != text: sys.exit("README.md is out of date with nbs/index.ipynb: run `make readme`")
    else: readme.write_text(text)
