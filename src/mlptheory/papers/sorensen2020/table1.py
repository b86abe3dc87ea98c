"""sorensen2020 Table 1: distances between the first- and second-layer weight matrices of all
pairs of trained networks, as trained, after NodeSort (power and lexicographic keys) and after
weight matching."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...symmetry import count_identical_pairs, pairwise_distances
from .networks import BASES, bases, load_networks


def distance_stats(vectors: np.ndarray) -> dict:
    """min / max / mean Euclidean distance over all pairs of rows (Gram matrix, no pair loop),
    the number of pairs and the number of bitwise identical pairs (distance exactly 0)."""
    d = pairwise_distances(vectors)
    return {"min": float(d.min()), "max": float(d.max()), "mean": float(d.mean()),
            "n_pairs": int(d.size), "n_zero": count_identical_pairs(vectors)}


def distance_table(in_bases: dict[str, list]) -> pd.DataFrame:
    """sorensen2020 Table 1: distances between the weight matrices ``W_1``, ``W_2`` of all pairs
    of networks (each matrix flattened to a point in R^n), in every basis."""
    rows = []
    for layer in range(len(in_bases["unsorted"])):
        for basis in BASES:
            w = in_bases[basis][layer][0]
            rows.append({"matrix": f"W{layer + 1}", "basis": basis,
                         **distance_stats(w.reshape(w.shape[0], -1))})
    return pd.DataFrame(rows, columns=["matrix", "basis", "min", "max", "mean", "n_pairs",
                                       "n_zero"])


def table(params: dict, inputs, log=None) -> pd.DataFrame:
    networks, _, _ = load_networks(inputs["runs"])
    frame = distance_table(bases(networks, params["p"], **({"log": log} if log else {})))
    if log is not None:
        log.info("\n%s", frame.to_string(index=False))
    return frame


def render(tables, params) -> pd.DataFrame:
    """Table 1 as the paper shows it (CSV and markdown: the same rows)."""
    return tables[0]
