"""Benchmark: ``zoo.load`` latency, cold (a fresh Python process: imports + resolve + build + read weights)
and warm (the same call again in a process that has loaded once).

    python bench/load_latency.py gcn-cora --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COLD = """
import time
start = time.perf_counter()
import zoo
zoo.load({model_id!r})
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_id", nargs="?", default="gcn-cora")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cold = [float(subprocess.run([sys.executable, "-c", COLD.format(model_id=args.model_id)], check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1])
            for _ in range(args.repeats)]
    import zoo

    zoo.load(args.model_id)
    warm = []
    for _ in range(args.repeats * 4):
        start = time.perf_counter()
        zoo.load(args.model_id)
        warm.append(time.perf_counter() - start)
    print(json.dumps({"model": args.model_id, "cold_s_median": statistics.median(cold),
                      "warm_ms_median": statistics.median(warm) * 1e3, "repeats": args.repeats}, indent=2))


if __name__ == "__main__":
    main()
