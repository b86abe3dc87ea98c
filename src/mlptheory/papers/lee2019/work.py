"""lee2019 cost terms (torch-free): table function -> :class:`~mlptheory.cost.model.Work`.

The networks train in their own runs (``train_run``, costed by
:func:`mlptheory.cost.model.run_work`); the tables read them and compute the kernels and
closed forms, float64 on one CPU thread."""

from __future__ import annotations

from ...cost.model import Work, eigh_flops, flops, mlp_flops, ntk_work
from ...datasets import dataset_info
from ...spec import NetworkSpec
from .plan import network_params


def _spec(settings, cfg, block, width=None, input_dim=None) -> NetworkSpec:
    family = network_params(cfg, cfg[block]) if block else settings
    d = input_dim or dataset_info(cfg["dataset"]).input_dim
    return NetworkSpec(d, (int(width or family["width"]),) * int(family["depth"]), 1)


def _analytic(n: int, depth: int) -> Work:
    """Analytic NNGP/NTK on ``n`` points and one eigendecomposition of it."""
    return flops("float64", eigh_flops(n) + 30.0 * n * n * depth) + Work(ops=20.0 * depth)


def _read(runs: int, steps: int) -> Work:
    return Work(ops=50.0 * runs * steps)


def predictive(settings, inputs, runs, cfg) -> Work:
    """The kernels on the training set and the interpolation, eqs. 13-16 at every step."""
    n = settings["n_train"] + settings["n_alpha"]
    return (_analytic(n, settings["depth"]) + flops("float64", 4 * len(settings["steps"])
                                                  * eigh_flops(settings["n_train"]))
            + _read(len(inputs["runs"]), len(settings["steps"])))


def dynamics(settings, inputs, runs, cfg) -> Work:
    """Empirical NTK on train and test x train, the analytic NTK, the Jacobian rows of the
    tracked weights (one backward pass per training point) and the closed forms."""
    spec = _spec(settings, cfg, "dynamics")
    dyn = cfg["dynamics"]
    n, n_test = int(dyn["n_train"]), int(cfg["n_test"])
    return (ntk_work(spec, 1, n) + ntk_work(spec, 1, n_test, n) + _analytic(n + n_test,
                                                                            spec.depth)
            + flops("float64", n * mlp_flops(spec.widths, 1)) + _read(1, 40))


def linearization_error(settings, inputs, runs, cfg) -> Work:
    err = cfg["linearization_error"]
    width = int(inputs["runs"][0].rsplit("_M", 1)[1].split("_S")[0])
    spec = _spec(settings, cfg, "linearization_error", width=width)
    m, n_test = int(err["members"]), int(cfg["n_test"])
    work = Work()
    for n in err["n_train"]:
        work = (work + ntk_work(spec, m, n) + ntk_work(spec, m, n_test, n)
                + flops("float64", m * eigh_flops(n)) + _read(1, 2))
    return work


def parameterization(settings, inputs, runs, cfg) -> Work:
    return _read(len(inputs["runs"]), 2)


def kernel_convergence(settings, inputs, runs, cfg) -> Work:
    """``repeats`` x ``max(n_samples)`` networks on ``n_inputs`` points: empirical NNGP and
    structured NTK of each (float64, chunks of 10)."""
    spec = _spec(settings, cfg, None, input_dim=settings["input_dim"])
    samples = settings["repeats"] * max(settings["n_samples"])
    n = settings["n_inputs"]
    return (ntk_work(spec, samples, n) + flops("float64", samples * 2.0 * spec.n_params * n)
            + Work(randoms=float(samples) * spec.n_params, ops=samples / 10.0 * 30.0)
            + _analytic(n, spec.depth))


