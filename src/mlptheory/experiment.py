"""One training run as a JSON-able request: what the generic ``train_run`` rule executes.

A paper's rules describe each run by a plain dict (so Snakemake can hash it as a parameter)::

    {
      "spec":  NetworkSpec.to_dict(),            # the network
      "train": TrainConfig.to_dict(),            # optimizer, loss, steps, stop rule, checkpoints
      "seeds": [int, ...],                       # one member per seed (an ensemble)
      "data":  {"dataset": "mnist", "split": "train", "n": 128, "seed": 3,
                "unit_norm": true, "classes": null, "targets": "one_hot"},
      "measure": {"ntk": true},                  # optional arrays stored at every checkpoint
      "init": [{"sw2": 1.0, "sb2": 1.0}, ...]    # optional, one per seed: member e is drawn
    }                                            # from spec.replace(**init[e]) (standard param.)

``targets``: ``one_hot`` (MSE on one-hot vectors), ``signed`` (MSE on +-1, two classes) or
``labels`` (integer labels for cross-entropy). :func:`run_training` turns the request into a
run file (:mod:`mlptheory.runs`), resuming an interrupted run.
"""

from __future__ import annotations

import logging

import torch

from .data import load, one_hot, signed_targets
from .models import torch_dtype
from .runs import train_to_file
from .spec import NetworkSpec
from .training import TrainConfig, TrainResult

DATA_KEYS = {"dataset", "split", "n", "seed", "unit_norm", "classes", "targets"}
TARGETS = ("one_hot", "signed", "labels")
MEASURES = ("ntk",)


def training_data(dataset_path, data: dict, dtype=torch.float64):
    """Inputs and targets of a request's ``data`` block."""
    unknown = set(data) - DATA_KEYS
    if unknown:
        raise ValueError(f"unknown data keys {sorted(unknown)}; allowed: {sorted(DATA_KEYS)}")
    targets = data.get("targets", "one_hot")
    if targets not in TARGETS:
        raise ValueError(f"data.targets={targets!r}, expected one of {TARGETS}")
    x, labels = load(dataset_path, data.get("split", "train"), classes=data.get("classes"),
                     n=data.get("n"), seed=data.get("seed", 0),
                     unit_norm=data.get("unit_norm", False), dtype=dtype)
    if targets == "labels":
        return x, labels
    if targets == "signed":
        return x, signed_targets(labels, dtype=dtype)
    n_classes = len(data["classes"]) if data.get("classes") else 10
    return x, one_hot(labels, n_classes, dtype=dtype)


def checkpoint_measures(measure: dict | None, x: torch.Tensor):
    """A checkpoint callback storing the requested quantities (``ntk``: ``[E, n, n]``)."""
    measure = measure or {}
    unknown = set(measure) - set(MEASURES)
    if unknown:
        raise ValueError(f"unknown measures {sorted(unknown)}; available: {MEASURES}")
    if not measure.get("ntk"):
        return None
    from .kernels import empirical_ntk

    def callback(step, model, active):
        with torch.no_grad():
            ntk = empirical_ntk(model, x.to(model.weights[0].device), method="structured")
        return {"ntk": ntk.detach().cpu().numpy()}

    return callback


def run_training(request: dict, dataset_path, out_path, threads: int = 1, device: str = "auto",
                 log: logging.Logger | None = None, snapshot_seconds: float = 300.0
                 ) -> TrainResult:
    """Train the ensemble a request describes and write its run file (resuming if possible)."""
    unknown = set(request) - {"spec", "train", "seeds", "data", "measure", "init"}
    if unknown:
        raise ValueError(f"unknown run request keys {sorted(unknown)}")
    spec = NetworkSpec.from_dict(request["spec"])
    config = TrainConfig.from_dict(request["train"])
    x, y = training_data(dataset_path, request["data"], dtype=torch_dtype(spec.dtype))
    callback = checkpoint_measures(request.get("measure"), x)
    return train_to_file(spec, request["seeds"], x, y, config, out_path, threads=threads,
                         device=device, log=log, callback=callback,
                         extra_config={"data": request["data"],
                                       "measure": request.get("measure") or {}},
                         snapshot_seconds=snapshot_seconds, member_inits=request.get("init"))
