"The seed's command form: `python sft.py --config sft-config.yaml --pretrained_model \"runs/Llama (2M)\"` (= `mlx-pretrain sft`)."
import sys
from mlx_pretrain.cli import main

if __name__ == "__main__": sys.exit(main(["sft", *sys.argv[1:]]))
