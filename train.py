"The seed's command form: `python train.py --config model-config.yaml` (same as `mlx-pretrain train`)."
import sys
from mlx_pretrain.cli import main

if __name__ == "__main__": sys.exit(main(["train", *sys.argv[1:]]))
