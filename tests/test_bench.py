"""A tiny run of `mlptheory bench ensemble` (the full run is a benchmark, not a test)."""

import torch

from mlptheory.dev.bench import bench_ensemble


def test_bench_ensemble_tiny_run(capsys):
    torch.set_num_threads(1)
    ratio = bench_ensemble(n_networks=2, steps=2, chunk=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("data: random data of MNIST shape")
    assert lines[-1].startswith(f"ensemble: {ratio:.1f}x faster (2 nets 784-512-10")
    assert ratio > 0


def test_mlptheory_command_runs_its_subcommands(capsys):
    """`mlptheory bench ensemble` (and its alias `python -m mlptheory.dev.bench`) reach the same
    benchmark; `mlptheory cost` parses its options."""
    import subprocess
    import sys

    from conftest import REPO

    from mlptheory.cli import main

    torch.set_num_threads(1)
    main(["bench", "ensemble", "--networks", "2", "--steps", "1", "--batch-size", "8",
          "--roofline-steps", "0"])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("ensemble: ")
    for args in (["-m", "mlptheory.cli", "cost", "--help"],
                 ["-m", "mlptheory.dev.bench", "--help"]):
        out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO,
                             env={"PYTHONPATH": str(REPO / "src")})
        assert out.returncode == 0, out.stderr
        assert "usage: mlptheory" in out.stdout


def test_roofline_ratios_tiny_runs(capsys, monkeypatch):
    """`mlptheory bench ensemble` and `bench ntk` print their roofline ratios: the fraction of
    the batched-GEMM peak a training step achieves (with where the time goes), the NTK's time
    over its matmul floor and its peak memory over kernel plus parameters."""
    from mlptheory.dev.bench import bench_roofline
    from mlptheory.dev.ntk_bench import ntk_roofline

    fraction = bench_roofline("tiny", steps=7, chunk=3, settings=dict(
        widths=(16, 32, 4), members=3, batch=8, dtype="float32", optimizer="adam",
        loss="cross_entropy", activation="relu", peak_size=64))
    lines = capsys.readouterr().out.strip().splitlines()[-2:]
    assert lines[0].startswith("roofline tiny: 3 x 16-32-4 float32 adam batch 8")
    assert lines[0].endswith(f"fraction {fraction:.2f}") and fraction > 0
    assert "where the step's time goes" in lines[1] and "ceiling" in lines[1]
    time_ratio, mem_ratio = ntk_roofline(16, threads=1)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert f"ratio {time_ratio:.2f}" in line and f"ratio {mem_ratio:.2f}" in line
    assert time_ratio > 0


def test_bench_sweep_tiny_run_matches_separate_runs(capsys):
    """`mlptheory bench sweep`: the batched per-member sweep and the separate torch.optim runs
    end at the same weights (float32 rounding) and the ratio is printed last."""
    from mlptheory.cli import main

    torch.set_num_threads(1)
    main(["bench", "sweep", "--width", "16", "--depth", "3", "--values", "1e-16", "1.0",
          "--steps", "4", "--batch-size", "8"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("sweep: ") and "2 settings, width 16, depth 3" in lines[-1]
    diff = float(lines[-2].split("steps: ")[1].split()[0])
    assert diff < 1e-5
