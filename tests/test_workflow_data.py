"""The workflow on a clean copy: config validation, the data rules, their error paths."""

import json
import time

import h5py
import numpy as np
import pytest
import yaml
from conftest import copy_mnist, make_cifar_archive, needs_mnist, run_snakemake
from test_archives import MNIST_TEST_COUNTS, MNIST_TRAIN_COUNTS

from mlptheory.download import md5sum


def test_dry_run_of_everything(workflow_dir):
    result = run_snakemake(workflow_dir, "-n", "--cores", "1")
    assert result.returncode == 0, result.stdout
    assert "prepare_dataset" in result.stdout


def test_smoke_config_dry_run(workflow_dir):
    result = run_snakemake(workflow_dir, "-n", "--cores", "1", "--configfile",
                           "configs/quick.yaml", "smoke.yaml")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("args", "overlay", "name"),
    [
        (["--config", "some_typo=1"], None, "some_typo"),
        ([], {"seleznova2021": {"datset": "mnist"}}, "datset"),
        ([], {"data": {"mnist": {"md5": {"train-images-idx3-ubyte.gz": "xyz"}}}}, "xyz"),
        ([], {"device": "gpu"}, "gpu"),
    ],
)
def test_config_errors_name_the_key(workflow_dir, args, overlay, name):
    if overlay is not None:
        (workflow_dir / "bad.yaml").write_text(yaml.safe_dump(overlay))
        args = ["--configfile", "bad.yaml"]
    result = run_snakemake(workflow_dir, "-n", "--cores", "1", *args)
    assert result.returncode != 0
    assert "invalid configuration:" in result.stdout
    assert name in result.stdout
    assert ("(in --config)" if args[0] == "--config" else "(in bad.yaml)") in result.stdout


SNAKEMAKE_INFO = ("Using workflow specific profile", "Config file config.yaml is extended")


@pytest.mark.parametrize(("overlay", "want"), [
    ("seleznova2021: {ntk_variance: {widht: [10]}}",
     "invalid configuration: seleznova2021.ntk_variance.widht (in configs/mine.yaml): unknown "
     "key; did you mean 'widths'?"),
    ("seleznova2021: {ntk_variance: {widths: [-10]}}",
     "invalid configuration: seleznova2021.ntk_variance.widths[0] (in configs/mine.yaml): -10 "
     "is less than the minimum of 1"),
])
def test_a_config_mistake_is_one_line_with_the_file_and_the_dotted_key(workflow_dir, overlay,
                                                                       want):
    (workflow_dir / "configs" / "mine.yaml").write_text(overlay + "\n")
    result = run_snakemake(workflow_dir, "-n", "--cores", "1", "--configfile",
                           "configs/quick.yaml", "configs/mine.yaml")
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if not line.startswith(SNAKEMAKE_INFO)]
    assert lines == [want], result.stdout


@needs_mnist
def test_mnist_h5_from_original_archives(workflow_dir):
    copy_mnist(workflow_dir)
    start = time.monotonic()
    result = run_snakemake(workflow_dir, "--cores", "2", "results/data/mnist.h5")
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stdout
    assert elapsed < 60
    with h5py.File(workflow_dir / "results" / "data" / "mnist.h5") as h5:
        assert h5["train/images"].shape == (60000, 28, 28)
        assert h5["test/images"].shape == (10000, 28, 28)
        assert h5["train/images"].dtype == np.uint8
        assert np.bincount(h5["train/labels"][...]).tolist() == MNIST_TRAIN_COUNTS
        assert np.bincount(h5["test/labels"][...]).tolist() == MNIST_TEST_COUNTS
        assert json.loads(h5.attrs["source_md5"])["train-images-idx3-ubyte.gz"] == (
            "f68b3c2dcbeaaa9fbdd348bbdeb94873")
    assert (workflow_dir / "results" / "logs" / "data" / "prepare_mnist.log").read_text()
    # forcing a rerun must not touch the raw archives (they are no Snakemake outputs)
    result = run_snakemake(workflow_dir, "--cores", "2", "-F", "results/data/mnist.h5")
    assert result.returncode == 0, result.stdout
    assert len(list((workflow_dir / "data" / "raw" / "mnist").glob("*.gz"))) == 4


@needs_mnist
def test_flipped_byte_fails_naming_file_and_md5s(workflow_dir):
    raw = copy_mnist(workflow_dir)
    target = raw / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    actual = md5sum(target)
    result = run_snakemake(workflow_dir, "--cores", "2", "results/data/mnist.h5")
    assert result.returncode != 0
    err = result.stdout
    assert "t10k-labels-idx1-ubyte.gz" in err
    assert "ec29112dd5afa0611ce80d1b7f02629c" in err and actual in err
    kept = raw / f"t10k-labels-idx1-ubyte.gz.bad-md5-{actual}"
    assert kept.read_bytes() == bytes(data)
    assert not (workflow_dir / "results" / "data" / "mnist.h5").exists()


def test_unreachable_mirrors_fail_fast(workflow_dir):
    overlay = {"data": {"mnist": {"mirrors": ["http://127.0.0.1:9/mnist/",
                                              "https://mirror.invalid/mnist/"]}}}
    (workflow_dir / "offline.yaml").write_text(yaml.safe_dump(overlay))
    start = time.monotonic()
    result = run_snakemake(workflow_dir, "results/data/mnist.h5", "--cores", "2",
                           "--configfile", "offline.yaml")
    assert time.monotonic() - start < 60
    assert result.returncode != 0
    for name, md5 in [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                      ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]:
        assert f"{name}  md5 {md5}" in result.stdout
    assert str((workflow_dir / "data" / "raw" / "mnist").resolve()) in result.stdout


def test_cifar10_h5_from_synthetic_archive(workflow_dir):
    archive = workflow_dir / "data" / "raw" / "cifar10" / "cifar-10-python.tar.gz"
    expected = make_cifar_archive(archive, per_batch=6)
    overlay = {"data": {"cifar10": {"md5": {archive.name: md5sum(archive)}}}}
    (workflow_dir / "synthetic.yaml").write_text(yaml.safe_dump(overlay))
    result = run_snakemake(workflow_dir, "results/data/cifar10.h5", "--cores", "2",
                           "--configfile", "synthetic.yaml")
    assert result.returncode == 0, result.stdout
    with h5py.File(workflow_dir / "results" / "data" / "cifar10.h5") as h5:
        images = h5["train/images"][...]
        assert images.shape == (30, 32, 32, 3)
        np.testing.assert_array_equal(images, expected["train"]["images"])
        np.testing.assert_array_equal(h5["test/labels"][...], expected["test"]["labels"])
        # pixel (row 5, col 9) of training image 13, blue channel, at its HWC position
        assert images[13, 5, 9, 2] == (13 * 7 + 5 * 3 + 9 * 5 + 2 * 101) % 256


def test_a_misspelt_target_names_the_nearest_registered_ones(workflow_dir):
    result = run_snakemake(workflow_dir, "-n", "--cores", "1", "--configfile",
                           "configs/quick.yaml", "--",
                           "results/seleznova2021/fig1_ntk_variance_rlu.pdf")
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if not line.startswith(SNAKEMAKE_INFO)]
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("unknown target results/seleznova2021/fig1_ntk_variance_rlu.pdf:"
                               " no rule builds it; did you mean "
                               "results/seleznova2021/fig1_ntk_variance_relu.pdf or ")


def test_a_long_local_cpu_run_stops_before_its_first_job(workflow_dir):
    """cpu_max_hours below the smoke DAG's estimate: the local run stops in onstart with one
    line, before any job; a dry run is never stopped."""
    args = ("--cores", "2", "--configfile", "configs/quick.yaml", "smoke.yaml",
            "--config", "device=cpu", "cpu_max_hours=1e-9")
    result = run_snakemake(workflow_dir, *args)
    assert result.returncode != 0
    refusal = [line for line in result.stdout.splitlines() if line.startswith("Not started")]
    assert len(refusal) == 1 and "cpu_consent=True" in refusal[0], result.stdout
    assert "Finished job" not in result.stdout and not (workflow_dir / "results").exists()
    assert run_snakemake(workflow_dir, "-n", *args).returncode == 0


def test_each_scale_writes_under_its_own_folder(workflow_dir):
    """A scale's targets and Snakemake metadata live under its workdir: building one there and
    then planning the paper scale touches nothing of it (and it stays up to date)."""
    target = "results/seleznova2021/fig5_kappa2_vs_depth.pdf"  # needs no data and no training
    scale = ("--configfile", "configs/quick.yaml", "smoke.yaml", "--config", "workdir=scales/s")
    built = run_snakemake(workflow_dir, target, "--cores", "1", *scale)
    assert built.returncode == 0, built.stdout
    assert (workflow_dir / "scales" / "s" / target).is_file()
    assert (workflow_dir / "scales" / "s" / ".snakemake").is_dir()
    assert not (workflow_dir / "results").exists()
    paper = run_snakemake(workflow_dir, target, "-n", "--cores", "1")
    assert paper.returncode == 0 and "fig5_kappa2_vs_depth" in paper.stdout, paper.stdout
    assert "scales/" not in paper.stdout
    again = run_snakemake(workflow_dir, target, "-n", "--cores", "1", *scale)
    assert "Nothing to be done" in again.stdout, again.stdout


def test_config_sources_name_each_file_in_merge_order(tmp_path):
    from mlptheory.checks import config_sources, merge_configs

    (tmp_path / "config.yaml").write_text("seed: 0\nsub: {a: 1, b: 2}\n")
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "over.yaml").write_text("sub: {b: 3}\n")
    sources = config_sources(tmp_path, [tmp_path / "configs" / "over.yaml"], {"seed": 5},
                             tmp_path)
    assert sources == [("config.yaml", {"seed": 0, "sub": {"a": 1, "b": 2}}),
                       ("configs/over.yaml", {"sub": {"b": 3}}), ("--config", {"seed": 5})]
    assert merge_configs([tmp_path / "configs" / "over.yaml"], tmp_path) == {
        "seed": 0, "sub": {"a": 1, "b": 3}}


def test_unknown_target_and_resume_lines():
    from mlptheory.checks import resume_command, unknown_target_message

    known = ["results/lee2019/fig2_predictive_distribution.pdf", "results/sorensen2020/barrier.pdf"]
    assert unknown_target_message("results/lee2019/fig2_predictive_distributon.pdf", known) == (
        "unknown target results/lee2019/fig2_predictive_distributon.pdf: no rule builds it; did "
        "you mean results/lee2019/fig2_predictive_distribution.pdf? (every target is listed in "
        "the README, section What it reproduces)")
    assert "did you mean" not in unknown_target_message("zzz", known)
    assert resume_command(["--cores", "2", "--configfile", "my file.yaml",
                           "--rerun-incomplete"]) == (
        "snakemake --cores 2 --configfile 'my file.yaml' --rerun-incomplete")
