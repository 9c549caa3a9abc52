"""Thin entry point: `python train.py --config configs/X.yaml` is `regime train --config ...`."""

import sys

from regime.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
