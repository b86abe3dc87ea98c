"""tsuchida2019 cost terms (torch-free): table function -> :class:`~mlptheory.cost.model.Work`.

The autoencoder runs are costed from their requests (:func:`mlptheory.cost.model.run_work`)."""

from __future__ import annotations

from ...cost.model import Work, flops, layer_pairs
from ...run_request import RunRequest
from ...train_config import checkpoint_schedule


def random_kernels_table(settings, inputs, runs, cfg) -> Work:
    """Per beta and draw: a QR of ``n x n``, ``n_hidden x n`` generalized-Gaussian weights and
    the layer on ``2 n_angles`` inputs (float64)."""
    n, m, k = settings["n_inputs"], settings["n_hidden"], settings["n_angles"]
    per_draw = 4.0 / 3.0 * n**3 + 2.0 * 2 * k * n * m + 10.0 * n * n
    count = len(settings["betas"]) * settings["draws"]
    return (flops("float64", count * per_draw)
            + Work(randoms=count * (n * n + 3.0 * n * m), ops=count * 20.0,
                   mem=8.0 * (n * n + n * m)))


def _run(inputs, runs) -> RunRequest:
    return runs[inputs["run"]]


def kernel_table(settings, inputs, runs, cfg) -> Work:
    """Per checkpoint, member, input kind and layer (and the full network): the ReLU features of
    ``pairs`` pairs through the first layers, float64; one small frame per combination."""
    req = _run(inputs, runs)
    widths = req.spec.widths
    pairs = settings["pairs"]
    depth = len(widths) - 1
    # each layer alone (2 sides x pairs x fan_in x fan_out), then "full": every layer again
    per_kind = 2 * sum(2.0 * 2 * pairs * a * b for a, b in layer_pairs(widths))
    count = len(checkpoint_schedule(req.train)) * len(req.seeds) * len(settings["inputs"])
    return (flops("float64", count * per_kind)
            + Work(ops=count * (depth + 1) * 30.0,
                   mem=8.0 * (len(req.seeds) * req.spec.n_params + 4 * pairs * max(widths))))


def weight_table(settings, inputs, runs, cfg) -> Work:
    req = _run(inputs, runs)
    count = len(checkpoint_schedule(req.train)) * len(req.seeds) * req.spec.n_layers
    return Work(flops32=count * 2.0 * max(req.spec.widths) ** 2, ops=count * 5.0,
                mem=4.0 * len(req.seeds) * req.spec.n_params)


def reconstruction_table(settings, inputs, runs, cfg) -> Work:
    req = _run(inputs, runs)
    members = len(req.seeds)
    return Work(flops64=members * 2.0 * settings["images"] * req.spec.n_params,
                ops=members * settings["images"] * 10.0,
                mem=8.0 * members * req.spec.n_params)

