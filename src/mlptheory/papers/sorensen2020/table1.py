"""sorensen2020 Table 1: distances between the first- and second-layer weight matrices of all
pairs of trained networks, as trained, after NodeSort (power and lexicographic keys) and after
weight matching.

The registered table holds one row per network, matrix and basis: the min / max / mean distance
from that network to the N - 1 others and the number of others bitwise identical to it. Table 1
(all pairs) follows from these rows exactly (:func:`summary`), and so does a jackknife over
networks (:func:`.claims.jackknife_interval`): pairs share networks, so the networks, not the
pairs, are the independent replicates behind an interval of a pairwise mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...datasets import dataset_info
from ...runs import read_run
from ...symmetry import pairwise_distances
from .claims import THESIS, jackknife_interval
from .networks import BASES, bases, load_networks

SETTINGS = ["n_networks", "epochs", "batch_size", "optimizer", "lr", "p"]
SUMMARY = ["matrix", "basis", "min", "max", "mean", "n_pairs", "n_zero"]


def network_distances(vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of ``vectors`` ``[N, D]``: min / max / mean Euclidean distance to the other rows
    and the number of other rows bitwise identical to it (Gram matrix, no pair loop)."""
    n = len(vectors)
    d = np.zeros((n, n))
    d[np.triu_indices(n, k=1)] = pairwise_distances(vectors)
    d = d + d.T
    off = ~np.eye(n, dtype=bool)
    # bitwise identical rows, compared in their own dtype (as count_identical_pairs)
    x = np.ascontiguousarray(vectors)
    _, inverse, counts = np.unique(x.view(np.dtype((np.void, x.shape[1] * x.itemsize))),
                                   return_inverse=True, return_counts=True)
    return {"min": np.where(off, d, np.inf).min(1), "max": np.where(off, d, -np.inf).max(1),
            "mean": d.sum(1) / (n - 1), "n_zero": counts[inverse.ravel()] - 1}


def distance_table(in_bases: dict[str, list]) -> pd.DataFrame:
    """One row per network, matrix ``W1``/``W2`` and basis: its distances to the other networks
    (each matrix flattened to a point in R^n)."""
    rows = []
    for layer in range(len(in_bases["unsorted"])):
        for basis in BASES:
            w = in_bases[basis][layer][0]
            per = network_distances(w.reshape(w.shape[0], -1))
            rows.append(pd.DataFrame({"network": np.arange(w.shape[0]),
                                      "matrix": f"W{layer + 1}", "basis": basis, **per}))
    return pd.concat(rows, ignore_index=True)[["network", "matrix", "basis", "min", "max",
                                               "mean", "n_zero"]]


def summary(per_network: pd.DataFrame) -> pd.DataFrame:
    """sorensen2020 Table 1 from the per-network rows: min / max / mean distance over all pairs,
    the number of pairs and of bitwise identical pairs, per matrix and basis."""
    rows = []
    for (matrix, basis), g in per_network.groupby(["matrix", "basis"], sort=False):
        n = len(g)
        rows.append({"matrix": matrix, "basis": basis, "min": float(g["min"].min()),
                     "max": float(g["max"].max()), "mean": float(g["mean"].mean()),
                     "n_pairs": n * (n - 1) // 2, "n_zero": int(g["n_zero"].sum()) // 2})
    return pd.DataFrame(rows, columns=SUMMARY)


def training_settings(run_paths) -> dict:
    """How the networks were trained, read from their run files: N, epochs, batch size,
    optimizer and learning rate."""
    runs = [read_run(p) for p in run_paths]
    train = runs[0].train
    n_train = dataset_info(runs[0].data["dataset"]).train_size
    steps_per_epoch = -(-n_train // train.batch_size)
    return {"n_networks": sum(len(r.seeds) for r in runs),
            "epochs": round(train.max_steps / steps_per_epoch, 6),
            "batch_size": train.batch_size, "optimizer": train.optimizer, "lr": train.lr}


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    """Per-network distances with the settings they were measured with (one column each)."""
    networks, _, _ = load_networks(inputs["runs"])
    frame = distance_table(bases(networks, settings["p"], **({"log": log} if log else {})))
    if log is not None:
        log.info("\n%s", summary(frame).to_string(index=False))
    return frame.assign(**training_settings(inputs["runs"]), p=settings["p"])


def render(tables, settings) -> tuple[str, pd.DataFrame]:
    """Table 1: markdown with the settings and the thesis' values beside ours (the thesis
    sorts with its power key: our ``sorted_power``), and the CSV rows (all pairs)."""
    per_network = tables[0]
    first = per_network.iloc[0]
    ours = summary(per_network)
    frame = ours.assign(**{k: first[k] for k in SETTINGS})
    for k, stat in enumerate(("min", "max", "mean")):
        ours[f"thesis {stat}"] = pd.Series(  # None: the thesis has no such row (left empty)
            [THESIS[(m, b)][k] if (m, b) in THESIS else None
             for m, b in zip(ours.matrix, ours.basis, strict=True)], dtype=object)
    setup = (f"{first.n_networks} networks 784-512-10 (ReLU), {first.optimizer} lr "
             f"{first.lr:g}, batch {first.batch_size}, {first.epochs:g} epochs; power key "
             f"base p = {first.p:g}. Thesis: 1000 networks, its training settings are not "
             "stated beyond the architecture; its \"Sorted\" column is listed next to our "
             "sorted_power rows.")
    text = ("**sorensen2020 Table 1**: Euclidean distances between the weight matrices of all "
            "pairs of networks.\n\n" + setup + "\n\n"
            + ours.to_markdown(index=False, floatfmt=".5f", missingval="") + "\n")
    return text, frame


def draw_networks(tables, settings):
    """Every network's mean distance to the others, per basis (points), with the pairwise mean
    and its 95% jackknife interval over networks (bar), W1 and W2; the CSV is the per-network
    rows."""
    import matplotlib.pyplot as plt

    per_network = tables[0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    colors = {"unsorted": "0.35", "sorted_power": "tab:orange",
              "sorted_lexicographic": "tab:purple", "weight_matched": "tab:blue"}
    for ax, matrix in zip(axes, ("W1", "W2"), strict=True):
        for j, basis in enumerate(BASES):
            g = per_network[(per_network.matrix == matrix) & (per_network.basis == basis)]
            m = g.sort_values("network")["mean"].to_numpy()
            value, low, high = jackknife_interval({"m": m}, lambda m: m)
            jitter = np.linspace(-0.15, 0.15, len(m)) if len(m) > 1 else np.zeros(1)
            ax.plot(j + jitter, m, "o", ms=3, alpha=0.5, color=colors[basis])
            if np.isfinite(low):
                ax.errorbar(j + 0.3, value, yerr=[[value - low], [high - value]], fmt="s",
                            color=colors[basis], capsize=3)
            if (matrix, basis) in THESIS:
                ax.plot(j + 0.3, THESIS[(matrix, basis)][2], "x", color="k", ms=7,
                        label="thesis (mean)" if basis == "unsorted" else None)
        ax.set_xticks(range(len(BASES)), [b.replace("_", "\n") for b in BASES], fontsize=8)
        ax.set_ylabel(f"{matrix}: mean distance to the other networks")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    n = per_network["network"].nunique()
    fig.suptitle(f"sorensen2020 Table 1 per network ({n} networks)\npoints: networks; squares: "
                 "mean over pairs with 95% jackknife interval over networks", fontsize=11)
    fig.tight_layout()
    return fig, per_network[["network", "matrix", "basis", "min", "max", "mean", "n_zero"]]
