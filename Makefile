# The two commands of the README, and the steps they share. Plain shell underneath: see tools/.
PYTHON ?= python3

.PHONY: demo test install install-dev readme

demo: install        ## pretrain the demo model on the bundled plays, then print a sample from it
	$(PYTHON) train.py --config configs/llama-2m.yaml
	$(PYTHON) -m mlx_pretrain.cli generate --run llama-2m --prompt "ROMEO:" --max-tokens 200 --seed 0

test: install-dev    ## run every notebook's tests (nbdev_test), ending with "N passed, N failed"
	bash tools/test.sh --flags slow

install:
	bash tools/install.sh

install-dev:
	bash tools/install.sh dev

readme:              ## README.md is rendered from nbs/index.ipynb
	$(PYTHON) tools/readme.py
