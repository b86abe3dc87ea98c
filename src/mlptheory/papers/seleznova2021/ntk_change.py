"""seleznova2021 Figs. 3, 4, 8-11: the relative change of the empirical NTK under gradient descent.

The networks are trained by the generic ``train_run`` rule (one ensemble per (activation,
width, depth) holding every sw2, see :func:`.plan.training_requests`), with the empirical NTK of
the training inputs stored at every checkpoint. :func:`table` reads the run files of one
(activation, width) back into one row per network.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ...data import training_data
from ...kernels import chi1, gd_critical_lr, phase
from ...models import ensemble_at
from ...plotting import draw_phase_heatmap, fmt, phase_heatmap_grid, readable_log_colorbar
from ...runs import read_run

CHANGE = r"$\|\Theta_t-\Theta_0\|_F/\|\Theta_0\|_F$"
STEP_PREFIX = "rel_change_"


def relative_change(theta_t, theta_0) -> np.ndarray:
    """``||Theta_t - Theta_0||_F / ||Theta_0||_F`` (seleznova2021 Fig. 3a) over the last two
    axes (batched over leading axes)."""
    theta_t = np.asarray(theta_t, dtype=np.float64)
    theta_0 = np.asarray(theta_0, dtype=np.float64)
    return (np.linalg.norm(theta_t - theta_0, axis=(-2, -1))
            / np.linalg.norm(theta_0, axis=(-2, -1)))


def baseline_loss(y) -> float:
    """Loss ``1/(2S) sum_i ||y_i - y_mean||^2`` of the best constant predictor (the mean
    training target), in the training loss convention (``mlptheory.training``)."""
    y = np.asarray(y, dtype=np.float64)
    return float(0.5 * ((y - y.mean(0)) ** 2).sum() / len(y))


def ntk_change_rows(run_path, dataset_path) -> list[dict]:
    """One row per member of an NTK-change run file: the change of the stored NTK (the trace
    over the outputs) at each checkpoint step the run was asked for (``rel_change_<step>``, NaN
    where the run ended before) and at its end; the losses at the start, their minimum and end,
    the constant predictor's loss (``baseline_loss``) and the critical learning rate."""
    run = read_run(run_path)
    x, y = training_data(dataset_path, run.data, dtype=torch.float64)
    baseline = baseline_loss(y)
    dtype = torch.float64 if run.spec.dtype == "float64" else torch.float32
    lr_crit = gd_critical_lr(ensemble_at(run, 0), x.to(dtype)).reshape(-1).numpy()
    member_lr = run.train.member_lr or (run.train.lr,) * len(run.seeds)
    theta0 = run.checkpoint(0)["ntk"]
    final = int(run.checkpoint_steps[-1])
    asked = run.train.checkpoint_steps or ()
    changes = {s: relative_change(run.checkpoint(s)["ntk"], theta0)
               for s in asked if s in run.checkpoint_steps}
    final_change = relative_change(run.checkpoint(final)["ntk"], theta0)
    rows = []
    for e, spec in enumerate(run.member_specs()):
        losses = run.losses[:, e]
        finite = losses[np.isfinite(losses)]
        row = dict(activation=spec.activation, width=spec.hidden[0], depth=spec.depth,
                   sw2=spec.sw2, sb2=spec.sb2, lr=float(member_lr[e]),
                   lr_config=run.train.lr, lr_critical=float(lr_crit[e]),
                   seed=int(run.seeds[e]),
                   steps_run=int(run.final_step[e]), stop_reason=run.status[e],
                   initial_loss=float(losses[0]), baseline_loss=baseline,
                   min_loss=float(finite.min()) if finite.size else math.nan,
                   final_loss=float(finite[-1]) if finite.size else math.nan)
        for s in asked:
            row[f"{STEP_PREFIX}{s}"] = float(changes[s][e]) if s in changes else math.nan
        row[f"{STEP_PREFIX}final"] = float(final_change[e])
        row["chi1"] = chi1(spec.activation, spec.sw2, spec.sb2)
        row["phase"] = phase(spec.activation, spec.sw2, spec.sb2)
        rows.append(row)
    return rows


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    """Every network of the run files of one (activation, width), in run order."""
    return pd.DataFrame([row for path in inputs["runs"]
                         for row in ntk_change_rows(path, inputs["dataset"])])


def step_columns(frame: pd.DataFrame) -> dict[int, str]:
    """Checkpoint step -> its ``rel_change_<step>`` column (the steps the runs were asked for)."""
    return {int(c[len(STEP_PREFIX):]): c for c in frame.columns
            if c.startswith(STEP_PREFIX) and c[len(STEP_PREFIX):].isdigit()}


def _describe(frame: pd.DataFrame) -> tuple[str, float, int]:
    return frame["activation"].iloc[0], float(frame["sb2"].iloc[0]), int(frame["width"].iloc[0])


MARKS = "marked"
CRIT = r"lr$_{crit}$ = 2S/$\lambda_{max}(\Theta_0)$"


def _marked(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the cells to mark: the rate was capped below the configured one (when
    any was), otherwise the rate exceeds the critical one."""
    capped = frame["lr"] < frame["lr_config"]
    mark = capped if capped.any() else frame["lr"] > frame["lr_critical"]
    return frame.assign(**{MARKS: mark})


def _mark_note(frame: pd.DataFrame) -> str:
    if (frame["lr"] < frame["lr_config"]).any():
        lr = fmt(float(frame["lr_config"].iloc[0]))
        return rf"$\circ$: lr capped below {lr} at a fraction of {CRIT}"
    return rf"$\circ$: lr > {CRIT}"


def _seeds_note(frame: pd.DataFrame) -> str:
    """How the heat maps aggregate the seeds: the mean of the networks of a cell, and the spread
    between them (median and largest std/mean of the final change over the cells)."""
    per = frame.groupby(["width", "sw2", "depth"])["rel_change_final"]
    k = per.size()
    if k.max() < 2:
        return "one network per cell"
    spread = (per.std() / per.mean()).replace([np.inf, -np.inf], np.nan).dropna()
    counts = f"{k.min()}" if k.min() == k.max() else f"{k.min()}-{k.max()}"
    return (f"mean of {counts} networks per cell (final change std/mean: median "
            f"{spread.median():.2g}, max {spread.max():.2g})")


def draw_final(tables, settings):
    """Figs. 3, 4: relative change at the end of training (a) and the minimal loss (b)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap, LogNorm

    frame = tables[0]
    act, sb2, width = _describe(frame)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), constrained_layout=True)
    mesh = draw_phase_heatmap(axes[0], _marked(frame), "rel_change_final", act, sb2, marks=MARKS)
    readable_log_colorbar(fig.colorbar(mesh, ax=axes[0], label=CHANGE))
    axes[0].set_title("a) relative NTK change at the end of training", fontsize=9)
    loss_cmap = LinearSegmentedColormap.from_list("loss", ["navy", "royalblue", "white",
                                                           "salmon", "darkred"])
    # minimal loss relative to the constant predictor's (white = 1, symmetric log colours): blue,
    # below 1, the network learned something; red, it did not
    relative = _marked(frame).assign(loss_ratio=frame["min_loss"] / frame["baseline_loss"])
    # one decade each way at most, so a trained cell (ratio ~0.5) stays visibly blue next to
    # diverged ones (ratios up to 1e8 are clipped to the darkest red)
    finite = relative["loss_ratio"][np.isfinite(relative["loss_ratio"])]
    spread = min(max(float(np.abs(np.log10(finite)).max()) if len(finite) else 1.0, 0.05), 1.0)
    mesh = draw_phase_heatmap(axes[1], relative, "loss_ratio", act, sb2, cmap=loss_cmap,
                              norm=LogNorm(10**-spread, 10**spread, clip=True), marks=MARKS)
    readable_log_colorbar(fig.colorbar(mesh, ax=axes[1],
                                       label="minimal loss / constant predictor's loss",
                                       extend="both"))
    axes[1].set_title("b) minimal loss reached (relative to predicting the mean)", fontsize=9)
    fig.suptitle(f"{act}, M = {width}, GD lr = {fmt(float(frame['lr_config'].iloc[0]))}, "
                 f"{len(frame)} networks,\n{_seeds_note(frame)}\n(dashed: $\\chi_1 = 1$; "
                 f"hatched: diverged; {_mark_note(frame)})", fontsize=10)
    return fig, frame


def draw_steps(tables, settings):
    """Figs. 8, 9: relative change after each checkpoint step, one panel per step."""
    frame = tables[0]
    act, sb2, width = _describe(frame)
    marked = _marked(frame)
    panels = [(f"after {s} steps", marked.assign(value=frame[col]), act, sb2)
              for s, col in sorted(step_columns(frame).items()) if frame[col].notna().any()]
    fig = phase_heatmap_grid([panels], "value", CHANGE, marks=MARKS,
                             suptitle=f"Relative NTK change during training, {act}, M = {width}"
                                      "\n(a network that stopped earlier shows its final value; "
                                      f"{_mark_note(frame)};\n{_seeds_note(frame)})")
    return fig, frame


def draw_width(tables, settings):
    """Figs. 10, 11: relative change at the end of training, one panel per width."""
    frame = pd.concat(tables, ignore_index=True)
    act, sb2, _ = _describe(frame)
    marked = _marked(frame)
    panels = [(f"M = {w}", marked[marked.width == w].assign(value=lambda f: f.rel_change_final),
               act, sb2) for w in dict.fromkeys(frame.width)]
    fig = phase_heatmap_grid([panels], "value", CHANGE, marks=MARKS,
                             suptitle=f"Relative NTK change at the end of training, {act}, "
                                      f"by width\n({_mark_note(frame)};\n{_seeds_note(frame)})")
    return fig, frame
