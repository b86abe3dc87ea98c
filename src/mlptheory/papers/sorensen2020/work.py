"""sorensen2020 cost terms (torch-free): table function -> :class:`~mlptheory.cost.model.Work`.

The N networks' training runs are costed from their requests
(:func:`mlptheory.cost.model.run_work`)."""

from __future__ import annotations

from ...cost.model import BYTES, Work, flops
from ...datasets import dataset_info

BASES = 3  # unsorted, NodeSort, and the sorted basis of Table 1


def _networks(inputs, runs):
    reqs = [runs[p] for p in inputs["runs"]]
    return reqs[0].spec, sum(len(r.seeds) for r in reqs)


def _evaluate(spec, networks: int, n_test: int) -> Work:
    """Logits of ``networks`` networks on the test set (chunks of 10)."""
    return Work(flops32=networks * 2.0 * n_test * spec.n_params, ops=networks * 2.0)


def _align(spec, networks: int, matching: bool) -> Work:
    """NodeSort (sort keys of every hidden unit) or weight matching (a linear assignment of
    ``M x M`` per layer, ~M^3) of ``networks`` networks onto one."""
    m = max(spec.hidden)
    per = 20.0 * spec.n_params + (m**3 if matching else 0.0)
    return flops("float64", networks * per) + Work(ops=networks * 20.0)


def distances(settings, inputs, runs, cfg) -> Work:
    """Table 1: distances between every pair of the N networks per layer and basis."""
    spec, n = _networks(inputs, runs)
    return (flops("float64", BASES * 2.0 * n * n * spec.n_params) + _align(spec, n, False)
            + Work(ops=BASES * n * n * 2.0,
                   mem=BASES * n * spec.n_params * BYTES["float64"]))


def sorted_points(settings, inputs, runs, cfg) -> Work:
    return Work(ops=100.0)


def _groups(settings, n: int) -> dict[int, int]:
    """k -> number of disjoint groups of k networks measured (averaging.disjoint_groups)."""
    ks = sorted({k for k in settings["ks"] if 2 <= k <= n} | {n})
    return {k: min(int(settings["groups"]), n // k) for k in ks}


def averaging(settings, inputs, runs, cfg) -> Work:
    spec, n = _networks(inputs, runs)
    n_test = dataset_info(cfg["dataset"]).test_size
    groups = _groups(settings, n)
    cells = sum(groups.values())
    matched = sum(k * g for k, g in groups.items())
    return (_evaluate(spec, n, n_test) + _evaluate(spec, 3 * cells, n_test)
            + _align(spec, n, False) + _align(spec, matched, True)
            + flops("float32", 3.0 * matched * spec.n_params)
            + Work(mem=(3 * n + cells) * spec.n_params * BYTES["float64"]
                   + n * n_test * 10 * BYTES["float64"]))


def barrier(settings, inputs, runs, cfg) -> Work:
    spec, n = _networks(inputs, runs)
    n_test = dataset_info(cfg["dataset"]).test_size
    pairs = min(int(settings["groups"]), n // 2)
    return (_evaluate(spec, 3 * pairs * settings["n_points"], n_test)
            + _align(spec, 2 * pairs, False) + _align(spec, 2 * pairs, True)
            + Work(mem=3 * settings["n_points"] * spec.n_params * BYTES["float64"]))


def nodesort_checks(settings, inputs, runs, cfg) -> Work:
    """Per network: test metrics (float64, as trained and sorted), NodeSort of the network and
    of its random permutations with both orders, the key-order concordances."""
    spec, n = _networks(inputs, runs)
    n_test = dataset_info(cfg["dataset"]).test_size
    m = max(spec.hidden)
    return (_evaluate(spec, 3 * n, n_test) + _align(spec, n * (2 + 2 * settings["permutations"]),
                                                    False)
            + flops("float64", n * 4 * 4.0 * m * m)  # 4 rank concordances of m units
            + Work(ops=n * 50.0, mem=n * spec.n_params * BYTES["float64"]))

