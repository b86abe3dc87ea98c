"""sorensen2020 Table 1: distances between the first- and second-layer weight matrices of all
pairs of trained networks, as trained, after NodeSort (power and lexicographic keys) and after
weight matching."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...datasets import dataset_info
from ...runs import read_run
from ...symmetry import count_identical_pairs, pairwise_distances
from .claims import THESIS
from .networks import BASES, bases, load_networks

SETTINGS = ["n_networks", "epochs", "batch_size", "optimizer", "lr", "p"]


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


def table(params: dict, inputs, log=None) -> pd.DataFrame:
    """Table 1 with the settings it was measured with (one column each)."""
    networks, _, _ = load_networks(inputs["runs"])
    frame = distance_table(bases(networks, params["p"], **({"log": log} if log else {})))
    if log is not None:
        log.info("\n%s", frame.to_string(index=False))
    return frame.assign(**training_settings(inputs["runs"]), p=params["p"])


def render(tables, params) -> tuple[str, pd.DataFrame]:
    """Table 1: markdown with the settings and the thesis' values beside ours (the thesis
    sorts with its power key: our ``sorted_power``), and the CSV rows."""
    frame = tables[0]
    first = frame.iloc[0]
    ours = frame.drop(columns=SETTINGS)
    for k, stat in enumerate(("min", "max", "mean")):
        ours[f"thesis {stat}"] = pd.Series(  # None: the thesis has no such row (left empty)
            [THESIS[(m, b)][k] if (m, b) in THESIS else None
             for m, b in zip(frame.matrix, frame.basis, strict=True)], dtype=object)
    settings = (f"{first.n_networks} networks 784-512-10 (ReLU), {first.optimizer} lr "
                f"{first.lr:g}, batch {first.batch_size}, {first.epochs:g} epochs; power key "
                f"base p = {first.p:g}. Thesis: 1000 networks, its training settings are not "
                "stated beyond the architecture; its \"Sorted\" column is listed next to our "
                "sorted_power rows.")
    text = ("**sorensen2020 Table 1**: Euclidean distances between the weight matrices of all "
            "pairs of networks.\n\n" + settings + "\n\n"
            + ours.to_markdown(index=False, floatfmt=".5f", missingval="") + "\n")
    return text, frame
