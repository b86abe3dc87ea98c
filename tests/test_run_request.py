"""Run requests: the dict round trip the rules rely on, and one message for unknown keys."""

import pytest

from mlptheory.datasets import DATASETS, dataset_info
from mlptheory.papers.seleznova2021 import plan as selez
from mlptheory.papers.sorensen2020 import plan as S2020
from mlptheory.run_request import DataRequest, RunRequest
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig

REQUEST = {
    "spec": NetworkSpec(784, (16,), 10, activation="tanh", sw2=1.5, sb2=0.1).to_dict(),
    "train": TrainConfig(optimizer="gd", lr=0.05, max_steps=20,
                         checkpoint_steps=(0, 10)).to_dict(),
    "seeds": [11, 12],
    "data": {"dataset": "mnist", "split": "train", "n": 128, "seed": 1, "unit_norm": True,
             "targets": "one_hot"},
    "init": [{"sw2": 1.0, "sb2": 0.1}, {"sw2": 2.0, "sb2": 0.1}],
    "measure": {"ntk": True},
}


def test_round_trip_is_the_same_plain_dict():
    request = RunRequest.from_dict(REQUEST)
    assert request.to_dict() == REQUEST
    assert RunRequest.from_dict(request.to_dict()) == request
    assert request.seeds == (11, 12) and request.data.n_classes == 10


def test_round_trip_of_every_paper_request():
    selez_cfg = {"activations": ["relu"], "width": 16, "widths": [8], "depths": [1],
                 "sw2": [1.0, 2.0], "sb2": 1.0, "seeds": 2, "n_train": 8, "lr": 1e-5,
                 "max_steps": 10, "tol": 1e-7, "patience": 5, "ntk_steps": [5],
                 "log_every": 5, "dataset": "mnist"}
    s2020_cfg = {"dataset": "mnist", "n_networks": 5, "networks_per_run": 3, "hidden": 8,
                 "epochs": 1, "batch_size": 32, "lr": 1e-3, "dtype": "float32"}
    requests = [*selez.training_requests(selez_cfg, 0).values(),
                *S2020.run_requests(s2020_cfg, seed=7).values()]
    for request in requests:
        assert isinstance(request, RunRequest)  # the plans hand over typed requests
        assert RunRequest.from_dict(request.to_dict()) == request


def test_data_defaults_fill_what_was_not_given():
    data = DataRequest.from_dict({"dataset": "cifar10", "classes": ["cat", "dog"]})
    assert data.to_dict() == {"dataset": "cifar10", "classes": ["cat", "dog"]}
    assert (data.value("split"), data.value("seed"), data.value("unit_norm"),
            data.value("targets"), data.n_classes) == ("train", 0, False, "one_hot", 2)


@pytest.mark.parametrize("broken, what, unknown", [
    ({**REQUEST, "sede": 1}, "run request", "sede"),
    ({**REQUEST, "data": {**REQUEST["data"], "nn": 3}}, "run request 'data'", "nn"),
    ({**REQUEST, "spec": {**REQUEST["spec"], "widht": 3}}, "NetworkSpec", "widht"),
    ({**REQUEST, "train": {**REQUEST["train"], "l_r": 3}}, "TrainConfig", "l_r"),
    ({**REQUEST, "measure": {"nngp": True}}, "measure", "nngp"),
    ({**REQUEST, "init": [{"sw": 1.0}, {"sw2": 1.0}]}, "member init", "sw"),
])
def test_unknown_keys_are_named_with_the_allowed_ones(broken, what, unknown):
    with pytest.raises(ValueError, match=rf"unknown {what} keys \['{unknown}'\]; allowed: "):
        RunRequest.from_dict(broken)


def test_invalid_values_say_what_is_expected():
    with pytest.raises(ValueError, match="expected one of"):
        DataRequest(dataset="mnist", targets="onehot")
    with pytest.raises(ValueError, match="known datasets|expected one of"):
        DataRequest(dataset="imagenet")
    with pytest.raises(ValueError, match="lacks"):
        RunRequest.from_dict({"spec": REQUEST["spec"]})


def test_dataset_table():
    mnist, cifar = dataset_info("mnist"), DATASETS["cifar10"]
    assert (mnist.input_dim, mnist.n_classes, mnist.train_size, mnist.test_size) == (
        784, 10, 60000, 10000)
    assert (cifar.input_dim, cifar.image_shape, cifar.split_size("train")) == (
        3072, (32, 32, 3), 50000)
    assert cifar.class_names[7] == "horse"
    with pytest.raises(ValueError, match="known datasets"):
        dataset_info("svhn")


def test_run_training_takes_the_parsed_request_only(tmp_path):
    import numpy as np

    from mlptheory.archives import write_dataset_h5
    from mlptheory.experiment import run_training
    from mlptheory.runs import read_run

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=40).astype(np.uint8)
    dataset = tmp_path / "mnist.h5"
    write_dataset_h5(dataset, "mnist", {"train": {"images": images, "labels": labels}},
                     DATASETS["mnist"].class_names, {})
    plain = {**REQUEST, "data": {**REQUEST["data"], "n": 12}}
    plain.pop("measure")
    with pytest.raises(TypeError, match="RunRequest.from_dict"):
        run_training(plain, dataset, tmp_path / "a.h5")  # parsed once, by the caller
    run_training(RunRequest.from_dict(plain), dataset, tmp_path / "a.h5")
    run_training(RunRequest.from_dict(plain), dataset, tmp_path / "b.h5")
    a, b = read_run(tmp_path / "a.h5"), read_run(tmp_path / "b.h5")
    assert a.attrs["config_hash"] == b.attrs["config_hash"]
    assert a.config["extra"] == {"data": plain["data"], "measure": {}}
    assert a.config["member_inits"] == plain["init"]
    assert np.array_equal(a.losses, b.losses) and a.losses.shape == (20, 2)
    assert list(a.checkpoint_steps) == [0, 10, 20]


def test_a_training_job_parses_its_request_once(tmp_path, monkeypatch):
    """The request crosses into scripts/train_run.py as the plain dict Snakemake's params hold;
    the script parses it once and everything after takes the typed request (the smoke
    configuration's smallest run of each paper that trains, executed as the rule runs it)."""
    import runpy
    from types import SimpleNamespace

    import numpy as np
    from conftest import OVERLAYS, REPO, merged_config

    from mlptheory.archives import write_dataset_h5
    from mlptheory.cost.model import run_work
    from mlptheory.papers import PAPER

    calls = []
    parse = RunRequest.from_dict.__func__
    monkeypatch.setattr(RunRequest, "from_dict",
                        classmethod(lambda cls, d: calls.append(1) or parse(cls, d)))
    rng = np.random.default_rng(0)
    splits = {s: {"images": rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
                  "labels": np.arange(n, dtype=np.uint8) % 10}
              for s, n in (("train", 600), ("test", 200))}
    dataset = tmp_path / "mnist.h5"
    write_dataset_h5(dataset, "mnist", splits, DATASETS["mnist"].class_names, {})
    config = merged_config(REPO, *OVERLAYS["smoke"])
    config = {**config, **{p: {**config[p], "dataset": "mnist"} for p in PAPER}}
    trained = 0
    for paper in PAPER.values():
        runs = paper.plan(config).runs
        if not runs:
            continue
        name, request = min(runs.items(), key=lambda kv: run_work(kv[1]).flops)
        calls.clear()
        smk = SimpleNamespace(
            params=SimpleNamespace(request=request.to_dict(), device="cpu",
                                   snapshot_seconds=300.0),
            input=SimpleNamespace(dataset=str(dataset)), output=[str(tmp_path / f"{name}.h5")],
            log=[], threads=1, rule="train_run", wildcards={"paper": paper.name, "run": name})
        runpy.run_path(str(REPO / "scripts" / "train_run.py"), init_globals={"snakemake": smk})
        assert len(calls) == 1, (paper.name, name, len(calls))
        trained += 1
    assert trained == 4
