"""lee2019 Fig. 2: the predictive distribution on inputs interpolated between two training points
of different classes, ``x(alpha) = alpha x1 + (1 - alpha) x2``, at several training times, for

* ``ensemble``: an ensemble of networks trained by full-batch GD (mean and sd over members);
* ``ntk_gp``: the infinite ensemble of linearized networks, eqs. (14), (15) with the analytic
  NNGP ``K`` and NTK ``Theta`` (:func:`mlptheory.predict.gradient_descent_mse_ensemble`);
* ``nngp``: the NNGP posterior, eq. (13) (:func:`mlptheory.predict.gp_inference`), the same at
  every time (exact Bayesian inference, no training);
* ``member``: each network of the ensemble (``member`` = its index, ``mean`` its output,
  ``std`` empty), so the Monte Carlo error of the ensemble's mean and sd can be bootstrapped
  over members (the claims); the figure draws only the three models above.

``train_loss`` is the training MSE at that step (the ensemble's mean over members on its rows,
the member's own on a member row); ``member`` is -1 on the model rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...kernels import nngp_ntk
from ...predict import gp_inference, gradient_descent_mse_ensemble
from ...seeding import derive_seeds
from .common import critical_lr, network_spec, train_ensemble, two_class_data
from .plan import PAPER

# jitter on K(X, X) of the NNGP posterior, relative to its mean diagonal (K is positive
# definite but can be badly conditioned for correlated images)
NNGP_JITTER = 1e-10


def interpolation(x, y, n_alpha: int):
    """``alpha`` in [0, 1] and ``x(alpha)`` between the first training point of each class."""
    i1 = int(torch.nonzero(y[:, 0] > 0)[0])
    i2 = int(torch.nonzero(y[:, 0] < 0)[0])
    alpha = torch.linspace(0.0, 1.0, n_alpha, dtype=x.dtype)
    return alpha.numpy(), alpha[:, None] * x[i1] + (1 - alpha[:, None]) * x[i2]


def table(params: dict, inputs, log=None) -> pd.DataFrame:
    x, y, _, _ = two_class_data(inputs["dataset"], params, params["n_train"])
    alpha, xa = interpolation(x, y, params["n_alpha"])
    spec = network_spec(params, x.shape[1])
    lr = params["lr_fraction"] * critical_lr(spec, x)
    steps = sorted(set(params["steps"]))
    seeds = derive_seeds(params["seed"], params["ensemble"], PAPER, "predictive")
    hist = train_ensemble(spec, seeds, x, y, lr, max(steps), steps, x_eval=xa, log=log)

    n = len(x)
    k_all, th_all = nngp_ntk(spec, torch.cat([x, xa]).numpy())
    tr, te = slice(0, n), slice(n, None)
    ntk_mean, ntk_cov = gradient_descent_mse_ensemble(
        k_all[tr, tr], k_all[te, tr], k_all[te, te], th_all[tr, tr], th_all[te, tr],
        y.numpy()[:, 0], lr, steps)
    jitter = NNGP_JITTER * float(np.mean(np.diag(k_all[tr, tr])))
    gp_mean, gp_cov = gp_inference(k_all[tr, tr], k_all[te, tr], k_all[te, te],
                                   y.numpy()[:, 0], diag_reg=jitter)
    rows = []
    common = dict(width=spec.hidden[0], depth=spec.depth, n_train=n, lr=lr,
                  ensemble=len(seeds), dataset=params["dataset_name"])
    for i, s in enumerate(steps):
        out = hist[s]["eval"][..., 0]  # [E, n_alpha]
        loss = np.asarray(hist[s]["loss"], float)  # [E]
        for model, mean, sd in (
            ("ensemble", out.mean(0), out.std(0, ddof=1)),
            ("ntk_gp", ntk_mean[i], np.sqrt(np.maximum(np.diag(ntk_cov[i]), 0))),
            ("nngp", gp_mean, np.sqrt(np.maximum(np.diag(gp_cov), 0))),
        ):
            rows += [dict(model=model, step=s, alpha=a, mean=m, std=d, member=-1,
                          train_loss=float(loss.mean()), **common)
                     for a, m, d in zip(alpha, mean, sd, strict=True)]
        for e in range(len(seeds)):
            rows += [dict(model="member", step=s, alpha=a, mean=m, std=np.nan, member=e,
                          train_loss=float(loss[e]), **common)
                     for a, m in zip(alpha, out[e], strict=True)]
    return pd.DataFrame(rows)


def draw(tables, params):
    """One panel per training step: mean +- 2 sd against alpha for the three models."""
    import matplotlib.pyplot as plt

    frame = tables[0]
    steps = sorted(frame.step.unique())
    fig, axes = plt.subplots(1, len(steps), figsize=(3.0 * len(steps), 3.2), sharey=True,
                             constrained_layout=True, squeeze=False)
    styles = {"ensemble": ("C0", "trained ensemble"), "ntk_gp": ("C1", "NTK-GP (eqs. 14-15)"),
              "nngp": ("C2", "NNGP posterior (eq. 13)")}
    for ax, step in zip(axes[0], steps, strict=True):
        for model, (color, label) in styles.items():
            cur = frame[(frame.step == step) & (frame.model == model)].sort_values("alpha")
            ax.plot(cur.alpha, cur["mean"], color=color, label=label,
                    ls="--" if model == "nngp" else "-")
            ax.fill_between(cur.alpha, cur["mean"] - 2 * cur["std"],
                            cur["mean"] + 2 * cur["std"], color=color, alpha=0.15)
        ax.set_title(f"step {step}", fontsize=9)
        ax.set_xlabel(r"$\alpha$")
    axes[0][0].set_ylabel(r"output $f(x(\alpha))$, mean $\pm$ 2 sd")
    axes[0][0].legend(fontsize=7, loc="lower right")
    r = frame.iloc[0]
    fig.suptitle(f"{r.dataset}, S={r.n_train}, {r.depth}x{r.width} ReLU, ensemble of "
                 f"{r.ensemble}, lr={r.lr:.3g}", fontsize=9)
    return fig, frame
