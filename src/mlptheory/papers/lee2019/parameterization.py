"""lee2019 Fig. S7 (App. F): final test loss against the normalized learning rate for the
standard and the ntk parameterization. The same initial functions (same seeds: the stored
weights differ only by the factor ``sqrt(sw2/fan_in)``) are trained ``steps`` full-batch GD
steps with ``eta_ntk = f * eta_critical`` (analytic NTK, ntk parameterization) for each
``f`` in ``lr_fractions``, and ``eta_std = eta_ntk / M`` (hidden width ``M``). Diverged
networks are recorded with ``diverged = True`` and an infinite loss. ``test_loss_half`` is the
test loss at ``half_step = steps // 2`` (whether the loss has flattened by the end: the claims).

The figure marks the rates above ``eta_critical`` (outside Theorem 2.1; the claims do not judge
them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...seeding import derive_seeds
from .common import critical_lr, network_spec, train_ensemble, two_class_data
from .plan import PAPER


def table(params: dict, inputs, log=None) -> pd.DataFrame:
    x, y, xt, yt = two_class_data(inputs["dataset"], params, params["n_train"])
    seeds = derive_seeds(params["seed"], params["members"], PAPER, "parameterization")
    eta_crit = critical_lr(network_spec(params, x.shape[1]), x)
    rows = []
    for param in ("ntk", "standard"):
        spec = network_spec(params, x.shape[1], parameterization=param)
        width = spec.hidden[0]
        for frac in params["lr_fractions"]:
            eta_ntk = frac * eta_crit
            lr = eta_ntk if param == "ntk" else eta_ntk / width
            half = params["steps"] // 2
            hist = train_ensemble(spec, seeds, x, y, lr, params["steps"],
                                  [half, params["steps"]], x_eval=xt, log=log)
            out = hist[params["steps"]]["eval"]
            losses = 0.5 * ((out - yt.numpy()) ** 2).sum((1, 2)) / len(xt)
            losses_half = 0.5 * ((hist[half]["eval"] - yt.numpy()) ** 2).sum((1, 2)) / len(xt)
            finite = (np.isfinite(hist[params["steps"]]["loss"]) & np.isfinite(losses)
                      & np.isfinite(losses_half))
            for e, loss in enumerate(losses):
                rows.append(dict(parameterization=param, eta_ntk=eta_ntk, lr_fraction=frac,
                                 lr=lr, member=e, test_loss=float(loss) if finite[e] else
                                 float("inf"), test_loss_half=float(losses_half[e])
                                 if finite[e] else float("inf"), half_step=half,
                                 diverged=not bool(finite[e]), width=width,
                                 depth=spec.depth, n_train=len(x), steps=params["steps"],
                                 dataset=params["dataset_name"]))
    return pd.DataFrame(rows)


def draw(tables, params):
    """Mean final test loss (over members; diverged cells drawn as crosses at the top)."""
    import matplotlib.pyplot as plt

    frame = tables[0]
    fig, ax = plt.subplots(figsize=(5, 3.6), constrained_layout=True)
    finite = frame[~frame.diverged]
    top = 1.5 * finite.test_loss.max() if len(finite) else 1.0
    for k, (param, cur) in enumerate(frame.groupby("parameterization")):
        agg = cur.groupby("eta_ntk").agg(test_loss=("test_loss", "mean"),
                                         diverged=("diverged", "any")).reset_index()
        ok = agg[~agg.diverged]
        ax.plot(ok.eta_ntk, ok.test_loss, "o-", color=f"C{k}",
                label=f"{param}" + (r" ($\eta_{std} = \eta_{NTK}/M$)" if param == "standard"
                                    else ""))
        bad = agg[agg.diverged]
        ax.plot(bad.eta_ntk, np.full(len(bad), top), "x", color=f"C{k}", ms=8)
    eta_crit = float((frame.eta_ntk / frame.lr_fraction).iloc[0])
    if (frame.lr_fraction > 1).any():
        ax.axvspan(eta_crit, frame.eta_ntk.max() * 1.2, color="0.9", zorder=0,
                   label=r"above $\eta_{critical}$: not judged")
    ax.axvline(eta_crit, color="0.5", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(plt.NullFormatter())  # minor labels crowd a short log axis
    ax.set_xlabel(r"normalized learning rate $\eta_{NTK}$")
    ax.set_ylabel(f"test loss after {frame.steps.iloc[0]} steps")
    r = frame.iloc[0]
    ax.set_title(f"{r.dataset}, S={r.n_train}, {r.depth}x{r.width} ReLU; x: diverged",
                 fontsize=9)
    ax.legend(fontsize=7)
    return fig, frame
