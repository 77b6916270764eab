"""Build data/easy_vqa/ from the easy-vqa package (Victor Zhou, MIT; `pip install easy-vqa==1.0`).

Run once by the maintainers (`python tools/make_vlm_data.py`); the output is committed. Deterministic.

- `images/{train,test}/<id>.png`: the package's 64 x 64 images, copied byte for byte (4,000 train, 1,000 test).
- `{train,test}.jsonl`: the caption rows below, then every question as {"question", "answer", "images":
  ["images/<split>/<id>.png"]}, in the package's order (38,575 train, 9,673 test; 13 possible answers): what one
  vision-language run trains and validates on.
- `captions_{train,test}.jsonl` {"text": "a <colour> <shape>", "images": [...]}: one caption per image (8 colours x
  3 shapes: 24 distinct captions). easy-vqa has no captions; each image shows one shape in one colour. The
  caption is read off the pixels: the shape's colour is the median of the pixels that differ most from the background
  (within 90% of the largest difference: not the anti-aliased edge), the nearest of easy-vqa's eight RGB colours; the shape is a triangle when its second row of pixels and its
  second-to-last differ in width by more than 30% of its widest row (narrow at the apex, wide at the base), a
  rectangle when it fills its bounding box inside the outermost pixels and more than 90.5% of the box itself, and a
  circle otherwise. That reading is checked against the image's own questions, which name the
  shape or the colour for most images ("what color is the shape?" -> "red", "what is the blue shape?" ->
  "rectangle", a "yes" to "is there a red shape?", a "no" to "is there not a red shape?"); any disagreement stops
  the script. The counts of images whose questions confirmed the shape and the colour are printed.
"""
import json, shutil
from pathlib import Path
import numpy as np
from PIL import Image
import easy_vqa

OUT = Path(__file__).parent.parent / "data" / "easy_vqa"
SHAPES = {"circle", "rectangle", "triangle"}
PALETTE = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "black": (0, 0, 0),
           "gray": (128, 128, 128), "teal": (0, 128, 128), "brown": (165, 42, 42), "yellow": (255, 255, 0)}
COLOURS = set(PALETTE)

def seen(path) -> tuple[str, str]:
    "(shape, colour) read off the image's pixels."
    x = np.asarray(Image.open(path).convert("RGB")).astype(int)
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    values, counts = np.unique(border, axis=0, return_counts=True)
    d = np.abs(x - values[counts.argmax()]).sum(-1)
    mask = d > 60                                                        # differs from the background
    ys, xs = np.where(mask)
    box = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    widths = box.sum(1)
    lopsided = abs(widths[1] - widths[-2]) / widths.max() > 0.3        # narrow at one end, wide at the other
    rectangle = box[1:-1, 1:-1].all() and box.mean() > 0.905            # filled inside its outline, corners too
    shape = "triangle" if lopsided else "rectangle" if rectangle else "circle"
    rgb = np.median(x[d >= 0.9 * d.max()], axis=0)                     # the shape's own pixels, not its blurred edge
    return shape, min(PALETTE, key=lambda c: np.abs(rgb - PALETTE[c]).sum())

def named(question: str, answer: str) -> set[str]:
    "The shapes and colours a question and its answer say the image has."
    words = set(question.rstrip("?").split())
    if answer in SHAPES | COLOURS: return {answer} | (words & (COLOURS if answer in SHAPES else SHAPES))
    says_yes = (answer == "yes") != bool(words & {"not", "no"})       # "is there not a ...", "is no ... present?"
    return (words & (SHAPES | COLOURS)) if says_yes else set()

def split(name: str, questions, paths):
    texts, answers, ids = questions
    (OUT / "images" / name).mkdir(parents=True, exist_ok=True)
    for i, src in paths.items(): shutil.copyfile(src, OUT / "images" / name / f"{i}.png")
    rel = lambda i: f"images/{name}/{i}.png"
    facts = {i: set() for i in paths}
    questions = []
    for q, a, i in zip(texts, answers, ids):
        questions.append(json.dumps({"question": q, "answer": a, "images": [rel(i)]}) + "\n")
        facts[i] |= named(q, a)
    confirmed, captions = {"shape": 0, "colour": 0}, []
    for i in sorted(paths):
        shape, colour = seen(paths[i])
        for kind, told, got in (("shape", facts[i] & SHAPES, shape), ("colour", facts[i] & COLOURS, colour)):
            if len(told) > 1 or (told and told != {got}):
                raise SystemExit(f"{name} image {i}: its questions say {kind} {told}, its pixels {got}")
            confirmed[kind] += bool(told)
        captions.append(json.dumps({"text": f"a {colour} {shape}", "images": [rel(i)]}) + "\n")
    (OUT / f"captions_{name}.jsonl").write_text("".join(captions))
    (OUT / f"{name}.jsonl").write_text("".join(captions + questions))    # both kinds: one vision-language run
    print(f"{name}: {len(paths)} images, {len(texts)} questions; the questions confirm the shape of "
          f"{confirmed['shape']} images and the colour of {confirmed['colour']}, and contradict none")

if __name__ == "__main__":
    if OUT.exists(): shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    split("train", easy_vqa.get_train_questions(), easy_vqa.get_train_image_paths())
    split("test", easy_vqa.get_test_questions(), easy_vqa.get_test_image_paths())
    shutil.copyfile(Path(easy_vqa.__file__).parent.parent / "easy_vqa-1.0.dist-info" / "LICENSE", OUT / "LICENSE-easy-vqa")
    (OUT / "README.md").write_text("# easy-vqa\n\n" + __doc__.replace("Build data/easy_vqa/ from", "Converted from", 1))
