#!/usr/bin/env python3
"""Real-browser test of the live training dashboard (mlx_pretrain.display.LiveDisplay).

Starts JupyterLab and headless Chromium, runs a notebook cell that trains a tiny model, checks in the page that the
dashboard updates while the cell runs, presses its Stop button, and checks the clean stop (message + checkpoint).
Usage: python tools/browser_test.py [--out DIR] [--keep]. Exits 0 on success, 1 on failure. Needs root for the
apt install of chromium/chromium-driver when they are missing (CI); Python deps: jupyterlab, selenium.
"""
import argparse, json, os, pprint, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = "mlxp-browser-test"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


class Failure(Exception): pass


def ensure_chromium():
    # Debian's packages: a browser and its matching driver, no download by a test tool (there is no internet in CI).
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "chromium", "chromium-driver"], env=env).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True)      # a fresh container has no package lists
            subprocess.run(["apt-get", "install", "-y", "chromium", "chromium-driver"], env=env, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def wait_for(fn, timeout, what, every=0.25):
    "Poll `fn` until it returns something truthy (returned); exceptions count as 'not yet'."
    end, err = time.monotonic() + timeout, None
    while time.monotonic() < end:
        try:
            if v := fn(): return v
        except Failure: raise
        except Exception as e: err = e
        time.sleep(every)
    raise Failure(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {err!r})" if err else ""))


def write_notebook(work: Path) -> str:
    """The notebook: one cell training the demo config shrunk to ~0.7 s per report on 2 CPU cores (next to JupyterLab
    and Chromium) and ~2 min in all, so the test always stops it mid-run. A small validation file gives a sample (and
    a val loss) every ~7 s."""
    first_play = json.loads(open(REPO / "data/shakespeare/train.jsonl").readline())
    (work / "val.jsonl").write_text(json.dumps({"text": first_play["text"][:4000]}) + "\n")
    overrides = {
        "name": "browser-test",
        "data.input_file": str(REPO / "data/shakespeare/valid.jsonl"),     # 4 plays, 0.6 MB: BPE trains in < 1 s
        "data.validation_file": str(work / "val.jsonl"),
        "data.tokenizer.vocab_size": 512, "data.preprocessing.max_context_size": 64,
        "model.dimensions.hidden_size": 64, "model.dimensions.intermediate_size": 128, "model.dimensions.num_layers": 2,
        "training.iters": 2000, "training.hyperparameters.batch_size": 8,
        "logging.steps.logging_interval": 10, "logging.steps.validation_interval": 100,
        "logging.steps.checkpoint_interval": 0,                            # the only checkpoint is the Stop's
        "system.device": "cpu",
    }
    code = "\n".join([
        "import mlx_pretrain                      # first: it loads OpenBLAS before mlx.core",
        "from mlx_pretrain.config import load_config",
        "from mlx_pretrain.pretrain import pretrain",
        f"overrides = {pprint.pformat(overrides, width=110, sort_dicts=False)}",
        f"cfg = load_config({str(REPO / 'configs/llama-2m.yaml')!r}, overrides)",
        'pretrain(cfg, runs_dir="runs")',
    ])
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "train", "metadata": {}, "outputs": [],
                     "source": code}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (work / "dashboard.ipynb").write_text(json.dumps(nb, indent=1))
    return "dashboard.ipynb"


def api(port, path, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        body = r.read()
        return json.loads(body) if body else None


def start_jupyter(work: Path, port: int, log_path: Path) -> subprocess.Popen:
    # What Jupyter/IPython would write under ~ goes to the temp dir instead (settings, workspaces, connection files,
    # the notebook-signing key, history); PYTHONPATH makes the kernel import this checkout's mlx_pretrain, installed or not.
    home = work / ".jupyter-home"
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True); (home / "notary").mkdir()
    # no "receive Jupyter news?" toast over the screenshots
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = {**os.environ, "MLX_PRETRAIN_CACHE": str(work / "cache"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "IPYTHONDIR": str(home / "ipython"), "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={work}",
           f"--LabApp.user_settings_dir={home / 'lab-settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
           f"--NotebookNotary.data_dir={home / 'notary'}"]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)          # its own process group, killed as one in the end
    def up():
        if proc.poll() is not None: raise Failure(f"JupyterLab exited with {proc.returncode}")
        return api(port, "/api/status")
    wait_for(up, 60, "JupyterLab's /api/status")
    return proc


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"]:
        opts.add_argument(a)
    # chromedriver (and the chromium it starts) in a process group of their own, so the end can kill them all
    service = Service(CHROMEDRIVER, popen_kw={"start_new_session": True})
    return webdriver.Chrome(service=service, options=opts), service


def kill_group(proc: subprocess.Popen):
    "SIGTERM the process group that `proc` leads, SIGKILL whatever is left of it after 10 s."
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try: os.killpg(proc.pid, sig)
        except ProcessLookupError: return
        end = time.monotonic() + 10
        while time.monotonic() < end:
            proc.poll()                                          # reap the leader: a zombie would count as alive
            try: os.killpg(proc.pid, 0)
            except ProcessLookupError: return
            time.sleep(0.2)


def kernel_pids(work: Path):
    "Kernels the server started: their command line names a connection file in our own runtime dir."
    runtime, pids = str(work / ".jupyter-home" / "runtime"), []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try: cmd = (p / "cmdline").read_bytes().decode(errors="replace")
            except OSError: continue
            if runtime in cmd and "ipykernel" in cmd: pids.append(int(p.name))
    return pids


def run_test(driver, port, work: Path, out: Path, nb: str, summary: dict):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.action_chains import ActionChains
    css = lambda sel: driver.find_elements(By.CSS_SELECTOR, sel)

    driver.get(f"http://127.0.0.1:{port}/lab/tree/{nb}?token={TOKEN}")
    wait_for(lambda: css(".jp-NotebookPanel .jp-CodeCell .cm-content"), 90, "the notebook to load in JupyterLab")
    # the kernel is up and idle (server side), and the page has connected to it (its status indicator says idle)
    wait_for(lambda: [k for k in api(port, "/api/kernels") if k["execution_state"] == "idle"], 60, "an idle kernel")
    wait_for(lambda: css('.jp-Notebook-ExecutionIndicator[data-status="idle"]'), 60, "the page to show the kernel idle")
    t_run = time.monotonic()
    # run the cell: click into its editor, Shift+Enter
    css(".jp-CodeCell .cm-content")[0].click()
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

    # read in one script: the widgets re-render their HTML at every report, so held elements would go stale
    READ = """const out = document.querySelector('.jp-CodeCell .jp-Cell-outputArea'); if (!out) return null;
      const bar = out.querySelector('.jupyter-widgets .progress-bar');   // IntProgress: a div sized in %
      const html = [...out.querySelectorAll('.widget-html-content')].map(e => e.innerText);
      return [bar && bar.style.width, html.find(t => t.includes('ETA')), html.find(t => t.startsWith('step '))];"""
    def state():
        "(bar width in %, ETA text, values text) as the page shows them now; None until the first report is shown"
        width, eta, values = driver.execute_script(READ) or (None,) * 3
        return width and eta and values and " loss " in values and (float(width.rstrip("%")), eta, values)
    first = wait_for(state, 120, "the dashboard's progress bar and values line")
    summary["dashboard shown after"] = f"{time.monotonic() - t_run:.1f}s"
    time.sleep(4)
    second = state()
    loss = lambda s: re.search(r"· loss \S+", s[2]).group(0)     # the training loss (not "val loss")
    summary["read 1"] = f"bar {first[0]:.2f}% | {first[1]} | {first[2]}"
    summary["read 2"] = f"bar {second[0]:.2f}% | {second[1]} | {second[2]}"
    if not second[0] > first[0]: raise Failure(f"the progress bar did not advance in 4 s: {first[0]}% then {second[0]}%")
    if loss(second) == loss(first): raise Failure(f"the loss shown did not change in 4 s: {first[2]!r} then {second[2]!r}")
    # the curve is a PNG in an <img>; wait until it has been drawn (it is at the first report) and is displayed
    wait_for(lambda: driver.execute_script(
        "const i = document.querySelector('.jp-OutputArea-output .widget-image'); return i && i.naturalWidth > 0;"),
        20, "the loss curve image")
    summary["curve image"] = driver.execute_script("""const i = document.querySelector('.jp-OutputArea-output .widget-image');
      return `PNG ${i.naturalWidth}x${i.naturalHeight}, shown at ${i.clientWidth}x${i.clientHeight}`;""")
    # and a sample from the first validation (every 100 steps), so the screenshot shows the whole dashboard
    try: wait_for(lambda: [e for e in css(".jp-OutputArea-output .widget-html-content") if "sample at step" in e.text], 20, "a sample")
    except Failure as e: summary["note"] = str(e)
    # the notebook scrolls inside its panel: bring the dashboard's top (bar, values, curve) into the viewport
    driver.execute_script("document.querySelector('.jp-OutputArea-output .widget-vbox').scrollIntoView({block: 'start'})")
    driver.save_screenshot(str(out / "screenshot.png"))

    # Stop: the dashboard's button asks the server to interrupt the kernel; the trainer saves a checkpoint and stops
    stop = wait_for(lambda: css("button.mlxp-stop"), 10, "the Stop button (.mlxp-stop)")
    t_stop = time.monotonic()
    stop[0].click()
    done = lambda: ("[*]" not in css(".jp-CodeCell .jp-InputArea-prompt")[0].text
                    and re.search(r"SIGINT at step (\d+): saved (\S+)", css(".jp-CodeCell .jp-Cell-outputArea")[0].text))
    m = wait_for(done, 60, "the cell to end with 'SIGINT at step N: saved ...' after Stop")
    summary["stopped after"] = f"{time.monotonic() - t_stop:.1f}s"
    summary["stop message"] = m.group(0)
    ckpt = Path(m.group(2))
    ckpt = ckpt if ckpt.is_absolute() else work / ckpt            # relative to the kernel's cwd, the notebook's dir
    if ckpt.name != f"step_{m.group(1)}" or not (ckpt / "trainer.json").is_file():
        raise Failure(f"no checkpoint with trainer.json at {ckpt}")
    summary["checkpoint"] = f"{ckpt} (step {json.loads((ckpt / 'trainer.json').read_text())['step']})"
    last = driver.execute_script("""const c = document.querySelectorAll('.jp-CodeCell .jp-OutputArea-child');
      const l = c[c.length - 1]; l.scrollIntoView({block: 'end'}); return l.innerText;""")   # the end of the output in view
    summary["cell's last output"] = last.strip().replace("\n", " | ")
    driver.save_screenshot(str(out / "stopped.png"))
    summary["screenshots"] = f"{out / 'screenshot.png'}, {out / 'stopped.png'}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(REPO / "test-output" / "browser"), help="where the screenshots and the JupyterLab log go")
    p.add_argument("--keep", action="store_true", help="keep the temp working dir (notebook, run, cache)")
    a = p.parse_args()
    out = Path(a.out).resolve(); out.mkdir(parents=True, exist_ok=True)
    (out / "failure.png").unlink(missing_ok=True)                # from an earlier run
    t0 = time.monotonic()
    ensure_chromium()
    work = Path(tempfile.mkdtemp(prefix="mlxp-browser-"))
    log = out / "jupyterlab.log"
    jupyter = driver = service = None
    summary, ok = {}, False
    try:
        nb = write_notebook(work)
        port = free_port()
        summary["jupyterlab"] = f"http://127.0.0.1:{port}/ (root_dir {work}, log {log})"
        jupyter = start_jupyter(work, port, log)
        driver, service = start_browser()
        summary["chromedriver port"] = service.port
        run_test(driver, port, work, out, nb, summary)
        ok = True
    except Failure as e:
        print(f"FAIL: {e}")
    except Exception as e:                                       # selenium errors and the like: still a failure
        print(f"FAIL: {type(e).__name__}: {e}")
    finally:
        if driver is not None and not ok:
            try: driver.save_screenshot(str(out / "failure.png")); summary["failure screenshot"] = str(out / "failure.png")
            except Exception: pass
        if driver is not None:
            try: driver.quit()
            except Exception: pass
        if service is not None and service.process is not None: kill_group(service.process)
        if jupyter is not None:
            try: [api(port, f"/api/kernels/{k['id']}", "DELETE") for k in api(port, "/api/kernels")]
            except Exception: pass
            kill_group(jupyter)
            for pid in kernel_pids(work):                       # a kernel is in a session of its own: killed by pid
                try: os.kill(pid, signal.SIGKILL)
                except ProcessLookupError: pass
    summary["total time"] = f"{time.monotonic() - t0:.1f}s"
    for k, v in summary.items(): print(f"{k + ':':22} {v}")
    if not ok:
        print(f"--- last lines of {log} ---")
        if log.exists(): print("".join(log.read_text(errors="replace").splitlines(True)[-40:]))
        print(f"working dir kept: {work}")
        return 1
    if a.keep: print(f"working dir kept: {work}")
    else: shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
