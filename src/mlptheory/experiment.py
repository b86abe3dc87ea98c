"""Execute one training run: a :class:`~mlptheory.run_request.RunRequest` (or its plain dict,
as the generic ``train_run`` rule passes it) becomes a run file (:mod:`mlptheory.runs`),
resuming an interrupted run. The request format is documented in :mod:`mlptheory.run_request`.
"""

from __future__ import annotations

import logging

import torch

from .checks import reject_unknown_keys
from .data import load, one_hot, signed_targets
from .models import torch_dtype
from .run_request import MEASURES, DataRequest, RunRequest
from .runs import train_to_file
from .training import TrainResult


def training_data(dataset_path, data: DataRequest | dict, dtype=torch.float64):
    """Inputs and targets of a request's ``data`` block."""
    if not isinstance(data, DataRequest):
        data = DataRequest.from_dict(data)
    x, labels = load(dataset_path, data.value("split"), classes=data.classes, n=data.n,
                     seed=data.value("seed"), unit_norm=data.value("unit_norm"),
                     scaling=data.value("scaling"), dtype=dtype)
    targets = data.value("targets")
    if targets == "labels":
        return x, labels
    if targets == "reconstruction":
        return x, x.clone()
    if targets == "signed":
        return x, signed_targets(labels, dtype=dtype)
    return x, one_hot(labels, data.n_classes, dtype=dtype)


def checkpoint_measures(measure: dict | None, x: torch.Tensor):
    """A checkpoint callback storing the requested quantities (``ntk``: ``[E, n, n]``)."""
    measure = measure or {}
    reject_unknown_keys(measure, MEASURES, "measure")
    if not measure.get("ntk"):
        return None
    from .kernels import empirical_ntk

    def callback(step, model, active):
        with torch.no_grad():
            ntk = empirical_ntk(model, x.to(model.weights[0].device), method="structured")
        return {"ntk": ntk.detach().cpu().numpy()}

    return callback


def run_training(request: RunRequest | dict, dataset_path, out_path, threads: int = 1,
                 device: str = "auto", log: logging.Logger | None = None,
                 snapshot_seconds: float = 300.0) -> TrainResult:
    """Train the ensemble a request describes and write its run file (resuming if possible)."""
    request = RunRequest.coerce(request)
    x, y = training_data(dataset_path, request.data, dtype=torch_dtype(request.spec.dtype))
    callback = checkpoint_measures(request.measure, x)
    member_inits = None if request.init is None else [dict(m) for m in request.init]
    return train_to_file(request.spec, request.seeds, x, y, request.train, out_path,
                         threads=threads, device=device, log=log, callback=callback,
                         extra_config={"data": request.data.to_dict(),
                                       "measure": request.measure or {}},
                         snapshot_seconds=snapshot_seconds, member_inits=member_inits)
