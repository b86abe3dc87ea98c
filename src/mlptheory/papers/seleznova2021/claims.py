"""The claims of seleznova2021 (Secs. 3-5) that its targets test (see :mod:`mlptheory.claims`).

The thresholds were fixed from the paper's wording before measuring: "close to 1" / "small"
variance ratio is below 1.1 (the standard deviation below a third of the mean), "significant" is
a ratio of at least 2 (standard deviation at least the mean), a "phase transition" in the NTK
change is a chaotic / ordered ratio of at least 3, and "small" change is below 0.1.
"""

from __future__ import annotations

import math

from ...claims import Claim, Inconclusive

VAR = ("fig1_ntk_variance_tanh", "fig1_ntk_variance_relu")
CHANGE = ("fig3_ntk_change_tanh", "fig4_ntk_change_relu")


def _cells(frames, names):
    import pandas as pd

    return pd.concat([frames[n] for n in names], ignore_index=True)


def _largest_ratio(cells, missing: str, where: str, at: str):
    """The largest variance ratio over ``cells`` and a note saying over what and where (``at``
    formatted with the worst row); Inconclusive(``missing``) when there is no cell."""
    if cells.empty:
        raise Inconclusive(missing)
    worst = cells.loc[cells.ratio.idxmax()]
    return worst.ratio, f"max over {len(cells)} {where} at {at.format(r=worst)}"


def _ordered_variance(frames, config):
    d = _cells(frames, VAR)
    return _largest_ratio(d[(d.width == 100) & (d.sw2 == 1.0) & (d.depth <= 20)],
                          "the Fig. 1 grid has no cell at M = 100, sw2 = 1",
                          "cells (tanh and ReLU, L <= 20)", "{r.activation}, L = {r.depth}")


def _chaotic_variance(frames, config):
    d = _cells(frames, VAR)
    rows = []
    for act, g in d.groupby("activation"):
        cell = g[(g.width == g.width.min()) & (g.sw2 == g.sw2.max()) & (g.depth == g.depth.max())]
        rows.append((float(cell.ratio.iloc[0]), act, cell.iloc[0]))
    value, act, c = min(rows, key=lambda r: r[0])
    return value, (f"min over activations of the ratio at the smallest width, largest sw2, "
                   f"deepest L; the min is {act} at M = {c.width}, sw2 = {c.sw2}, L = {c.depth}"
                   f" ({' / '.join(f'{a}: {v:.3g}' for v, a, _ in rows)})")


def _variance_narrows_with_width(frames, config):
    d = frames["fig1_ntk_variance_relu"]
    if d.width.nunique() < 2:
        raise Inconclusive("Fig. 1 has a single width")
    g = d[(d.sw2 == d.sw2.max()) & (d.depth == d.depth.max())]
    narrow = float(g[g.width == g.width.min()].ratio.iloc[0])
    wide = float(g[g.width == g.width.max()].ratio.iloc[0])
    return narrow / wide, (f"ReLU, sw2 = {g.sw2.iloc[0]}, L = {g.depth.iloc[0]}: ratio "
                           f"{narrow:.3g} at M = {g.width.min()} / {wide:.3g} at "
                           f"M = {g.width.max()}")


def _shallow_variance(frames, config):
    d = _cells(frames, VAR)
    return _largest_ratio(d[d.depth == 1], "the Fig. 1 grid has no L = 1",
                          "cells at L = 1 (every sw2, width, activation)",
                          "{r.activation}, M = {r.width}, sw2 = {r.sw2}")


def _fig2_ordered(frames, config):
    d = frames["fig2_ntk_variance_vs_depth"]
    return _largest_ratio(d[d.phase == "ordered"], "Fig. 2 has no ordered-phase setting",
                          "ordered cells", "(sw2, sb2) = ({r.sw2}, {r.sb2}), M = {r.width}, "
                          "L = {r.depth}")


def _fig2_chaotic_exponential(frames, config):
    import numpy as np

    d = frames["fig2_ntk_variance_vs_depth"]
    cells = d[(d.phase == "chaotic") & (d.ratio > 0)]
    if cells.width.nunique() < 2:
        raise Inconclusive("Fig. 2 has fewer than two widths in the chaotic phase")
    r = float(np.corrcoef(cells.depth / cells.width, np.log(cells.ratio))[0, 1])
    return r, (f"Pearson correlation of log(ratio) with L/M over {len(cells)} cells of "
               f"(sw2, sb2) = ({cells.sw2.iloc[0]}, {cells.sb2.iloc[0]}), widths "
               f"{sorted(int(w) for w in cells.width.unique())}: one exponential in L/M for "
               "every width")


def _deepest_phase_means(frame):
    deepest = frame[frame.depth == frame.depth.max()]
    finite = deepest[deepest.rel_change_final.apply(math.isfinite)]
    means = finite.groupby("phase").rel_change_final.mean()
    return deepest, finite, means


def _change_ratio(name):
    def measure(frames, config):
        deepest, finite, means = _deepest_phase_means(frames[name])
        if "chaotic" not in means or "ordered" not in means:
            raise Inconclusive(f"no finite chaotic or ordered cell at L = "
                               f"{deepest.depth.max()} (all diverged?)")
        lost = len(deepest) - len(finite)
        return means["chaotic"] / means["ordered"], (
            f"L = {deepest.depth.max()}: chaotic mean {means['chaotic']:.3g} / ordered mean "
            f"{means['ordered']:.3g}" + (f"; {lost} diverged cell(s) left out" if lost else ""))
    return measure


def _ordered_change_small(frames, config):
    d = _cells(frames, CHANGE)
    ordered = d[(d.phase == "ordered") & d.rel_change_final.apply(math.isfinite)]
    if ordered.empty:
        raise Inconclusive("no ordered-phase cell")
    means = ordered.groupby(["activation", "depth"]).rel_change_final.mean()
    (act, depth), value = means.idxmax(), means.max()
    return value, (f"max over (activation, depth) of the ordered-phase mean change; at {act}, "
                   f"L = {depth}")


def _chaotic_change_grows(frames, config):
    rows = []
    for name in CHANGE:
        d = frames[name]
        chaotic = d[(d.phase == "chaotic") & d.rel_change_final.apply(math.isfinite)]
        by_depth = chaotic.groupby("depth").rel_change_final.mean()
        if len(by_depth) < 2:
            raise Inconclusive(f"{name}: chaotic cells finite at fewer than two depths")
        rows.append((by_depth.iloc[-1] / by_depth.iloc[0], d.activation.iloc[0],
                     by_depth.index[0], by_depth.index[-1]))
    value, act, lo, hi = min(rows)
    return value, (f"min over activations of chaotic mean change at the deepest / shallowest "
                   f"depth with finite cells; min at {act}, L = {hi} vs L = {lo}")


def _ordered_untrainable_deep(frames, config):
    d = _cells(frames, CHANGE)
    if d.depth.max() < 20:
        raise Inconclusive(f"the deepest depth trained is {d.depth.max()} < 20")
    cells = d[(d.depth == 20) & (d.phase == "ordered")]
    learned = (cells.min_loss < 0.9 * cells.baseline_loss).mean()
    return learned, (f"{int(round(learned * len(cells)))} of {len(cells)} ordered cells at L = 20"
                     " reach a loss below 0.9 x the constant predictor's")


def _thm53_analytic(frames, config):
    d = frames["thm53_output_variance"]
    cells = d[(d.variant == "analytic_ntk") & d.phase.isin(["ordered", "critical"])
              & (d.depth <= 5)]
    if cells.empty:
        raise Inconclusive("no ordered/critical cell with L <= 5")
    z = (cells.empirical_variance - cells.theory_variance).abs() / cells.empirical_se
    worst = cells.loc[z.idxmax()]
    return z.max(), (f"max over {len(cells)} cells of |empirical - theory| / standard error; at "
                     f"{worst.activation} sw2 = {worst.sw2:.3g}, L = {worst.depth}")


CLAIMS = [
    Claim("S3-ordered-variance",
          "In the ordered phase the NTK variance is small and does not grow with depth",
          "Sec. 3, Fig. 1", "max E[Theta^2]/E[Theta]^2 at M = 100, sw2 = 1, L <= 20, tanh and ReLU",
          "< 1.1", VAR, _ordered_variance),
    Claim("S3-chaotic-variance",
          "In the chaotic phase the NTK variance grows significantly with depth",
          "Sec. 3, Fig. 1", "ratio at the smallest width, largest sw2 and deepest L (min over "
          "tanh, ReLU)", ">= 2", VAR, _chaotic_variance),
    Claim("S3-width", "As M grows the chaotic-phase variance decreases",
          "Sec. 3, Figs. 1, 2", "ReLU ratio at the smallest / the largest width (largest sw2, "
          "deepest L)", "> 1", ("fig1_ntk_variance_relu",), _variance_narrows_with_width),
    Claim("S3-shallow", "The NTK variance is small for shallow networks with any sw2",
          "Sec. 3, Fig. 1", "max ratio at L = 1 over every sw2, width and activation", "< 1.1",
          VAR, _shallow_variance),
    Claim("S3-fig2-ordered",
          "Ordered phase: the ratio is close to 1 and does not grow with L/M",
          "Sec. 3, Fig. 2", "max ratio over the ordered settings (sw2 = 1, 1.5; sb2 = 1)",
          "< 1.1", ("fig2_ntk_variance_vs_depth",), _fig2_ordered),
    Claim("S3-fig2-chaotic",
          "Chaotic phase: the ratio grows exponentially as a function of L/M",
          "Sec. 3, Fig. 2", "correlation of log(ratio) with L/M over all widths at "
          "(sw2, sb2) = (3, 1)", ">= 0.9", ("fig2_ntk_variance_vs_depth",),
          _fig2_chaotic_exponential),
    Claim("S4-transition-tanh",
          "The NTK change under GD differs sharply across the phase border (tanh)",
          "Sec. 4, Fig. 3a", "mean relative change at the deepest L, chaotic / ordered", ">= 3",
          ("fig3_ntk_change_tanh",), _change_ratio("fig3_ntk_change_tanh")),
    Claim("S4-transition-relu",
          "The NTK change under GD differs sharply across the phase border (ReLU)",
          "Sec. 4, Fig. 4a", "mean relative change at the deepest L, chaotic / ordered", ">= 3",
          ("fig4_ntk_change_relu",), _change_ratio("fig4_ntk_change_relu")),
    Claim("S4-ordered-small",
          "In the ordered phase the relative NTK change is small for any depth",
          "Sec. 4, Figs. 3a, 4a", "max over activation and depth of the ordered-phase mean "
          "relative change", "< 0.1", CHANGE, _ordered_change_small),
    Claim("S4-chaotic-depth",
          "In the chaotic phase the relative NTK change increases with depth",
          "Sec. 4, Figs. 3a, 4a", "chaotic mean change, deepest / shallowest depth (min over "
          "activations)", "> 1", CHANGE, _chaotic_change_grows),
    Claim("S4-trainability",
          "Ordered-phase networks with L = 20 mostly cannot reach low training loss",
          "Sec. 4, Figs. 3b, 4b", "fraction of ordered cells at L = 20 whose minimal loss is "
          "below 0.9 x the constant predictor's", "< 0.5", CHANGE, _ordered_untrainable_deep),
    Claim("S5-thm53",
          "Theorem 5.3 gives the output variance of kernel regression with the limiting NTK",
          "Sec. 5, Theorem 5.3", "max |empirical - theory| / se, variant analytic_ntk, ordered "
          "and critical phases, L <= 5", "<= 3", ("thm53_output_variance",), _thm53_analytic),
]
