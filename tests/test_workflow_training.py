"""The generic training rule: a Snakemake job killed mid-run resumes with --rerun-incomplete."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import SMOKE_CONFIG, copy_mnist, needs_mnist, run_snakemake

from mlptheory.experiment import run_training
from mlptheory.run_request import RunRequest
from mlptheory.runs import read_run
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig

REQUEST = {
    "spec": NetworkSpec(784, (128,), 10, activation="tanh", sw2=1.5, sb2=0.1).to_dict(),
    "train": TrainConfig(optimizer="gd", lr=0.05, loss="mse", max_steps=2000,
                         checkpoint_steps=(0, 10, 100, 1000), log_every=500).to_dict(),
    "seeds": [11, 12],
    "data": {"dataset": "mnist", "split": "train", "n": 128, "seed": 1, "unit_norm": True,
             "targets": "one_hot"},
}
TEST_SNAKEFILE = f"""
include: "Snakefile"


RESUME_RUN = register_run("seleznova2021", "resume_test", {REQUEST!r})


rule resume_test:
    input:
        RESUME_RUN,
"""


@needs_mnist
def test_killed_training_job_resumes_with_rerun_incomplete(workflow_dir):
    copy_mnist(workflow_dir)
    (workflow_dir / "Snakefile.test").write_text(TEST_SNAKEFILE)
    (workflow_dir / "fast_snapshots.yaml").write_text("training:\n  snapshot_seconds: 0.5\n")
    args = [sys.executable, "-m", "snakemake", "resume_test", "-s", "Snakefile.test",
            "--cores", "1", "--configfile", "fast_snapshots.yaml"]
    result = run_snakemake(workflow_dir, "-s", "Snakefile.test", "--cores", "1",
                           "results/data/mnist.h5")
    assert result.returncode == 0, result.stdout
    run_file = workflow_dir / "results" / "runs" / "seleznova2021" / "resume_test.h5"
    partial = run_file.with_name(run_file.name + ".partial")
    proc = subprocess.Popen(args, cwd=workflow_dir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not partial.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1.0)  # a second snapshot or two
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and the job's python, as a crash would
    proc.wait()
    assert partial.exists() and not run_file.exists(), "the job ended before it was killed"
    # a killed snakemake leaves its lock behind: the user unlocks, then reruns
    assert run_snakemake(workflow_dir, "-s", "Snakefile.test", "--unlock").returncode == 0

    result = run_snakemake(workflow_dir, "resume_test", "-s", "Snakefile.test", "--cores", "1",
                           "--rerun-incomplete", "--configfile", "fast_snapshots.yaml")
    assert result.returncode == 0, result.stdout
    log = (workflow_dir / "results" / "logs" / "runs" / "seleznova2021" /
           "resume_test.log").read_text()
    resumed = [line for line in log.splitlines() if "resuming from step" in line]
    assert resumed, log
    step = int(resumed[0].split("resuming from step ")[1].split()[0])
    assert 0 < step < 2000
    assert not partial.exists()

    torch.set_num_threads(1)
    reference = workflow_dir / "reference.h5"
    run_training(RunRequest.from_dict(REQUEST), workflow_dir / "results" / "data" / "mnist.h5",
                 reference, threads=1, device="cpu")
    got, want = read_run(run_file), read_run(reference)
    np.testing.assert_array_equal(got.losses, want.losses)
    for s in want.checkpoint_steps:
        for (w1, b1), (w2, b2) in zip(got.params(s), want.params(s), strict=True):
            assert np.array_equal(np.asarray(w1), np.asarray(w2))
            assert np.array_equal(np.asarray(b1), np.asarray(b2))


LEE_LONG = """training:
  snapshot_seconds: 0.5
lee2019:
  dynamics:
    depth: 2
    width: 128
    n_train: 64
    max_steps: 3000
"""


@needs_mnist
def test_killed_lee2019_training_job_resumes_and_its_table_is_byte_identical(workflow_dir):
    """lee2019's Fig. 3 network trains through train_run: SIGKILL mid-run, --rerun-incomplete
    resumes from the snapshot, and the table equals (byte for byte) the table of an
    uninterrupted run of the same network."""
    copy_mnist(workflow_dir)
    (workflow_dir / "long.yaml").write_text(LEE_LONG)
    config = [*SMOKE_CONFIG, "long.yaml"]
    table = workflow_dir / "results" / "lee2019" / "tables" / "dynamics.csv"
    target = "results/lee2019/tables/dynamics.csv"
    result = run_snakemake(workflow_dir, "--cores", "1", "results/data/mnist.h5", *config)
    assert result.returncode == 0, result.stdout
    run_file = workflow_dir / "results" / "runs" / "lee2019" / "dynamics.h5"
    partial = run_file.with_name(run_file.name + ".partial")
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1", target, *config],
                            cwd=workflow_dir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not partial.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert partial.exists() and not run_file.exists(), "the job ended before it was killed"
    assert run_snakemake(workflow_dir, "--unlock", *config).returncode == 0
    result = run_snakemake(workflow_dir, "--cores", "1", "--rerun-incomplete", target, *config)
    assert result.returncode == 0, result.stdout
    log = (workflow_dir / "results" / "logs" / "runs" / "lee2019" / "dynamics.log").read_text()
    resumed = [line for line in log.splitlines() if "resuming from step" in line]
    assert resumed, log
    assert 0 < int(resumed[0].split("resuming from step ")[1].split()[0]) < 3000
    resumed_table = table.read_bytes()

    # (the target first: --forcerun takes every word up to the next option)
    result = run_snakemake(workflow_dir, "--cores", "1", target, "--forcerun",
                           "results/runs/lee2019/dynamics.h5", *config)
    assert result.returncode == 0, result.stdout
    log = (workflow_dir / "results" / "logs" / "runs" / "lee2019" / "dynamics.log").read_text()
    assert "resuming" not in log  # this time from step 0 to the end
    assert table.read_bytes() == resumed_table


def test_unregistered_run_is_a_clear_error(workflow_dir):
    result = run_snakemake(workflow_dir, "-n", "--cores", "1",
                           "results/runs/seleznova2021/nothing.h5")
    assert result.returncode != 0
    assert "no training run seleznova2021/nothing is registered" in result.stdout


@pytest.mark.parametrize("bad", ["threads: 0", "snapshot_secs: 1"])
def test_training_config_validated(workflow_dir, bad):
    (workflow_dir / "bad.yaml").write_text(f"training:\n  {bad}\n")
    result = run_snakemake(workflow_dir, "-n", "--cores", "1", "--configfile", "bad.yaml")
    assert result.returncode != 0 and "invalid configuration: training." in result.stdout
    assert "(in bad.yaml)" in result.stdout
