"""lee2019 Fig. 2: the predictive distribution on inputs ``x(alpha) = alpha x1 + (1 - alpha) x2``
along the line through the first training point of each class (``alpha`` beyond [0, 1]
extrapolates, as the paper's axis from -2 to 3), at several training steps ``t``, for

* ``ensemble``: the ensemble of networks trained by full-batch GD (the runs
  ``predictive_*``, mean and sd over members);
* ``ntk_gp``: the infinite ensemble of linearized networks, eqs. (14), (15), with the analytic
  NNGP ``K`` and NTK ``Theta`` (:func:`mlptheory.predict.gradient_descent_mse_ensemble`);
* ``readout``: the infinite ensemble in which only the readout layer is trained, at the same
  ``t`` and learning rate (eq. 16, the paper's red region; :func:`mlptheory.predict.
  readout_gd_ensemble`); it reaches the NNGP posterior as ``t -> inf``;
* ``nngp``: the NNGP posterior, eq. (13) (:func:`mlptheory.predict.gp_inference`), the
  readout-only prediction at ``t = inf`` (exact Bayesian inference), the same at every step;
* ``member``: each network of the ensemble (``member`` = its index, ``mean`` its output,
  ``std`` empty), so the Monte Carlo error of the ensemble's mean and sd can be bootstrapped
  over members (the claims); the figure draws the ensemble, the NTK-GP and the readout-only
  prediction, and the NNGP posterior in the last panel.

``t`` counts GD steps (neural-tangents' convention, in which ``learning_rate * t`` is the
continuous time). ``train_loss`` is the training MSE at that step (the ensemble's mean over
members on its rows, the member's own on a member row); ``member`` is -1 on the model rows.
``x1``/``x2`` are ``alpha = 1``/``0``; ``train_index`` names their rows in the training set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...data import class_of_targets, training_data
from ...experiment import interpolation_inputs
from ...kernels import nngp_ntk
from ...predict import (
    eta_critical,
    gp_inference,
    gradient_descent_mse_ensemble,
    readout_gd_ensemble,
)
from ...runs import read_run

# jitter on K(X, X) of the NNGP posterior, relative to its mean diagonal (K is positive
# definite but can be badly conditioned for correlated images)
NNGP_JITTER = 1e-10


def ensemble_outputs(paths, steps, y):
    """The runs of one ensemble read back: ``(runs, {step: outputs on x(alpha) [E, A]},
    {step: training MSE [E]})``, members in run order."""
    runs = [read_run(p) for p in paths]
    first = runs[0]
    for r in runs[1:]:
        if (r.config["spec"], r.config["train"], r.data) != (
                first.config["spec"], first.config["train"], first.data):
            raise ValueError(f"{r.path} and {first.path} are not runs of one ensemble")
    outs, losses = {}, {}
    for s in steps:
        arrays = [r.checkpoint(s) for r in runs]
        outs[s] = np.concatenate([a["interpolation_outputs"][..., 0] for a in arrays])
        train = np.concatenate([a["outputs"] for a in arrays])  # [E, n, 1]
        losses[s] = 0.5 * ((train - y) ** 2).sum(axis=(1, 2)) / train.shape[1]
    return runs, outs, losses


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    x, y = training_data(inputs["dataset"], read_run(inputs["runs"][0]).data)
    runs, outs, losses = ensemble_outputs(inputs["runs"], settings["steps"], y.numpy())
    run = runs[0]
    classes = class_of_targets(y, run.data.get("targets", "signed"))
    alpha, xa = interpolation_inputs(x, classes, settings["n_alpha"], settings["alpha_range"])
    alpha = alpha.numpy()
    lr = float(run.member_lrs()[0])
    steps = sorted(settings["steps"])

    n = len(x)
    k_all, th_all = nngp_ntk(run.spec, torch.cat([x, xa]).numpy())
    tr, te = slice(0, n), slice(n, None)
    y_np = y.numpy()[:, 0]
    ntk_mean, ntk_cov = gradient_descent_mse_ensemble(
        k_all[tr, tr], k_all[te, tr], k_all[te, te], th_all[tr, tr], th_all[te, tr], y_np, lr,
        steps)
    ro_mean, ro_cov = readout_gd_ensemble(k_all[tr, tr], k_all[te, tr], k_all[te, te], y_np,
                                          lr, steps)
    jitter = NNGP_JITTER * float(np.mean(np.diag(k_all[tr, tr])))
    gp_mean, gp_cov = gp_inference(k_all[tr, tr], k_all[te, tr], k_all[te, te], y_np,
                                   diag_reg=jitter)
    members = len(outs[steps[0]])
    lr_critical = eta_critical(th_all[tr, tr], n)  # of the analytic NTK, whatever the run used
    first = [int(torch.nonzero(classes == c)[0, 0]) for c in (0, 1)]
    common = dict(width=run.spec.hidden[0], depth=run.spec.depth,
                  activation=run.spec.activation, sw2=run.spec.sw2,
                  sb2=run.spec.sb2 if run.spec.bias else 0.0, bias=run.spec.bias, n_train=n,
                  lr=lr, lr_fraction=lr / lr_critical, lr_critical=lr_critical,
                  ensemble=members,
                  runs=len(runs), dataset=settings["dataset_name"],
                  x1_index=first[0], x2_index=first[1])
    sd = lambda cov: np.sqrt(np.maximum(np.diag(cov), 0))  # noqa: E731
    rows = []
    for i, s in enumerate(steps):
        out, loss = outs[s], np.asarray(losses[s], float)
        for model, mean, std in (
            ("ensemble", out.mean(0), out.std(0, ddof=1) if members > 1 else 0 * out[0]),
            ("ntk_gp", ntk_mean[i], sd(ntk_cov[i])),
            ("readout", ro_mean[i], sd(ro_cov[i])),
            ("nngp", gp_mean, sd(gp_cov)),
        ):
            rows += [dict(model=model, step=s, alpha=a, mean=m, std=d, member=-1,
                          train_loss=float(loss.mean()), **common)
                     for a, m, d in zip(alpha, mean, std, strict=True)]
        for e in range(members):
            rows += [dict(model="member", step=s, alpha=a, mean=m, std=np.nan, member=e,
                          train_loss=float(loss[e]), **common)
                     for a, m in zip(alpha, out[e], strict=True)]
    if log is not None:
        last = steps[-1]
        log.info("step %d: |ensemble - NTK-GP| mean max %.3g, |ensemble - readout| %.3g", last,
                 np.abs(outs[last].mean(0) - ntk_mean[-1]).max(),
                 np.abs(outs[last].mean(0) - ro_mean[-1]).max())
    return pd.DataFrame(rows)


STYLES = {"ensemble": ("k", "-", "trained networks (ensemble)"),
          "ntk_gp": ("C0", "-", "NTK-GP: all layers trained (eqs. 14-15)"),
          "readout": ("C3", "-", "readout layer trained only (eq. 16)")}


def draw(tables, settings):
    """One panel per training step: mean (line) +- 2 sd (shaded; the ensemble's as dotted
    lines) against alpha, the paper's colours (networks black, NTK-GP blue, readout-only red);
    the NNGP posterior (eq. 13, the readout-only limit t -> inf) dashed in the last panel; the
    two training points as black dots."""
    import matplotlib.pyplot as plt

    frame = tables[0]
    steps = sorted(frame.step.unique())
    fig, axes = plt.subplots(1, len(steps), figsize=(3.0 * len(steps), 3.4), sharey=True,
                             constrained_layout=True, squeeze=False)
    r = frame.iloc[0]
    for ax, step in zip(axes[0], steps, strict=True):
        for model, (color, ls, label) in STYLES.items():
            cur = frame[(frame.step == step) & (frame.model == model)].sort_values("alpha")
            lo, hi = cur["mean"] - 2 * cur["std"], cur["mean"] + 2 * cur["std"]
            ax.plot(cur.alpha, cur["mean"], color=color, ls=ls, lw=1.3, label=label)
            if model == "ensemble":
                ax.plot(cur.alpha, lo, color=color, ls=":", lw=0.9)
                ax.plot(cur.alpha, hi, color=color, ls=":", lw=0.9)
            else:
                ax.fill_between(cur.alpha, lo, hi, color=color, alpha=0.18, lw=0)
        if step == steps[-1]:
            cur = frame[(frame.step == step) & (frame.model == "nngp")].sort_values("alpha")
            ax.plot(cur.alpha, cur["mean"], color="C3", ls="--", lw=1.0,
                    label=r"NNGP posterior (eq. 13, $t\to\infty$)")
        ax.plot([0, 1], [-1, 1], "o", color="k", ms=4, zorder=5,
                label="training points (targets -1, +1)")
        ax.set_title(f"t = {step} steps", fontsize=9)
        ax.set_xlabel(r"$\alpha$")
    axes[0][0].set_ylabel(r"output $f(x(\alpha))$: mean, $\pm$ 2 sd")
    axes[0][-1].legend(fontsize=6, loc="best")
    bias = f"sb2={r.sb2:g}" if r.bias else "no bias"
    rate = f"lr={r.lr:.3g} = {r.lr_fraction:.2g} eta_critical"
    fig.suptitle(f"{r.dataset}, |D|={r.n_train}, {r.depth}x{r.width} {r.activation}, "
                 f"sw2={r.sw2:g}, {bias}, {rate}, ensemble of {r.ensemble}", fontsize=9)
    return fig, frame
