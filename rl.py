"""The seed's command form: `python rl.py --config rl-config.yaml --pretrained_model runs/X [--reward_model R]`
(= `mlx-pretrain rl`)."""
import sys
from mlx_pretrain.cli import main

if __name__ == "__main__": sys.exit(main(["rl", *sys.argv[1:]]))
