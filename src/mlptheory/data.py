"""Loader API for the experiments: float inputs in [0, 1] from ``results/data/<dataset>.h5``.

>>> x, labels = load("results/data/mnist.h5", "train", n=128, seed=3, unit_norm=True)
>>> y = one_hot(labels, 10)                      # MSE targets
>>> x, labels = load("results/data/cifar10.h5", classes=("airplane", "horse"))
>>> y = signed_targets(labels)                   # +1 for airplane, -1 for horse

The file layout is documented in :mod:`mlptheory.archives`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .datasets import INPUT_SCALINGS
from .errors import BadInput, DamagedFile, rebuild_command
from .files import read_h5
from .run_request import DataRequest


def read_split(path: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray, list]:
    """Raw ``(images uint8, labels uint8, class_names)`` of one split."""
    path = Path(path)
    with read_h5(path, "prepared dataset") as h5:
        # files written before the flag existed have no attribute; False: not written to the end
        if not h5.attrs.get("complete", True):
            raise DamagedFile(f"{path} was not completely written; rebuild it: "
                              f"{rebuild_command(path)}")
        if split not in h5:
            raise BadInput(f"{path} has no split {split!r}; it has {sorted(h5.keys())}")
        images = h5[split]["images"][...]
        labels = h5[split]["labels"][...]
        class_names = json.loads(h5.attrs["class_names"])
    return images, labels, class_names


def fixed_subset(n_available: int, n: int, seed: int) -> np.ndarray:
    """``n`` distinct indices out of ``range(n_available)``, sorted, a pure function of ``seed``."""
    if n > n_available:
        raise BadInput(f"asked for {n} items but only {n_available} are available")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_available, size=n, replace=False))


def class_indices(classes: Sequence[int | str], class_names: Sequence[str]) -> list[int]:
    """Class names or integer labels as integer labels."""
    out = []
    for c in classes:
        if isinstance(c, str) and not c.isdigit():
            if c not in class_names:
                raise BadInput(f"unknown class {c!r}; classes are {list(class_names)}")
            out.append(class_names.index(c))
        else:
            out.append(int(c))
    return out


def to_inputs(images: np.ndarray, *, flatten=True, unit_norm=False, scaling: str = "pixels",
              dtype=torch.float64, device=None) -> torch.Tensor:
    """uint8 images as network inputs, flattened to ``[N, d]`` by default.

    ``scaling`` (:data:`~mlptheory.datasets.INPUT_SCALINGS`): ``pixels``, floats in [0, 1]
    (``/255``); ``unit_norm``, every flattened input rescaled to Euclidean norm 1;
    ``sqrt_dim``, to norm ``sqrt(d)``; ``standardize``, every flattened input centred and
    scaled to unit variance over its features (``x.x / d = 1``, lee2019). ``unit_norm=True`` is
    the same as ``scaling="unit_norm"``.
    """
    if scaling not in INPUT_SCALINGS:
        raise BadInput(f"input scaling {scaling!r}, expected one of {INPUT_SCALINGS}")
    if unit_norm:
        scaling = "unit_norm"
    x = torch.as_tensor(images, device=device).to(dtype) / 255.0
    if flatten or scaling != "pixels":
        shape = x.shape
        x = x.reshape(shape[0], -1)
        if scaling == "standardize":
            x = x - x.mean(dim=1, keepdim=True)
        if scaling != "pixels":
            norms = x.norm(dim=1, keepdim=True)
            if bool((norms == 0).any()):
                raise BadInput(f"an all-zero image cannot be scaled ({scaling})")
            x = x / norms
            if scaling in ("sqrt_dim", "standardize"):
                x = x * math.sqrt(x.shape[1])
        if not flatten:
            x = x.reshape(shape)
    return x


def load(path: str | Path, split: str = "train", *, classes: Sequence[int | str] | None = None,
         n: int | None = None, seed: int = 0, flatten: bool = True, unit_norm: bool = False,
         scaling: str = "pixels", dtype=torch.float64,
         device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and integer labels of one split.

    ``classes`` keeps only those classes (names or labels) and relabels them ``0..k-1`` in the
    given order; ``n`` then draws a fixed subset of that many items with :func:`fixed_subset`;
    ``scaling`` / ``unit_norm`` as in :func:`to_inputs`.
    """
    images, labels, class_names = read_split(path, split)
    if classes is not None:
        wanted = class_indices(classes, class_names)
        keep = np.flatnonzero(np.isin(labels, wanted))
        images, labels = images[keep], labels[keep]
        labels = np.searchsorted(np.sort(wanted), labels)
        order = np.argsort(wanted)  # position in sorted list -> position in `wanted`
        labels = order[labels]
    if n is not None:
        idx = fixed_subset(len(labels), n, seed)
        images, labels = images[idx], labels[idx]
    x = to_inputs(images, flatten=flatten, unit_norm=unit_norm, scaling=scaling, dtype=dtype,
                  device=device)
    return x, torch.as_tensor(np.asarray(labels, dtype=np.int64), device=device)


def one_hot(labels: torch.Tensor, n_classes: int, dtype=torch.float64) -> torch.Tensor:
    """``[N, n_classes]`` one-hot targets."""
    return torch.nn.functional.one_hot(labels.long(), n_classes).to(dtype)


def signed_targets(labels: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
    """``[N, 1]`` targets for two classes: +1 for label 0, -1 for label 1."""
    if labels.numel() and int(labels.max()) > 1:
        raise BadInput("signed_targets needs labels in {0, 1}; pass two classes to load()")
    return (1.0 - 2.0 * labels.to(dtype)).unsqueeze(1)


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
