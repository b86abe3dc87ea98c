"""One training run as a request object: what the generic ``train_run`` rule executes.

Torch-free, so the rules can build requests while Snakemake parses the workflow. Snakemake
gets the plain dict of :meth:`RunRequest.to_dict` as the rule's parameter (it hashes it), and
:func:`mlptheory.experiment.run_training` executes it::

    {
      "spec":  NetworkSpec.to_dict(),            # the network
      "train": TrainConfig.to_dict(),            # optimizer, loss, steps, stop rule, checkpoints
      "seeds": [int, ...],                       # one member per seed (an ensemble)
      "data":  {"dataset": "mnist", "split": "train", "n": 128, "seed": 3,
                "unit_norm": true, "classes": null, "targets": "one_hot"},
      "measure": {"ntk": true},                  # optional arrays stored at every checkpoint
                                                 # (see MEASURES)
      "init": [{"sw2": 1.0, "sb2": 1.0}, ...]    # optional, one per seed: member e is drawn
    }                                            # from spec.replace(**init[e]) (standard param.)

``targets``: ``one_hot`` (MSE on one-hot vectors), ``signed`` (MSE on +-1, two classes),
``labels`` (integer labels for cross-entropy) or ``reconstruction`` (the inputs themselves: an
autoencoder, MSE). Optional keys left out of a request stay out of
its dict, so ``RunRequest.from_dict(d).to_dict() == d`` and the run's config hash is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .checks import reject_unknown_keys
from .datasets import DATASETS, INPUT_SCALINGS
from .errors import BadInput
from .spec import NetworkSpec
from .train_config import TrainConfig

TARGETS = ("one_hot", "signed", "labels", "reconstruction")
MEASURES = ("ntk", "outputs", "eval", "interpolation", "interpolation_range", "displacement",
            "tracked_weights", "weights")
"""What ``measure`` may hold (:func:`mlptheory.experiment.checkpoint_measures`):

* ``ntk: true``: the empirical NTK on the training inputs, ``ntk [E, n, n]``;
* ``outputs: true``: the outputs on the training inputs, ``outputs [E, n, k]``;
* ``eval: {data request}``: the outputs on other data of the same dataset (e.g. a test split),
  ``eval_outputs [E, m, k]``;
* ``interpolation: n``: the outputs on ``x(alpha) = alpha x1 + (1 - alpha) x2`` for ``n``
  values of ``alpha`` in [0, 1], ``x1``/``x2`` the first training inputs of the first/second
  class (two classes), ``interpolation_outputs [E, n, k]``; ``interpolation_range: [a, b]``
  spreads ``alpha`` over ``[a, b]`` instead (outside [0, 1] it extrapolates);
* ``displacement: true``: ``||theta_t - theta_0||`` of each member, ``displacement [E]``;
* ``tracked_weights: n``: ``n`` fixed weights of every layer (the indices drawn once from
  the spec, :func:`mlptheory.experiment.tracked_indices`), ``tracked_weights [E, L+1, n]``;
* ``weights: false``: store no weights at the checkpoints (wide ensembles whose tables read
  only the arrays above; the resume snapshots keep the weights they need).
"""
MEMBER_INIT_KEYS = ("sw2", "sb2")


@dataclass(frozen=True)
class DataRequest:
    """The training data of a run: ``n`` examples (all if None) of ``split`` of ``dataset``.

    ``classes`` keeps only those classes (names or labels, relabelled ``0..k-1``); ``seed``
    picks the fixed subset; ``scaling`` turns pixels into inputs (``pixels``: [0, 1],
    ``unit_norm``, ``sqrt_dim``; :data:`~mlptheory.datasets.INPUT_SCALINGS`), ``unit_norm=True``
    being the older spelling of ``scaling="unit_norm"``. A field left None was
    not given: it takes the value of :attr:`DEFAULTS` and stays out of :meth:`to_dict`.
    """

    dataset: str
    split: str | None = None
    n: int | None = None
    seed: int | None = None
    unit_norm: bool | None = None
    classes: tuple | None = None
    targets: str | None = None
    scaling: str | None = None

    DEFAULTS = {"split": "train", "n": None, "seed": 0, "unit_norm": False, "classes": None,
                "targets": "one_hot", "scaling": "pixels"}

    def __post_init__(self):
        if self.classes is not None:
            object.__setattr__(self, "classes", tuple(self.classes))
        if self.dataset not in DATASETS:
            raise BadInput(f"data.dataset={self.dataset!r}, expected one of {sorted(DATASETS)}")
        if self.scaling is not None and self.scaling not in INPUT_SCALINGS:
            raise BadInput(f"data.scaling={self.scaling!r}, expected one of {INPUT_SCALINGS}")
        if self.scaling not in (None, "unit_norm") and self.unit_norm:
            raise BadInput(f"data.unit_norm=true contradicts data.scaling={self.scaling!r}")
        if self.targets is not None and self.targets not in TARGETS:
            raise BadInput(f"data.targets={self.targets!r}, expected one of {TARGETS}")

    def value(self, name: str):
        """The field ``name``, or its default when it was not given."""
        given = getattr(self, name)
        return self.DEFAULTS.get(name) if given is None else given

    @property
    def n_classes(self) -> int:
        """Number of target classes: those kept, or all of the dataset's."""
        if self.classes:
            return len(self.classes)
        return DATASETS[self.dataset].n_classes

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = list(value) if f.name == "classes" else value
        return out

    @classmethod
    def from_dict(cls, data: dict) -> DataRequest:
        reject_unknown_keys(data, [f.name for f in fields(cls)], "run request 'data'")
        return cls(**data)


@dataclass(frozen=True)
class RunRequest:
    """An ensemble to train: one member per seed, all of ``spec`` (see the module docstring).

    ``measure`` (e.g. ``{"ntk": True}``) names arrays stored at every checkpoint; ``init``
    (one ``{"sw2", "sb2"}`` per seed) draws member ``e`` from ``spec.replace(**init[e])``.
    """

    spec: NetworkSpec
    train: TrainConfig
    seeds: tuple[int, ...]
    data: DataRequest
    measure: dict | None = None
    init: tuple[dict, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        if self.measure is not None:
            reject_unknown_keys(self.measure, MEASURES, "measure")
            if "eval" in self.measure:
                DataRequest.from_dict(self.measure["eval"])
            rng = self.measure.get("interpolation_range")
            if rng is not None and (len(rng) != 2 or not float(rng[0]) < float(rng[1])):
                raise BadInput(f"measure.interpolation_range must be [a, b] with a < b, got "
                               f"{rng!r}")
            for key in ("interpolation", "tracked_weights"):
                if key in self.measure and not int(self.measure[key]) >= 1:
                    raise BadInput(f"measure.{key} must be a count >= 1, got "
                                   f"{self.measure[key]!r}")
        if self.init is not None:
            object.__setattr__(self, "init", tuple(dict(m) for m in self.init))
            if len(self.init) != len(self.seeds):
                raise BadInput(f"{len(self.init)} member inits for {len(self.seeds)} seeds")
            for member_init in self.init:
                reject_unknown_keys(member_init, MEMBER_INIT_KEYS, "member init")

    def to_dict(self) -> dict:
        """The plain JSON-able dict (a Snakemake parameter); inverse of :meth:`from_dict`."""
        out = {"spec": self.spec.to_dict(), "train": self.train.to_dict(),
               "seeds": list(self.seeds), "data": self.data.to_dict()}
        if self.measure is not None:
            out["measure"] = dict(self.measure)
        if self.init is not None:
            out["init"] = [dict(m) for m in self.init]
        return out

    @classmethod
    def from_dict(cls, request: dict) -> RunRequest:
        reject_unknown_keys(request, [f.name for f in fields(cls)], "run request")
        missing = [k for k in ("spec", "train", "seeds", "data") if k not in request]
        if missing:
            raise BadInput(f"run request lacks {missing}; it needs spec, train, seeds, data")
        return cls(spec=NetworkSpec.from_dict(request["spec"]),
                   train=TrainConfig.from_dict(request["train"]),
                   seeds=request["seeds"], data=DataRequest.from_dict(request["data"]),
                   measure=request.get("measure"), init=request.get("init"))

