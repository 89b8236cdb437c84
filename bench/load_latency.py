"""Benchmark: ``zoo.load`` latency, cold and warm, against ``import torch`` in the same conditions.

    python bench/load_latency.py wgan-gp-celeba --repeats 7

- cold: a fresh ``python -c "import zoo; zoo.load(ID)"`` process, wall clock of the whole process;
- torch: a fresh ``python -c "import torch"`` process, the floor any torch library starts from;
- ratio: cold / torch (issue target: at most 1.3 for a GAN or an AAE, which import neither torch_geometric nor
  Lightning); the two kinds of process alternate so a busy machine slows both alike; medians are reported;
- warm: ``zoo.load(ID)`` again inside a process that has loaded it once (resolve, sha256, build, read).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def process_seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_id", nargs="?", default="wgan-gp-celeba")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    load = f"import zoo; zoo.load({args.model_id!r})"
    process_seconds(load)  # warm the OS file cache for both
    cold, torch_only = [], []
    for _ in range(args.repeats):
        torch_only.append(process_seconds("import torch"))
        cold.append(process_seconds(load))
    import zoo

    zoo.load(args.model_id)
    warm = []
    for _ in range(args.repeats * 4):
        start = time.perf_counter()
        zoo.load(args.model_id)
        warm.append(time.perf_counter() - start)
    print(json.dumps({"model": args.model_id, "cold_s_median": round(statistics.median(cold), 3),
                      "import_torch_s_median": round(statistics.median(torch_only), 3),
                      "ratio": round(statistics.median(cold) / statistics.median(torch_only), 3),
                      "warm_ms_median": round(statistics.median(warm) * 1e3, 2), "repeats": args.repeats}))


if __name__ == "__main__":
    main()
