"""What the lee2019 experiments share: the two-class data, the network spec, the learning rate
as a fraction of ``eta_critical`` and the batched training of an ensemble with its outputs
recorded at chosen steps."""

from __future__ import annotations

import logging

import numpy as np
import torch

from ...data import load, signed_targets
from ...kernels import nngp_ntk
from ...linearize import mse_loss
from ...models import EnsembleMLP
from ...predict import eta_critical
from ...seeding import derive_seed
from ...spec import NetworkSpec
from ...training import TrainConfig, Trainer
from .plan import PAPER


def standardize(x: torch.Tensor) -> torch.Tensor:
    """Each input centred and scaled to unit variance over its features, so ``x.x/d = 1``
    (*choice*: the paper does not state its preprocessing; raw pixels in [0, 1] make every pair
    of images strongly correlated and the NTK badly conditioned)."""
    x = x - x.mean(dim=1, keepdim=True)
    return x / x.std(dim=1, correction=0, keepdim=True)


def two_class_data(path, params: dict, n_train: int, tag: str = "train"):
    """``(x_train, y_train, x_test, y_test)``: ``n_train`` training and ``params["n_test"]``
    test points of the two ``params["classes"]``, standardized, targets +1 / -1 ``[n, 1]``.

    The subsets are fixed functions of the base seed and ``tag`` (so experiments that share a
    tag share their data)."""
    classes = params["classes"]
    if len(classes) != 2:
        raise ValueError(f"lee2019.classes must name two classes, got {classes}")
    seed = params["seed"]
    x, labels = load(path, "train", classes=classes, n=n_train,
                     seed=derive_seed(seed, PAPER, tag, n_train))
    xt, labels_t = load(path, "test", classes=classes, n=params["n_test"],
                        seed=derive_seed(seed, PAPER, "test"))
    return standardize(x), signed_targets(labels), standardize(xt), signed_targets(labels_t)


def network_spec(params: dict, input_dim: int, width: int | None = None,
                 parameterization: str = "ntk") -> NetworkSpec:
    width = int(params["width"] if width is None else width)
    return NetworkSpec(input_dim, (width,) * int(params["depth"]), 1,
                       activation=params["activation"], sw2=params["sw2"], sb2=params["sb2"],
                       parameterization=parameterization)


def critical_lr(spec: NetworkSpec, x: torch.Tensor) -> float:
    """``eta_critical`` (:func:`mlptheory.predict.eta_critical`) of the analytic NTK on ``x``."""
    _, theta = nngp_ntk(spec, x.numpy())
    return eta_critical(theta, len(x))


def train_ensemble(spec: NetworkSpec, seeds, x, y, lr: float, steps: int, record_steps,
                   x_eval=None, log: logging.Logger | None = None) -> dict[int, dict]:
    """Full-batch GD on the MSE of one batched :class:`EnsembleMLP` (:mod:`mlptheory.training`).

    Returns ``{step: {"train": [E, n, 1], "eval": [E, m, 1], "displacement": [E],
    "loss": [E]}}`` at every recorded step (and the last one). ``displacement`` is
    ``||theta_t - theta_0||`` per member. Diverged members are frozen by the trainer.
    """
    model = EnsembleMLP(spec, seeds=seeds)
    theta0 = [p.detach().clone() for p in model.parameters()]

    def record(step, net, active):
        with torch.no_grad():
            out = {"train": net(x)}
            if x_eval is not None:
                out["eval"] = net(x_eval)
            out["displacement"] = torch.sqrt(sum((p - p0).pow(2).flatten(1).sum(1)
                                                 for p, p0 in zip(net.parameters(), theta0,
                                                                  strict=True)))
            out["loss"] = mse_loss(out["train"], y)
        return out

    config = TrainConfig(optimizer="gd", lr=float(lr), loss="mse", max_steps=int(steps),
                         checkpoint_steps=tuple(int(s) for s in record_steps),
                         log_every=max(int(steps) // 4, 1))
    # outputs only: a copy of every wide member's weights per recorded step is not needed
    result = Trainer(model, x, y, config, callback=record, log=log, keep_weights=False).run()
    return {s: dict(cp) for s, cp in sorted(result.checkpoints.items())}


def log_steps(max_steps: int, per_decade: int) -> list[int]:
    """0 and ``per_decade`` log-spaced steps per decade up to ``max_steps`` (included)."""
    if max_steps < 1:
        return [0]
    decades = np.log10(max_steps)
    grid = np.unique(np.round(np.logspace(0, decades, int(round(per_decade * decades)) + 1)))
    return sorted({0, *map(int, grid), int(max_steps)})
