"""seleznova2021 Figs. 1, 2, 7: variance of the NTK at initialization.

:func:`ntk_variance_table` samples ``Theta_0(x, x)`` with the exact conditional sampler and
reports the ratio ``E[Theta_0^2] / E[Theta_0]^2`` with a delta-method standard error
(:func:`ratio_and_se`). One table per (activation, width, sb2) holds every (sw2, depth) cell, so
the Fig. 7 panel at the Fig. 1 sb2 and width reuses the Fig. 1 table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...data import read_split, to_inputs
from ...kernels import chi1, ntk_diagonal_samples, phase
from ...plotting import fmt, phase_heatmap_grid
from ...seeding import derive_seed
from ...spec import NetworkSpec
from .plan import PAPER, block_cells

RATIO = r"$E[\Theta_0^2]/E[\Theta_0]^2$"


def ratio_and_se(samples) -> tuple[float, float]:
    """``r = E[T^2]/E[T]^2`` (seleznova2021 Fig. 1) and its delta-method standard error.

    With ``m1 = mean(T)``, ``m2 = mean(T^2)`` and ``g = (-2 m2/m1^3, 1/m1^2)`` the gradient of
    ``m2/m1^2``: ``se^2 = g^T Cov[(T, T^2)] g / n`` (sample covariance, ``ddof=1``).
    """
    t = np.asarray(samples, dtype=np.float64).reshape(-1)
    n = t.size
    if n < 2:
        raise ValueError(f"the ratio's standard error needs >= 2 samples, got {n}")
    m1, m2 = t.mean(), (t * t).mean()
    g = np.array([-2.0 * m2 / m1**3, 1.0 / m1**2])
    cov = np.cov(np.stack([t, t * t]), ddof=1)
    return float(m2 / m1**2), float(math.sqrt(max(g @ cov @ g, 0.0) / n))


def first_unit_image(dataset_path) -> np.ndarray:
    """The first training image as a unit-norm vector (the Fig. 1 input; MNIST: R^784)."""
    images, _, _ = read_split(dataset_path, "train")
    return to_inputs(images[:1], unit_norm=True).numpy()[0]


def cell_seed(base: int, activation: str, width: int, depth: int, sw2: float, sb2: float) -> int:
    """The sampling seed of one (activation, M, L, sw2, sb2) cell: shared by every figure that
    shows the cell (Figs. 1 and 7 at sb2 = 1 show identical numbers)."""
    return derive_seed(base, PAPER, "ntk_variance", activation, int(width), int(depth),
                       float(sw2), float(sb2))


def ntk_variance_table(cells, x, n_inits: int, base_seed: int, log=None) -> pd.DataFrame:
    """One row per cell ``(activation, width, depth, sw2, sb2)``: the Fig. 1 ratio from
    ``n_inits`` samples of ``Theta_0(x, x)`` (scalar output, standard parameterization)."""
    rows = []
    for k, (activation, width, depth, sw2, sb2) in enumerate(cells):
        spec = NetworkSpec(len(x), (int(width),) * int(depth), 1, activation=activation,
                           sw2=float(sw2), sb2=float(sb2))
        samples = ntk_diagonal_samples(spec, x, n_inits,
                                       cell_seed(base_seed, activation, width, depth, sw2, sb2))
        ratio, se = ratio_and_se(samples)
        rows.append(dict(activation=activation, width=int(width), depth=int(depth),
                         sw2=float(sw2), sb2=float(sb2), n_inits=n_inits, ratio=ratio,
                         ratio_se=se, mean_ntk=float(samples.mean()),
                         chi1=chi1(activation, sw2, sb2), phase=phase(activation, sw2, sb2)))
        if log is not None and (k + 1) % 50 == 0:
            log.info("%d/%d cells", k + 1, len(cells))
    return pd.DataFrame(rows)


# ----- registered tables ------------------------------------------------------------------------
def block_table(settings: dict, inputs, log=None) -> pd.DataFrame:
    """Every (sw2, depth) cell of one (activation, width, sb2) (Figs. 1 and 7)."""
    return ntk_variance_table(block_cells(settings), first_unit_image(inputs["dataset"]),
                              settings["n_inits"], settings["seed"], log=log)


def vs_depth_table(settings: dict, inputs, log=None) -> pd.DataFrame:
    """ReLU cells of Fig. 2: every (sw2, sb2) setting, width and depth."""
    cells = [("relu", w, d, sw2, sb2) for sw2, sb2 in settings["settings"]
             for w in settings["widths"] for d in settings["depths"]]
    return ntk_variance_table(cells, first_unit_image(inputs["dataset"]), settings["n_inits"],
                              settings["seed"], log=log)


# ----- figures ----------------------------------------------------------------------------------
def draw_fig1(tables, settings):
    """Fig. 1: one heat-map panel per width (tables: one per width, same activation and sb2)."""
    frame = pd.concat(tables, ignore_index=True)
    act, sb2 = frame["activation"].iloc[0], float(frame["sb2"].iloc[0])
    panels = [(f"{act}, M = {w}", frame[frame.width == w], act, sb2)
              for w in sorted(frame.width.unique())]
    fig = phase_heatmap_grid([panels], "ratio", RATIO,
                             suptitle=f"NTK second-moment ratio {RATIO} at "
                                      rf"initialization, {act}, $\sigma_b^2$ = {fmt(sb2)} "
                                      r"(dashed line: $\chi_1 = 1$)")
    return fig, frame


def draw_fig7(tables, settings):
    """Fig. 7: one row of panels per activation, one panel per sb2 (tables: one per
    (activation, sb2), same width)."""
    frame = pd.concat(tables, ignore_index=True)
    rows = []
    for act in dict.fromkeys(frame.activation):
        part = frame[frame.activation == act]
        rows.append([(rf"{act}, $\sigma_b^2$ = {fmt(b)}", part[part.sb2 == b], act, b)
                     for b in sorted(part.sb2.unique())])
    width = int(frame["width"].iloc[0])
    fig = phase_heatmap_grid(rows, "ratio", RATIO,
                             suptitle=f"NTK second-moment ratio {RATIO} at "
                                      f"initialization, M = {width}, by bias variance "
                                      r"(dashed line: $\chi_1 = 1$)")
    return fig, frame


def draw_fig2(tables, settings):
    """Fig. 2: the ratio against L (top) and L/M (bottom), one column per (sw2, sb2)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    frame = tables[0]
    cells = list(dict.fromkeys(zip(frame.sw2, frame.sb2, strict=True)))
    widths = sorted(frame.width.unique())
    fig, axes = plt.subplots(2, len(cells), figsize=(3.2 * len(cells), 5.6),
                             squeeze=False, constrained_layout=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(widths)))
    for j, (sw2, sb2) in enumerate(cells):
        sub = frame[(frame.sw2 == sw2) & (frame.sb2 == sb2)]
        for w, color in zip(widths, colors, strict=True):
            cur = sub[sub.width == w].sort_values("depth")
            for i, xval in enumerate((cur.depth, cur.depth / w)):
                axes[i][j].errorbar(xval, cur.ratio, yerr=cur.ratio_se, color=color, marker="o",
                                    ms=3, lw=1, capsize=2, label=f"M = {w}")
        ph = phase("relu", sw2, sb2)
        axes[0][j].set_title(rf"ReLU, $\sigma_w^2$={fmt(sw2)}, $\sigma_b^2$={fmt(sb2)} "
                             f"({ph})", fontsize=9)
        axes[0][j].set_xlabel("depth L")
        axes[1][j].set_xlabel("L / M")
        for i in range(2):
            if sub.ratio.max() > 2.0:  # exponential growth: log scale; else linear ticks
                axes[i][j].set_yscale("log")
                axes[i][j].yaxis.set_major_formatter(ScalarFormatter())
                axes[i][j].yaxis.set_minor_formatter(NullFormatter())
            axes[i][j].axhline(1.0, color="grey", lw=0.6, ls=":")
    for i, label in enumerate(("a) against L", "b) against L/M")):
        axes[i][0].set_ylabel(RATIO + f"\n{label}")
    axes[0][-1].legend(fontsize=7)
    return fig, frame
