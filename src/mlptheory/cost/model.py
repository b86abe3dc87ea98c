"""The work of a job, counted before it runs: what each training run, table, figure and
dataset computes (:class:`Work`), from its run request or its registered cost term.

Torch-free. Units (every job gets a :class:`Work`):

* ``flops64`` / ``flops32``: floating-point operations of its matrix products and kernels
  (a multiply-add counts 2), by dtype;
* ``ops``: small tensor operations whose cost is a fixed time per call, not per FLOP (one per
  layer of a training step; what dominates narrow networks);
* ``steps``: training steps (one optimizer step, loss and bookkeeping each);
* ``randoms``: random numbers drawn by numpy (network initializations);
* ``plots``: matplotlib figures drawn; ``mem``: peak bytes of its arrays;
* ``traffic``: bytes streamed through memory by element-wise passes too large for the caches
  (the optimizer update: Adam reads weights, gradients and both moments and writes three of
  them back, 7 passes over the parameters per step; memory-bound, not FLOP-bound).

The cost term of each table is registered with it (``Registry.table(..., cost=...)``, the
functions in ``mlptheory.papers.<paper>.work``), beside its plan;
:mod:`mlptheory.cost.calibration` turns work into seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..datasets import dataset_info
from ..registry import resolve
from ..run_request import DataRequest, RunRequest
from ..spec import NetworkSpec
from ..train_config import checkpoint_schedule

BYTES = {"float64": 8, "float32": 4}
# passes over the parameters of one optimizer update (reads + writes of weights, gradients and
# the optimizer's slots); SGD with momentum adds two, which the requests' costs leave out
UPDATE_PASSES = {"gd": 3, "sgd": 3, "rmsprop": 5, "adam": 7, "nadam": 7}


@dataclass(frozen=True)
class Work:
    """What one job computes (module docstring); ``a + b`` adds everything but ``mem`` (max)."""

    flops64: float = 0.0
    flops32: float = 0.0
    ops: float = 0.0
    steps: float = 0.0
    randoms: float = 0.0
    plots: float = 0.0
    traffic: float = 0.0
    mem: float = 0.0

    def __add__(self, other: Work) -> Work:
        return Work(*(a + b for a, b in zip(astuple_(self)[:-1], astuple_(other)[:-1],
                                            strict=True)), max(self.mem, other.mem))

    def __mul__(self, k: float) -> Work:
        return Work(*(a * k for a in astuple_(self)[:-1]), self.mem)

    __rmul__ = __mul__

    @property
    def flops(self) -> float:
        return self.flops64 + self.flops32


def astuple_(w: Work) -> tuple:
    return (w.flops64, w.flops32, w.ops, w.steps, w.randoms, w.plots, w.traffic, w.mem)


def flops(dtype: str, n: float) -> Work:
    """``n`` FLOPs in ``dtype``."""
    return Work(flops64=n) if dtype == "float64" else Work(flops32=n)


def layer_pairs(widths) -> list[tuple[int, int]]:
    return list(zip(widths[:-1], widths[1:], strict=True))


def mlp_flops(widths, n: float, backward: bool = True) -> float:
    """Matrix-product FLOPs of one network on ``n`` inputs, as :mod:`mlptheory.training`
    computes them: forward ``2 n a b`` per layer (``a`` inputs, ``b`` outputs), backward the
    weight gradient ``2 n a b`` and the input gradient ``2 n a b`` of every layer but the
    first."""
    pairs = layer_pairs(widths)
    forward = 2.0 * n * sum(a * b for a, b in pairs)
    if not backward:
        return forward
    return 3.0 * forward - 2.0 * n * pairs[0][0] * pairs[0][1]


def structured_ntk_flops(widths, n1: int, n2: int | None = None) -> float:
    """FLOPs of :func:`mlptheory.kernels.empirical_ntk` (``structured``) of one network with
    ``k`` outputs: on each input set the forward pass and ``k`` deltas back through every layer
    but the first (``2 n k a b``), and per layer the Gram matrices ``h h^T`` (``2 n1 n2 a``) and
    ``delta delta^T`` (``2 n1 n2 k b``)."""
    pairs = layer_pairs(widths)
    k = widths[-1]
    sides = (n1,) if n2 is None else (n1, n2)
    n2 = n1 if n2 is None else n2
    total = 0.0
    for s in sides:
        total += 2.0 * s * sum(a * b for a, b in pairs)
        total += 2.0 * s * k * sum(a * b for a, b in pairs[1:])
    for fan_in, fan_out in pairs:
        total += 2.0 * n1 * n2 * (fan_in + k * fan_out)
    return total


def ntk_work(spec: NetworkSpec, members: int, n1: int, n2: int | None = None) -> Work:
    """Structured empirical NTK of ``members`` networks (module docstring of kernels.empirical)."""
    widths = spec.widths
    n2_ = n1 if n2 is None else n2
    mem = members * (n1 * n2_ * BYTES[spec.dtype] + (n1 + n2_) * sum(widths) * widths[-1] * 8)
    return (flops(spec.dtype, members * structured_ntk_flops(widths, n1, n2))
            + Work(ops=4 * spec.n_layers, mem=mem))


def eigh_flops(n: int) -> float:
    """Symmetric eigendecomposition of an ``n x n`` matrix (values and vectors), ~9 n^3."""
    return 9.0 * n**3


def init_work(spec: NetworkSpec, members: int) -> Work:
    """Drawing ``members`` initializations with numpy (one number per parameter)."""
    return Work(randoms=float(members) * spec.n_params, ops=members * spec.n_layers)


def training_work(spec: NetworkSpec, members: int, n_data: int, batch: int, steps: int,
                  optimizer: str = "gd", n_eval: int = 0, evals: int = 0) -> Work:
    """``steps`` steps of an ensemble of ``members`` networks (one batched EnsembleMLP): the
    matrix products of forward and backward at batch ``batch``, the optimizer's element-wise
    update as memory traffic (:data:`UPDATE_PASSES` over the parameters), one op per layer per
    step; ``evals`` forward passes on ``n_eval`` points."""
    per_step = members * mlp_flops(spec.widths, batch)
    size = BYTES[spec.dtype]
    traffic = steps * members * spec.n_params * size * UPDATE_PASSES[optimizer]
    state = 2 if optimizer in ("gd", "sgd") else 4  # weights + grads (+ two moments)
    mem = (members * spec.n_params * size * state + n_data * spec.input_dim * size
           + 3 * members * batch * sum(spec.widths) * size)
    return (flops(spec.dtype, steps * per_step
                  + evals * members * mlp_flops(spec.widths, n_eval, backward=False))
            + Work(ops=(steps + evals) * spec.n_layers, steps=steps, traffic=traffic, mem=mem)
            + init_work(spec, members))


def run_work(req: RunRequest) -> Work:
    """Work of one training run (rules/training.smk: ``train_run``)."""
    spec, train = req.spec, req.train
    members = len(req.seeds)
    info = dataset_info(req.data.dataset)
    n = req.data.value("n") or info.split_size(req.data.value("split"))
    if req.data.value("classes"):
        n = min(n, info.split_size(req.data.value("split")) * len(req.data.classes)
                // info.n_classes)
    batch = train.batch_size or n
    work = training_work(spec, members, n, batch, train.max_steps, train.optimizer)
    checkpoints = len(checkpoint_schedule(train))
    measure = req.measure or {}
    if measure.get("ntk"):
        work = work + ntk_work(spec, members, n) * checkpoints
    evaluated = ((n if measure.get("outputs") else 0) + int(measure.get("interpolation") or 0)
                 + (int(DataRequest.from_dict(measure["eval"]).value("n") or 0)
                    if measure.get("eval") else 0))
    if evaluated:  # forward passes on the measured inputs at every checkpoint
        work = work + flops(spec.dtype, checkpoints * members
                            * mlp_flops(spec.widths, evaluated, backward=False))
    if train.lr_unit is not None:  # the analytic NTK on the training set and its spectrum
        work = work + flops("float64", eigh_flops(n) + 30.0 * n * n * spec.depth)
    if train.lr_cap is not None:  # lambda_max of each member's initial NTK
        nk = n * spec.output_dim
        work = work + ntk_work(spec, members, n) + flops("float64", members * eigh_flops(nk))
    if not measure.get("weights", True):
        return work
    return work + Work(mem=checkpoints * members * spec.n_params * BYTES[spec.dtype])




def table_work(table, runs: dict[str, RunRequest], paper_config: dict) -> Work:
    """Work of one registered table: its registered cost term (``table.cost``; ``runs``: run
    file -> request; ``paper_config``: the paper's block of the config)."""
    return resolve(table.cost)(table.settings, table.inputs, runs, paper_config)


def dataset_bytes(dataset: str) -> float:
    info = dataset_info(dataset)
    return (info.train_size + info.test_size) * info.input_dim * 4.0
