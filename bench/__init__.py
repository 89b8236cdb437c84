"""Reproduction scripts and benchmarks over the zoo library, run from the repository root as modules.

Every script trains through the one training path, :func:`zoo.training.fit` (``zoo train``), and touches shipped
files (``checkpoints/``, ``zoo/pretrained/``, ``MODEL_CARDS.md``) only when given ``--export``:

- ``bench.gcn``, ``bench.molecules``, ``bench.gan``, ``bench.aae``: the commands behind each model card's numbers,
  e.g. ``python -m bench.gcn.reproduce cora --seeds 10``;
- ``bench.throughput``, ``bench.load_latency``: speed benchmarks (tables in ``bench/BENCHMARKS.md``);
- ``bench.device``: the one corner that knows about a lent GPU machine (pack the data here, run there, import
  the results here); see ``bench/device/README.md``.
"""
