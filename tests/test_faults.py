"""The CI subset of the fault-injection campaign (mlptheory.dev.faults; the full campaign is
`mlptheory faults`): on a copy of the shared smoke workflow's sorensen2020 results."""

import random
import shutil

import pytest
from conftest import MNIST_DIR, REPO, SMOKE_CONFIG, copy_workflow, run_snakemake

from mlptheory.cli import main
from mlptheory.dev import faults
from mlptheory.errors import MissingData


@pytest.fixture
def campaign(smoke_workflow, tmp_path):
    c = faults.Campaign(REPO, MNIST_DIR, tmp_path, random.Random(1))
    c.setup(reuse=smoke_workflow)
    return c


def check(tally: faults.Tally, trials: int) -> None:
    assert tally.trials == trials and tally.data_lost == 0, tally.notes
    assert tally.survived == trials, tally.notes


def test_damaged_run_and_dataset_files_are_detected_or_harmless(campaign):
    for kind in ("run_file", "dataset"):
        for how in ("truncate", "flip"):
            check(faults.damaged_files(campaign, kind, how, trials=3), 3)


def test_truncated_run_file_in_a_table_job_names_file_and_rebuild_command(campaign):
    tally = faults.truncated_run_file_job(campaign)
    check(tally, 1)
    assert f"{faults.RUN_FILE} is damaged" in tally.example
    assert f"snakemake --cores all {faults.RUN_FILE}" in tally.example
    assert campaign.csvs_equal()  # rebuilt after the file was put back: same bytes


def test_sigkill_of_snakemake_during_table_and_figure_jobs(campaign):
    check(faults.sigkill_snakemake(campaign, trials=1, duration=25.0), 1)


def test_sigkill_training_resumes_bitwise(campaign):
    check(faults.sigkill_training(campaign, trials=1), 1)


def test_every_config_key_refuses_nan_and_wrong_types_naming_the_key(campaign):
    tally = faults.bad_config(campaign)
    check(tally, tally.trials)
    assert tally.trials > 200


def test_bad_config_detects_an_accepted_nan(campaign, monkeypatch):
    """The campaign itself can fail: without the NaN check a NaN is accepted (data lost)."""
    monkeypatch.setattr("mlptheory.checks.reject_nan", lambda config: None)
    tally = faults.bad_config(campaign)
    assert tally.data_lost > 0 and any("nan accepted" in n for n in tally.notes)


def test_cli_refuses_a_folder_without_mnist(tmp_path, capsys):
    with pytest.raises(MissingData, match="no MNIST archives"):
        main(["faults", "--workflow", str(REPO), "--mnist-dir", str(tmp_path)])


def test_rerun_of_a_paper_gives_byte_identical_csvs(smoke_workflow, tmp_path):
    """Determinism on the smoke configuration: tsuchida2019 rebuilt from its dataset (training
    runs, tables, figures) in a copy of the smoke workflow gives the same CSV bytes."""
    wd = copy_workflow(tmp_path / "wf")
    for part in ("data", "results/data", ".snakemake/metadata"):
        shutil.copytree(smoke_workflow / part, wd / part)
    result = run_snakemake(wd, "tsuchida2019", "--cores", "2", *SMOKE_CONFIG)
    assert result.returncode == 0, result.stdout[-3000:]
    csvs = sorted(p.relative_to(smoke_workflow)
                  for p in (smoke_workflow / "results" / "tsuchida2019").rglob("*.csv"))
    assert len(csvs) >= 10
    for rel in csvs:
        assert (wd / rel).read_bytes() == (smoke_workflow / rel).read_bytes(), rel
