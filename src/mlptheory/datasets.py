"""What the library knows about each dataset before opening a file (torch-free).

>>> DATASETS["mnist"].input_dim, DATASETS["cifar10"].split_size("train")
(784, 50000)

The prepared HDF5 files (:mod:`mlptheory.archives`) hold these splits and class names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import BadInput


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset: ``image_shape`` as stored (HWC for colour), classes, split sizes."""

    name: str
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    train_size: int
    test_size: int

    @property
    def input_dim(self) -> int:
        """Length of a flattened image: the network's ``input_dim``."""
        return math.prod(self.image_shape)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def split_size(self, split: str) -> int:
        sizes = {"train": self.train_size, "test": self.test_size}
        if split not in sizes:
            raise BadInput(f"{self.name} has splits {sorted(sizes)}, not {split!r}")
        return sizes[split]


# How images become network inputs (mlptheory.data.to_inputs): ``pixels`` = values in [0, 1]
# (``/255``), ``unit_norm`` = every flattened input scaled to norm 1, ``sqrt_dim`` = to norm
# ``sqrt(d)`` (so ``|x|^2/d = 1``, the mean-field convention ``qhat^0 = 1``).
INPUT_SCALINGS = ("pixels", "unit_norm", "sqrt_dim", "standardize")

DATASETS = {
    "mnist": DatasetInfo("mnist", (28, 28), tuple(str(i) for i in range(10)), 60000, 10000),
    "cifar10": DatasetInfo(
        "cifar10", (32, 32, 3),
        ("airplane", "automobile", "bird", "cat", "deer",
         "dog", "frog", "horse", "ship", "truck"),
        50000, 10000),
}


def dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of ``name``; a clear error for an unknown dataset."""
    if name not in DATASETS:
        raise BadInput(f"unknown dataset {name!r}; known datasets: {sorted(DATASETS)}")
    return DATASETS[name]
