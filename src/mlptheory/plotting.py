"""Shared plotting: heat maps over the (sigma_w^2, depth) phase plane with the dashed
``chi_1 = 1`` border (seleznova2021 Figs. 1, 3, 4, 7-11; any paper that maps a quantity over the
phase diagram of an activation)."""

from __future__ import annotations

import math

import numpy as np

from .kernels import edge_of_chaos


def fmt(value: float) -> str:
    """A number as a short label (``1.0`` -> ``1``, ``1e-05`` stays)."""
    return f"{value:g}"


def phase_cmap():
    """``magma``: black (ratio ~ 1, deterministic) -> purple -> orange -> pale yellow (largest).
    Lightness grows with the value, so the order of the cells reads off the colour alone (the
    paper's black -> red -> blue code makes its largest values as dark as its smallest)."""
    import matplotlib

    return matplotlib.colormaps["magma"]


def readable_log_colorbar(colorbar) -> None:
    """Plain-number labels (``2``, ``3``, ``0.5``, ``1e+04``) on a log colour bar instead of
    ``2x10^0``: every minor tick under one decade, the 2s and 5s up to three, else the
    decades alone."""
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FuncFormatter

    if not isinstance(colorbar.norm, LogNorm):
        return
    lo, hi = colorbar.norm.vmin, colorbar.norm.vmax
    colorbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))

    def minor(v, _):
        mantissa = round(v / 10 ** math.floor(math.log10(v) + 1e-9), 6)
        # under a decade: every minor tick; up to three decades: 2 and 5 of each; else none
        if hi / lo < 10 or (hi / lo < 1000 and mantissa in (2.0, 5.0)):
            return f"{v:.3g}"
        return ""

    colorbar.ax.yaxis.set_minor_formatter(FuncFormatter(minor))


def cell_edges(values) -> np.ndarray:
    """Edges of cells centred on ``values`` (a single value gets a unit-wide cell)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.r_[v[0] - (mid[0] - v[0]), mid, v[-1] + (v[-1] - mid[-1])]


def draw_phase_heatmap(ax, frame, value: str, activation: str, sb2: float, norm=None,
                       cmap=None, log_color: bool = True, marks: str | None = None):
    """Heat map of ``value`` (mean over seeds) with ``sw2`` on the y axis and depth ``L`` on the
    x axis (equally spaced columns labelled by L), dashed ``chi_1 = 1`` border; non-finite cells
    (e.g. diverged training) hatched grey; cells where any row has the boolean column ``marks``
    set get a small open circle. Returns the mesh (for a colour bar)."""
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
    y_edges = cell_edges(g.index.to_numpy(float))
    mesh = ax.pcolormesh(np.arange(len(depths) + 1) - 0.5, y_edges, data, norm=norm,
                         cmap=cmap or phase_cmap(), shading="flat", antialiased=False,
                         linewidth=0)
    for i, j in zip(*np.nonzero(np.ma.getmaskarray(data)), strict=True):
        ax.add_patch(Rectangle((j - 0.5, y_edges[i]), 1.0, y_edges[i + 1] - y_edges[i],
                               facecolor="0.75", edgecolor="0.4", hatch="xx", linewidth=0))
    if marks is not None:
        flagged = frame.groupby(["sw2", "depth"])[marks].any().unstack("depth").sort_index()
        flagged = flagged.reindex(index=g.index, columns=depths).fillna(False).to_numpy(bool)
        centres = (y_edges[1:] + y_edges[:-1]) / 2
        rows, cols = np.nonzero(flagged)
        ax.scatter(cols, centres[rows], s=22, facecolors="none", edgecolors="white",
                   linewidths=1.6)
        ax.scatter(cols, centres[rows], s=22, facecolors="none", edgecolors="black",
                   linewidths=0.7)
    ax.set_xticks(range(len(depths)))
    ax.set_xticklabels([str(d) for d in depths], fontsize=7)
    eoc = edge_of_chaos(activation, float(sb2))
    ax.axhline(eoc, color="white", ls=(0, (6, 3)), lw=1.8)  # long dashes: dashed at any size
    ax.axhline(eoc, color="black", ls=(0, (6, 3)), lw=0.9)
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\sigma_w^2$")
    return mesh


def phase_heatmap_grid(rows, value: str, colorbar_label: str, suptitle: str | None = None,
                       marks: str | None = None):
    """Rows of heat-map panels ``(title, frame, activation, sb2)`` sharing one log colour
    scale (seleznova2021's Figs. 1, 7-11 layout: one panel per width / sb2 / step); ``marks``
    as in :func:`draw_phase_heatmap`."""
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
            mesh = draw_phase_heatmap(ax, frame, value, activation, sb2, norm=norm, marks=marks)
            ax.set_title(title, fontsize=9)
            if j:
                ax.set_ylabel("")
    readable_log_colorbar(fig.colorbar(mesh, ax=axes.ravel().tolist(), label=colorbar_label,
                                       shrink=0.9))
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig
