"""Concord benchmarks: `python -m bench` runs every workload (`--tiny` for CI, `--only 2,3`).

Each workload prints our figure, a baseline measured in the same run and their ratio; see
bench/RESULTS.md for the machine, the commands and the numbers.
"""

import sys
from pathlib import Path

_SRC = str(Path(__file__).resolve().parent.parent / "src")
if _SRC not in sys.path:  # the app's packages, when the project is not installed
    sys.path.insert(0, _SRC)
