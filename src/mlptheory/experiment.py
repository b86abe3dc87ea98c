"""Execute one training run: a :class:`~mlptheory.run_request.RunRequest` (parsed once from
the plain dict the generic ``train_run`` rule passes, in scripts/train_run.py) becomes a run
file (:mod:`mlptheory.runs`), resuming an interrupted run. The request format is documented in
:mod:`mlptheory.run_request`.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from .checks import reject_unknown_keys
from .data import load, one_hot, signed_targets
from .errors import BadInput
from .models import torch_dtype
from .run_request import MEASURES, DataRequest, RunRequest
from .runs import train_to_file
from .seeding import derive_seed
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


def class_of_targets(y: torch.Tensor, targets: str) -> torch.Tensor:
    """The class index of each example from its targets (``signed``: +1 is the first class)."""
    if targets == "signed":
        return (y[:, 0] < 0).long()
    if targets == "one_hot":
        return y.argmax(dim=1)
    if targets == "labels":
        return y.long()
    raise BadInput(f"measure.interpolation needs class targets, not {targets!r}")


def interpolation_inputs(x: torch.Tensor, classes: torch.Tensor, n: int,
                         alpha_range=(0.0, 1.0)):
    """``alpha [n]`` evenly in ``alpha_range`` and ``x(alpha) = alpha x1 + (1 - alpha) x2 [n, d]``,
    ``x1``/``x2`` the first inputs of class 0 / class 1 (lee2019 Fig. 2; alpha outside [0, 1]
    extrapolates along the line)."""
    first = [torch.nonzero(classes == c) for c in (0, 1)]
    if any(len(f) == 0 for f in first):
        raise BadInput("measure.interpolation needs training inputs of two classes (0 and 1)")
    x1, x2 = x[int(first[0][0, 0])], x[int(first[1][0, 0])]
    alpha = torch.linspace(float(alpha_range[0]), float(alpha_range[1]), int(n), dtype=x.dtype,
                           device=x.device)
    return alpha, alpha[:, None] * x1 + (1 - alpha[:, None]) * x2


def tracked_indices(spec, n: int) -> list[np.ndarray]:
    """Per layer, ``n`` flat indices into its weight matrix ``[out, in]`` (fixed, drawn without
    replacement with a seed derived from the layer number only)."""
    out = []
    for layer, (fan_in, fan_out) in enumerate(zip(spec.widths[:-1], spec.widths[1:],
                                                               strict=True)):
        size = fan_in * fan_out
        if n > size:
            raise BadInput(f"measure.tracked_weights={n} exceeds the {size} weights of layer "
                           f"{layer}")
        rng = np.random.default_rng(derive_seed(0, "tracked_weights", layer))
        out.append(np.sort(rng.choice(size, size=int(n), replace=False)))
    return out


def checkpoint_measures(measure: dict | None, x: torch.Tensor, y: torch.Tensor | None = None,
                        data: DataRequest | None = None, dataset_path=None, spec=None):
    """A factory ``make(initial_model) -> callback`` storing the requested quantities at each
    checkpoint (:data:`~mlptheory.run_request.MEASURES`), or None when nothing is measured."""
    measure = {k: v for k, v in (measure or {}).items() if k != "weights"}
    reject_unknown_keys(measure, MEASURES, "measure")
    measure = {k: v for k, v in measure.items() if v is not None and v is not False}
    if not measure:
        return None
    inputs = {}
    if measure.get("outputs"):
        inputs["outputs"] = x
    if "eval" in measure:
        inputs["eval_outputs"], _ = training_data(dataset_path, measure["eval"], dtype=x.dtype)
    if "interpolation" in measure:
        classes = class_of_targets(y, data.value("targets"))
        inputs["interpolation_outputs"] = interpolation_inputs(
            x, classes, measure["interpolation"],
            measure.get("interpolation_range", (0.0, 1.0)))[1]
    tracked = (tracked_indices(spec, int(measure["tracked_weights"]))
               if "tracked_weights" in measure else None)

    def make(initial):
        theta0 = ([p.detach().clone() for p in initial.parameters()]
                  if measure.get("displacement") else None)

        def callback(step, model, active):
            device = model.weights[0].device
            out = {}
            with torch.no_grad():
                for name, points in inputs.items():
                    out[name] = model(points.to(device)).detach().cpu().numpy()
                if theta0 is not None:
                    sq = sum((p - p0).pow(2).flatten(1).sum(1)
                             for p, p0 in zip(model.parameters(), theta0, strict=True))
                    out["displacement"] = torch.sqrt(sq).cpu().numpy()
                if tracked is not None:
                    out["tracked_weights"] = np.stack(
                        [w.detach().flatten(1)[:, torch.as_tensor(idx, device=device)]
                         .cpu().numpy() for w, idx in zip(model.weights, tracked, strict=True)],
                        axis=1)
            if measure.get("ntk"):
                from .kernels import empirical_ntk

                ntk = empirical_ntk(model, x.to(device), method="structured")
                out["ntk"] = ntk.detach().cpu().numpy()
            return out

        return callback

    return make


def run_training(request: RunRequest, dataset_path, out_path, threads: int = 1,
                 device: str = "auto", log: logging.Logger | None = None,
                 snapshot_seconds: float = 300.0) -> TrainResult:
    """Train the ensemble a request describes and write its run file (resuming if possible)."""
    if not isinstance(request, RunRequest):
        raise TypeError(f"run_training takes a RunRequest, not {type(request).__name__}: parse "
                        "a plain request once with RunRequest.from_dict")
    x, y = training_data(dataset_path, request.data, dtype=torch_dtype(request.spec.dtype))
    make_callback = checkpoint_measures(request.measure, x, y, request.data, dataset_path,
                                        request.spec)
    member_inits = None if request.init is None else [dict(m) for m in request.init]
    keep_weights = bool((request.measure or {}).get("weights", True))
    return train_to_file(request.spec, request.seeds, x, y, request.train, out_path,
                         threads=threads, device=device, log=log, make_callback=make_callback,
                         keep_weights=keep_weights,
                         extra_config={"data": request.data.to_dict(),
                                       "measure": request.measure or {}},
                         snapshot_seconds=snapshot_seconds, member_inits=member_inits)
