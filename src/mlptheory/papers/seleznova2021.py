"""seleznova2021 "Can we trust NTK theory?": the computations behind every target.

* NTK variance at initialization (Figs. 1, 2, 7): :func:`ntk_variance_table` samples
  ``Theta_0(x, x)`` with the exact conditional sampler and reports the ratio
  ``E[Theta_0^2] / E[Theta_0]^2`` with a delta-method standard error (:func:`ratio_and_se`).
* NTK change under gradient descent (Figs. 3, 4, 8-11): :func:`training_requests` describes one
  ensemble run per (activation, width, depth) holding every sw2 and seed (batched, each member
  initialized from its own ``(sw2, sb2)``); :func:`ntk_change_table` reads them back.
* Lemma 5.2 (Figs. 5, 6): :func:`kappa_table`.
* Theorem 5.3: :func:`thm53_table`, the formula next to the variance over initializations of the
  kernel-regression output (eq. (10), :func:`kernel_regression_output`) with the empirical NTK.
* Heat maps in the paper's layout: :func:`heatmap_figure`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ..data import read_split, to_inputs
from ..kernels import (
    chi1,
    edge_of_chaos,
    empirical_ntk,
    kappa1,
    kappa2,
    mean_field,
    ntk_diagonal_samples,
    phase,
    thm53_output_variance,
)
from ..models import EnsembleMLP
from ..runs import read_run
from ..seeding import derive_seed, derive_seeds
from ..spec import NetworkSpec
from ..training import TrainConfig

PAPER = "seleznova2021"
INPUT_DIM = 784
N_CLASSES = 10


# ----- NTK variance at initialization (Figs. 1, 2, 7) ------------------------------------------
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
    """The first MNIST training image as a unit-norm vector in R^784 (the Fig. 1 input)."""
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
        spec = NetworkSpec(INPUT_DIM, (int(width),) * int(depth), 1, activation=activation,
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


# ----- NTK change under gradient descent (Figs. 3, 4, 8-11) -------------------------------------
def run_name(activation: str, width: int, depth: int) -> str:
    return f"ntk_change_{activation}_M{int(width)}_L{int(depth)}"


def training_requests(cfg: dict, base_seed: int) -> dict[str, dict]:
    """Run name -> run request (mlptheory.experiment) of every NTK-change ensemble.

    One ensemble per (activation, width, depth) with one member per (sw2, seed index); member
    ``(sw2, i)`` is initialized from ``(sw2, sb2)`` with seed ``derive_seed(base, paper,
    "ntk_change", activation, width, depth, i)``, so all sw2 of one seed index share the draw
    of the standard normals (a common-random-numbers design across the sw2 axis).
    """
    train = TrainConfig(optimizer="gd", lr=float(cfg["lr"]), loss="mse",
                        max_steps=int(cfg["max_steps"]), tol=float(cfg["tol"]),
                        patience=int(cfg["patience"]),
                        checkpoint_steps=tuple(int(s) for s in cfg["ntk_steps"]),
                        log_every=int(cfg["log_every"]))
    data = {"dataset": cfg["dataset"], "split": "train", "n": int(cfg["n_train"]),
            "seed": derive_seed(base_seed, PAPER, "train_subset"), "unit_norm": True,
            "targets": "one_hot"}
    requests = {}
    for activation in cfg["activations"]:
        for width in sorted({int(cfg["width"]), *map(int, cfg["widths"])}):
            for depth in cfg["depths"]:
                seeds, inits = [], []
                for sw2 in cfg["sw2"]:
                    for i in range(int(cfg["seeds"])):
                        seeds.append(derive_seed(base_seed, PAPER, "ntk_change", activation,
                                                 width, int(depth), i))
                        inits.append({"sw2": float(sw2), "sb2": float(cfg["sb2"])})
                spec = NetworkSpec(INPUT_DIM, (width,) * int(depth), N_CLASSES,
                                   activation=activation, sw2=1.0, sb2=float(cfg["sb2"]))
                requests[run_name(activation, width, depth)] = {
                    "spec": spec.to_dict(), "train": train.to_dict(), "seeds": seeds,
                    "data": data, "measure": {"ntk": True}, "init": inits}
    return requests


def relative_change(theta_t, theta_0) -> np.ndarray:
    """``||Theta_t - Theta_0||_F / ||Theta_0||_F`` (seleznova2021 Fig. 3a) over the last two
    axes (batched over leading axes)."""
    theta_t = np.asarray(theta_t, dtype=np.float64)
    theta_0 = np.asarray(theta_0, dtype=np.float64)
    return (np.linalg.norm(theta_t - theta_0, axis=(-2, -1))
            / np.linalg.norm(theta_0, axis=(-2, -1)))


CHANGE_STEPS = (10, 100, 1000, 10000)


def ntk_change_rows(run_path) -> list[dict]:
    """One row per member of an NTK-change run file (the Figs. 3, 4, 8-11 numbers)."""
    run = read_run(run_path)
    theta0 = run.checkpoint(0)["ntk"]
    final = int(run.checkpoint_steps[-1])
    changes = {s: relative_change(run.checkpoint(s)["ntk"], theta0)
               for s in CHANGE_STEPS if s in run.checkpoint_steps}
    final_change = relative_change(run.checkpoint(final)["ntk"], theta0)
    rows = []
    for e, spec in enumerate(run.member_specs()):
        losses = run.losses[:, e]
        finite = losses[np.isfinite(losses)]
        row = dict(activation=spec.activation, width=spec.hidden[0], depth=spec.depth,
                   sw2=spec.sw2, sb2=spec.sb2, lr=run.train.lr, seed=int(run.seeds[e]),
                   steps_run=int(run.final_step[e]), stop_reason=run.status[e],
                   min_loss=float(finite.min()) if finite.size else math.nan,
                   final_loss=float(finite[-1]) if finite.size else math.nan)
        for s in CHANGE_STEPS:
            row[f"rel_change_{s}"] = float(changes[s][e]) if s in changes else math.nan
        row["rel_change_final"] = float(final_change[e])
        row["chi1"] = chi1(spec.activation, spec.sw2, spec.sb2)
        row["phase"] = phase(spec.activation, spec.sw2, spec.sb2)
        rows.append(row)
    return rows


def ntk_change_table(run_paths) -> pd.DataFrame:
    return pd.DataFrame([row for p in run_paths for row in ntk_change_rows(p)])


# ----- Lemma 5.2 (Figs. 5, 6) ------------------------------------------------------------------
def kappa_table(settings, covariances, max_depth: int) -> pd.DataFrame:
    """``kappa_1``, ``kappa_2`` (Lemma 5.2) for depths ``1..max_depth``; inputs with
    ``qhat^0 = |x|^2/d = 1`` and ``qhat_sr^0 = x_s.x_r/d = c`` for each covariance ``c``."""
    rows = []
    for activation, sw2, sb2, label in settings:
        for c in covariances:
            for depth in range(1, int(max_depth) + 1):
                mf = mean_field(depth, activation, float(sw2), float(sb2), qhat0=1.0,
                                qhat0_sr=float(c))
                k1, k2 = kappa1(mf), kappa2(mf)
                rows.append(dict(activation=activation, sw2=float(sw2), sb2=float(sb2),
                                 phase=label, covariance=float(c), depth=depth, kappa1=k1,
                                 kappa2=k2, kappa_ratio=k1 / k2))
    return pd.DataFrame(rows)


def resolve_phase_settings(entries) -> list[tuple[str, float, float, str]]:
    """Config entries ``{activation, sb2, sw2: [ordered, "eoc", chaotic]}`` -> tuples with the
    edge of chaos solved (``"eoc"``) and each sw2 labelled by its phase."""
    out = []
    for entry in entries:
        act, sb2 = entry["activation"], float(entry["sb2"])
        for sw2 in entry["sw2"]:
            value = edge_of_chaos(act, sb2) if sw2 == "eoc" else float(sw2)
            out.append((act, value, sb2, phase(act, value, sb2, tol=1e-7)))
    return out


# ----- Theorem 5.3 -----------------------------------------------------------------------------
def kernel_regression_output(theta_test_train, theta_train, f0_test, f0_train, y):
    """seleznova2021 eq. (10) / App. B: the output after training to convergence under NTK
    dynamics, ``f0(x) + Theta(x, X) Theta(X)^{-1} (Y - f0(X))`` (batched over leading axes)."""
    rhs = (y - f0_train)[..., None]
    sol = torch.linalg.solve(theta_train, rhs)[..., 0]
    return f0_test + (theta_test_train * sol).sum(-1)


def orthogonal_inputs(n: int, dim: int, seed: int) -> np.ndarray:
    """``n`` orthogonal inputs of squared norm ``dim`` (``qhat^0 = 1``, ``qhat_sr^0 = 0``)."""
    if n > dim:
        raise ValueError(f"{n} orthogonal inputs need input dimension >= {n}, got {dim}")
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, n)))
    return math.sqrt(dim) * q.T


def empirical_output_variance(spec: NetworkSpec, x_train, x_test, n_inits: int, seed: int,
                              chunk: int = 10) -> tuple[float, float]:
    """Variance over initializations of eq. (10) at ``x_test`` with ``Y = 0`` and the
    empirical NTK of each initialization; returns ``(variance, standard error)``."""
    xs = torch.as_tensor(np.vstack([x_train, x_test[None]]), dtype=torch.float64)
    y = torch.zeros(len(x_train), dtype=torch.float64)
    outs = []
    seeds = derive_seeds(seed, n_inits, "thm53")
    for start in range(0, n_inits, chunk):
        model = EnsembleMLP(spec, seeds=seeds[start:start + chunk])
        with torch.no_grad():
            f0 = model(xs)[..., 0]
            theta = empirical_ntk(model, xs, method="structured")
        outs.append(kernel_regression_output(theta[:, -1, :-1], theta[:, :-1, :-1],
                                             f0[:, -1], f0[:, :-1], y))
    f = torch.cat(outs).numpy()
    var = float(f.var(ddof=1))
    # se of the sample variance: sqrt((m4 - (n-3)/(n-1) var^2) / n)
    m4 = float(((f - f.mean()) ** 4).mean())
    n = len(f)
    return var, float(math.sqrt(max(m4 - (n - 3) / (n - 1) * var**2, 0.0) / n))


def thm53_table(settings, depths, width: int, n_train: int, n_inits: int, base_seed: int,
                log=None) -> pd.DataFrame:
    """Theorem 5.3 next to the empirical variance, per (setting, depth).

    Inputs: ``n_train + 1`` orthogonal vectors of squared norm ``d = n_train + 1``, so
    ``qhat^0 = 1``, ``qhat_sr^0 = 0``; the theorem uses ``alphas = (d/M, 1, ..., 1)``.
    """
    dim = n_train + 1
    xs = orthogonal_inputs(dim, dim, derive_seed(base_seed, PAPER, "thm53_inputs"))
    rows = []
    for activation, sw2, sb2, label in settings:
        for depth in depths:
            alphas = np.r_[dim / width, np.ones(int(depth))]
            theory = thm53_output_variance(int(depth), activation, sw2, sb2, n_train,
                                           alphas=alphas)
            spec = NetworkSpec(dim, (int(width),) * int(depth), 1, activation=activation,
                               sw2=sw2, sb2=sb2)
            seed = derive_seed(base_seed, PAPER, "thm53", activation, float(sw2), int(depth))
            var, se = empirical_output_variance(spec, xs[:-1], xs[-1], n_inits, seed)
            rows.append(dict(activation=activation, sw2=sw2, sb2=sb2, phase=label,
                             depth=int(depth), width=int(width), n_train=n_train,
                             n_inits=n_inits, theory_variance=theory,
                             empirical_variance=var, empirical_se=se))
            if log is not None:
                log.info("%s sw2=%.3f L=%d: theory %.4g, empirical %.4g +- %.2g", activation,
                         sw2, depth, theory, var, se)
    return pd.DataFrame(rows)


# ----- figures ---------------------------------------------------------------------------------
def _phase_cmap():
    """Black (ratio ~ 1, deterministic NTK) -> red (std ~ mean) -> blue (std > mean), as the
    paper's Fig. 1 colour code."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("seleznova", ["black", "darkred", "red", "orange",
                                                           "deepskyblue", "blue", "navy"])


def _edges(values):
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.r_[v[0] - (mid[0] - v[0]), mid, v[-1] + (v[-1] - mid[-1])]


def draw_heatmap(ax, frame, value: str, activation: str, sb2: float, norm=None, cmap=None,
                 log_color: bool = True):
    """Heat map of ``value`` (mean over seeds) with ``sw2`` on the y axis and depth ``L`` on the
    x axis (equally spaced columns labelled by L), dashed ``chi_1 = 1`` border; non-finite cells
    (diverged training) hatched grey. Returns the mesh (for a colour bar)."""
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.patches import Rectangle

    g = frame.groupby(["sw2", "depth"])[value].mean().unstack("depth").sort_index()
    data = np.ma.masked_invalid(g.to_numpy(dtype=float))
    if norm is None:
        finite = data.compressed()
        lo, hi = (finite.min(), finite.max()) if finite.size else (1.0, 10.0)
        if log_color:
            lo = max(lo, 1e-12)
            norm = LogNorm(lo, max(hi, lo * 1.01))
        else:
            norm = Normalize(lo, hi)
    depths = list(g.columns)
    y_edges = _edges(g.index.to_numpy(float))
    mesh = ax.pcolormesh(np.arange(len(depths) + 1) - 0.5, y_edges, data, norm=norm,
                         cmap=cmap or _phase_cmap(), shading="flat", antialiased=False,
                         linewidth=0)
    for i, j in zip(*np.nonzero(np.ma.getmaskarray(data)), strict=True):
        ax.add_patch(Rectangle((j - 0.5, y_edges[i]), 1.0, y_edges[i + 1] - y_edges[i],
                               facecolor="0.75", edgecolor="0.4", hatch="xx", linewidth=0))
    ax.set_xticks(range(len(depths)))
    ax.set_xticklabels([str(d) for d in depths], fontsize=7)
    eoc = edge_of_chaos(activation, float(sb2))
    ax.axhline(eoc, color="white", ls="--", lw=1.8)
    ax.axhline(eoc, color="black", ls="--", lw=0.9)
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\sigma_w^2$")
    return mesh


def heatmap_grid(rows, value: str, colorbar_label: str, suptitle: str | None = None):
    """Rows of heat-map panels ``(title, frame, activation, sb2)`` sharing one log colour
    scale (the paper's Figs. 1, 7-11 layout: one panel per width / sb2 / step)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    values = np.concatenate([p[1][value].to_numpy(float) for row in rows for p in row])
    finite = values[np.isfinite(values) & (values > 0)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (1.0, 10.0)
    norm = LogNorm(lo, max(hi, lo * 1.01))
    ncol = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), ncol, figsize=(3.1 * ncol + 1.2, 3.0 * len(rows) + 0.4),
                             squeeze=False, constrained_layout=True)
    mesh = None
    for i, row in enumerate(rows):
        for j in range(ncol):
            ax = axes[i][j]
            if j >= len(row):
                ax.set_visible(False)
                continue
            title, frame, activation, sb2 = row[j]
            mesh = draw_heatmap(ax, frame, value, activation, sb2, norm=norm)
            ax.set_title(title, fontsize=9)
            if j:
                ax.set_ylabel("")
    fig.colorbar(mesh, ax=axes.ravel().tolist(), label=colorbar_label, shrink=0.9)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig


# ----- workflow wiring: which tables and figures exist, and how each is made --------------------
def variance_cells(cfg: dict, grid: str) -> list[tuple]:
    """Cells ``(activation, width, depth, sw2, sb2)`` of a variance table: ``fig1_<act>``,
    ``fig7_<act>`` or ``fig2`` (``cfg`` is the ``ntk_variance`` config block)."""
    if grid == "fig2":
        vs = cfg["vs_depth"]
        return [("relu", w, d, sw2, sb2) for sw2, sb2 in vs["settings"] for w in vs["widths"]
                for d in vs["depths"]]
    kind, _, activation = grid.partition("_")
    if kind == "fig1":
        return [(activation, w, d, s, cfg["sb2"]) for w in cfg["widths"] for s in cfg["sw2"]
                for d in cfg["depths"]]
    if kind == "fig7":
        return [(activation, cfg["bias_width"], d, s, b) for b in cfg["bias_sb2"]
                for s in cfg["sw2"] for d in cfg["depths"]]
    raise ValueError(f"unknown NTK-variance grid {grid!r}; expected fig1_<activation>, "
                     "fig7_<activation> or fig2")


def figure_targets(cfg: dict) -> dict[str, list[str]]:
    """Figure target -> the tables (``results/seleznova2021/tables/<name>.csv``) it reads."""
    acts = cfg["ntk_variance"]["activations"]
    targets = {f"fig1_ntk_variance_{a}": [f"ntk_variance_fig1_{a}"] for a in acts}
    targets["fig2_ntk_variance_vs_depth"] = ["ntk_variance_fig2"]
    targets["fig7_ntk_variance_bias"] = [f"ntk_variance_fig7_{a}" for a in acts]
    numbers = {"tanh": (3, 8, 10), "relu": (4, 9, 11)}
    for a in cfg["ntk_change"]["activations"]:
        final, steps, widths = numbers[a]
        targets[f"fig{final}_ntk_change_{a}"] = [f"ntk_change_{a}"]
        targets[f"fig{steps}_ntk_change_steps_{a}"] = [f"ntk_change_{a}"]
        targets[f"fig{widths}_ntk_change_width_{a}"] = [f"ntk_change_{a}"]
    targets["fig5_kappa2_vs_depth"] = ["kappa"]
    targets["fig6_kappa_ratio_vs_depth"] = ["kappa"]
    targets["thm53_output_variance"] = ["thm53"]
    return targets


def table_inputs(table: str, dataset_path, runs: dict[str, str]) -> dict:
    """Snakemake inputs of a table: the dataset (``ntk_variance_*``), the run files of one
    activation (``ntk_change_<activation>``, from ``runs``: run name -> file), or none."""
    if table.startswith("ntk_variance_"):
        return {"dataset": dataset_path}
    if table.startswith("ntk_change_"):
        return {"runs": [path for name, path in runs.items() if name.startswith(f"{table}_")]}
    return {}


def make_table(name: str, cfg: dict, base_seed: int, dataset_path=None, run_paths=(),
               log=None) -> pd.DataFrame:
    """The table ``results/seleznova2021/tables/<name>.csv`` (``cfg``: the paper's config)."""
    if name.startswith("ntk_variance_"):
        block = cfg["ntk_variance"]
        return ntk_variance_table(variance_cells(block, name[len("ntk_variance_"):]),
                                  first_unit_image(dataset_path), int(block["n_inits"]),
                                  base_seed, log=log)
    if name.startswith("ntk_change_"):
        return ntk_change_table(run_paths)
    if name == "kappa":
        block = cfg["kappa"]
        return kappa_table(resolve_phase_settings(block["settings"]), block["covariances"],
                           block["max_depth"])
    if name == "thm53":
        block = cfg["thm53"]
        return thm53_table(resolve_phase_settings(block["settings"]), block["depths"],
                           int(block["width"]), int(block["n_train"]), int(block["n_inits"]),
                           base_seed, log=log)
    raise ValueError(f"unknown seleznova2021 table {name!r}")


def _fmt(v: float) -> str:
    return f"{v:g}"


def _variance_fig1(tables, cfg):
    frame = tables[0]
    act = frame["activation"].iloc[0]
    panels = [(f"{act}, M = {w}", frame[frame.width == w], act, cfg["ntk_variance"]["sb2"])
              for w in sorted(frame.width.unique())]
    fig = heatmap_grid([panels], "ratio", r"$E[\Theta_0^2]/E[\Theta_0]^2$",
                       suptitle=f"NTK variance at initialization, {act}, "
                                rf"$\sigma_b^2$ = {_fmt(cfg['ntk_variance']['sb2'])} "
                                r"(dashed: $\chi_1 = 1$)")
    return fig, frame


def _variance_fig7(tables, cfg):
    rows = []
    for frame in tables:
        act = frame["activation"].iloc[0]
        rows.append([(rf"{act}, $\sigma_b^2$ = {_fmt(b)}", frame[frame.sb2 == b], act, b)
                     for b in sorted(frame.sb2.unique())])
    width = cfg["ntk_variance"]["bias_width"]
    fig = heatmap_grid(rows, "ratio", r"$E[\Theta_0^2]/E[\Theta_0]^2$",
                       suptitle=f"NTK variance at initialization, M = {width}, by bias variance "
                                r"(dashed: $\chi_1 = 1$)")
    return fig, pd.concat(tables, ignore_index=True)


def _variance_fig2(tables, cfg):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    frame = tables[0]
    settings = list(dict.fromkeys(zip(frame.sw2, frame.sb2, strict=True)))
    widths = sorted(frame.width.unique())
    fig, axes = plt.subplots(2, len(settings), figsize=(3.2 * len(settings), 5.6),
                             squeeze=False, constrained_layout=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(widths)))
    for j, (sw2, sb2) in enumerate(settings):
        sub = frame[(frame.sw2 == sw2) & (frame.sb2 == sb2)]
        for w, color in zip(widths, colors, strict=True):
            cur = sub[sub.width == w].sort_values("depth")
            for i, xval in enumerate((cur.depth, cur.depth / w)):
                axes[i][j].errorbar(xval, cur.ratio, yerr=cur.ratio_se, color=color, marker="o",
                                    ms=3, lw=1, capsize=2, label=f"M = {w}")
        ph = phase("relu", sw2, sb2)
        axes[0][j].set_title(rf"ReLU, $\sigma_w^2$={_fmt(sw2)}, $\sigma_b^2$={_fmt(sb2)} "
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
        axes[i][0].set_ylabel(r"$E[\Theta_0^2]/E[\Theta_0]^2$" + f"\n{label}")
    axes[0][-1].legend(fontsize=7)
    return fig, frame


def _change_final(tables, cfg):
    import matplotlib.pyplot as plt

    block = cfg["ntk_change"]
    frame = tables[0]
    frame = frame[frame.width == block["width"]]
    act = frame["activation"].iloc[0]
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), constrained_layout=True)
    mesh = draw_heatmap(axes[0], frame, "rel_change_final", act, block["sb2"])
    fig.colorbar(mesh, ax=axes[0], label=r"$\|\Theta_t-\Theta_0\|_F/\|\Theta_0\|_F$")
    axes[0].set_title("a) relative NTK change at the end of training", fontsize=9)
    from matplotlib.colors import LinearSegmentedColormap

    loss_cmap = LinearSegmentedColormap.from_list("loss", ["navy", "royalblue", "white",
                                                           "salmon", "darkred"])
    mesh = draw_heatmap(axes[1], frame, "min_loss", act, block["sb2"], cmap=loss_cmap)
    fig.colorbar(mesh, ax=axes[1], label="minimal loss")
    axes[1].set_title("b) minimal loss reached", fontsize=9)
    fig.suptitle(f"{act}, M = {block['width']}, GD lr = {_fmt(block['lr'])}, "
                 f"{len(frame)} networks (dashed: $\\chi_1 = 1$; hatched: diverged)",
                 fontsize=10)
    return fig, frame


def _change_steps(tables, cfg):
    block = cfg["ntk_change"]
    frame = tables[0]
    frame = frame[frame.width == block["width"]]
    act = frame["activation"].iloc[0]
    steps = [s for s in CHANGE_STEPS if frame[f"rel_change_{s}"].notna().any()]
    panels = [(f"after {s} steps", frame.assign(value=frame[f"rel_change_{s}"]), act,
               block["sb2"]) for s in steps]
    fig = heatmap_grid([panels], "value", r"$\|\Theta_t-\Theta_0\|_F/\|\Theta_0\|_F$",
                       suptitle=f"Relative NTK change during training, {act}, "
                                f"M = {block['width']} (a network that stopped earlier "
                                "shows its final value)")
    return fig, frame


def _change_width(tables, cfg):
    block = cfg["ntk_change"]
    frame = tables[0]
    act = frame["activation"].iloc[0]
    panels = [(f"M = {w}", frame[frame.width == w].assign(value=lambda f: f.rel_change_final),
               act, block["sb2"]) for w in block["widths"]]
    fig = heatmap_grid([panels], "value", r"$\|\Theta_t-\Theta_0\|_F/\|\Theta_0\|_F$",
                       suptitle=f"Relative NTK change at the end of training, {act}, by width")
    return fig, frame[frame.width.isin(block["widths"])]


def _kappa(value, label):
    def draw(tables, cfg):
        import matplotlib.pyplot as plt
        from matplotlib.colors import Normalize

        frame = tables[0]
        acts = list(dict.fromkeys(frame.activation))
        settings = list(dict.fromkeys(zip(frame.activation, frame.sw2, frame.sb2,
                                          frame.phase, strict=True)))
        ncol = max(sum(1 for s in settings if s[0] == a) for a in acts)
        fig, axes = plt.subplots(len(acts), ncol, figsize=(3.2 * ncol + 1, 2.9 * len(acts)),
                                 squeeze=False, constrained_layout=True)
        norm = Normalize(0, 1)
        for i, act in enumerate(acts):
            for j, (a, sw2, sb2, ph) in enumerate(s for s in settings if s[0] == act):
                ax = axes[i][j]
                sub = frame[(frame.activation == a) & (frame.sw2 == sw2) & (frame.sb2 == sb2)]
                for c, cur in sub.groupby("covariance"):
                    ax.plot(cur.depth, cur[value], color=plt.cm.viridis(norm(c)), lw=1)
                ax.set_yscale("log")
                ax.set_title(rf"{chr(97 + i)}) {a}, $\sigma_w^2$={sw2:.3g}, "
                             rf"$\sigma_b^2$={_fmt(sb2)} ({ph})", fontsize=9)
                ax.set_xlabel("depth L")
            axes[i][0].set_ylabel(label)
        sm = plt.cm.ScalarMappable(norm=norm, cmap="viridis")
        fig.colorbar(sm, ax=axes.ravel().tolist(), label=r"input covariance $x_s^T x_r / d$")
        return fig, frame

    return draw


def _thm53(tables, cfg):
    import matplotlib.pyplot as plt

    frame = tables[0]
    acts = list(dict.fromkeys(frame.activation))
    fig, axes = plt.subplots(1, len(acts), figsize=(4.6 * len(acts), 3.6), squeeze=False,
                             constrained_layout=True)
    for ax, act in zip(axes[0], acts, strict=False):
        sub = frame[frame.activation == act]
        for k, ((sw2, ph), cur) in enumerate(sub.groupby(["sw2", "phase"], sort=True)):
            color = f"C{k}"
            ax.plot(cur.depth, cur.theory_variance, color=color, lw=1.5,
                    label=rf"Thm 5.3, $\sigma_w^2$={sw2:.3g} ({ph})")
            ax.errorbar(cur.depth, cur.empirical_variance, yerr=cur.empirical_se, color=color,
                        ls="none", marker="o", ms=4, capsize=2,
                        label="empirical NTK regression" if k == 0 else None)
        ax.set_yscale("log")
        ax.set_xlabel("depth L")
        ax.set_title(rf"{act}, $\sigma_b^2$={_fmt(sub.sb2.iloc[0])}, S={sub.n_train.iloc[0]}, "
                     f"M={sub.width.iloc[0]}, {sub.n_inits.iloc[0]} inits", fontsize=9)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(r"Var $f_{t=\infty}(x)$")
    return fig, frame


FIGURES = {
    "fig1": _variance_fig1, "fig2": _variance_fig2, "fig7": _variance_fig7,
    "fig3": _change_final, "fig4": _change_final, "fig8": _change_steps, "fig9": _change_steps,
    "fig10": _change_width, "fig11": _change_width,
    "fig5": _kappa("kappa2", r"$\kappa_2$"), "fig6": _kappa("kappa_ratio", r"$\kappa_1/\kappa_2$"),
    "thm53": _thm53,
}


def make_figure(target: str, tables: list[pd.DataFrame], cfg: dict):
    """``(figure, plotted rows)`` of a figure target of :func:`figure_targets`."""
    key = target.split("_")[0]
    if key not in FIGURES:
        raise ValueError(f"unknown seleznova2021 figure {target!r}")
    return FIGURES[key](tables, cfg)
