"""What a training run does besides the network and the data: :class:`TrainConfig` and its
checkpoint schedule (torch-free, so planning a workflow never imports torch).

The loop that executes a config is :mod:`mlptheory.training`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .checks import reject_unknown_keys
from .errors import BadInput

LOSSES = ("mse", "mse_per_output", "cross_entropy")
OPTIMIZERS = ("gd", "sgd", "adam", "rmsprop", "nadam")
STATUS = ("running", "max_steps", "plateau", "diverged")
MEMBER_KEYS = ("member_lr", "member_eps")
LR_UNITS = ("eta_critical",)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run besides the network spec, seeds and data.

    ``optimizer``: ``gd`` (full-batch gradient descent, needs ``batch_size=None``), ``sgd``
    (``momentum``, ``nesterov``), ``adam`` (``betas``, ``eps``), ``rmsprop`` (``alpha``,
    ``eps``, ``momentum``), ``nadam`` (``betas``, ``eps``, ``momentum_decay``); all with
    PyTorch's definitions. ``member_lr`` / ``member_eps`` (one value per ensemble member, or
    None) replace ``lr`` / ``eps`` member by member (:class:`~mlptheory.optimizers.
    PerMemberOptimizer`): a hyperparameter sweep trains as one ensemble. ``batch_size=None`` means
    full batch. ``checkpoint_steps`` (explicit)
    or ``checkpoints_per_decade`` (log-spaced, see :func:`checkpoint_schedule`); the final step is
    always a checkpoint. ``tol`` and ``patience`` together enable the plateau stop rule.
    ``lr_cap`` (GD on the ``mse`` loss only) caps each member's rate at ``lr_cap`` times its
    critical rate ``2S / lambda_max(Theta_0)`` (:func:`mlptheory.kernels.gd_critical_lr` of the
    initial member): the training entry point resolves it into ``member_lr =
    min(lr, lr_cap * lr_critical)`` before the first step. ``lr_unit="eta_critical"`` (GD on
    the ``mse`` loss only) gives ``lr`` and ``member_lr`` as fractions of lee2019's critical rate
    ``eta_critical = 2S / (lambda_min + lambda_max)`` of the *analytic* NTK of the spec (in the
    ntk parameterization) on the training inputs; a standard-parameterized spec divides it by
    its hidden width (lee2019 App. F: ``eta_std = eta_ntk / M``). The training entry point
    resolves it into absolute rates (:func:`mlptheory.experiment.analytic_eta_critical`) and stores
    ``lr_critical`` in the run file.
    """

    optimizer: str = "gd"
    lr: float = 1e-3
    loss: str = "mse"
    max_steps: int = 1000
    batch_size: int | None = None
    drop_last: bool = False
    data_order: str = "per_member"
    data_seed: int = 0
    momentum: float = 0.0
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    alpha: float = 0.99
    momentum_decay: float = 4e-3
    tol: float | None = None
    patience: int | None = None
    checkpoint_steps: tuple[int, ...] | None = None
    checkpoints_per_decade: int | None = None
    log_every: int = 1000
    fused: bool = True
    member_lr: tuple[float, ...] | None = None
    member_eps: tuple[float, ...] | None = None
    lr_cap: float | None = None
    lr_unit: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        if self.checkpoint_steps is not None:
            object.__setattr__(self, "checkpoint_steps",
                               tuple(sorted({int(s) for s in self.checkpoint_steps})))
        for name in MEMBER_KEYS:
            if getattr(self, name) is not None:
                object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        problems = []
        if self.member_lr is not None and not all(v > 0 for v in self.member_lr):
            problems.append(f"member_lr must all be > 0, got {list(self.member_lr)}")
        if self.member_eps is not None and not all(v >= 0 for v in self.member_eps):
            problems.append(f"member_eps must all be >= 0, got {list(self.member_eps)}")
        if (self.member_lr is not None and self.member_eps is not None
                and len(self.member_lr) != len(self.member_eps)):
            problems.append(f"member_lr has {len(self.member_lr)} values but member_eps "
                            f"{len(self.member_eps)}")
        if self.lr_cap is not None:
            if not self.lr_cap > 0:
                problems.append(f"lr_cap must be > 0 (a fraction of the critical rate), "
                                f"got {self.lr_cap}")
            if self.optimizer != "gd" or self.loss != "mse":
                problems.append("lr_cap needs optimizer='gd' and loss='mse' (the critical rate "
                                f"2S/lambda_max is theirs), got {self.optimizer!r}, "
                                f"{self.loss!r}")
        if self.lr_unit is not None:
            if self.lr_unit not in LR_UNITS:
                problems.append(f"lr_unit={self.lr_unit!r}, expected one of {LR_UNITS} or None "
                                "(absolute rates)")
            if self.optimizer != "gd" or self.loss != "mse":
                problems.append("lr_unit needs optimizer='gd' and loss='mse' (eta_critical is "
                                f"theirs), got {self.optimizer!r}, {self.loss!r}")
            if self.lr_cap is not None:
                problems.append("give lr_unit or lr_cap, not both")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer={self.optimizer!r}, expected one of {OPTIMIZERS}")
        if self.loss not in LOSSES:
            problems.append(f"loss={self.loss!r}, expected one of {LOSSES}")
        if self.optimizer == "gd" and self.batch_size is not None:
            problems.append("optimizer='gd' is full-batch: use batch_size=None (or 'sgd')")
        if self.batch_size is not None and self.batch_size < 1:
            problems.append(f"batch_size must be >= 1 or None, got {self.batch_size}")
        if self.data_order not in ("per_member", "shared"):
            problems.append(f"data_order={self.data_order!r}, expected 'per_member' or 'shared'")
        if self.max_steps < 0:
            problems.append(f"max_steps must be >= 0, got {self.max_steps}")
        if not self.lr > 0:
            problems.append(f"lr must be > 0, got {self.lr}")
        if (self.tol is None) != (self.patience is None):
            problems.append("the plateau rule needs both tol and patience (or neither)")
        if self.patience is not None and self.patience < 1:
            problems.append(f"patience must be >= 1, got {self.patience}")
        if self.checkpoint_steps is not None and self.checkpoints_per_decade is not None:
            problems.append("give checkpoint_steps or checkpoints_per_decade, not both")
        if self.checkpoint_steps and (self.checkpoint_steps[0] < 0):
            problems.append("checkpoint_steps must be >= 0")
        if self.checkpoints_per_decade is not None and self.checkpoints_per_decade < 1:
            problems.append("checkpoints_per_decade must be >= 1")
        if problems:
            raise BadInput("invalid TrainConfig: " + "; ".join(problems))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["betas"] = list(self.betas)
        for name in (*MEMBER_KEYS, "lr_cap", "lr_unit"):  # left out when unset: older run requests
            if data[name] is None:                # keep their hash
                del data[name]
            elif name in MEMBER_KEYS:
                data[name] = list(data[name])
        if self.checkpoint_steps is not None:
            data["checkpoint_steps"] = list(self.checkpoint_steps)
        return data

    @property
    def per_member(self) -> bool:
        """Whether learning rate or eps differ per member."""
        return self.member_lr is not None or self.member_eps is not None

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        data = dict(data)
        reject_unknown_keys(data, cls.__dataclass_fields__, "TrainConfig")
        if data.get("checkpoint_steps") is not None:
            data["checkpoint_steps"] = tuple(data["checkpoint_steps"])
        return cls(**data)


def checkpoint_schedule(config: TrainConfig) -> list[int]:
    """Checkpoint steps in ``[0, max_steps]``, always containing 0 and ``max_steps``.

    Log-spaced: ``0`` and ``round(10^(k/n))`` for ``k = 0, 1, ...`` with ``n`` =
    ``checkpoints_per_decade`` (n = 1 gives 0, 1, 10, 100, ...).
    """
    steps = {0, config.max_steps}
    if config.checkpoint_steps is not None:
        steps |= {s for s in config.checkpoint_steps if s <= config.max_steps}
    elif config.checkpoints_per_decade is not None:
        k = 0
        while True:
            s = int(round(10 ** (k / config.checkpoints_per_decade)))
            if s > config.max_steps:
                break
            steps.add(s)
            k += 1
    return sorted(steps)
