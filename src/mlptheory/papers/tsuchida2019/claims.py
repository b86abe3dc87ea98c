"""The claims of tsuchida2019 (Sec. 2.4 Fig. 2, Sec. 5 and 6) that its targets test (see
:mod:`mlptheory.claims`).

The thresholds were fixed from the paper's wording before measuring:

* "the kernel is the arc-cosine kernel" at initialization (Fig. 2, the CLT of Sec. 2.4) with
  1000 hidden units leaves per-pair fluctuations of order ``1/sqrt(1000) ~ 0.03``; "matching"
  is a root-mean-square deviation from the curve of at most 0.05 (5% of the kernel's scale).
* "remains constant / approximately described by (9)" during training: the normalized kernel's
  MSE to the arc-cosine kernel (the paper's own measure, Sec. 5.2) at the last checkpoint is
  within a factor 4 of its value at t = 0 (RMS within a factor 2): at t = 0 the weights are
  IID, so that MSE is the finite-width level of "being the arc-cosine kernel". A kernel that
  "does not exhibit an approximately constant kernel" (Sec. 6, the first row of Fig. 4) is the
  complement: more than 4 times the initial MSE.
* "a sharp change in (E^n)^2 and the MSE" as eps decreases (observation (1)): at least an
  order of magnitude (factor 10) between the smallest and the largest eps of the sweep.
* SGD "generally has smaller (E^n)^2 than Adam, and thus the normalized kernel agrees more
  closely" (observation (2)): the median over the stable SGD step sizes below the median over
  the Adam eps sweep (ratio < 1), in every layer.

Layers: Proposition 6 (the kernel of a trained layer is the arc-cosine kernel) holds for the
hidden layers ``2 <= l <= L - 1`` only (the first layer is not column exchangeable, the last
not row exchangeable, Theorem 5), so every trained-kernel claim reads those layers (2 and 3 of
the paper's 4-layer autoencoder). Trained networks whose run diverged are left out (the paper
speaks of stable training); a claim whose cells all diverged is inconclusive. The paper measures
at t = 19000; a shorter run (``training.max_steps``) is measured at its last checkpoint, so its
verdict holds at that training length (the ``scale`` column).
"""

from __future__ import annotations

import math

from ...claims import Claim, Inconclusive

ZERO, NONZERO, SWEEP = ("fig3_trained_kernels_zero_sum", "fig4_trained_kernels_nonzero_sum",
                        "fig5_optimizer_sweep")
# the rows of Figs. 3, 4 the paper names: Adam eps = 1e-16 (its first row), eps = 1 (its third)
SMALL_EPS, LARGE_EPS = 1e-16, 1.0
STAYS, SHARP = 4.0, 10.0  # MSE factors of the module docstring


def _hidden_layers(layers) -> list[int]:
    """The layers ``2..L-1`` of Proposition 6 among the (numbered) layers in a target."""
    numbered = sorted({int(v) for v in (str(x) for x in set(layers)) if v.isdigit()})
    if len(numbered) < 3:
        raise Inconclusive(f"layers {numbered}: no hidden layer 2 <= l <= L - 1 (Proposition 6)")
    return numbered[1:-1]


def _setting(r) -> str:
    return (f"sgd lr={r.lr:g}" if r.optimizer == "sgd"
            else f"{r.optimizer} eps={r.eps:g}")


def _mse(cells) -> float:
    err = (cells.k_measured - cells.k_arccos) ** 2
    return float(err[err.apply(math.isfinite)].mean())


def _drifts(frame, select=None) -> list[tuple[float, str, str]]:
    """Per optimizer setting (row of Figs. 3/4, optionally filtered by ``select``):
    ``(MSE at the last checkpoint / MSE at t = 0, setting, detail)``, pooled over the pairs of
    the hidden layers; diverged settings are left out."""
    hidden = {str(h) for h in _hidden_layers(frame.layer)}
    d = frame[frame.layer.astype(str).isin(hidden)]
    if select is not None:
        d = d[select(d)]
    if d.empty:
        raise Inconclusive("no such row in the figure (see figure_rows in the config)")
    out, diverged = [], []
    for _, g in d.groupby(["optimizer", "lr", "eps"]):
        first = g.iloc[0]
        if (g.status == "diverged").any():
            diverged.append(_setting(first))
            continue
        steps = sorted(g.step.unique())
        if steps[0] != 0 or len(steps) < 2:
            raise Inconclusive(f"checkpoints {steps}: need t = 0 and a later one")
        start, end = _mse(g[g.step == 0]), _mse(g[g.step == steps[-1]])
        lost = int((~(g.k_measured - g.k_arccos).apply(math.isfinite)).sum())
        out.append((end / start, _setting(first),
                    f"MSE {end:.3g} at t = {steps[-1]} / {start:.3g} at t = 0, layers "
                    f"{'+'.join(sorted(hidden))}" + (f", {lost} undefined pair(s) left out"
                                                     if lost else "")))
    if not out:
        raise Inconclusive(f"every setting diverged ({', '.join(diverged)})")
    return out


def _init_arccos(frames, config):
    d = frames["fig2_random_kernels"]
    rms = ((d.k_measured - d.k_arccos) ** 2).groupby(d.beta).mean() ** 0.5
    beta = rms.idxmax()
    return float(rms.max()), (f"max over beta of the RMS deviation over {d.draw.nunique()} draws "
                              f"x {d.theta.nunique()} angles; the max at beta = {beta:g} "
                              f"({' / '.join(f'{b:g}: {v:.3g}' for b, v in rms.items())})")


def _zero_sum_stays(frames, config):
    rows = _drifts(frames[ZERO])
    value, setting, detail = max(rows)
    return value, (f"max over the {len(rows)} rows of Fig. 3 "
                   f"({', '.join(s for _, s, _ in rows)}); the max at {setting}: {detail}")


def _one_adam_row(eps):
    def measure(frames, config):
        rows = _drifts(frames[NONZERO],
                       lambda d: (d.optimizer == "adam") & ((d.eps - eps).abs() <= 1e-9 * eps))
        value, setting, detail = rows[0]
        return value, f"Fig. 4, {setting}: {detail}"
    return measure


def _sgd_stays(frames, config):
    rows = _drifts(frames[NONZERO], lambda d: d.optimizer == "sgd")
    value, setting, detail = max(rows)
    return value, f"max over the stable SGD rows of Fig. 4; the max at {setting}: {detail}"


def _stable_sweep(frame, family):
    hidden = _hidden_layers(frame.layer)
    d = frame[(frame.optimizer == family) & frame.layer.astype(int).isin(hidden)]
    if d.empty:
        raise Inconclusive(f"Fig. 5 has no {family} sweep")
    finite = d.delta_k_raw.apply(math.isfinite) & d.delta_w_raw.apply(math.isfinite)
    return d[(d.status != "diverged") & finite], hidden


def _eps_ratio(frame, family, column):
    """min over the hidden layers of ``column`` at the smallest / at the largest stable eps."""
    d, hidden = _stable_sweep(frame, family)
    if d.eps.nunique() < 2:
        raise Inconclusive(f"{family}: fewer than two stable eps values in the sweep")
    lo, hi = d.eps.min(), d.eps.max()
    ratios = {}
    for layer in hidden:
        g = d[d.layer.astype(int) == layer]
        ratios[layer] = float(g[g.eps == lo][column].iloc[0] / g[g.eps == hi][column].iloc[0])
    layer = min(ratios, key=ratios.get)
    return ratios[layer], (f"{family}, {column} at eps = {lo:g} / at eps = {hi:g}, min over "
                           f"layers {hidden} (at layer {layer}; "
                           f"{' / '.join(f'{k}: {v:.3g}' for k, v in ratios.items())}), "
                           f"t = {int(d.step.max())}")


def _adam_sharp(column):
    def measure(frames, config):
        return _eps_ratio(frames[SWEEP], "adam", column)
    return measure


def _others_sharp(frames, config):
    rows, missing = [], []
    for family in ("rmsprop", "nadam"):
        try:
            rows.append(_eps_ratio(frames[SWEEP], family, "delta_w_raw"))
        except Inconclusive as why:
            missing.append(str(why))
    if not rows:
        raise Inconclusive("; ".join(missing))
    value, note = min(rows)
    return value, (f"min over RMSProp and NAdam; {note}"
                   + (f" ({'; '.join(missing)})" if missing else ""))


def _sgd_below_adam(column):
    def measure(frames, config):
        sgd, hidden = _stable_sweep(frames[SWEEP], "sgd")
        adam, _ = _stable_sweep(frames[SWEEP], "adam")
        if sgd.empty or adam.empty:
            raise Inconclusive("no stable SGD or Adam member in Fig. 5")
        ratios = {}
        for layer in hidden:
            s = sgd[sgd.layer.astype(int) == layer][column].median()
            a = adam[adam.layer.astype(int) == layer][column].median()
            ratios[layer] = float(s / a)
        layer = max(ratios, key=ratios.get)
        return ratios[layer], (
            f"{column}: median over {sgd.lr.nunique()} stable SGD step sizes / median over "
            f"{adam.eps.nunique()} Adam eps values, max over layers {hidden} (at layer {layer};"
            f" {' / '.join(f'{k}: {v:.3g}' for k, v in ratios.items())})")
    return measure


CLAIMS = [
    Claim("F2-init-arccos",
          "The normalized kernel of a random ReLU layer is the normalized arc-cosine kernel, "
          "whatever the (IID, zero-mean) weight distribution",
          "Sec. 2.4, Fig. 2", "max over beta of the RMS deviation of the measured normalized "
          "kernel from the arc-cosine kernel", "<= 0.05", ("fig2_random_kernels",),
          _init_arccos),
    Claim("S5-zero-sum-invariant",
          "With zero-sum inputs the layer-wise normalized kernel remains the arc-cosine kernel "
          "during training, for every optimizer",
          "Sec. 5.1, Prop. 6, Fig. 3, Sec. 6", "max over the rows of Fig. 3 of the kernel's MSE "
          "to arc-cosine at the last checkpoint / at t = 0, layers 2..L-1", f"<= {STAYS:g}",
          (ZERO,), _zero_sum_stays),
    Claim("S5-adam-small-eps-breaks",
          "Networks trained with Adam (small eps) do not keep an approximately constant kernel "
          "on non-zero-sum inputs", "Sec. 6, Fig. 4 first row, Sec. 5.2 obs. (1)",
          "Adam eps = 1e-16: kernel MSE at the last checkpoint / at t = 0, non-zero sums, layers "
          "2..L-1", f"> {STAYS:g}", (NONZERO,), _one_adam_row(SMALL_EPS)),
    Claim("S5-adam-large-eps-stays",
          "With large eps (small (E^n)^2) the kernel is approximately described by (9) on "
          "non-zero-sum inputs", "Sec. 5.2 obs. (1), Fig. 4 third row",
          "Adam eps = 1: kernel MSE at the last checkpoint / at t = 0, non-zero sums, layers "
          "2..L-1", f"<= {STAYS:g}", (NONZERO,), _one_adam_row(LARGE_EPS)),
    Claim("S5-sgd-stays",
          "SGD at stable step sizes keeps the normalized kernel close to Proposition 6 on "
          "non-zero-sum inputs", "Sec. 5.2 obs. (2), Fig. 4 last row",
          "max over the stable SGD rows of Fig. 4 of the kernel MSE at the last checkpoint / at "
          "t = 0, layers 2..L-1", f"<= {STAYS:g}", (NONZERO,), _sgd_stays),
    Claim("S5-adam-sharp-dW",
          "As Adam's eps decreases there is a sharp change (growth) in (E^n)^2",
          "Sec. 5.2 obs. (1), Fig. 5 top", "Delta W raw at the smallest / the largest eps of "
          "the sweep, min over layers 2..L-1", f">= {SHARP:g}", (SWEEP,),
          _adam_sharp("delta_w_raw")),
    Claim("S5-adam-sharp-dk",
          "As Adam's eps decreases there is a sharp change (growth) in the kernel's MSE to the "
          "arc-cosine kernel", "Sec. 5.2 obs. (1), Fig. 5 top", "Delta k raw at the smallest / "
          "the largest eps of the sweep, min over layers 2..L-1", f">= {SHARP:g}", (SWEEP,),
          _adam_sharp("delta_k_raw")),
    Claim("S5-rmsprop-nadam-sharp",
          "RMSProp and NAdam show the same sharp change in (E^n)^2 as eps decreases",
          "Sec. 5.2 obs. (1), Apps. F, G", "Delta W raw at the smallest / the largest eps, min "
          "over RMSProp, NAdam and layers 2..L-1", f">= {SHARP:g}", (SWEEP,), _others_sharp),
    Claim("S5-sgd-smaller-dW",
          "SGD at stable step sizes generally has smaller (E^n)^2 than Adam",
          "Sec. 5.2 obs. (2), Fig. 5", "median Delta W raw over stable SGD step sizes / median "
          "over the Adam eps sweep, max over layers 2..L-1", "< 1", (SWEEP,),
          _sgd_below_adam("delta_w_raw")),
    Claim("S5-sgd-smaller-dk",
          "...and thus SGD's normalized kernel agrees more closely with Proposition 6 than "
          "Adam's", "Sec. 5.2 obs. (2), Fig. 5", "median Delta k raw over stable SGD step "
          "sizes / median over the Adam eps sweep, max over layers 2..L-1", "< 1", (SWEEP,),
          _sgd_below_adam("delta_k_raw")),
]
