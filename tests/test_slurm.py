"""The workflow on a real single-node Slurm cluster (tests/slurm/slurm_local.sh), through
``--profile profiles/slurm``: every non-local job goes through sbatch (checked in sacct), the
outputs equal those of a local run, and GPU rules ask Slurm for a GPU while CPU rules do not.

The cluster's daemons are started once for this module and always stopped afterwards."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import REPO, copy_mnist, needs_mnist, run_snakemake

HARNESS = REPO / "tests" / "slurm" / "slurm_local.sh"
PARTITION = "mlptheory"  # not the cluster's default partition: sacct shows the profile's choice
ACCOUNT = "mlptheory"
SACCT_FIELDS = ["JobID", "JobName", "Partition", "Account", "State", "ExitCode", "AllocTRES",
                "Comment"]


def cannot_run_slurm() -> str | None:
    """Why this machine cannot host the test cluster, or None."""
    if os.geteuid() != 0:
        return "starting slurmctld/slurmd/munged and installing them with apt needs root"
    for tool in ("apt-get", "dpkg", "runuser"):
        if shutil.which(tool) is None:
            return f"no {tool}: the Slurm harness needs a Debian-like system to install Slurm"
    return None


pytestmark = pytest.mark.skipif(cannot_run_slurm() is not None,
                                reason=cannot_run_slurm() or "")


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """Start munged, MariaDB, slurmdbd, slurmctld and slurmd; stop exactly those afterwards."""
    state = tmp_path_factory.mktemp("slurm-state")
    env = {**os.environ, "SLURM_LOCAL_STATE": str(state), "ACCT": "slurmdbd", "FAKE_GPU": "1",
           "SLURM_LOCAL_CPUS": "4"}
    try:
        started = subprocess.run(["bash", str(HARNESS), "start"], env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=400)
        if started.returncode != 0:
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}"
                             for p in sorted(state.glob("*.log")))
            pytest.fail(f"the Slurm harness failed:\n{started.stdout}\n{logs}")
        yield state
    finally:
        subprocess.run(["bash", str(HARNESS), "stop"], env=env, timeout=120, check=False)
        assert not list(state.glob("*.pid")), "a daemon of the harness was left running"
        # no Slurm client is left waiting for the stopped controller (snakemake runs one each
        # time it starts: the Slurm executor plugin asks `scontrol show config`)
        began = time.monotonic()
        subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=60,
                       check=False)
        assert time.monotonic() - began < 3, "scontrol waits for the stopped cluster"


def edit_profile(wd: Path) -> None:
    """What a user does: replace the partition and account placeholders of profiles/slurm."""
    path = wd / "profiles" / "slurm" / "config.yaml"
    text = path.read_text()
    assert "EDIT-ME-partition" in text and "EDIT-ME-account" in text
    path.write_text(text.replace("EDIT-ME-partition", PARTITION)
                    .replace("EDIT-ME-account", ACCOUNT))


def run_on_slurm(wd: Path, *args: str) -> subprocess.CompletedProcess:
    return run_snakemake(wd, "--profile", "profiles/slurm",
                         "--slurm-init-seconds-before-status-checks", "1", *args, timeout=400)


def executed_jobs(log: str) -> dict[int, tuple[str, bool]]:
    """{snakemake jobid: (rule, ran on the host)} from a run's log."""
    jobs = {}
    for kind, rule, jobid in re.findall(r"^(localrule|rule) (\w+):\n(?:    .*\n)*?    jobid: (\d+)",
                                        log, flags=re.M):
        jobs[int(jobid)] = (rule, kind == "localrule")
    return jobs


def declared_rules() -> list[tuple[str, str]]:
    """``(name pattern, body)`` of every rule in the rule files, read independently of
    Snakemake. A rule made in a loop (``rule:`` with ``name: f"prefix_{var}"``) gives the
    pattern ``prefix_.+``."""
    rules = []
    for path in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]:
        parts = re.split(r"^ *rule ?(\w*):\n", path.read_text(), flags=re.M)[1:]
        for name, body in zip(parts[::2], parts[1::2], strict=True):
            if not name:
                named = re.search(r"^\s+name:\s*\n\s+f?\"([^\"]+)\"", body, flags=re.M)
                assert named, f"an anonymous rule in {path} has no name:"
                name = named.group(1)
            pattern = ".+".join(re.escape(p) for p in re.split(r"\{[^}]*\}", name))
            rules.append((pattern, body))
    return rules


def rule_body(rule: str) -> str:
    """The declaration of a rule Snakemake ran: its own block, else the loop that made it."""
    rules = declared_rules()
    for pattern, body in rules:
        if pattern == re.escape(rule):
            return body
    # the most specific loop pattern first (<paper>_paper_table before <paper>_table)
    for pattern, body in sorted(rules, key=lambda r: -len(r[0].replace(".+", ""))):
        if re.fullmatch(pattern, rule):
            return body
    raise AssertionError(f"rule {rule} is declared nowhere in Snakefile or rules/")


def is_local(rule: str) -> bool:
    """Snakemake must run it on the host: `localrule: True`, or no action at all (aggregate
    rules such as `all`)."""
    body = rule_body(rule)
    return bool(re.search(r"^\s+localrule: True", body, flags=re.M)
                or not re.search(r"^\s+(script|shell|run|notebook|wrapper|cwl):", body,
                                 flags=re.M))


def asks_for_gpu(rule: str) -> bool:
    """It declares `gpu=gpu_count()` (1 unless `device: cpu`)."""
    return bool(re.search(r"^\s+gpu=gpu_count\(\),", rule_body(rule), flags=re.M))


def sacct(job_ids: list[str], expected_states=("COMPLETED",), wait_s: float = 30) -> list[dict]:
    """Accounting records of the given jobs (slurmdbd stores them asynchronously: wait)."""
    deadline = time.monotonic() + wait_s
    while True:
        out = subprocess.run(
            ["sacct", "-X", "--parsable2", "--noheader", "-j", ",".join(job_ids),
             "-o", ",".join(SACCT_FIELDS)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True).stdout
        rows = [dict(zip(SACCT_FIELDS, line.split("|"), strict=True))
                for line in out.splitlines() if line]
        done = len(rows) == len(job_ids) and all(r["State"] in expected_states for r in rows)
        if done or time.monotonic() > deadline:
            print("sacct evidence:\n" + "|".join(SACCT_FIELDS) + "\n" + out)
            return rows
        time.sleep(1)


def assert_same_h5(a: Path, b: Path) -> None:
    with h5py.File(a) as ha, h5py.File(b) as hb:
        names_a, names_b = [], []
        ha.visit(names_a.append)
        hb.visit(names_b.append)
        assert sorted(names_a) == sorted(names_b)
        for name in names_a:
            if isinstance(ha[name], h5py.Dataset):
                assert ha[name].dtype == hb[name].dtype, name
                np.testing.assert_array_equal(ha[name][...], hb[name][...], err_msg=name)
        assert sorted(ha.attrs) == sorted(hb.attrs)
        for key in ha.attrs:  # run files hold array attributes (seeds)
            np.testing.assert_array_equal(ha.attrs[key], hb.attrs[key], err_msg=key)


@needs_mnist
def test_smoke_dag_through_slurm_matches_local_run(slurm_cluster, workflow_dir, smoke_workflow):
    copy_mnist(workflow_dir)
    edit_profile(workflow_dir)
    config = ["--configfile", "configs/quick.yaml", "smoke.yaml"]
    plan = run_snakemake(workflow_dir, "-n", "--cores", "1", *config)
    assert plan.returncode == 0, plan.stdout

    # a cpu_max_hours that refuses any local run without a GPU: never a cluster run
    result = run_on_slurm(workflow_dir, *config, "--config", "cpu_max_hours=1e-9")
    assert result.returncode == 0, result.stdout
    assert "Not started" not in result.stdout
    log = result.stdout

    jobs = executed_jobs(log)
    submitted = {int(j): s for j, s in
                 re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log)}
    planned = re.search(r"^total\s+(\d+)$", plan.stdout, flags=re.M)
    assert planned and len(jobs) == int(planned.group(1)), (jobs, plan.stdout)
    assert is_local("fetch_archives") and is_local("all")
    assert is_local("seleznova2021_figure")
    assert not is_local("seleznova2021_table") and not is_local("train_run")
    for jobid, (rule, on_host) in jobs.items():
        assert on_host == is_local(rule), (rule, on_host)
        assert (jobid in submitted) == (not on_host), (rule, submitted)
    assert submitted, "the smoke DAG must contain cluster jobs"

    rows = sacct(sorted(submitted.values()))
    assert sorted(r["JobID"] for r in rows) == sorted(submitted.values())
    run_names = {r["JobName"] for r in rows}
    assert len(run_names) == 1  # the plugin names every job of one run by the run's UUID
    by_id = {r["JobID"]: r for r in rows}
    assert asks_for_gpu("train_run") and not asks_for_gpu("prepare_dataset")
    for jobid, slurm_id in submitted.items():
        row = by_id[slurm_id]
        assert row["State"] == "COMPLETED" and row["ExitCode"] == "0:0", row
        assert (row["Partition"], row["Account"]) == (PARTITION, ACCOUNT), row
        assert row["Comment"].startswith(f"rule_{jobs[jobid][0]}"), row
        # training rules ask for a GPU (device: auto), data and measurement rules do not
        assert ("gres/gpu" in row["AllocTRES"]) == asks_for_gpu(jobs[jobid][0]), row

    # the HDF5 outputs (prepared data, trained networks) equal those of the session's local run
    # of the same smoke DAG
    produced = sorted(p.relative_to(workflow_dir / "results")
                      for p in (workflow_dir / "results").rglob("*.h5"))
    assert any(str(p).startswith("runs/") for p in produced), produced
    assert produced == sorted(p.relative_to(smoke_workflow / "results")
                              for p in (smoke_workflow / "results").rglob("*.h5"))
    for rel in produced:
        assert_same_h5(workflow_dir / "results" / rel, smoke_workflow / "results" / rel)
    # every table's and figure's CSV (and the claims) equals the session's local run of the
    # same smoke DAG; results/cost.csv holds this run's measured job times, which differ
    csvs = sorted(p.relative_to(smoke_workflow)
                  for p in (smoke_workflow / "results").rglob("*.csv")
                  if p.name != "cost.csv")
    assert len(csvs) > 40, csvs
    for rel in csvs:
        assert (workflow_dir / rel).read_bytes() == (smoke_workflow / rel).read_bytes(), rel


PROBES = """
include: "Snakefile"


rule gpu_probe:
    output:
        "results/probe/gpu.txt",
    threads: 2
    resources:
        gpu=gpu_count(),
        mem_mb=100,
        runtime=5,
    shell:
        "echo ${{CUDA_VISIBLE_DEVICES-unset}} > {output}"


rule cpu_probe:
    output:
        "results/probe/cpu.txt",
    threads: 1
    resources:
        mem_mb=100,
        runtime=5,
    shell:
        "echo ${{CUDA_VISIBLE_DEVICES-unset}} > {output}"
"""


@pytest.mark.parametrize("device", ["auto", "cpu"])
def test_gpu_rules_get_a_gpu_cpu_rules_do_not(slurm_cluster, workflow_dir, device):
    (workflow_dir / "probes.smk").write_text(PROBES)
    edit_profile(workflow_dir)
    result = run_on_slurm(workflow_dir, "results/probe/gpu.txt", "results/probe/cpu.txt",
                          "-s", "probes.smk", "--config", f"device={device}")
    assert result.returncode == 0, result.stdout
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", result.stdout)
    rows = {r["Comment"]: r for r in sacct(sorted(submitted))}
    assert set(rows) == {"rule_gpu_probe", "rule_cpu_probe"}, result.stdout
    gpu, cpu = rows["rule_gpu_probe"], rows["rule_cpu_probe"]
    if device == "cpu":
        assert "gres/gpu" not in gpu["AllocTRES"], gpu
    else:
        assert "gres/gpu=1" in gpu["AllocTRES"] and "cpu=2" in gpu["AllocTRES"], gpu
        assert (workflow_dir / "results/probe/gpu.txt").read_text().strip() != "unset"
    assert "gres/gpu" not in cpu["AllocTRES"], cpu
    assert (workflow_dir / "results/probe/cpu.txt").read_text().strip() == "unset"


@needs_mnist
def test_unedited_profile_stops_with_the_account_named(slurm_cluster, workflow_dir):
    copy_mnist(workflow_dir)
    result = run_on_slurm(workflow_dir, "--configfile", "configs/quick.yaml", "smoke.yaml")
    assert result.returncode != 0
    assert "EDIT-ME-account" in result.stdout, result.stdout
