"""lee2019 Fig. S7 (App. F): final test loss against the normalized learning rate for the
standard and the ntk parameterization. The same initial functions (same seeds: the stored
weights differ only by the factor ``sqrt(sw2/fan_in)``) are trained ``steps`` full-batch GD
steps with ``eta_ntk = f * eta_critical`` (analytic NTK, ntk parameterization) for each
``f`` in ``lr_fractions``, and ``eta_std = eta_ntk / M`` (hidden width ``M``): one run per
parameterization (``parameterization_ntk``, ``parameterization_standard``) whose members are
the (rate, seed) pairs, rate-major. A member whose loss diverged is recorded by the run
(status ``diverged``). Diverged
networks are recorded with ``diverged = True`` and an infinite loss. ``test_loss_half`` is the
test loss at ``half_step = steps // 2`` (whether the loss has flattened by the end: the claims).

The figure marks the rates above ``eta_critical`` (outside Theorem 2.1; the claims do not judge
them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data import training_data
from ...runs import read_run


def _test_loss(run, step: int, yt) -> np.ndarray:
    """Test MSE of every member at ``step`` from its stored test outputs."""
    out = run.checkpoint(step)["eval_outputs"]
    return 0.5 * ((out - yt) ** 2).sum((1, 2)) / len(yt)


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    rows = []
    fractions = settings["lr_fractions"]
    for path in inputs["runs"]:
        run = read_run(path)
        spec = run.spec
        yt = training_data(inputs["dataset"], run.config["extra"]["measure"]["eval"])[1].numpy()
        steps = int(run.train.max_steps)
        half = steps // 2
        members = len(run.seeds) // len(fractions)  # fraction-major (plan.run_requests)
        lrs = run.member_lrs()
        width = spec.hidden[0]
        eta_crit_ntk = run.lr_critical * (width if spec.parameterization == "standard" else 1)

        losses, losses_half = (_test_loss(run, s, yt) for s in (steps, half))
        for i, (frac, lr) in enumerate(zip(np.repeat(fractions, members), lrs, strict=True)):
            ok = (run.status[i] != "diverged" and np.isfinite(losses[i])
                  and np.isfinite(losses_half[i]))
            rows.append(dict(parameterization=spec.parameterization,
                             eta_ntk=float(frac) * eta_crit_ntk, lr_fraction=float(frac),
                             lr=float(lr), member=i % members,
                             test_loss=float(losses[i]) if ok else float("inf"),
                             test_loss_half=float(losses_half[i]) if ok else float("inf"),
                             half_step=half, diverged=not ok, width=width, depth=spec.depth,
                             n_train=int(run.data["n"]), steps=steps,
                             dataset=settings["dataset_name"]))
    return pd.DataFrame(rows)


def draw(tables, settings):
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
    ax.set_xscale("log", base=2)  # the paper's axis
    ax.xaxis.set_minor_formatter(plt.NullFormatter())  # minor labels crowd a short log axis
    ax.set_xlabel(r"normalized learning rate $\eta_{NTK}$")
    ax.set_ylabel(f"test loss after {frame.steps.iloc[0]} steps")
    r = frame.iloc[0]
    ax.set_title(f"{r.dataset}, S={r.n_train}, {r.depth}x{r.width} ReLU; x: diverged",
                 fontsize=9)
    ax.legend(fontsize=7)
    return fig, frame
