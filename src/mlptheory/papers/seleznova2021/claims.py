"""The claims of seleznova2021 (Secs. 3-5, Apps. C, D) that its targets test (see
:mod:`mlptheory.claims`).

Every threshold was fixed from the paper's wording before measuring:

* "close to 1" / "small" NTK variance: ratio ``E[Theta^2]/E[Theta]^2`` below 1.1 (standard
  deviation below a third of the mean); "does not grow with depth": the ratio rises by less than
  0.1 (the same tolerance) from the shallowest to the deepest depth; "grows significantly": a
  ratio of at least 2 (standard deviation at least the mean, the paper's blue zone); at the edge
  of chaos "a fraction of its mean": below 2 (standard deviation below the mean).
* "the ordered phase" of a statement about "sigma_w^2 small enough": chi_1 <= 0.75, the largest
  chi_1 of the paper's own ordered Fig. 2 settings (ReLU sw2 = 1, 1.5); "at the EOC": the grid's
  sw2 nearest the edge of chaos with |chi_1 - 1| <= 0.05.
* NTK change: a "phase transition" is a chaotic / ordered ratio of the mean relative change of
  at least 3; "small" change below 0.1, "significant" at least 0.1, "way below 1" below 0.5;
  "increases with depth" / "larger" a ratio above 1. Trainable: the minimal loss below 0.9 x the
  loss of the constant predictor; "mostly cannot": fewer than half trainable; "much faster in
  the ordered than in the chaotic phase": a larger trainable fraction of the chaotic than of the
  ordered networks at the same depths (L > 1), and at L = 20 (where the ordered ones "already
  mostly cannot") at least half of the chaotic ones trainable.
* Lemma 5.2 / Fig. 6 (exact mean-field recursions, no sampling): "kappa_1/kappa_2 -> 1" (ordered,
  ill-conditioned) is below 1.1 at the deepest depth; "grows with depth" is a ratio
  kappa(L_max) / kappa(L = 1) above 1 for every input covariance c < 1 (c = 1, identical inputs,
  has kappa_1 = kappa_2 at every depth).
* Theorem 5.3: "does not explain the ordered phase" (ill-conditioned NTK): the variance of
  finite networks (their own NTK) at least 2 x the theorem's; "characterizes" the well-conditioned
  shallow case: within a factor 2, ``in [0.5, 2]``.

Intervals (95%): NTK-variance cells carry a delta-method standard error (``ratio_se``) over
their initializations, Theorem 5.3 cells the standard error of the sample variance; a cell's
interval is ``value +- 1.96 se`` (a ratio of two cells: on the log scale). A claim over
"every cell" takes the max (or min) over cells, with the interval ``[max lows, max highs]``. The
NTK-change claims bootstrap over the trained networks (every sw2 cell holds ``seeds``
independent networks); fractions use Clopper-Pearson.

Validity conditions: enough replicates (``seeds >= 3`` networks per NTK-change cell,
``n_inits >= 100`` per variance cell), the depth range reaches the depths a statement is about
(``L_max >= 10`` / ``20``), the GD rate at or below the critical rate ``2S/lambda_max`` for every
network (the paper's own condition), and the training time ``lr x max_steps`` at least half the
paper's ``1e-5 x 1e5`` for statements about the end of training; Theorem 5.3 on finite networks
needs ``S/M <= 0.3`` (the empirical-NTK variance is biased low by about ``1 - c S/M``, see
:mod:`.thm53`).
"""

from __future__ import annotations

import math

from ...claims import Claim, Condition, Inconclusive, Measurement, exact

VAR = ("fig1_ntk_variance_tanh", "fig1_ntk_variance_relu")
FIG2 = "fig2_ntk_variance_vs_depth"
FIG7 = "fig7_ntk_variance_bias"
CHANGE = ("fig3_ntk_change_tanh", "fig4_ntk_change_relu")
STEPS = ("fig8_ntk_change_steps_tanh", "fig9_ntk_change_steps_relu")
WIDTH = ("fig10_ntk_change_width_tanh", "fig11_ntk_change_width_relu")
KAPPA = "fig6_kappa_ratio_vs_depth"
THM = "thm53_output_variance"
Z = 1.959963984540054  # two-sided 95% normal quantile
ORDERED_CHI1 = 0.75  # "sigma_w^2 small enough": the paper's ordered Fig. 2 settings
EOC_TOL = 0.05  # |chi_1 - 1| of an "at the EOC" cell
PAPER_GD_TIME = 1e-5 * 1e5  # the paper's lr x max_steps (Figs. 3, 4)


def _cells(frames, names):
    import pandas as pd

    return pd.concat([frames[n] for n in names], ignore_index=True)


def _iv(value, se):
    """``(value, low, high)``: a normal 95% interval from a standard error."""
    return float(value), float(value - Z * se), float(value + Z * se)


def _ratio_iv(a, se_a, b, se_b):
    """``a / b`` with a 95% interval on the log scale (independent estimates, delta method)."""
    if a <= 0 or b <= 0:
        return a / b, -math.inf, math.inf
    r = a / b
    s = math.sqrt((se_a / a) ** 2 + (se_b / b) ** 2)
    return r, r * math.exp(-Z * s), r * math.exp(Z * s)


def _extreme(items, largest=True):
    """The largest (smallest) of ``items = [(value, low, high, label), ...]`` with the interval
    ``[max lows, max highs]`` (``[min lows, min highs]``): covers the extreme whenever every
    cell's interval covers its cell."""
    pick = max if largest else min
    worst = pick(items, key=lambda t: t[0])
    return (worst[0], pick(t[1] for t in items), pick(t[2] for t in items), worst[3])


def _m(value, low, high, n, note, conditions=(), diagnosis=""):
    return Measurement(float(value), float(low), float(high), int(n), note, tuple(conditions),
                       diagnosis)


def _depth_cond(depth, need):
    return Condition("depth", float(depth), f">= {need}",
                     "deepest depth of the grid (the statement is about deep networks)")


def _inits_cond(frame):
    return Condition("n_inits", float(frame.n_inits.min()), ">= 100",
                     "initializations per NTK-variance cell")


# ----- Sec. 3, Figs. 1, 2, 7: NTK variance at initialization -----------------------------------
def _series_increase(d):
    """One item per (activation, width, sw2, sb2) series: ratio(L_max) - ratio(L_min)."""
    items = []
    for (act, w, sw2, sb2), g in d.groupby(["activation", "width", "sw2", "sb2"]):
        g = g.sort_values("depth")
        lo, hi = g.iloc[0], g.iloc[-1]
        value = hi.ratio - lo.ratio
        items.append((*_iv(value, math.hypot(hi.ratio_se, lo.ratio_se)),
                      (act, int(w), float(sw2), float(sb2), int(lo.depth), int(hi.depth))))
    return items


def _ordered_variance(frames, config):
    d = _cells(frames, (*VAR, FIG2))
    d = d[d.chi1 <= ORDERED_CHI1]
    if d.empty or d.depth.nunique() < 2:
        raise Inconclusive(f"no ordered cell (chi1 <= {ORDERED_CHI1}) at two depths")
    items = _series_increase(d)
    value, low, high, (act, w, sw2, sb2, l0, l1) = _extreme(items)
    per_width = {}
    for v, _, _, lab in items:
        per_width[lab[1]] = max(per_width.get(lab[1], -math.inf), v)
    widths = sorted(per_width)
    diag = ""
    if len(widths) >= 2:
        trend = ", ".join(f"{per_width[x]:.3g} at M = {x}" for x in widths)
        diag = (f"scale: the largest increase falls with width ({trend}); the paper's NTK "
                "limit is M -> infinity"
                if per_width[widths[-1]] < per_width[widths[0]] else
                f"disagrees: the largest increase does not fall with width ({trend})")
    return _m(value, low, high, len(items),
              f"max over {len(items)} ordered series (chi1 <= {ORDERED_CHI1}; Figs. 1, 2, every "
              f"width) of ratio(L_max) - ratio(L_min); at {act}, M = {w}, sw2 = {sw2:g}, "
              f"sb2 = {sb2:g}, L = {l0} -> {l1}",
              [_depth_cond(d.depth.max(), 10), _inits_cond(d)], diag)


def _chaotic_variance(frames, config):
    d = _cells(frames, VAR)
    items = []
    for act, g in d.groupby("activation"):
        c = g[(g.width == g.width.min()) & (g.sw2 == g.sw2.max()) & (g.depth == g.depth.max())]
        r = c.iloc[0]
        items.append((*_iv(r.ratio, r.ratio_se), (act, int(r.width), r.sw2, int(r.depth),
                                                  r.chi1)))
    value, low, high, (act, w, sw2, depth, chi) = _extreme(items, largest=False)
    chi_min = min(t[3][4] for t in items)
    return _m(value, low, high, len(items),
              f"min over activations of the ratio at the smallest width, largest sw2, deepest L;"
              f" the min is {act} at M = {w}, sw2 = {sw2:g}, L = {depth} ("
              + " / ".join(f"{t[3][0]}: {t[0]:.3g}" for t in items) + ")",
              [_depth_cond(d.depth.max(), 10), _inits_cond(d),
               Condition("chi1", chi_min, "> 1", "the cells are in the chaotic phase")],
              f"scale: the ratio grows with depth in the chaotic phase; the grid stops at "
              f"L = {depth} (the paper: L = 50) and the width is {w}")


def _width_items(d, where):
    items = []
    for (act, sw2, sb2), g in d[d.chi1 > 1].groupby(["activation", "sw2", "sb2"]):
        if g.width.nunique() < 2 or sw2 != d[d.activation == act].sw2.max():
            continue
        g = g[g.depth == g.depth.max()]
        n, w = g[g.width == g.width.min()].iloc[0], g[g.width == g.width.max()].iloc[0]
        items.append((*_ratio_iv(n.ratio, n.ratio_se, w.ratio, w.ratio_se),
                      f"{where} {act} sw2 = {sw2:g}, sb2 = {sb2:g}, L = {int(n.depth)}: "
                      f"{n.ratio:.3g} (M = {int(n.width)}) / {w.ratio:.3g} (M = {int(w.width)})"))
    return items


def _variance_narrows_with_width(frames, config):
    items = (_width_items(_cells(frames, VAR), "Fig. 1") + _width_items(frames[FIG2], "Fig. 2"))
    if not items:
        raise Inconclusive("no chaotic setting at two widths")
    value, low, high, label = _extreme(items, largest=False)
    d = _cells(frames, (*VAR, FIG2))
    return _m(value, low, high, len(items),
              f"min over {len(items)} chaotic settings (largest sw2 of Fig. 1 per activation, "
              f"the chaotic Fig. 2 settings) of ratio at the smallest / the largest width, "
              f"deepest L; min at {label}",
              [_depth_cond(d.depth.max(), 10), _inits_cond(d)],
              "disagrees: the interval of the narrow / wide ratio lies below 1 at the deepest "
              "chaotic cell")


def _shallow_variance(frames, config):
    d = _cells(frames, VAR)
    cells = d[d.depth == 1]
    if cells.empty:
        raise Inconclusive("the Fig. 1 grid has no L = 1")
    items = [(*_iv(r.ratio, r.ratio_se), f"{r.activation}, M = {r.width}, sw2 = {r.sw2:g}")
             for r in cells.itertuples()]
    value, low, high, label = _extreme(items)
    by_w = cells.groupby("width").ratio.max()
    diag = ("scale: the largest L = 1 ratio falls with width ("
            + ", ".join(f"{v:.4g} at M = {w}" for w, v in by_w.items()) + ")"
            if len(by_w) > 1 and by_w.iloc[-1] < by_w.iloc[0] else
            "disagrees: the L = 1 ratio does not fall with width")
    return _m(value, low, high, len(items),
              f"max over {len(items)} cells at L = 1 (every sw2, width, activation) at {label}",
              [_inits_cond(d)], diag)


def _fig2_chaotic_exponential(frames, config):
    import numpy as np

    from ...claims import bootstrap_interval

    d = frames[FIG2]
    cells = d[(d.phase == "chaotic") & (d.ratio > 0)]
    if cells.width.nunique() < 2:
        raise Inconclusive("Fig. 2 has fewer than two widths in the chaotic phase")
    x = (cells.depth / cells.width).to_numpy(float)
    y = np.log(cells.ratio.to_numpy(float))

    def corr(idx):
        idx = idx.astype(int)
        if np.ptp(x[idx]) == 0 or np.ptp(y[idx]) == 0:
            return math.nan
        return float(np.corrcoef(x[idx], y[idx])[0, 1])

    value, low, high = bootstrap_interval([np.arange(len(x))], corr)
    return _m(value, low, high, len(cells),
              f"Pearson correlation of log(ratio) with L/M over {len(cells)} chaotic cells "
              f"(bootstrap over cells), widths {sorted(int(w) for w in cells.width.unique())}: "
              "one exponential in L/M for every width",
              [_depth_cond(cells.depth.max(), 20), _inits_cond(cells),
               Condition("widths", float(cells.width.nunique()), ">= 3",
                         "widths of Fig. 2 in the chaotic setting")],
              "disagrees: log(ratio) is not one straight line in L/M across the widths")


def _eoc_variance(frames, config):
    d = _cells(frames, VAR)
    items, gaps = [], []
    for act, g in d.groupby("activation"):
        sw2 = g.loc[(g.chi1 - 1).abs().idxmin(), "sw2"]
        c = g[(g.sw2 == sw2) & (g.depth == g.depth.max())]
        gaps.append(float(abs(c.chi1.iloc[0] - 1)))
        items += [(*_iv(r.ratio, r.ratio_se), f"{act}, sw2 = {sw2:g} (chi1 = {r.chi1:.3f}), "
                   f"M = {r.width}, L = {r.depth}") for r in c.itertuples()]
    value, low, high, label = _extreme(items)
    return _m(value, low, high, len(items),
              f"max over activations and widths of the ratio at the sw2 nearest the edge of "
              f"chaos, deepest L; at {label}",
              [_depth_cond(d.depth.max(), 20), _inits_cond(d),
               Condition("eoc_gap", max(gaps), f"<= {EOC_TOL}", "|chi1 - 1| of the EOC cells")],
              f"scale: at the EOC the ratio grows slowly with L/M; the narrowest width is "
              f"{int(d.width.min())}")


def _bias_picture(frames, config):
    d = frames[FIG7]
    items = []
    for (act, sb2), g in d.groupby(["activation", "sb2"]):
        g = g[g.depth == g.depth.max()]
        hot, cold = g.loc[g.sw2.idxmax()], g.loc[g.sw2.idxmin()]
        items.append((*_ratio_iv(hot.ratio, hot.ratio_se, cold.ratio, cold.ratio_se),
                      f"{act}, sb2 = {sb2:g}: {hot.ratio:.3g} (sw2 = {hot.sw2:g}, chi1 = "
                      f"{hot.chi1:.2f}) / {cold.ratio:.3g} (sw2 = {cold.sw2:g})", hot.chi1))
    value, low, high, label = _extreme([t[:4] for t in items], largest=False)
    return _m(value, low, high, len(items),
              f"min over {len(items)} (activation, sb2) panels of Fig. 7 of the ratio at the "
              f"largest / the smallest sw2, deepest L; min at {label}",
              [_depth_cond(d.depth.max(), 10), _inits_cond(d),
               Condition("chi1", min(t[4] for t in items), "> 1",
                         "the largest sw2 is chaotic at every sb2"),
               Condition("sb2_values", float(d.sb2.nunique()), ">= 2", "bias variances")],
              "disagrees: at some sb2 the deep chaotic variance is not far above the ordered one")


# ----- Sec. 4, Figs. 3, 4, 8-11: NTK change under gradient descent ----------------------------
def _seeds_cond(frame):
    per = frame.groupby(["activation", "width", "sw2", "depth"]).size()
    return Condition("seeds", float(per.min()), ">= 3", "networks per (sw2, depth) cell")


def _lr_cond(frame):
    return Condition("lr", float((frame.lr / frame.lr_critical).max()), "<= 1",
                     "largest lr / lr_crit = 2S/lambda_max(Theta_0) over the networks")


def _time_cond(config):
    c = config["ntk_change"]
    return Condition("gd_time", float(c["lr"]) * float(c["max_steps"]) / PAPER_GD_TIME,
                     ">= 0.5", "configured lr x max_steps / the paper's 1e-5 x 1e5")


def _change_conds(frame, config, depth_need=10):
    return [_seeds_cond(frame), _depth_cond(frame.depth.max(), depth_need), _lr_cond(frame),
            _time_cond(config)]


def _phase(frame, which):
    """Networks of ``which``: ``ordered`` (chi1 <= ORDERED_CHI1), ``chaotic`` (chi1 > 1 +
    EOC_TOL) or ``eoc`` (|chi1 - 1| <= EOC_TOL)."""
    if which == "ordered":
        return frame[frame.chi1 <= ORDERED_CHI1]
    if which == "chaotic":
        return frame[frame.chi1 > 1 + EOC_TOL]
    return frame[(frame.chi1 - 1).abs() <= EOC_TOL]


def _finite(frame, column="rel_change_final"):
    import numpy as np

    return frame[np.isfinite(frame[column].to_numpy(float))]


def _boot_means(a, b, combine, n_boot=2000, seed=0):
    """``(value, low, high)`` of ``combine(mean(a), mean(b))`` with a percentile bootstrap
    that resamples the networks of each sample (vectorized form of
    :func:`mlptheory.claims.bootstrap_interval` for a statistic of two means; fixed seed)."""
    import numpy as np

    from ...claims import percentile_interval

    a, b = np.asarray(a, float), np.asarray(b, float)
    value = float(combine(a.mean(), b.mean()))
    if a.size < 2 or b.size < 2:
        return value, -math.inf, math.inf
    rng = np.random.default_rng(seed)
    stats = combine(a[rng.integers(0, a.size, (n_boot, a.size))].mean(1),
                    b[rng.integers(0, b.size, (n_boot, b.size))].mean(1))
    return percentile_interval(value, stats)


def _mean_ratio(a, b):
    return _boot_means(a, b, lambda x, y: x / y)


def _transition(frame, column="rel_change_final"):
    """chaotic / ordered mean of ``column`` at the deepest depth (bootstrap over networks)."""
    deepest = frame[frame.depth == frame.depth.max()]
    ch, od = _finite(_phase(deepest, "chaotic"), column), _finite(_phase(deepest, "ordered"),
                                                                  column)
    if len(ch) == 0 or len(od) == 0:
        raise Inconclusive(f"no finite chaotic or ordered network at L = {deepest.depth.max()}")
    value, low, high = _mean_ratio(ch[column].to_numpy(float), od[column].to_numpy(float))
    lost = len(_phase(deepest, "chaotic")) + len(_phase(deepest, "ordered")) - len(ch) - len(od)
    return value, low, high, len(ch) + len(od), (
        f"L = {deepest.depth.max()}, M = {int(deepest.width.iloc[0])}: chaotic mean "
        f"{ch[column].mean():.3g} ({len(ch)} nets) / ordered mean {od[column].mean():.3g} "
        f"({len(od)} nets)" + (f"; {lost} diverged network(s) left out" if lost else ""))


def _width_trend(frames, which, column="rel_change_final"):
    """``{width: mean change of the which-phase networks at the deepest depth}`` over the
    Figs. 10, 11 widths (both activations)."""
    d = _cells(frames, WIDTH) if all(n in frames for n in WIDTH) else None
    if d is None:
        return {}
    d = _finite(_phase(d[d.depth == d.depth.max()], which), column)
    return d.groupby("width")[column].mean().to_dict()


def _width_diagnosis(frames, which):
    """``scale:`` when the which-phase networks' mean change at the deepest depth falls from the
    narrowest to the widest width of Figs. 10, 11 (the paper: M = 256), else ``disagrees:``."""
    trend = _width_trend(frames, which)
    text = ", ".join(f"{v:.3g} at M = {int(w)}" for w, v in sorted(trend.items()))
    if len(trend) < 2:
        return f"disagrees: no second width to test a finite-width effect ({text or 'none'})"
    ws = sorted(trend)
    if trend[ws[-1]] < trend[ws[0]]:
        return (f"scale: the {which} networks' mean change at the deepest L falls with width "
                f"({text}; the paper: M = 256)")
    return f"disagrees: the {which} networks' mean change does not fall with width ({text})"


def _change_ratio(name):
    def measure(frames, config):
        frame = frames[name]
        value, low, high, n, note = _transition(frame)
        return _m(value, low, high, n, note + " (bootstrap over networks)",
                  _change_conds(frame, config),
                  "disagrees: the deep chaotic networks do not change much more than the "
                  "ordered ones")
    return measure


def _ordered_change_small(frames, config):
    from ...claims import mean_interval

    d = _cells(frames, CHANGE)
    ordered = _finite(_phase(d, "ordered"))
    if ordered.empty:
        raise Inconclusive("no ordered-phase network")
    items = []
    for (act, depth), g in ordered.groupby(["activation", "depth"]):
        items.append((*mean_interval(g.rel_change_final.to_numpy(float)),
                      f"{act}, L = {depth} ({len(g)} nets)"))
    value, low, high, label = _extreme(items)
    return _m(value, low, high, len(ordered),
              f"max over (activation, depth) of the mean change of the ordered networks "
              f"(chi1 <= {ORDERED_CHI1}), t interval over networks; at {label}",
              _change_conds(d, config), _width_diagnosis(frames, "ordered"))


def _chaotic_change_grows(frames, config):
    items = []
    for name in CHANGE:
        d = _finite(_phase(frames[name], "chaotic"))
        depths = sorted(d.depth.unique())
        if len(depths) < 2:
            raise Inconclusive(f"{name}: chaotic networks finite at fewer than two depths")
        a = d[d.depth == depths[-1]].rel_change_final.to_numpy(float)
        b = d[d.depth == depths[0]].rel_change_final.to_numpy(float)
        items.append((*_mean_ratio(a, b), f"{d.activation.iloc[0]}, L = {depths[-1]} vs "
                      f"L = {depths[0]}: {a.mean():.3g} / {b.mean():.3g}"))
    value, low, high, label = _extreme(items, largest=False)
    d = _cells(frames, CHANGE)
    return _m(value, low, high, len(_phase(d, "chaotic")),
              f"min over activations of the chaotic mean change, deepest / shallowest finite "
              f"depth (bootstrap over networks); min at {label}", _change_conds(d, config),
              "disagrees: the chaotic networks' change does not rise from the shallowest to "
              "the deepest depth")


def _trainable(frame):
    return (frame.min_loss < 0.9 * frame.baseline_loss).to_numpy(bool)


def _ordered_untrainable_deep(frames, config):
    from ...claims import proportion_interval

    d = _cells(frames, CHANGE)
    if 20 not in set(d.depth):
        raise Inconclusive(f"no network at L = 20 (deepest {d.depth.max()})")
    cells = _phase(d[d.depth == 20], "ordered")
    ok = _trainable(cells)
    value, low, high = proportion_interval(int(ok.sum()), len(ok))
    return _m(value, low, high, len(ok),
              f"{int(ok.sum())} of {len(ok)} ordered networks (chi1 <= {ORDERED_CHI1}) at "
              "L = 20 reach a minimal loss below 0.9 x the constant predictor's",
              _change_conds(d, config, 20),
              "disagrees: most ordered L = 20 networks do learn within the paper's GD time")


def _fraction_difference(a, b):
    """``(value, low, high)`` of ``mean(a) - mean(b)`` (0/1 samples): the difference of the
    Clopper-Pearson bounds of each fraction (conservative; informative even when a sample is all
    zeros or all ones, where a bootstrap collapses to a point)."""
    from ...claims import proportion_interval

    fa, la, ha = proportion_interval(int(a.sum()), len(a))
    fb, lb, hb = proportion_interval(int(b.sum()), len(b))
    return fa - fb, la - hb, ha - lb


def _chaotic_evidence(ch):
    import numpy as np

    rel = ch.min_loss / ch.baseline_loss
    capped = float((ch.lr < ch.lr_config).mean())
    evidence = (f"the chaotic minimal losses are {np.nanmin(rel):.3g} to {np.nanmax(rel):.3g} x "
                f"the baseline, starting at median "
                f"{np.nanmedian(ch.initial_loss / ch.baseline_loss):.3g} x (the output variance "
                "q^L explodes in the chaotic phase)")
    if capped > 0.5:
        return (f"deviation:lr_cap: {capped:.0%} of these chaotic networks train at the capped "
                f"rate 0.5 x lr_crit (median {np.median(ch.lr):.2g}, configured "
                f"{ch.lr_config.iloc[0]:.2g}), the paper's own condition lr <= lr_crit; {evidence}")
    return f"disagrees: {evidence}"


def _trainability_phases(frames, config):
    d = _cells(frames, CHANGE)
    deep = d[d.depth > 1]
    ch, od = _phase(deep, "chaotic"), _phase(deep, "ordered")
    if ch.empty or od.empty:
        raise Inconclusive("no chaotic or no ordered network at L > 1")
    a, b = _trainable(ch).astype(float), _trainable(od).astype(float)
    value, low, high = _fraction_difference(a, b)
    per = "; ".join(
        f"L = {L}: chaotic {int(_trainable(_phase(g, 'chaotic')).sum())}/"
        f"{len(_phase(g, 'chaotic'))}, ordered {int(_trainable(_phase(g, 'ordered')).sum())}/"
        f"{len(_phase(g, 'ordered'))}" for L, g in deep.groupby("depth"))
    return _m(value, low, high, len(a) + len(b),
              f"trainable fraction (min loss < 0.9 x baseline) over the depths L > 1, chaotic "
              f"minus ordered, at the same depths (Clopper-Pearson bounds): {a.mean():.3g} - "
              f"{b.mean():.3g} ({per})",
              _change_conds(d, config, 20), _chaotic_evidence(ch))


def _chaotic_trainable_deep(frames, config):
    from ...claims import proportion_interval

    d = _cells(frames, CHANGE)
    if 20 not in set(d.depth):
        raise Inconclusive(f"no network at L = 20 (deepest {d.depth.max()})")
    ch = _phase(d[d.depth == 20], "chaotic")
    if ch.empty:
        raise Inconclusive("no chaotic network at L = 20")
    ok = _trainable(ch)
    value, low, high = proportion_interval(int(ok.sum()), len(ok))
    return _m(value, low, high, len(ok),
              f"{int(ok.sum())} of {len(ok)} chaotic networks (chi1 > {1 + EOC_TOL}) at L = 20 "
              "reach a minimal loss below 0.9 x the constant predictor's",
              _change_conds(d, config, 20), _chaotic_evidence(ch))


def _eoc_change_below_one(frames, config):
    from ...claims import mean_interval

    d = _cells(frames, CHANGE)
    deep = _finite(_phase(d[d.depth == d.depth.max()], "eoc"))
    if deep.empty:
        raise Inconclusive(f"no network with |chi1 - 1| <= {EOC_TOL} at the deepest depth")
    items = [(*mean_interval(g.rel_change_final.to_numpy(float)),
              f"{act}, sw2 = {g.sw2.iloc[0]:g} ({len(g)} nets)")
             for act, g in deep.groupby("activation")]
    value, low, high, label = _extreme(items)
    return _m(value, low, high, len(deep),
              f"max over activations of the mean change of the EOC networks (|chi1 - 1| <= "
              f"{EOC_TOL}) at L = {d.depth.max()}; at {label}", _change_conds(d, config),
              _width_diagnosis(frames, "eoc"))


def _eoc_change_above_ordered(frames, config):
    d = _cells(frames, CHANGE)
    deep = d[d.depth == d.depth.max()]
    items = []
    for act, g in deep.groupby("activation"):
        e, o = _finite(_phase(g, "eoc")), _finite(_phase(g, "ordered"))
        if e.empty or o.empty:
            continue
        items.append((*_mean_ratio(e.rel_change_final.to_numpy(float),
                                   o.rel_change_final.to_numpy(float)),
                      f"{act}: {e.rel_change_final.mean():.3g} / {o.rel_change_final.mean():.3g}"))
    if not items:
        raise Inconclusive("no activation with both EOC and ordered networks at the deepest L")
    value, low, high, label = _extreme(items, largest=False)
    return _m(value, low, high, len(_finite(_phase(deep, "eoc"))) + len(
        _finite(_phase(deep, "ordered"))),
        f"min over activations of the mean change, EOC / ordered networks at L = "
        f"{d.depth.max()} (bootstrap over networks); min at {label}", _change_conds(d, config),
        "disagrees: near the edge of chaos the NTK changes no more than in the ordered phase")


def _early_chaotic_change(frames, config):
    from ...claims import mean_interval

    d = _cells(frames, STEPS)
    cols = sorted((int(c[len("rel_change_"):]), c) for c in d.columns
                  if c.startswith("rel_change_") and c[len("rel_change_"):].isdigit())
    if not cols:
        raise Inconclusive("no checkpoint step column")
    step, col = cols[0]
    deep = _finite(_phase(d[d.depth == d.depth.max()], "chaotic"), col)
    if deep.empty:
        raise Inconclusive(f"no finite chaotic network at step {step}")
    items = [(*mean_interval(g[col].to_numpy(float)), f"{act} ({len(g)} nets)")
             for act, g in deep.groupby("activation")]
    value, low, high, label = _extreme(items, largest=False)
    early = step * float(d.lr_config.iloc[0]) / PAPER_GD_TIME
    return _m(value, low, high, len(deep),
              f"min over activations of the chaotic networks' mean change after the first "
              f"checkpoint, step {step} (lr x step = {early:.3g} of the paper's GD time), "
              f"L = {d.depth.max()}; min at {label}",
              [*_change_conds(d, config),
               Condition("early", early, "<= 0.1", "lr x first checkpoint step / the paper's "
                         "lr x max_steps (an early stage of training)")],
              "disagrees: the deep chaotic NTK has not yet changed by 0.1 at the first "
              "checkpoint")


def _width_smaller_change(frames, config):
    d = _finite(_cells(frames, WIDTH))
    widths = sorted(d.width.unique())
    if len(widths) < 2:
        raise Inconclusive("Figs. 10, 11 have a single width")
    narrow = d[d.width == widths[0]].rel_change_final.to_numpy(float)
    wide = d[d.width == widths[-1]].rel_change_final.to_numpy(float)
    value, low, high = _mean_ratio(narrow, wide)
    return _m(value, low, high, len(narrow) + len(wide),
              f"mean change over every finite network (both activations, every sw2 and depth) "
              f"at M = {widths[0]} / at M = {widths[-1]} (bootstrap over networks): "
              f"{narrow.mean():.3g} / {wide.mean():.3g}",
              _change_conds(d, config, 10),
              "disagrees: the wider networks' NTK changes no less than the narrower ones'")


def _width_transition(frames, config):
    items, per = [], {}
    for name in WIDTH:
        frame = frames[name]
        for w, g in frame.groupby("width"):
            value, low, high, _, note = _transition(g)
            act = g.activation.iloc[0]
            items.append((value, low, high, f"{act} {note}"))
            per.setdefault(act, {})[int(w)] = value
    value, low, high, label = _extreme(items, largest=False)
    d = _cells(frames, WIDTH)
    trend = "; ".join(f"{act}: " + ", ".join(f"{v:.3g} at M = {w}" for w, v in sorted(r.items()))
                      for act, r in per.items())
    rising = all(r[max(r)] > r[min(r)] for r in per.values() if len(r) > 1)
    diag = (f"scale: the chaotic / ordered ratio grows with width ({trend}); the paper's widths "
            "are 128 to 512" if rising else
            f"disagrees: the chaotic / ordered ratio does not grow with width ({trend})")
    return _m(value, low, high, len(d),
              f"min over activations and widths of the chaotic / ordered mean change at the "
              f"deepest L (bootstrap over networks); min at {label}",
              [*_change_conds(d, config), Condition("widths", float(d.width.nunique()), ">= 2",
                                                    "widths of Figs. 10, 11")], diag)


# ----- Sec. 5, Fig. 6, Theorem 5.3 --------------------------------------------------------------
def _kappa_growth(which):
    def measure(frames, config):
        d = frames[KAPPA]
        d = d[d.covariance < 1]
        d = d[(d.phase == "critical") if which == "eoc" else (d.phase == "chaotic")]
        if d.empty:
            raise Inconclusive(f"no {which} setting in Fig. 6")
        items = []
        for (act, sw2, c), g in d.groupby(["activation", "sw2", "covariance"]):
            g = g.sort_values("depth")
            r = g.kappa_ratio.iloc[-1] / g.kappa_ratio.iloc[0]
            items.append((r, r, r, (act, sw2, c, g.kappa_ratio.iloc[0], g.kappa_ratio.iloc[-1])))
        value, _, _, (act, sw2, c, r0, r1) = _extreme(items, largest=False)
        falls = sorted({(t[3][0], t[3][2]) for t in items if t[0] <= 1})
        rises = sorted({(t[3][0], t[3][2]) for t in items if t[0] > 1})
        return exact(value, f"min over {len(items)} {which} (activation, sw2, covariance c < 1)"
                     f" of kappa1/kappa2 at L = {d.depth.max()} / at L = 1; min at {act} "
                     f"sw2 = {sw2:.4g}, c = {c:g}: {r0:.4g} -> {r1:.4g}",
                     [_depth_cond(d.depth.max(), 20)],
                     "disagrees: the exact recursions (Lemma 5.2, App. E) give a falling ratio "
                     "for (activation, c) = " + ", ".join(f"({a}, {x:g})" for a, x in falls)
                     + "; rising for " + (", ".join(f"({a}, {x:g})" for a, x in rises) or "none")
                     + ": it grows only for correlated enough inputs", n=len(items))
    return measure


def _kappa_ordered(frames, config):
    d = frames[KAPPA]
    d = d[(d.covariance < 1) & (d.phase == "ordered")]
    if d.empty:
        raise Inconclusive("no ordered setting in Fig. 6")
    deep = d[d.depth == d.depth.max()]
    worst = deep.loc[deep.kappa_ratio.idxmax()]
    return exact(worst.kappa_ratio, f"max over {len(deep)} ordered (activation, covariance) of "
                 f"kappa1/kappa2 at L = {int(worst.depth)}; at {worst.activation}, c = "
                 f"{worst.covariance:g}", [_depth_cond(d.depth.max(), 20)],
                 "scale: kappa1/kappa2 falls towards 1 with depth; the grid stops at "
                 f"L = {int(d.depth.max())}", n=len(deep))


def _thm53_cells(frames, variant):
    d = frames[THM]
    return d[d.variant == variant]


def _thm53_analytic(frames, config):
    cells = _thm53_cells(frames, "analytic_ntk")
    cells = cells[cells.phase.isin(["ordered", "critical"]) & (cells.depth <= 5)]
    if cells.empty:
        raise Inconclusive("no ordered/critical cell with L <= 5")
    z = (cells.empirical_variance - cells.theory_variance).abs() / cells.empirical_se
    worst = cells.loc[z.idxmax()]
    return exact(z.max(), f"max over {len(cells)} cells of |empirical - theory| / standard error;"
                 f" at {worst.activation} sw2 = {worst.sw2:.3g}, L = {worst.depth}",
                 [Condition("n_inits", float(cells.n_inits.min()), ">= 50",
                            "initializations per cell")],
                 "disagrees: kernel regression with the analytic NTK misses the formula it is "
                 "exact for (a bug in our algebra or sampler)", n=len(cells))


def _thm53_ordered_caveat(frames, config):
    cells = _thm53_cells(frames, "empirical_ntk")
    ordered = cells[cells.phase == "ordered"]
    if ordered.empty:
        raise Inconclusive("no ordered Theorem 5.3 setting")
    items = []
    for (act, sw2), g in ordered.groupby(["activation", "sw2"]):
        r = g.loc[g.depth.idxmax()]
        items.append((*_ratio_iv(r.empirical_variance, r.empirical_se, r.theory_variance, 0.0),
                      f"{act} sw2 = {sw2:g}, L = {int(r.depth)}: {r.empirical_variance:.3g} vs "
                      f"theory {r.theory_variance:.3g}"))
    value, low, high, label = _extreme(items, largest=False)
    return _m(value, low, high, int(ordered.n_inits.min()) * len(items),
              f"min over ordered settings of Var(eq. 10 with each finite network's own NTK) / "
              f"Theorem 5.3 at the deepest L; min at {label}",
              [_depth_cond(ordered.depth.max(), 10),
               Condition("n_inits", float(ordered.n_inits.min()), ">= 50",
                         "initializations per cell")],
              "disagrees: with its own (ill-conditioned) NTK the deep ordered network's output "
              "variance stays at the theorem's")


def _thm53_finite_shallow(frames, config):
    cells = _thm53_cells(frames, "empirical_ntk")
    cells = cells[cells.phase.isin(["critical", "chaotic"])]
    cells = cells[cells.depth == cells.depth.min()]
    if cells.empty:
        raise Inconclusive("no EOC or chaotic Theorem 5.3 setting")
    items = [(*_ratio_iv(r.empirical_variance, r.empirical_se, r.theory_variance, 0.0),
              f"{r.activation} sw2 = {r.sw2:.3g} ({r.phase})") for r in cells.itertuples()]
    lo_item, hi_item = _extreme(items, largest=False), _extreme(items)
    # the claim holds if every cell is inside [0.5, 2]: report the cell farthest from 1 on the
    # log scale, with the interval spanning the extremes of all cells
    far = max(items, key=lambda t: abs(math.log(t[0])) if t[0] > 0 else math.inf)
    low, high = min(lo_item[1], far[0]), max(hi_item[2], far[0])
    s_over_m = float(cells.n_train.iloc[0]) / float(cells.width.iloc[0])
    return _m(far[0], low, high, int(cells.n_inits.min()) * len(items),
              f"Var(eq. 10 with each network's own NTK) / Theorem 5.3 at L = "
              f"{int(cells.depth.iloc[0])}, EOC and chaotic settings; the value is the cell "
              f"farthest from 1 ({far[3]}), the interval spans every cell's",
              [Condition("S_over_M", s_over_m, "<= 0.3",
                         "training set size / width (the empirical-NTK variance is biased low "
                         "by about 1 - c S/M)"),
               Condition("n_inits", float(cells.n_inits.min()), ">= 50",
                         "initializations per cell")],
              f"scale: the finite-network variance is biased low by about 1 - c S/M; S/M = "
              f"{s_over_m:.3g} here")


CLAIMS = [
    Claim("S3-ordered-variance",
          "In the ordered phase the NTK variance is small and does not grow with depth (Fig. 1);"
          " ordered phase: the ratio does not grow with L/M (Fig. 2)",
          "Sec. 3, Figs. 1, 2", "max over ordered series (chi1 <= 0.75; every width, tanh and "
          "ReLU, Figs. 1, 2) of ratio(L_max) - ratio(L_min)", "< 0.1", (*VAR, FIG2),
          _ordered_variance),
    Claim("S3-chaotic-variance",
          "In the chaotic phase the NTK variance grows significantly with depth",
          "Sec. 3, Fig. 1", "ratio at the smallest width, largest sw2 and deepest L (min over "
          "tanh, ReLU)", ">= 2", VAR, _chaotic_variance),
    Claim("S3-eoc-variance",
          "At the EOC the NTK variance is a fraction of its mean even for very deep networks",
          "Sec. 3, Fig. 1", "max over activations and widths of the ratio at the sw2 nearest "
          "the EOC, deepest L", "< 2", VAR, _eoc_variance),
    Claim("S3-width", "As M grows (L fixed) the chaotic-phase variance decreases",
          "Sec. 3, Figs. 1, 2", "min over chaotic settings of the ratio at the smallest / the "
          "largest width (deepest L)", "> 1", (*VAR, FIG2), _variance_narrows_with_width),
    Claim("S3-shallow", "The NTK variance is small for shallow networks with any sw2",
          "Sec. 3, Fig. 1", "max ratio at L = 1 over every sw2, width and activation", "< 1.1",
          VAR, _shallow_variance),
    Claim("S3-fig2-chaotic",
          "Chaotic phase: the ratio grows exponentially as a function of L/M",
          "Sec. 3, Fig. 2", "correlation of log(ratio) with L/M over all widths at "
          "(sw2, sb2) = (3, 1)", ">= 0.9", (FIG2,), _fig2_chaotic_exponential),
    Claim("S3-bias",
          "Other sb2 values: the general picture stays similar to Fig. 1",
          "App. C, Fig. 7", "min over (activation, sb2) of the ratio at the largest / smallest "
          "sw2, deepest L", ">= 2", (FIG7,), _bias_picture),
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
          "relative change", "< 0.1", (*CHANGE, *WIDTH), _ordered_change_small),
    Claim("S4-chaotic-depth",
          "In the chaotic phase the relative NTK change increases with depth",
          "Sec. 4, Figs. 3a, 4a", "chaotic mean change, deepest / shallowest depth (min over "
          "activations)", "> 1", CHANGE, _chaotic_change_grows),
    Claim("S4-eoc-below-one",
          "Near the phase border the NTK change remains way below 1 for deep networks",
          "Sec. 4, Figs. 3a, 4a", "max over activations of the EOC networks' mean change at "
          "the deepest L", "< 0.5", (*CHANGE, *WIDTH), _eoc_change_below_one),
    Claim("S4-eoc-above-ordered",
          "Near the phase border the NTK change is larger than in the ordered phase",
          "Sec. 4, Figs. 3a, 4a", "min over activations of the mean change, EOC / ordered, "
          "deepest L", "> 1", CHANGE, _eoc_change_above_ordered),
    Claim("S4-trainability",
          "Ordered-phase networks with L = 20 mostly cannot reach low training loss",
          "Sec. 4, Figs. 3b, 4b", "fraction of ordered networks at L = 20 whose minimal loss is "
          "below 0.9 x the constant predictor's", "< 0.5", CHANGE, _ordered_untrainable_deep),
    Claim("S4-trainability-phases",
          "Networks become untrainable with depth much faster in the ordered than in the "
          "chaotic phase",
          "Sec. 4, Figs. 3b, 4b", "trainable fraction over the depths L > 1, chaotic minus "
          "ordered", "> 0", CHANGE, _trainability_phases),
    Claim("S4-trainability-chaotic",
          "Chaotic-phase networks stay trainable at L = 20, where the ordered ones mostly cannot "
          "reach low loss",
          "Sec. 4, Figs. 3b, 4b", "fraction of chaotic networks at L = 20 whose minimal loss is "
          "below 0.9 x the constant predictor's", ">= 0.5", CHANGE, _chaotic_trainable_deep),
    Claim("S4-early",
          "For deep networks in the chaotic phase the NTK changes significantly already in "
          "the early stages of training",
          "App. D, Figs. 8, 9", "min over activations of the deep chaotic mean change at the "
          "first checkpoint", ">= 0.1", STEPS, _early_chaotic_change),
    Claim("S4-width", "Higher M values overall result in smaller changes of the NTK",
          "App. D, Figs. 10, 11", "mean change at the smallest / the largest width (every "
          "network)", "> 1", WIDTH, _width_smaller_change),
    Claim("S4-width-transition",
          "At every width one sees the transition from the ordered to the chaotic phase",
          "App. D, Figs. 10, 11", "min over activations and widths of the chaotic / ordered "
          "mean change at the deepest L", ">= 3", WIDTH, _width_transition),
    Claim("S5-kappa-ordered",
          "Ordered phase: kappa1/kappa2 -> 1, the NTK becomes ill-conditioned with depth",
          "Sec. 5, Fig. 6", "max over ordered settings and covariances c < 1 of kappa1/kappa2 "
          "at the deepest L", "< 1.1", (KAPPA,), _kappa_ordered),
    Claim("S5-kappa-chaotic",
          "Chaotic phase: kappa1/kappa2 increases with depth (well-conditioned NTK)",
          "Sec. 5, Fig. 6", "min over chaotic settings and covariances c < 1 of kappa1/kappa2 "
          "at L_max / at L = 1", "> 1", (KAPPA,), _kappa_growth("chaotic")),
    Claim("S5-kappa-eoc",
          "At the EOC kappa1/kappa2 grows with depth, as in the chaotic phase",
          "Sec. 5, Fig. 6", "min over EOC settings and covariances c < 1 of kappa1/kappa2 at "
          "L_max / at L = 1", "> 1", (KAPPA,), _kappa_growth("eoc")),
    Claim("S5-thm53-ordered",
          "Ordered phase: the NTK is ill-conditioned, so Theorem 5.3's data-independent "
          "variance does not describe deep networks (the output variance is far larger)",
          "Sec. 5, Theorem 5.3", "min over ordered settings of Var(f, own NTK) / Theorem 5.3 at "
          "the deepest L", ">= 2", (THM,), _thm53_ordered_caveat),
    Claim("S5-thm53-finite",
          "With a well-conditioned NTK (EOC, chaotic) Theorem 5.3 gives the output variance of "
          "shallow finite networks",
          "Sec. 5, Theorem 5.3", "Var(f, own NTK) / Theorem 5.3 at the shallowest L, EOC and "
          "chaotic settings (cell farthest from 1)", "in [0.5, 2]", (THM,),
          _thm53_finite_shallow),
    Claim("S5-thm53",
          "Kernel regression with the analytic NTK of the spec matches Theorem 5.3 (exact for "
          "orthogonal inputs: a check of our algebra and sampler)",
          "Sec. 5, Theorem 5.3", "max |empirical - theory| / se, variant analytic_ntk, ordered "
          "and critical phases, L <= 5", "<= 3", (THM,), _thm53_analytic, kind="sanity"),
]
