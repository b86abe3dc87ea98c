"""tsuchida2019 Fig. 2: the normalized kernel (eq. 1) of one random ReLU layer whose i.i.d.
weights have density proportional to ``exp(-|w/alpha|^beta)`` (Sec. 4.1) follows the
arc-cosine kernel (eq. 9) whatever ``beta``.

Inputs: ``x = R e_1``, ``y = R (cos t, sin t, 0, ..., 0)`` with ``R`` the orthogonal factor of
the QR decomposition of a ``U[0, 1]`` matrix, so ``|x| = |y| = 1`` and the angle is exactly
``t``. One ``R`` and one weight matrix per draw; ``alpha`` gives the He variance ``2/n_in``
(the normalized kernel does not depend on the scale).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...kernels import arccos_kernel
from ...kernels.tsuchida import normalized_kernel, vector_angle
from ...models import generalized_gaussian
from ...plotting import fmt
from ...seeding import derive_seed


def rotated_pairs(rng: np.random.Generator, n_inputs: int, theta):
    """``(x [m, n], y [m, n])``: ``x = R e_1``, ``y = R (cos t, sin t, 0, ...)`` per angle."""
    q, _ = np.linalg.qr(rng.uniform(0.0, 1.0, size=(n_inputs, n_inputs)))
    theta = np.asarray(theta, dtype=np.float64)
    x = np.broadcast_to(q[:, 0], (len(theta), n_inputs))
    y = np.cos(theta)[:, None] * q[:, 0] + np.sin(theta)[:, None] * q[:, 1]
    return np.ascontiguousarray(x), y


def table(settings: dict, inputs=None, log=None) -> pd.DataFrame:
    """Rows ``beta, draw, theta, theta_achieved, k_measured, k_arccos``."""
    n_in, n_hidden = int(settings["n_inputs"]), int(settings["n_hidden"])
    theta = np.linspace(0.0, np.pi, int(settings["n_angles"]))
    frames = []
    for beta in settings["betas"]:
        for draw in range(int(settings["draws"])):
            rng = np.random.default_rng(derive_seed(settings["seed"], "fig2", float(beta), draw))
            x, y = rotated_pairs(rng, n_in, theta)
            w = generalized_gaussian(rng, math.sqrt(2.0 / n_in), float(beta), (n_hidden, n_in))
            frames.append(pd.DataFrame({
                "beta": float(beta), "draw": draw, "theta": theta,
                "theta_achieved": vector_angle(x, y), "k_measured": normalized_kernel(w, x, y),
                "k_arccos": arccos_kernel(theta)}))
        if log is not None:
            log.info("beta %s done", beta)
    return pd.concat(frames, ignore_index=True)


def deviation(frame: pd.DataFrame) -> pd.Series:
    """Mean squared deviation of the measured kernel from the arc-cosine kernel, per beta."""
    return ((frame.k_measured - frame.k_arccos) ** 2).groupby(frame.beta).mean()


def draw(tables, settings):
    import matplotlib.pyplot as plt

    frame = tables[0]
    betas = sorted(frame.beta.unique())
    msd = deviation(frame)
    fig, axes = plt.subplots(1, len(betas), figsize=(3.0 * len(betas), 3.0), sharey=True,
                             squeeze=False)
    grid = np.linspace(0, np.pi, 200)
    for ax, beta in zip(axes[0], betas, strict=True):
        sub = frame[frame.beta == beta]
        ax.scatter(sub.theta, sub.k_measured, s=6, alpha=0.5, color="C0",
                   label=f"{sub.draw.nunique()} draws")
        ax.plot(grid, arccos_kernel(grid), color="k", lw=1, label="arc-cosine")
        label = "inf (uniform)" if math.isinf(beta) else fmt(beta)
        ax.set_title(f"beta = {label}\nMSD {msd[beta]:.1e}", fontsize=9)
        ax.set_xlabel("theta")
        ax.set_xlim(0, np.pi)
    axes[0, 0].set_ylabel("normalized kernel")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig, frame
