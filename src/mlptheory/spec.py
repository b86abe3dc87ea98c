"""One small description of a fully connected network, the single source of truth.

The torch models (:mod:`mlptheory.models`), the analytic kernels and the mean-field
quantities (:mod:`mlptheory.kernels`) are all derived from a :class:`NetworkSpec`, so the
hyperparameters of an experiment live in exactly one place.

Conventions (``../shared/EXPERIMENTS.md``, "Global conventions"):

* weights in PyTorch layout ``W[out, in]``; a network is a list of ``(W, b)`` pairs;
* ``standard`` parameterization: ``W ~ N(0, sw2/fan_in)``, ``b ~ N(0, sb2)``, ``z = W h + b``;
* ``ntk`` parameterization: ``W, b ~ N(0, 1)``, ``z = sqrt(sw2/fan_in) W h + sqrt(sb2) b``;
* every layer, the readout included, uses the same ``sw2`` and ``sb2``; the activation is
  applied to hidden layers only.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

from .activations import ACTIVATIONS
from .checks import reject_unknown_keys
from .errors import BadInput

PARAMETERIZATIONS = ("standard", "ntk")
INITS = ("gaussian", "generalized_gaussian", "glorot_uniform", "he")
BIAS_INITS = ("gaussian", "zeros")
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class NetworkSpec:
    """A fully connected network ``input_dim -> hidden[0] -> ... -> output_dim``.

    ``init`` selects the weight distribution (before the parameterization's multiplier):

    * ``gaussian``: variance ``sw2/fan_in`` (standard) or 1 (ntk);
    * ``generalized_gaussian``: density proportional to ``exp(-|w/alpha|^beta)`` with
      ``beta = init_beta`` (``math.inf`` is the uniform limit) and ``alpha`` chosen so the
      variance equals that of ``gaussian`` (tsuchida2019 Sec. 4.1);
    * ``glorot_uniform``: ``U(-a, a)``, ``a = sqrt(6/(fan_in + fan_out))`` (Keras default);
    * ``he``: ``N(0, 2/fan_in)`` whatever ``sw2`` says.

    ``glorot_uniform`` and ``he`` are standard-parameterization initializations. ``bias_init``
    is ``gaussian`` (``N(0, sb2)`` standard, ``N(0, 1)`` ntk) or ``zeros``.
    """

    input_dim: int
    hidden: tuple[int, ...]
    output_dim: int = 1
    activation: str = "relu"
    sw2: float = 1.0
    sb2: float = 0.0
    bias: bool = True
    parameterization: str = "standard"
    init: str = "gaussian"
    init_beta: float | None = None
    bias_init: str = "gaussian"
    dtype: str = "float64"
    extra: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "sw2", float(self.sw2))
        object.__setattr__(self, "sb2", float(self.sb2))
        if self.init_beta is not None:
            object.__setattr__(self, "init_beta", float(self.init_beta))
        problems = []
        if self.input_dim < 1 or self.output_dim < 1 or any(h < 1 for h in self.hidden):
            problems.append(f"layer sizes must be positive, got {self.widths}")
        for name, value, allowed in (
            ("activation", self.activation, ACTIVATIONS),
            ("parameterization", self.parameterization, PARAMETERIZATIONS),
            ("init", self.init, INITS),
            ("bias_init", self.bias_init, BIAS_INITS),
            ("dtype", self.dtype, DTYPES),
        ):
            if value not in allowed:
                problems.append(f"{name}={value!r}, expected one of {allowed}")
        if self.sw2 <= 0 or self.sb2 < 0:
            problems.append(f"need sw2 > 0 and sb2 >= 0, got sw2={self.sw2}, sb2={self.sb2}")
        if self.init == "generalized_gaussian" and not (
            self.init_beta is not None and self.init_beta > 0
        ):
            problems.append("init='generalized_gaussian' needs init_beta > 0 (math.inf: uniform)")
        if self.init in ("glorot_uniform", "he") and self.parameterization != "standard":
            problems.append(f"init={self.init!r} is only defined for the standard parameterization")
        if problems:
            raise BadInput("invalid NetworkSpec: " + "; ".join(problems))

    @property
    def widths(self) -> tuple[int, ...]:
        """All layer sizes, input first: ``(input_dim, *hidden, output_dim)``."""
        return (self.input_dim, *self.hidden, self.output_dim)

    @property
    def depth(self) -> int:
        """Number of hidden layers ``L``."""
        return len(self.hidden)

    @property
    def n_layers(self) -> int:
        """Number of affine layers, ``depth + 1``."""
        return len(self.hidden) + 1

    @property
    def shapes(self) -> list[tuple[tuple[int, int], tuple[int] | None]]:
        """``[((out, in), (out,) or None), ...]`` per affine layer."""
        w = self.widths
        return [((w[i + 1], w[i]), (w[i + 1],) if self.bias else None) for i in range(len(w) - 1)]

    @property
    def n_params(self) -> int:
        return sum(o * i + (o if self.bias else 0) for (o, i), _ in self.shapes)

    def multipliers(self, layer: int) -> tuple[float, float]:
        """Forward-pass multipliers ``(w_mult, b_mult)`` of affine layer ``layer`` (0-based).

        ``z = w_mult * W h + b_mult * b``: ``(1, 1)`` in the standard parameterization and
        ``(sqrt(sw2/fan_in), sqrt(sb2))`` in the ntk parameterization.
        """
        if self.parameterization == "standard":
            return 1.0, 1.0
        fan_in = self.widths[layer]
        return math.sqrt(self.sw2 / fan_in), math.sqrt(self.sb2)

    def weight_std(self, layer: int) -> float:
        """Standard deviation of the stored weights of affine layer ``layer`` at init."""
        fan_in, fan_out = self.widths[layer], self.widths[layer + 1]
        if self.init == "he":
            return math.sqrt(2.0 / fan_in)
        if self.init == "glorot_uniform":
            return math.sqrt(2.0 / (fan_in + fan_out))
        if self.parameterization == "ntk":
            return 1.0
        return math.sqrt(self.sw2 / fan_in)

    def bias_std(self) -> float:
        """Standard deviation of the stored biases at init."""
        if not self.bias or self.bias_init == "zeros":
            return 0.0
        return 1.0 if self.parameterization == "ntk" else math.sqrt(self.sb2)

    def replace(self, **changes) -> NetworkSpec:
        data = asdict(self)
        data.update(changes)
        return NetworkSpec(**data)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        if data["init_beta"] is not None and math.isinf(data["init_beta"]):
            data["init_beta"] = "inf"
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> NetworkSpec:
        data = dict(data)
        reject_unknown_keys(data, cls.__dataclass_fields__, "NetworkSpec")
        if data.get("init_beta") == "inf":
            data["init_beta"] = math.inf
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> NetworkSpec:
        return cls.from_dict(json.loads(text))
