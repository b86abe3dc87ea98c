"""The N trained sorensen2020 networks, gathered from their run files, and the four bases of
Table 1 in which every network is written.

Networks are stacked numpy parameters: a list of ``(W [N, out, in], b [N, out])`` per layer
(PyTorch layout; the thesis writes ``x @ W`` with ``W_1`` 784x512, which is our ``W`` transposed:
distances are the same).
"""

from __future__ import annotations

import logging

import numpy as np

from ...params import member
from ...runs import read_run
from ...spec import NetworkSpec
from ...symmetry import align

BASES = ("unsorted", "sorted_power", "sorted_lexicographic", "weight_matched")

log_default = logging.getLogger(__name__)


def load_networks(paths) -> tuple[list, NetworkSpec, np.ndarray]:
    """The final weights of every network in the run files, in order: ``(params, spec, seeds)``."""
    chunks, spec, seeds = [], None, []
    for path in paths:
        run = read_run(path)
        if spec is not None and run.spec != spec:
            raise ValueError(f"{path}: network spec {run.spec} differs from the first run's {spec}")
        bad = [s for s in run.status if s != "max_steps"]
        if bad:
            raise ValueError(f"{path}: {len(bad)} network(s) did not finish training "
                             f"(status {sorted(set(bad))}); rerun the run with other seeds")
        spec = run.spec
        chunks.append(run.params())
        seeds.extend(int(s) for s in run.seeds)
    if not chunks:
        raise ValueError("no run files given")
    if len(set(seeds)) != len(seeds):
        raise ValueError("the run files share networks (repeated seeds)")
    params = [(np.concatenate([c[layer][0] for c in chunks]),
               None if chunks[0][layer][1] is None
               else np.concatenate([c[layer][1] for c in chunks]))
              for layer in range(len(chunks[0]))]
    return params, spec, np.asarray(seeds)


def bases(params, p: float, log=log_default) -> dict[str, list]:
    """Every network in the four bases of Table 1.

    ``sorted_power``: NodeSort with the thesis key of base ``p`` (sorensen2020 eq. (8),
    Algorithm 1); ``sorted_lexicographic``: NodeSort with the exact lexicographic order;
    ``weight_matched``: each network permuted onto network 0 by weight matching (network 0 is
    its own reference). All four represent the same N functions.
    """
    n = params[0][0].shape[0]
    out = {"unsorted": params}
    reference = member(params, 0)
    for key, name in (("power", "sorted_power"), ("lexicographic", "sorted_lexicographic")):
        out[name] = align(reference, params, "nodesort", key=key, p=p if key == "power" else None)
        log.info("NodeSort (%s key) of %d networks done", key, n)
    out["weight_matched"] = align(reference, params, "weight_matching")
    log.info("weight matching of %d networks onto network 0 done", n - 1)
    return out
