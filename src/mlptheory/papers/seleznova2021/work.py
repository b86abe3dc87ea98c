"""seleznova2021 cost terms (torch-free): table function -> :class:`~mlptheory.cost.model.Work`.

Training runs are costed from their requests (:func:`mlptheory.cost.model.run_work`)."""

from __future__ import annotations

from ...cost.model import BYTES, Work, eigh_flops, flops, init_work, ntk_work
from ...datasets import dataset_info
from ...spec import NetworkSpec


def _cells_work(cells, n_inits: int) -> Work:
    """Conditional sampler (:mod:`mlptheory.kernels.samplers`): ``O(L M)`` per initialization,
    all initializations of a cell vectorized; ~12 small ops per layer (forward draw, backward
    conditional draw, norms)."""
    work = Work()
    for width, depth in cells:
        work = work + Work(flops64=40.0 * n_inits * depth * width, ops=12.0 * depth,
                           randoms=2.0 * n_inits * depth * width,
                           mem=8.0 * n_inits * width * 4)
    return work


def block_table(settings, inputs, runs, cfg) -> Work:
    cells = [(settings["width"], d) for _ in settings["sw2"] for d in settings["depths"]]
    return _cells_work(cells, settings["n_inits"])


def vs_depth_table(settings, inputs, runs, cfg) -> Work:
    cells = [(w, d) for _ in settings["settings"] for w in settings["widths"]
             for d in settings["depths"]]
    return _cells_work(cells, settings["n_inits"])


def ntk_change_table(settings, inputs, runs, cfg) -> Work:
    """Per run file: its initial NTK again and ``lambda_max`` of each member (float64)."""
    work = Work()
    for path in inputs["runs"]:
        req = runs[path]
        n, members = req.data.value("n"), len(req.seeds)
        spec = req.spec.replace(dtype="float64")
        work = work + ntk_work(spec, members, n) + init_work(spec, members) + flops(
            "float64", members * eigh_flops(n * spec.output_dim))
    return work


def kappa_table(settings, inputs, runs, cfg) -> Work:
    """Lemma 5.2 recursions: a few Gaussian expectations per (setting, covariance, depth)."""
    n = sum(len(s["sw2"]) for s in settings["settings"]) * len(settings["covariances"])
    return Work(ops=40.0 * n * settings["max_depth"])


def thm53_table(settings, inputs, runs, cfg) -> Work:
    """Per (setting, sw2, depth): ``n_inits`` networks (chunks), their structured NTK on
    ``n_train + 1`` inputs, two kernel regressions, and the analytic NTK."""
    d = dataset_info(cfg["dataset"]).input_dim
    n = settings["n_train"] + 1
    work = Work()
    for setting in settings["settings"]:
        for _ in setting["sw2"]:
            for depth in settings["depths"]:
                spec = NetworkSpec(d, (settings["width"],) * depth, 1)
                inits = settings["n_inits"]
                work = (work + ntk_work(spec, inits, n) + init_work(spec, inits)
                        + flops("float64", inits * 2 * (n**3 / 3.0)) + Work(ops=30.0 * depth)
                        + Work(mem=10 * spec.n_params * BYTES["float64"]))
    return work

