"""tsuchida2019 Fig. 5: at the last checkpoint, per layer, ``Delta k`` (mean squared error of the
measured normalized kernel to the arc-cosine kernel on Procedure 1 pairs *without* the lettered
steps, Sec. 5.2) and ``Delta W = (E^n)^2 = max_j (mean_i W_ji)^2``, each min-max normalized to
[0, 1] over the sweep of one optimizer family, one layer and one replicate, as in the paper.
The raw values stay in the CSV (``delta_k_raw``, ``delta_w_raw``), with what the claims need to
judge them: ``delta_w_init`` (``Delta W`` at t = 0, the level of i.i.d. weights), ``loss`` and
``loss_init`` (training loss at the last checkpoint and at t = 0), ``loss_mean_image`` (that
of the mean image) and ``displacement``
(``||W_T - W_0||_F / ||W_0||_F``). The figure draws the mean over the replicates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .plan import FAMILIES


def min_max(values: pd.Series) -> pd.Series:
    """``(v - min) / (max - min)`` over the finite values (0 where they are all equal)."""
    lo, hi = np.nanmin(values), np.nanmax(values)
    return (values - lo) / (hi - lo) if hi > lo else values * 0.0


def sweep_table(kernels: pd.DataFrame, weights: pd.DataFrame, inputs: str) -> pd.DataFrame:
    """Rows ``optimizer, eps, lr, replicate, member, status, layer, step, delta_k_raw,
    delta_w_raw, loss, loss_mean_image, displacement, delta_w_init, loss_init, delta_k,
    delta_w`` at the last
    checkpoint of each family's run (numbered layers only)."""
    kernels = kernels[(kernels.inputs == inputs) & (kernels.layer.astype(str) != "full")].copy()
    kernels["layer"] = kernels.layer.astype(int)
    weights = weights.copy()
    for frame in (kernels, weights):
        if "replicate" not in frame:
            frame["replicate"] = 0
    # each family's last checkpoint (a run whose members all diverged ends early)
    kernels = kernels[kernels.step == kernels.groupby("optimizer").step.transform("max")]
    first = weights[weights.step == weights.groupby("optimizer").step.transform("min")]
    weights = weights[weights.step == weights.groupby("optimizer").step.transform("max")]
    keys = ["optimizer", "eps", "lr", "replicate", "member", "status", "layer", "step"]
    dk = ((kernels.k_measured - kernels.k_arccos) ** 2).groupby(
        [kernels[k] for k in keys]).mean().rename("delta_k_raw").reset_index()
    extra = [c for c in ("loss", "loss_mean_image", "displacement") if c in weights]
    w = weights[keys + ["en_squared", *extra]].rename(columns={"en_squared": "delta_w_raw"})
    start = first[["optimizer", "member", "layer", "en_squared",
                   *(["loss"] if "loss" in weights else [])]].rename(
        columns={"en_squared": "delta_w_init", "loss": "loss_init"})
    out = dk.merge(w, on=keys, how="outer", validate="one_to_one").merge(
        start, on=["optimizer", "member", "layer"], how="left", validate="many_to_one")
    group = out.groupby(["optimizer", "layer", "replicate"])
    out["delta_k"] = group.delta_k_raw.transform(min_max)
    out["delta_w"] = group.delta_w_raw.transform(min_max)
    return out.sort_values(["optimizer", "layer", "eps", "lr", "replicate"]).reset_index(
        drop=True)


def draw(tables, settings):
    """One row per optimizer family (present in the tables), ``Delta k`` and ``Delta W`` vs the
    swept hyperparameter, one line per layer: the mean over the replicates of the per-replicate
    normalized values, the band their min to max."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    kernels = pd.concat([t for t in tables if "k_measured" in t], ignore_index=True)
    weights = pd.concat([t for t in tables if "en_squared" in t], ignore_index=True)
    frame = sweep_table(kernels, weights, settings["inputs"])
    families = [f for f in FAMILIES if f in set(frame.optimizer)]
    fig, axes = plt.subplots(len(families), 2, figsize=(8, 2.6 * len(families)),
                             squeeze=False)
    for r, family in enumerate(families):
        swept = settings["swept"][family]
        sub = frame[frame.optimizer == family]
        for c, (value, label) in enumerate((("delta_k", "Delta k"), ("delta_w", "Delta W"))):
            ax = axes[r, c]
            for layer, one in sub.groupby("layer"):
                stats = one.groupby(swept)[value].agg(["mean", "min", "max"]).sort_index()
                x = stats.index.to_numpy()
                line, = ax.plot(x, stats["mean"], "o-", ms=3, label=f"layer {layer}")
                if one.replicate.nunique() > 1:
                    ax.fill_between(x, stats["min"], stats["max"], color=line.get_color(),
                                    alpha=0.15, lw=0)
            ax.set_xscale("log")
            if len(x) and x.max() / x.min() < 100:  # a sweep within two decades (SGD's rates):
                ax.set_xticks(x, [f"{v:g}" for v in x])  # its own values, not crowded minors
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_ylim(-0.05, 1.05)
            ax.set_xlabel(swept)
            ax.set_ylabel(f"{label}, min-max normalized", fontsize=8)
            ax.set_title(f"{family}, t = {int(sub.step.max())}, "
                         f"{sub.replicate.nunique()} replicate(s)", fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("tsuchida2019 Fig. 5: change of the layer kernels (Delta k) and weights "
                 "(Delta W) against the swept hyperparameter\n(mean over replicates of each "
                 "replicate's min-max normalized value; band: min to max)", fontsize=9)
    fig.tight_layout()
    return fig, frame
