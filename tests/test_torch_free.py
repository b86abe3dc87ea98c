"""The planning modules (what Snakemake imports to turn the config into runs) load no torch."""

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("torch", "scipy", "pandas", "matplotlib", "h5py")
PLANNING_MODULES = [
    "mlptheory.train_config",
    "mlptheory.spec",
    "mlptheory.seeding",
    "mlptheory.checks",
    "mlptheory.datasets",
    "mlptheory.run_request",
    "mlptheory.params",
    "mlptheory.papers.tsuchida2019.plan",
]


@pytest.mark.parametrize("module", PLANNING_MODULES)
def test_planning_module_imports_no_heavy_library(module):
    code = (f"import sys; import {module}; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC), "PATH": ""}, check=True)
    assert out.stdout.strip() == "", f"{module} loaded {out.stdout.strip()}"


def test_training_still_exports_the_config():
    from mlptheory import train_config, training

    assert training.TrainConfig is train_config.TrainConfig
    assert training.checkpoint_schedule is train_config.checkpoint_schedule
    assert training.STATUS == train_config.STATUS
