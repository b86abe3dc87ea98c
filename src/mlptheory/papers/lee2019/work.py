"""lee2019 cost terms (torch-free): table function -> :class:`~mlptheory.cost.Work`.

lee2019 trains its networks inside the table jobs (:mod:`.common`), so each term holds the
training of its ensembles (:func:`mlptheory.cost.training_work`), float64 full-batch GD."""

from __future__ import annotations

from ...cost import Work, eigh_flops, flops, ntk_work, training_work
from ...datasets import dataset_info
from ...spec import NetworkSpec


def _spec(params, cfg, width=None, input_dim=None) -> NetworkSpec:
    d = input_dim or dataset_info(cfg["dataset"]).input_dim
    return NetworkSpec(d, (int(width or params["width"]),) * params["depth"], 1)


def _analytic(n: int, depth: int) -> Work:
    """Analytic NNGP/NTK on ``n`` points and one eigendecomposition of it."""
    return flops("float64", eigh_flops(n) + 30.0 * n * n * depth) + Work(ops=20.0 * depth)


def predictive(params, inputs, runs, cfg) -> Work:
    spec = _spec(params, cfg)
    n, n_eval = params["n_train"], params["n_alpha"]
    steps, records = max(params["steps"]), len(params["steps"])
    return (training_work(spec, params["ensemble"], n, n, steps, n_eval=n_eval, evals=records)
            + _analytic(n + n_eval, spec.depth) + _analytic(n + n_eval, spec.depth))


def dynamics(params, inputs, runs, cfg) -> Work:
    """The network, its linearization trained by jvp (~2 forward passes more per step) and
    the closed form from its empirical NTK."""
    spec = _spec(params, cfg)
    n, n_test, steps = params["n_train"], params["n_test"], params["max_steps"]
    net = training_work(spec, 1, n, n, steps, n_eval=n_test, evals=2 * params[
        "points_per_decade"] * 5)
    linear = training_work(spec, 1, n, n, steps) * 2.0
    return (net + linear + ntk_work(spec, 1, n) + ntk_work(spec, 1, n_test, n)
            + _analytic(n, spec.depth))


def linearization_error(params, inputs, runs, cfg) -> Work:
    spec = _spec(params, cfg)
    work = Work()
    for n in params["n_train"]:
        m = params["members"]
        work = (work + training_work(spec, m, n, n, params["steps"], n_eval=params["n_test"],
                                     evals=2)
                + ntk_work(spec, m, n) + ntk_work(spec, m, params["n_test"], n)
                + flops("float64", m * eigh_flops(n)) + _analytic(n, spec.depth))
    return work


def parameterization(params, inputs, runs, cfg) -> Work:
    spec = _spec(params, cfg)
    n = params["n_train"]
    one = (training_work(spec, params["members"], n, n, params["steps"],
                         n_eval=params["n_test"], evals=2) + _analytic(n, spec.depth))
    return one * (2.0 * len(params["lr_fractions"]))


def kernel_convergence(params, inputs, runs, cfg) -> Work:
    """``repeats`` x ``max(n_samples)`` networks on ``n_inputs`` points: empirical NNGP and
    structured NTK of each (float64, chunks of 10)."""
    spec = _spec(params, cfg, input_dim=params["input_dim"])
    samples = params["repeats"] * max(params["n_samples"])
    n = params["n_inputs"]
    return (ntk_work(spec, samples, n) + flops("float64", samples * 2.0 * spec.n_params * n)
            + Work(randoms=float(samples) * spec.n_params, ops=samples / 10.0 * 30.0)
            + _analytic(n, spec.depth))


WORK = {
    "predictive:table": predictive,
    "dynamics:table": dynamics,
    "linearization_error:table": linearization_error,
    "parameterization:table": parameterization,
    "kernel_convergence:table": kernel_convergence,
}
