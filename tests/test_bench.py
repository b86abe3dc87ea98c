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


def test_mlptheory_command_runs_its_subcommands(capsys):
    """`mlptheory bench ensemble` (and its alias `python -m mlptheory.bench`) reach the same
    benchmark; `mlptheory cost` parses its options."""
    import subprocess
    import sys

    from conftest import REPO

    from mlptheory.cli import main

    torch.set_num_threads(1)
    main(["bench", "ensemble", "--networks", "2", "--steps", "1", "--batch-size", "8"])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("ensemble: ")
    for args in (["-m", "mlptheory.cli", "cost", "--help"], ["-m", "mlptheory.bench", "--help"]):
        out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO,
                             env={"PYTHONPATH": str(REPO / "src")})
        assert out.returncode == 0, out.stderr
        assert "usage: mlptheory" in out.stdout


def test_cost_model_runs_on_a_tiny_config(tmp_path, capsys):
    import yaml

    from mlptheory.cli import main

    cfg = {"seleznova2021": {
        "dataset": "mnist",
        "ntk_variance": {"n_inits": 4, "activations": ["relu"], "widths": [8], "sb2": 1.0,
                         "sw2": [1.0, 2.0], "depths": [1, 2], "bias_width": 8,
                         "bias_sb2": [0.5, 1.0],
                         "vs_depth": {"settings": [[2.0, 1.0]], "widths": [8], "depths": [1]}},
        "ntk_change": {"activations": ["relu"], "width": 8, "widths": [8], "depths": [1],
                       "sw2": [1.0], "seeds": 1, "n_train": 4, "max_steps": 10,
                       "ntk_steps": [5]}}}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    main(["cost", "--config", str(path), "--steps", "2"])
    out = capsys.readouterr().out
    # Fig. 7's sb2 = 1 panel at the Fig. 1 width reuses the Fig. 1 cells: 4 + 4 + 1 (Fig. 2)
    assert "NTK variance: 9 cells" in out
    assert "NTK change: estimated" in out


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
