"""Run a notebook's code cells in order in one namespace, without Jupyter: `python tools/run_notebook.py NB.ipynb`
(the GPU machine has no nbdev or execnb; nbdev_test is the way everywhere else). Cells marked `#| eval: false` and
the export cell are skipped. Exits 1 at the first failing cell.
"""
import json, sys, time, traceback
def usage_error(message):                          # bad input: one line, exit 2 (a failing cell exits 1)
    print(message, file=sys.stderr); sys.exit(2)
if len(sys.argv) != 2: usage_error("usage: python tools/run_notebook.py NOTEBOOK.ipynb")
try: nb = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e: usage_error(f"{sys.argv[1]}: expected a notebook (JSON): {e}")
ns = {"__name__": "__main__"}
for i, c in enumerate(nb["cells"]):
    src = "".join(c["source"])
    if c["cell_type"] != "code" or "eval: false" in src or "nbdev_export(" in src: continue
    t = time.perf_counter()
    try: exec(compile(src, f"{sys.argv[1]}[cell {i}]", "exec"), ns)
    except Exception:
        traceback.print_exc(); print(f"FAILED cell {i}:\n{src[:400]}"); sys.exit(1)
    print(f"cell {i} ok ({time.perf_counter() - t:.1f} s)", flush=True)
print(f"{sys.argv[1]}: all cells passed")
