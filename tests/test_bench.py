"""A tiny run of `python -m mlptheory.bench ensemble` (the full run is a benchmark, not a test)."""

import torch

from mlptheory.bench import bench_ensemble


def test_bench_ensemble_tiny_run(capsys):
    torch.set_num_threads(1)
    ratio = bench_ensemble(n_networks=2, steps=2, chunk=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("data: random data of MNIST shape")
    assert lines[-1].startswith(f"ensemble: {ratio:.1f}x faster (2 nets 784-512-10")
    assert ratio > 0
