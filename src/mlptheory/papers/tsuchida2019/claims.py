"""The claims of tsuchida2019 (Sec. 2.4 Fig. 2, Sec. 5 and 6) that its targets test (see
:mod:`mlptheory.claims`).

Thresholds (fixed from the paper's wording before measuring):

* "the kernel is the arc-cosine kernel" at initialization (Fig. 2, the CLT of Sec. 2.4) with
  1000 hidden units leaves per-pair fluctuations of order ``1/sqrt(1000) ~ 0.03``; "matching"
  is a root-mean-square deviation from the curve of at most 0.05 (5% of the kernel's scale).
  Interval: percentile bootstrap over the weight draws (resampled per beta).
* "remains constant / approximately described by (9)" during training: the normalized kernel's
  MSE to the arc-cosine kernel (the paper's own measure, Sec. 5.2) at the last checkpoint is
  within a factor 4 of its value at t = 0 (RMS within a factor 2): at t = 0 the weights are
  IID, so that MSE is the finite-width level of "being the arc-cosine kernel". A kernel that
  "does not exhibit an approximately constant kernel" (Sec. 6, the first row of Fig. 4) is the
  complement: more than 4 times the initial MSE. Interval: Student t over the replicates
  (``training.seeds`` independent networks per setting) of log(ratio), shown as the geometric
  mean: a ratio of two MSEs is multiplicative (as for the SGD/Adam ratio below).
* "a sharp change in (E^n)^2 and the MSE" as eps decreases (observation (1)), measured as a
  *transition* as in the paper's normalized Fig. 5: the curve over log10(eps) (linearly
  interpolated between the grid points) is min-max normalized to [0, 1] over the stable
  members of the sweep, and the width of the transition is the shortest stretch of eps, in
  decades, that holds 80% of the min-max change. "Sharp" is at most 4 decades: a quarter of the
  paper's 16-decade sweep (two steps of its 2-decade grid); a change spread evenly over the
  sweep would take 12.8 decades. (This replaces the ratio of the endpoints, whose denominator
  sits on the i.i.d. floor of Delta W.) Per replicate the widest hidden layer counts; interval:
  Student t over the replicates.
* SGD "generally has smaller (E^n)^2 than Adam, and thus the normalized kernel agrees more
  closely" (observation (2)): the median over the stable SGD step sizes below the median over
  the stable Adam eps sweep (ratio < 1), in every hidden layer (the max over them counts).
  Interval: Student t over the replicates of log(ratio) (the replicates pair SGD and Adam
  networks with the same initialization and minibatches), shown as the geometric mean.

Validity conditions (any failing one makes the verdict inconclusive):

* ``replicates >= 3``: independent networks per setting, so the interval is an interval.
* ``trained <= 0.5``: the training loss at the last checkpoint (the mean minibatch loss over
  the last 10 steps) over the loss of the best constant predictor, the mean image (column
  ``loss_mean_image``), the worst replicate of the setting(s) the claim reads. A network that
  has not halved what the mean image leaves unexplained has learned little more than the mean
  (the quick SGD reconstructions are the mean digit) and hardly moved its hidden weights, so
  its kernel staying put is evidence that could not have failed (and its not breaking would be
  no evidence against the paper). For the sharp-change claims the members at the smallest eps
  must have trained (at large eps Adam hardly moves, which is part of the effect).
* ``moved >= 0.05`` (SGD vs Adam): SGD's hidden-layer weights moved by at least 5% of their
  initial Frobenius norm, median over the stable SGD members: below the ``1/sqrt(784) ~ 0.036``
  relative finite-width fluctuation a move cannot show in the kernel or in Delta W, so SGD
  "keeping Delta W at its starting (i.i.d.) level" would say nothing (the note also gives
  SGD's Delta W at the last checkpoint over its t = 0 level).
* ``signal >= 3`` (sharp change): the min-max change of the replicate-mean curve is at least
  3 standard errors (the largest over the eps values) of that mean -- a change inside the
  replicate noise has no transition to measure; the smallest over the hidden layers counts.
* ``grid <= 5`` (sharp change): the largest gap of the eps grid, in decades; with gaps above 5
  decades even a step change reads wider than 4 decades (0.8 x gap), so the test could not
  pass.
* ``rows >= 1`` (zero sums): at least one row of Fig. 3 trained; rows that did not are left
  out (the note names them).

Training length: the paper measures at t = 19000; a shorter run (``training.max_steps``) is
measured at its last checkpoint, the note and the ``scale`` column say which, and the verdict
holds at that length. Where a claim about breaking or a sharp change fails, the diagnosis
compares the quantity at the last two checkpoints (Figs. 3, 4) when it grows with t.

Layers: Proposition 6 (the kernel of a trained layer is the arc-cosine kernel) holds for the
hidden layers ``2 <= l <= L - 1`` only (the first layer is not column exchangeable, the last
not row exchangeable, Theorem 5), so every trained-kernel claim reads those layers (2 and 3 of
the paper's 4-layer autoencoder). Trained networks whose run diverged are left out (the paper
speaks of stable training); a claim whose cells all diverged is inconclusive.

Zero-sum inputs (Fig. 3): Procedure 1 with the lettered steps puts the negated coordinate sum
into one coordinate, so almost all of the norm sits in one or two coordinates and Hypothesis 3
(``m^(1/4) max_i |x_i| / ||x|| -> 0``) does not hold for these inputs; the note reports the
median of that statistic (column ``hyp3_x`` of the target). That is the paper's own
construction, and the claim tests it as the paper did.
"""

from __future__ import annotations

import math

from ...claims import Claim, Condition, Inconclusive, Measurement, mean_interval

ZERO, NONZERO, SWEEP = ("fig3_trained_kernels_zero_sum", "fig4_trained_kernels_nonzero_sum",
                        "fig5_optimizer_sweep")
# the rows of Figs. 3, 4 the paper names: Adam eps = 1e-16 (its first row), eps = 1 (its third)
SMALL_EPS, LARGE_EPS = 1e-16, 1.0
STAYS = 4.0            # MSE factor of "stays" / "breaks" (module docstring)
SHARP_DECADES = 4.0    # width of a sharp transition, decades of eps
SHARE = 0.8            # share of the min-max change the transition holds
MIN_REPLICATES = 3
TRAINED = 0.5          # loss at the end / loss of the mean image
MOVED = 0.05           # relative Frobenius move of SGD's hidden-layer weights
SIGNAL = 3.0           # min-max change / standard error of the replicate mean
MAX_GAP = SHARP_DECADES / SHARE  # decades between grid points
PAPER_STEPS = 19000


# ----- helpers ---------------------------------------------------------------------------------
def _hidden_layers(layers) -> list[int]:
    """The layers ``2..L-1`` of Proposition 6 among the (numbered) layers in a target."""
    distinct = layers.unique() if hasattr(layers, "unique") else set(layers)
    numbered = sorted({int(v) for v in (str(x) for x in distinct) if v.isdigit()})
    if len(numbered) < 3:
        raise Inconclusive(f"layers {numbered}: no hidden layer 2 <= l <= L - 1 (Proposition 6)")
    return numbered[1:-1]


def _setting(r) -> str:
    return f"sgd lr={r.lr:g}" if r.optimizer == "sgd" else f"{r.optimizer} eps={r.eps:g}"


def _replicates(frame):
    return frame.replicate if "replicate" in frame else frame.assign(replicate=0).replicate


def _replicate_condition(n: int) -> Condition:
    return Condition("replicates", n, f">= {MIN_REPLICATES}",
                     "independent networks (init and minibatch order) per setting")


def _trained_condition(ratio: float, what: str) -> Condition:
    return Condition("trained", ratio, f"<= {TRAINED:g}",
                     f"training loss at the last checkpoint / that of the mean image, {what}")


def _length(step: int) -> str:
    return (f"t = {step} ({step / PAPER_STEPS:.2%} of the paper's {PAPER_STEPS}: the verdict "
            "holds at this training length)" if step < PAPER_STEPS else f"t = {step}")


def _mse(cells) -> float:
    import numpy as np

    err = ((cells.k_measured - cells.k_arccos) ** 2).to_numpy()
    return float(err[np.isfinite(err)].mean())


def _loss_ratio(g, last) -> float:
    """Training loss at checkpoint ``last`` / that of the mean image, one network (rows ``g``)."""
    if "loss_mean_image" not in g:
        raise Inconclusive("the target has no loss columns (made before the validity "
                           "conditions): rebuild it")
    end = g[g.step == last]
    return float(end.loss.iloc[0] / end.loss_mean_image.iloc[0])


def _networks(frame, select=None):
    """Per optimizer setting of Figs. 3/4 (optionally filtered by ``select``), per replicate:
    ``{setting: {"rows": [(replicate, ratio, previous_ratio, loss_ratio)], "first": row,
    "last": step, "previous": step}}``: ``ratio`` the pooled hidden-layer MSE at the last
    checkpoint over that at t = 0, ``previous_ratio`` the same at the checkpoint before the
    last; diverged networks are left out (and counted in ``"diverged"``)."""
    hidden = {str(h) for h in _hidden_layers(frame.layer)}
    d = frame[frame.layer.astype(str).isin(hidden)]
    if select is not None:
        d = d[select(d)]
    if d.empty:
        raise Inconclusive("no such row in the figure (see figure_rows in the config)")
    d = d.assign(replicate=_replicates(d))
    out, diverged = {}, []
    for _, g in d.groupby(["optimizer", "lr", "eps"]):
        first = g.iloc[0]
        steps = sorted(g.step.unique())
        if steps[0] != 0 or len(steps) < 2:
            raise Inconclusive(f"checkpoints {steps}: need t = 0 and a later one")
        rows = []
        for rep, one in g.groupby("replicate"):
            if (one.status == "diverged").any():
                diverged.append(f"{_setting(first)} replicate {rep}")
                continue
            start = _mse(one[one.step == 0])
            rows.append((int(rep), _mse(one[one.step == steps[-1]]) / start,
                         _mse(one[one.step == steps[-2]]) / start,
                         _loss_ratio(one, steps[-1])))
        if rows:
            out[_setting(first)] = {"rows": rows, "last": int(steps[-1]),
                                    "previous": int(steps[-2]),
                                    "key": (first.optimizer, first.lr, first.eps)}
    if not out:
        raise Inconclusive(f"every network diverged ({', '.join(diverged)})")
    return out, sorted(hidden), diverged


def _drift(frame, select, what: str, grows: bool) -> Measurement:
    """The MSE-drift claims (stays: ``grows`` False, breaks: True): per replicate the max over
    the selected settings of the drift ratio, Student t over the replicates of its log."""
    nets, hidden, diverged = _networks(frame, select)
    reps = sorted({r for v in nets.values() for r, *_ in v["rows"]})
    per_rep = {r: max(x for v in nets.values() for rr, x, _, _ in v["rows"] if rr == r)
               for r in reps}
    prev = {r: max(p for v in nets.values() for rr, _, p, _ in v["rows"] if rr == r)
            for r in reps}
    value, low, high = (math.exp(v) for v in mean_interval(
        [math.log(x) for x in per_rep.values()]))
    p_mean = math.exp(sum(math.log(x) for x in prev.values()) / len(prev))
    trained = max(lr for v in nets.values() for *_, lr in v["rows"])
    last = max(v["last"] for v in nets.values())
    previous = max(v["previous"] for v in nets.values())
    detail = "; ".join(f"{s}: ratio {', '.join(f'{x:.3g}' for _, x, _, _ in v['rows'])}, "
                       f"loss / mean image's {', '.join(f'{lr:.3g}' for *_, lr in v['rows'])}"
                       for s, v in nets.items())
    note = (f"{what}; MSE to arc-cosine at {_length(last)} / at t = 0, layers "
            f"{'+'.join(hidden)} pooled, per replicate ({detail}); geometric mean over "
            f"{len(reps)} replicate(s), {p_mean:.3g} at t = {previous}"
            + (f"; diverged, left out: {', '.join(diverged)}" if diverged else ""))
    if grows:
        diagnosis = (f"scale: the drift ratio grows with training, {p_mean:.3g} at t = "
                     f"{previous} -> {value:.3g} at t = {last} (the paper: t = {PAPER_STEPS})"
                     if value > p_mean else
                     f"disagrees: the networks trained (loss / mean image's <= "
                     f"{trained:.3g}) and the drift did not grow from t = {previous} "
                     f"({p_mean:.3g}) to t = {last}")
    else:
        diagnosis = (f"disagrees: the networks trained (loss / mean image's <= "
                     f"{trained:.3g}), layers {'+'.join(hidden)} (Proposition 6's), no "
                     "diverged member counted")
    return Measurement(value, low, high, len(reps), note,
                       (_replicate_condition(len(reps)),
                        _trained_condition(trained, "worst replicate of " + what)),
                       diagnosis)


def _zero_sum_stays(frames, config):
    frame = frames[ZERO]
    nets, hidden, diverged = _networks(frame)
    trained = {s for s, v in nets.items() if max(lr for *_, lr in v["rows"]) <= TRAINED}
    untrained = sorted(set(nets) - trained)
    hyp3 = (f"; Hypothesis 3 fails for these inputs: median m^(1/4) max|x_i| / ||x|| = "
            f"{frame.hyp3_x.median():.3g} (Procedure 1's lettered steps put the sum into one "
            "coordinate, the paper's construction)" if "hyp3_x" in frame else "")
    conditions = [Condition("rows", len(trained), ">= 1",
                            "rows of Fig. 3 whose every replicate trained (trained <= 0.5)")]
    if not trained:
        reps = {r for v in nets.values() for r, *_ in v["rows"]}
        return Measurement(math.nan, math.nan, math.nan, len(reps),
                           f"no row of Fig. 3 trained ({', '.join(untrained)}){hyp3}",
                           (*conditions, _replicate_condition(len(reps))))
    keys = [nets[s]["key"] for s in trained]

    def select(d):
        import pandas as pd

        return pd.MultiIndex.from_frame(d[["optimizer", "lr", "eps"]]).isin(keys)

    m = _drift(frame, select,
               f"max over the trained rows of Fig. 3 ({', '.join(sorted(trained))})", False)
    note = m.note + (f"; not trained, left out: {', '.join(untrained)}" if untrained else "")
    return Measurement(m.value, m.low, m.high, m.n, note + hyp3,
                       (*conditions, *m.conditions),
                       m.diagnosis + " -- the inputs' coordinate sums are 0 by construction"
                       + hyp3)


def _one_adam_row(eps, grows):
    def measure(frames, config):
        return _drift(frames[NONZERO],
                      lambda d: (d.optimizer == "adam") & ((d.eps - eps).abs() <= 1e-9 * eps),
                      f"Fig. 4, adam eps={eps:g}", grows)
    return measure


def _sgd_stays(frames, config):
    return _drift(frames[NONZERO], lambda d: d.optimizer == "sgd",
                  "max over the SGD rows of Fig. 4", False)


# ----- Fig. 5 ----------------------------------------------------------------------------------
def _stable_sweep(frame, family):
    hidden = _hidden_layers(frame.layer)
    d = frame[(frame.optimizer == family) & frame.layer.astype(int).isin(hidden)]
    d = d.assign(layer=d.layer.astype(int), replicate=_replicates(d))
    finite = d.delta_k_raw.notna() & d.delta_w_raw.notna()
    return d[(d.status != "diverged") & finite], hidden


def transition_width(log_x, values, share: float = SHARE) -> float:
    """The shortest stretch of ``log_x`` (decades) over which the linearly interpolated curve
    ``values`` changes by ``share`` of its min-max range (the whole span for a flat curve), to
    0.01 decades. The range is linear in ``values``, as in the paper's normalized Fig. 5."""
    import numpy as np

    order = np.argsort(log_x)
    x, y = np.asarray(log_x, float)[order], np.asarray(values, float)[order]
    span = float(x[-1] - x[0])
    lo, hi = y.min(), y.max()
    if not hi > lo:
        return span
    z = (y - lo) / (hi - lo)
    # the shortest window starts or ends at a grid point: from each point, walk to the first
    # place (either direction) where the interpolated curve has changed by ``share``
    best = span
    for i in range(x.size):
        for step in (1, -1):
            top = bottom = z[i]
            j = i
            while 0 <= j + step < x.size:
                a, b = z[j], z[j + step]
                need = [t for t in (bottom + share, top - share) if min(a, b) <= t <= max(a, b)
                        and a != b]
                if need:
                    frac = min(abs(t - a) / abs(b - a) for t in need)
                    best = min(best, abs(x[i] - x[j]) + frac * abs(x[j + step] - x[j]))
                    break
                top, bottom = max(top, b), min(bottom, b)
                j += step
    return float(best)


def _transition(frame, family, column) -> dict:
    """Per replicate the widest hidden-layer transition of ``column`` over ``family``'s eps
    sweep, with the signal, grid and training measures (module docstring)."""
    import numpy as np

    if frame[frame.optimizer == family].empty:
        return {"missing": f"Fig. 5 has no {family} sweep"}
    d, hidden = _stable_sweep(frame, family)
    if d.eps.nunique() < 2:
        return {"missing": f"{family}: fewer than two stable eps values in the sweep"}
    widths, signals, directions = {}, [], []
    for rep, g in d.groupby("replicate"):
        widths[int(rep)] = max(transition_width(np.log10(one.eps), one[column])
                               for one in (g[g.layer == h] for h in hidden))
    for h in hidden:
        per_eps = d[d.layer == h].groupby("eps")[column]
        mean = per_eps.mean()
        se = (per_eps.std(ddof=1) / np.sqrt(per_eps.count())).max()
        signals.append(float((mean.max() - mean.min()) / se) if se > 0 else math.nan)
        directions.append(float(mean.iloc[0] / mean.iloc[-1]))
    eps = np.log10(np.sort(d.eps.unique()))
    small = d[d.eps == d.eps.min()]
    loss = ((small.loss / small.loss_mean_image).max() if "loss_mean_image" in small
            else math.nan)
    return {"widths": widths, "signal": min(signals), "grid": float(np.diff(eps).max()),
            "loss": float(loss), "eps": (float(d.eps.min()), float(d.eps.max())),
            "direction": max(directions), "hidden": hidden, "step": int(d.step.max())}


def _sharp(families, column):
    def measure(frames, config):
        found = {f: _transition(frames[SWEEP], f, column) for f in families}
        missing = [v["missing"] for v in found.values() if "missing" in v]
        found = {f: v for f, v in found.items() if "missing" not in v}
        sweeps = Condition("sweeps", len(found), f">= {len(families)}",
                           f"stable eps sweeps of {', '.join(families)} in Fig. 5")
        if not found:
            return Measurement(math.nan, math.nan, math.nan, 0, "; ".join(missing), (sweeps,))
        reps = sorted(set.intersection(*(set(v["widths"]) for v in found.values())))
        per_rep = [max(v["widths"][r] for v in found.values()) for r in reps]
        value, low, high = mean_interval(per_rep)
        worst = max(found, key=lambda f: sum(found[f]["widths"].values()))
        v = found[worst]
        note = (f"{column}: decades of eps holding {SHARE:.0%} of the min-max change, widest "
                f"hidden layer ({'+'.join(map(str, v['hidden']))}), max over "
                f"{', '.join(found)}; per replicate {', '.join(f'{w:.3g}' for w in per_rep)}; "
                f"eps {v['eps'][0]:g} to {v['eps'][1]:g}, "
                f"{column} at the smallest / at the largest eps {v['direction']:.3g} (growth "
                f"as eps decreases: {'yes' if v['direction'] > 1 else 'no'}); "
                f"{_length(v['step'])}" + (f"; {'; '.join(missing)}" if missing else ""))
        conditions = (sweeps, _replicate_condition(len(reps)),
                      Condition("signal", min(f["signal"] for f in found.values()),
                                f">= {SIGNAL:g}", "min-max change / standard error of the "
                                "replicate mean, smallest over layers and families"),
                      Condition("grid", max(f["grid"] for f in found.values()),
                                f"<= {MAX_GAP:g}", "largest gap of the eps grid, decades"),
                      _trained_condition(max(f["loss"] for f in found.values()),
                                         "worst member at the smallest eps"))
        diagnosis = (f"disagrees: the change spreads over {value:.3g} decades of eps with "
                     f"the grid resolving {MAX_GAP:g}-decade steps, the change above the "
                     "replicate noise and the small-eps networks trained")
        return Measurement(value, low, high, len(reps), note, conditions, diagnosis)
    return measure


def _sgd_below_adam(column):
    def measure(frames, config):
        frame = frames[SWEEP]
        sgd, hidden = _stable_sweep(frame, "sgd")
        adam, _ = _stable_sweep(frame, "adam")
        if sgd.empty or adam.empty:
            raise Inconclusive("no stable SGD or Adam member in Fig. 5")
        reps = sorted(set(sgd.replicate) & set(adam.replicate))
        logs, layers_at = [], []
        for r in reps:
            ratios = {h: float(sgd[(sgd.replicate == r) & (sgd.layer == h)][column].median()
                               / adam[(adam.replicate == r) & (adam.layer == h)][column]
                               .median()) for h in hidden}
            worst = max(ratios, key=ratios.get)
            logs.append(math.log(ratios[worst]))
            layers_at.append(worst)
        m, lo, hi = mean_interval(logs)
        value, low, high = math.exp(m), math.exp(lo), math.exp(hi)
        loss = (float((sgd.loss / sgd.loss_mean_image).max()) if "loss_mean_image" in sgd
                else math.nan)
        moved = float(sgd.displacement.median()) if "displacement" in sgd else math.nan
        dw0 = (float((sgd.delta_w_raw / sgd.delta_w_init).median())
               if "delta_w_init" in sgd else math.nan)
        note = (f"{column}: median over the stable SGD step sizes "
                f"({', '.join(f'{v:g}' for v in sorted(sgd.lr.unique()))}) / median over the "
                f"stable Adam eps ({adam.eps.nunique()} values), max over layers {hidden} "
                f"(at layer(s) {sorted(set(layers_at))}), geometric mean over {len(reps)} "
                f"replicate(s), per replicate {', '.join(f'{math.exp(x):.3g}' for x in logs)};"
                f" SGD Delta W at the end / at t = 0: {dw0:.3g} (median); "
                f"{_length(int(frame.step.max()))}")
        conditions = (_replicate_condition(len(reps)),
                      _trained_condition(loss, "worst stable SGD member"),
                      Condition("moved", moved, f">= {MOVED:g}",
                                "||W_T - W_0||_F / ||W_0||_F of SGD's hidden layers, median"))
        diagnosis = (f"disagrees: SGD trained (loss / mean image's <= {loss:.3g}) and moved "
                     f"its weights ({moved:.3g} of their norm) yet its {column} is not below "
                     "Adam's")
        return Measurement(value, low, high, len(reps), note, conditions, diagnosis)
    return measure


# ----- Fig. 2 ----------------------------------------------------------------------------------
def _init_arccos(frames, config):
    import numpy as np

    from ...claims import bootstrap_interval

    d = frames["fig2_random_kernels"]
    per_draw = ((d.k_measured - d.k_arccos) ** 2).groupby([d.beta, d.draw]).mean()
    betas = sorted(per_draw.index.get_level_values(0).unique())
    samples = [per_draw.loc[b].to_numpy() for b in betas]

    def worst(*mses):
        return max(float(np.sqrt(np.mean(x))) for x in mses)

    value, low, high = bootstrap_interval(samples, worst)
    rms = {b: float(np.sqrt(np.mean(s))) for b, s in zip(betas, samples, strict=True)}
    draws = min(len(s) for s in samples)
    hidden = config.get("random_kernels", {}).get("n_hidden") if config else None
    noise = 1 / math.sqrt(hidden) if hidden else math.nan
    per_beta = " / ".join(f"{b:g}: {v:.3g}" for b, v in rms.items())
    note = (f"max over beta of the RMS deviation over {draws} draws x {d.theta.nunique()} "
            f"angles, bootstrap over the draws ({per_beta})")
    diagnosis = (f"deviation:random_kernels.n_hidden: finite-width fluctuations 1/sqrt(n_hidden)"
                 f" = {noise:.3g} are not below the 0.05 threshold"
                 if noise >= 0.05 else
                 f"disagrees: 1/sqrt(n_hidden) = {noise:.3g} is below 0.05 and the angles are "
                 f"exact (max |theta_achieved - theta| = "
                 f"{float((d.theta_achieved - d.theta).abs().max()):.2g})")
    return Measurement(value, low, high, draws, note,
                       (Condition("draws", draws, f">= {MIN_REPLICATES}",
                                  "weight draws per beta"),
                        Condition("betas", len(betas), ">= 2",
                                  "weight distributions compared")), diagnosis)


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
          "Sec. 5.1, Prop. 6, Fig. 3, Sec. 6", "max over the trained rows of Fig. 3 of the "
          "kernel's MSE to arc-cosine at the last checkpoint / at t = 0, layers 2..L-1, "
          "geometric mean over replicates", f"<= {STAYS:g}", (ZERO,), _zero_sum_stays),
    Claim("S5-adam-small-eps-breaks",
          "Networks trained with Adam (small eps) do not keep an approximately constant kernel "
          "on non-zero-sum inputs", "Sec. 6, Fig. 4 first row, Sec. 5.2 obs. (1)",
          "Adam eps = 1e-16: kernel MSE at the last checkpoint / at t = 0, non-zero sums, layers "
          "2..L-1, geometric mean over replicates", f"> {STAYS:g}", (NONZERO,),
          _one_adam_row(SMALL_EPS, True)),
    Claim("S5-adam-large-eps-stays",
          "With large eps (small (E^n)^2) the kernel is approximately described by (9) on "
          "non-zero-sum inputs", "Sec. 5.2 obs. (1), Fig. 4 third row",
          "Adam eps = 1: kernel MSE at the last checkpoint / at t = 0, non-zero sums, layers "
          "2..L-1, geometric mean over replicates", f"<= {STAYS:g}", (NONZERO,),
          _one_adam_row(LARGE_EPS, False)),
    Claim("S5-sgd-stays",
          "SGD at stable step sizes keeps the normalized kernel close to Proposition 6 on "
          "non-zero-sum inputs", "Sec. 5.2 obs. (2), Fig. 4 last row",
          "max over the stable SGD rows of Fig. 4 of the kernel MSE at the last checkpoint / at "
          "t = 0, layers 2..L-1, geometric mean over replicates", f"<= {STAYS:g}", (NONZERO,),
          _sgd_stays),
    Claim("S5-adam-sharp-dW",
          "As Adam's eps decreases there is a sharp change in (E^n)^2",
          "Sec. 5.2 obs. (1), Fig. 5 top", "decades of eps holding 80% of the min-max change of "
          "Delta W raw, widest of layers 2..L-1, mean over replicates",
          f"<= {SHARP_DECADES:g}", (SWEEP,), _sharp(("adam",), "delta_w_raw")),
    Claim("S5-adam-sharp-dk",
          "As Adam's eps decreases there is a sharp change in the kernel's MSE to the "
          "arc-cosine kernel", "Sec. 5.2 obs. (1), Fig. 5 top", "decades of eps holding 80% of "
          "the min-max change of Delta k raw, widest of layers 2..L-1, mean over replicates",
          f"<= {SHARP_DECADES:g}", (SWEEP,), _sharp(("adam",), "delta_k_raw")),
    Claim("S5-rmsprop-nadam-sharp",
          "RMSProp and NAdam show the same sharp change in (E^n)^2 as eps decreases",
          "Sec. 5.2 obs. (1), Apps. F, G", "decades of eps holding 80% of the min-max change of "
          "Delta W raw, widest of RMSProp, NAdam and layers 2..L-1, mean over replicates",
          f"<= {SHARP_DECADES:g}", (SWEEP,), _sharp(("rmsprop", "nadam"), "delta_w_raw")),
    Claim("S5-sgd-smaller-dW",
          "SGD at stable step sizes generally has smaller (E^n)^2 than Adam",
          "Sec. 5.2 obs. (2), Fig. 5", "median Delta W raw over stable SGD step sizes / median "
          "over the Adam eps sweep, max over layers 2..L-1, geometric mean over replicates",
          "< 1", (SWEEP,), _sgd_below_adam("delta_w_raw")),
    Claim("S5-sgd-smaller-dk",
          "...and thus SGD's normalized kernel agrees more closely with Proposition 6 than "
          "Adam's", "Sec. 5.2 obs. (2), Fig. 5", "median Delta k raw over stable SGD step "
          "sizes / median over the Adam eps sweep, max over layers 2..L-1, geometric mean over "
          "replicates", "< 1", (SWEEP,), _sgd_below_adam("delta_k_raw")),
]
