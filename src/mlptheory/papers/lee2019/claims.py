"""The claims of lee2019 (Sec. 3, Apps. F, I) that its targets test (see :mod:`mlptheory.claims`).

Every claim returns a 95% interval over independent replicates and the validity conditions under
which its test can fail; a claim that can come out ``not_reproduced`` gives a diagnosis.

Thresholds (fixed from the paper's wording before measuring; the targets are +-1, so output
differences are on the scale of the targets):

* the network follows its linearization with "remarkably good agreement" (Fig. 3): outputs
  within 0.1 (RMS over the train and test points, at every step; a tenth of the target scale),
  and ``||theta_t - theta_0||`` within 10% at the end of training;
* the ensemble's mean and variance "follow the analytic dynamics from linearization well"
  (Fig. 2, eqs. 14-15): at every step the mean differs by at most half the NTK-GP's predictive
  sd (RMS over the interpolation; the plotted +-2 sd band is 4 sd wide) and the sd by at most
  20% (the Monte Carlo error of a sample sd over the paper's 100 networks is 7%);
* the ensemble follows the NTK-GP (all layers trained; blue), not the readout-only dynamics
  (eq. 16; red): at every step after the first at which the two predictions are apart, the
  ensemble is farther from the readout-only prediction than from the NTK-GP (ratio ``> 1``);
* the empirical ``Theta_hat_0`` "gives more accurate dynamics for finite width networks" than
  the analytic ``Theta`` (Fig. 3 caption): the RMSE between the network and its linearization
  on the test points at the end is smaller with ``Theta_hat_0`` (ratio ``< 1``);
* the NNGP posterior, "while similar, is noticeably different" from the distribution at the
  end of GD training: the ensemble is at least twice as far from the NNGP posterior as from
  the NTK-GP (distance: RMS mean and sd differences combined);
* "as the width grows the error decreases" and "the error grows in the size of the dataset"
  (Fig. S5): the log-log slope of the linearization RMSE against width is negative for every
  training-set size (the largest slope ``< 0``), against training-set size positive for every
  width (the smallest slope ``> 0``);
* standard and NTK parameterization give "similar quality" at the same normalized learning
  rate (Fig. S7): final test losses within 20% at every rate ``<= eta_critical`` (App. F relies
  on Theorem 2.1, which holds below ``eta_critical``; above it the linearized model itself
  diverges once ``eta > 2 / lambda_max``, which is ~1.0 ``eta_critical`` here, so those rates
  are left out, named in the note and marked in the figure);
* ``||K_hat - K||_F = O(1/sqrt(n))`` (Fig. S9): every fitted log-log slope against width within
  0.1 of -1/2 (O(1/n) would give -1, no convergence 0). The quantity is written as the largest
  ``|slope + 1/2|`` over the sample counts, expected ``<= 0.1`` (the same threshold as the old
  ``in [-0.6, -0.4]`` on the farthest slope, in a form whose interval is one-sided); and
  "convergence as the number of Monte Carlo samples increases": the error with the most
  samples below the error with the fewest at every width (largest ratio ``< 1``).

Intervals (95%, two-sided). The bootstraps are percentile intervals shifted by the bootstrap's
estimate of the bias (:func:`_bootstrap`, a private helper: the statistics are maxima, absolute
values and RMS of noisy differences, which resampling inflates; 1000 resamples, fixed seed):

* Fig. 2: percentile bootstrap over the ensemble's members (the table keeps each member's
  outputs), the Monte Carlo error of the ensemble's mean and sd; ``n`` = members;
* Fig. 3: one network (the figure trains one): the intervals are bootstraps over its train and
  test points (outputs), its test points (paired, the two kernels) or its tracked weights
  (weights): the spread over points or weights, not over networks;
* Fig. S5, S7: percentile bootstrap over the members of every cell (S7: members paired, the
  same seeds train both parameterizations); ``n`` = networks;
* Fig. S9: the least-squares slope's standard error from the repetitions' standard errors of the
  mean error (delta method, ``var log m = (se / m)^2``), normal quantiles with a Bonferroni
  correction over the sample counts (or kernels and widths for the ratio), so that the interval
  of the largest deviation (ratio) is ``[max of the lower ends, max of the upper ends]``; the
  nested sample counts of one repetition are positively correlated, ignored (conservative for
  the ratio); ``n`` = repetitions x widths.

Validity conditions (each measured; any failing one makes the claim inconclusive):

* ``trained``: training loss at the end / at the start ``<= 0.5`` (Figs. 2, 3, S5: the largest
  over cells);
* ``members >= 20`` for Fig. 2 (the Monte Carlo floor of the relative sd difference,
  ``1/sqrt(2(n-1))``, is then below 0.17, under the 0.2 threshold), ``members >= 3`` per cell for
  Figs. S5, S7 (a bootstrap needs at least three), ``repeats >= 3`` and ``widths >= 3`` for S9;
* ``models_apart >= 2`` (F2-mean, F2-nngp): at the last step the NTK-GP and the alternative
  (F2-mean: the readout-only prediction; F2-nngp: the NNGP posterior) differ by at least twice
  the ensemble's Monte Carlo error (F2-mean: the RMS mean difference over the RMS standard error
  of the ensemble mean, ``sd / sqrt(n)``; F2-nngp: the combined mean and sd distance over the
  combined standard errors, ``sd / sqrt(n)`` and ``sd / sqrt(2(n - 1))``); otherwise the
  ensemble cannot tell the two models apart; ``steps_apart >= 1`` (F2-readout): the steps
  judged are those after the first at which NTK-GP and readout-only are so apart;
* ``depth >= 2`` (S5, S9): with one hidden layer the empirical kernel is an exact average of
  i.i.d. hidden units, so the S9 slope is -1/2 by construction; S5 never varies depth (its
  claims are at the one configured depth);
* ``flat <= 0.1`` (S7): the mean test loss changes by at most 10% over the second half of
  training (``|L(T) - L(T/2)| / L(T)``, largest over the judged rates and both
  parameterizations): the claim is about the final loss;
* ``diverged_below_critical <= 0`` (S7): no network diverged at a judged rate (Theorem 2.1's
  regime), ``judged_rates >= 2``.
"""

from __future__ import annotations

import math

from ...claims import (
    LEVEL,
    Claim,
    Condition,
    Inconclusive,
    Measurement,
    bootstrap_interval,
    percentile_interval,
)

FIG2, FIG3, S5, S7, S9 = ("fig2_predictive_distribution", "fig3_linearized_dynamics",
                          "figS5_linearization_error", "figS7_parameterization",
                          "figS9_kernel_convergence")



def _bootstrap(samples, statistic, n_boot: int = 1000) -> tuple[float, float, float]:
    """``(value, low, high)``: the bias-corrected bootstrap interval
    (:func:`mlptheory.claims.bootstrap_interval`; 1000 resamples, fixed seed). The statistics
    here are maxima, absolute values and RMS of noisy differences, which resampling inflates."""
    return bootstrap_interval(samples, statistic, n_boot=n_boot, bias_corrected=True)


def _rms(values) -> float:
    import numpy as np

    return float(np.sqrt(np.mean(np.square(values))))


def _trained(loss_end: float, loss_start: float, what: str) -> Condition:
    ratio = loss_end / loss_start if loss_start > 0 else math.nan
    return Condition("trained", ratio, "<= 0.5", f"training loss at the end / at the start "
                     f"({what})")


# ----- Fig. 2 ----------------------------------------------------------------------------------
def _fig2(frame):
    """The Fig. 2 arrays: steps, NTK-GP mean/sd ``[S, A]``, NNGP mean/sd ``[A]``, members'
    outputs ``[E, S, A]`` and training losses ``[E, S]``."""
    import numpy as np

    need = {"member", "train_loss"} - set(frame.columns)
    if need:
        raise Inconclusive(f"Fig. 2 lacks the column(s) {sorted(need)} (the members' outputs "
                           "and losses): the ensemble's Monte Carlo error cannot be measured")
    steps = sorted(int(s) for s in frame.step.unique())
    models = {}
    for model in ("ntk_gp", "readout", "nngp"):
        m = frame[frame.model == model].sort_values(["step", "alpha"])
        if m.empty or m.step.nunique() != len(steps):
            raise Inconclusive(f"Fig. 2 has no {model} at every step")
        models[model] = (m["mean"].to_numpy(float).reshape(len(steps), -1),
                         m["std"].to_numpy(float).reshape(len(steps), -1))
    mem = frame[frame.model == "member"].sort_values(["member", "step", "alpha"])
    n_members = mem.member.nunique()
    if n_members < 2:
        raise Inconclusive(f"Fig. 2 has {n_members} member(s): no Monte Carlo error")
    n_alpha = models["ntk_gp"][0].shape[1]
    if len(mem) != n_members * len(steps) * n_alpha:
        raise Inconclusive("Fig. 2's member rows do not cover every step and alpha")
    out = mem["mean"].to_numpy(float).reshape(n_members, len(steps), n_alpha)
    loss = mem.groupby(["member", "step"]).train_loss.first().to_numpy(float).reshape(
        n_members, len(steps))
    if not np.isfinite(out).all():
        raise Inconclusive("some members' outputs are not finite (diverged)")
    return dict(steps=steps, ntk=models["ntk_gp"], readout=models["readout"],
                nngp=(models["nngp"][0][-1], models["nngp"][1][-1]),
                out=out, loss=loss, n=n_members)


def _fig2_conditions(f) -> list[Condition]:
    loss = f["loss"].mean(0)
    return [Condition("members", f["n"], ">= 20", "networks in the ensemble"),
            _trained(float(loss[-1]), float(loss[0]), f"ensemble mean, step {f['steps'][-1]} / "
                     f"{f['steps'][0]}")]


def _ensemble_se(f, step: int = -1):
    """RMS over alpha of the standard errors of the ensemble's mean and sd at ``step`` (index;
    the last by default)."""
    sd = f["out"][:, step].std(0, ddof=1)
    n = f["n"]
    return _rms(sd / math.sqrt(n)), _rms(sd / math.sqrt(2 * (n - 1)))


def _fig2_follow(column):
    def measure(frames, config):
        import numpy as np

        f = _fig2(frames[FIG2])
        ntk_mean, ntk_sd = f["ntk"]
        scale = np.sqrt(np.mean(ntk_sd ** 2, axis=1))  # [S]

        def per_step(out):
            got = out.mean(0) if column == "mean" else out.std(0, ddof=1)
            ref = ntk_mean if column == "mean" else ntk_sd
            return np.sqrt(np.mean((got - ref) ** 2, axis=1)) / scale

        out = f["out"]
        value, low, high = _bootstrap(
            [np.arange(f["n"], dtype=float)],
            lambda idx: per_step(out[idx.astype(int)]).max())
        steps = per_step(out)
        worst = f["steps"][int(steps.argmax())]
        conditions = _fig2_conditions(f)
        mean_se, sd_se = _ensemble_se(f)
        if column == "mean":
            apart = _rms(ntk_mean[-1] - f["readout"][0][-1]) / mean_se
            conditions.append(Condition(
                "models_apart", apart, ">= 2", "last step: RMS over alpha of NTK-GP - "
                "readout-only mean / RMS standard error of the ensemble mean"))
        what = "mean" if column == "mean" else "sd"
        per = ", ".join(f"{s}: {v:.3g}" for s, v in zip(f["steps"], steps, strict=True))
        note = (f"RMS over alpha of the ensemble - NTK-GP {what} / RMS NTK-GP sd, max over the "
                f"steps (per step {per}); bootstrap over the {f['n']} members")
        diagnosis = (f"disagrees: worst at step {worst}"
                     + (" (before training: the initial finite-width ensemble against the NNGP "
                        "prior)" if worst == 0 else "")
                     + f"; the ensemble's Monte Carlo error is in the interval (bootstrap over "
                       f"{f['n']} members), the networks trained; only one width is measured "
                       f"so no trend with width can be shown")
        return Measurement(value, low, high, f["n"], note, conditions, diagnosis)
    return measure


def _distance(mean_a, sd_a, mean_b, sd_b) -> float:
    return math.hypot(_rms(mean_a - mean_b), _rms(sd_a - sd_b))


def _nngp_differs(frames, config):
    import numpy as np

    f = _fig2(frames[FIG2])
    ntk_mean, ntk_sd = f["ntk"][0][-1], f["ntk"][1][-1]
    nngp_mean, nngp_sd = f["nngp"]
    last = f["out"][:, -1]

    def ratio(idx):
        o = last[idx.astype(int)]
        m, s = o.mean(0), o.std(0, ddof=1)
        to_ntk = _distance(m, s, ntk_mean, ntk_sd)
        return _distance(m, s, nngp_mean, nngp_sd) / to_ntk if to_ntk > 0 else math.inf

    value, low, high = _bootstrap([np.arange(f["n"], dtype=float)], ratio)
    m, s = last.mean(0), last.std(0, ddof=1)
    to_nngp, to_ntk = _distance(m, s, nngp_mean, nngp_sd), _distance(m, s, ntk_mean, ntk_sd)
    apart = _distance(ntk_mean, ntk_sd, nngp_mean, nngp_sd) / math.hypot(*_ensemble_se(f))
    conditions = _fig2_conditions(f) + [Condition(
        "models_apart", apart, ">= 2", "last step: distance NTK-GP to NNGP / the ensemble's "
        "combined standard error of mean and sd")]
    step = f["steps"][-1]
    note = (f"last step {step}: distance (RMS mean and sd differences) of the ensemble to the "
            f"NNGP posterior {to_nngp:.3g} / to the NTK-GP {to_ntk:.3g}; bootstrap over the "
            f"{f['n']} members")
    diagnosis = (f"disagrees: at step {step} the ensemble is {to_nngp:.3g} from the NNGP and "
                 f"{to_ntk:.3g} from the NTK-GP, which are {apart:.3g} ensemble standard errors "
                 f"apart (so the ensemble can tell them apart); Monte Carlo error bootstrapped")
    return Measurement(value, low, high, f["n"], note, conditions, diagnosis)


def _readout_differs(frames, config):
    """The smallest, over the steps after the first at which the NTK-GP and the readout-only
    prediction are apart (>= 2 combined standard errors of the ensemble), of the ensemble's
    distance to the readout-only prediction / to the NTK-GP."""
    import numpy as np

    f = _fig2(frames[FIG2])
    (ntk_m, ntk_s), (ro_m, ro_s) = f["ntk"], f["readout"]
    later = range(1, len(f["steps"]))
    apart = {i: _distance(ntk_m[i], ntk_s[i], ro_m[i], ro_s[i]) / math.hypot(
        *_ensemble_se(f, i)) for i in later}
    judged = [i for i in later if apart[i] >= 2]

    def ratios(out):
        vals = []
        for i in judged:
            m, s = out[:, i].mean(0), out[:, i].std(0, ddof=1)
            to_ntk = _distance(m, s, ntk_m[i], ntk_s[i])
            vals.append(_distance(m, s, ro_m[i], ro_s[i]) / to_ntk if to_ntk > 0 else math.inf)
        return vals

    per = ", ".join(f"t={f['steps'][i]}: models {apart[i]:.3g} SE apart" for i in later)
    conditions = _fig2_conditions(f) + [Condition(
        "steps_apart", len(judged), ">= 1", "steps after the first at which NTK-GP and "
        "readout-only differ by >= 2 combined standard errors of the ensemble")]
    if not judged:
        return Measurement(math.nan, -math.inf, math.inf, f["n"], f"no step apart ({per})",
                           conditions)
    out = f["out"]
    value, low, high = _bootstrap([np.arange(f["n"], dtype=float)],
                                  lambda idx: min(ratios(out[idx.astype(int)])))
    got = ratios(out)
    listing = ", ".join(f"t={f['steps'][i]}: {r:.3g}" for i, r in zip(judged, got,
                                                                      strict=True))
    worst = f["steps"][judged[int(np.argmin(got))]]
    note = (f"distance of the ensemble to the readout-only prediction / to the NTK-GP at the "
            f"steps where they are apart ({listing}; {per}); smallest at t={worst}; bootstrap "
            f"over the {f['n']} members")
    diagnosis = (f"disagrees: at t={worst} the ensemble is no closer to the NTK-GP than to the "
                 f"readout-only prediction, though the two are apart; Monte Carlo error "
                 f"bootstrapped, the networks trained")
    return Measurement(value, low, high, f["n"], note, conditions, diagnosis)


# ----- Fig. 3 ----------------------------------------------------------------------------------
def _fig3_pair(frame, quantity, other="linearized_closed_form"):
    """Network and ``other`` rows of ``quantity`` aligned by step/split/point."""
    keys = ["step", "split", "point"]
    d = frame[frame.quantity == quantity].fillna({"split": ""})
    net = d[d.model == "network"].set_index(keys).value
    lin = d[d.model == other].set_index(keys).value
    if net.empty or lin.empty:
        raise Inconclusive(f"Fig. 3 lacks the network or its {other} ({quantity})")
    return net.align(lin, join="inner")


def _fig3_trained(frame) -> Condition:
    loss = frame[(frame.model == "network") & (frame.quantity == "loss")
                 & (frame.split == "train")].sort_values("step")
    if len(loss) < 2:
        raise Inconclusive("Fig. 3 has no training loss of the network at two steps")
    return _trained(float(loss.value.iloc[-1]), float(loss.value.iloc[0]),
                    f"the network, step {int(loss.step.iloc[-1])} / {int(loss.step.iloc[0])}")


def _output_matrix(frame, other):
    """``[points, steps]`` of network - ``other`` outputs (train and test points)."""
    net, lin = _fig3_pair(frame, "output", other)
    diff = (net - lin).unstack("step")
    return diff


def _fig3_outputs(frames, config):
    import numpy as np

    frame = frames[FIG3]
    diff = _output_matrix(frame, "linearized_closed_form")
    d = diff.to_numpy(float)
    if not np.isfinite(d).all():
        raise Inconclusive("the network's outputs are not finite (diverged)")
    per_step = np.sqrt(np.mean(d ** 2, axis=0))
    value, low, high = _bootstrap(
        [np.arange(len(d), dtype=float)],
        lambda idx: np.sqrt(np.mean(d[idx.astype(int)] ** 2, axis=0)).max())
    step = int(diff.columns[int(per_step.argmax())])
    note = (f"one network (Fig. 3 trains one): RMS over its {len(d)} train and test points of "
            f"network - closed-form linearization, max over {d.shape[1]} steps at step {step}; "
            f"the interval is a bootstrap over the points, not over networks")
    check = ("; the closed form itself is tested against stepping the linearized model "
             "(tests/test_predict.py)")
    width = frame.width.iloc[0] if "width" in frame else "?"
    diagnosis = (f"disagrees: the network (width {width}) leaves its linearization by "
                 f"{value:.3g} at step {step}{check}; one width only, so no trend with width")
    return Measurement(value, low, high, len(d), note, [_fig3_trained(frame)], diagnosis)


def _fig3_weights(frames, config):
    """RMS over the tracked weights of (network - linearization) change from init / RMS of the
    linearization's change, at the last step; bootstrap over the tracked weights."""
    import numpy as np

    frame = frames[FIG3]
    net, lin = _fig3_pair(frame, "weight")
    if net.empty:
        raise Inconclusive("Fig. 3 has no tracked weights")
    steps = net.index.get_level_values("step")
    first, last = steps.min(), steps.max()
    dn = (net.xs(last, level="step") - net.xs(first, level="step")).to_numpy(float)
    dl = (lin.xs(last, level="step") - lin.xs(first, level="step")).to_numpy(float)
    if not (np.isfinite(dn).all() and _rms(dl) > 0):
        raise Inconclusive(f"tracked weights at step {last}: not finite or not moved")

    def rel(idx):
        i = idx.astype(int)
        moved = _rms(dl[i])
        return _rms(dn[i] - dl[i]) / moved if moved > 0 else math.inf

    value, low, high = _bootstrap([np.arange(len(dn), dtype=float)], rel)
    disp_net, disp_lin = _fig3_pair(frame, "displacement")
    a = float(disp_net.xs(last, level="step").iloc[0])
    b = float(disp_lin.xs(last, level="step").iloc[0])
    note = (f"one network: RMS over its {len(dn)} tracked weights (every layer) of network - "
            f"linearization (eq. 10) change from init at step {last}, over the RMS "
            f"linearization change; bootstrap over the weights; ||theta_t - theta_0|| network "
            f"{a:.4g}, linearization {b:.4g}")
    conditions = [_fig3_trained(frame),
                  Condition("moved", _rms(dl), "> 0", "RMS change of the tracked weights, "
                            "linearization")]
    layers = net.xs(last, level="step").index.get_level_values("split")
    per_layer = {}
    for layer in sorted(set(layers), key=lambda v: int(str(v).removeprefix("layer") or 0)):
        mask = np.asarray(layers == layer)
        if _rms(dl[mask]) > 0:
            per_layer[layer] = _rms(dn[mask] - dl[mask]) / _rms(dl[mask])
    listing = ", ".join(f"{k} {v:.2g}" for k, v in per_layer.items())
    note += f"; per layer {listing}"
    worst = max(per_layer, key=per_layer.get)
    diagnosis = (f"disagrees: the tracked weights moved {_rms(dn):.3g} (RMS) against the "
                 f"linearization's {_rms(dl):.3g}; the largest relative deviation is in "
                 f"{worst} ({per_layer[worst]:.2g}; per layer {listing}); one network, one "
                 f"width {frame.width.iloc[0] if 'width' in frame else '?'}")
    return Measurement(value, low, high, len(dn), note, conditions, diagnosis)


def _fig3_kernel(frames, config):
    """RMSE(network, linearization with the empirical Theta_0) / RMSE(network, linearization
    with the analytic Theta) over the test points at the last step; bootstrap over the points
    (paired)."""
    import numpy as np

    frame = frames[FIG3]
    test = frame[frame.split == "test"]
    emp = _output_matrix(test, "linearized_closed_form")
    ana = _output_matrix(test, "linearized_analytic")
    last = emp.columns.max()
    e, a = emp[last].to_numpy(float), ana[last].to_numpy(float)
    if not (np.isfinite(e).all() and np.isfinite(a).all()):
        raise Inconclusive("the network's outputs are not finite (diverged)")

    def ratio(idx):
        i = idx.astype(int)
        return _rms(e[i]) / _rms(a[i]) if _rms(a[i]) > 0 else math.inf

    value, low, high = _bootstrap([np.arange(len(e), dtype=float)], ratio)
    width = frame.width.iloc[0] if "width" in frame else "?"
    note = (f"one network of width {width}: at step {last}, RMSE over its {len(e)} test points "
            f"to the linearization with the empirical Theta_0 {_rms(e):.3g}, with the analytic "
            f"Theta {_rms(a):.3g}; bootstrap over the test points")
    diagnosis = (f"disagrees: at width {width} the analytic Theta predicts the network as well "
                 f"as its own Theta_0 ({_rms(a):.3g} against {_rms(e):.3g})")
    return Measurement(value, low, high, len(e), note, [_fig3_trained(frame)], diagnosis)


# ----- Fig. S5 ---------------------------------------------------------------------------------
def _s5_cells(frame):
    """``(cells, arrays)``: the (width, n_train) cells and each cell's members' RMSE."""
    need = {"member", "train_loss0"} - set(frame.columns)
    if need:
        raise Inconclusive(f"Fig. S5 lacks the column(s) {sorted(need)} (one row per member): "
                           "no interval over members")
    cells, arrays = [], []
    for (w, s), g in frame.groupby(["width", "n_train"]):
        r = g.rmse.to_numpy(float)
        if not (r > 0).all() or not all(map(math.isfinite, r)):
            raise Inconclusive(f"M = {w:g}, S = {s:g}: an RMSE is not positive and finite")
        cells.append((float(w), float(s)))
        arrays.append(r)
    return cells, arrays


def _s5_conditions(frame) -> list[Condition]:
    cells = frame.groupby(["width", "n_train"]).agg(
        loss=("train_loss", "mean"), loss0=("train_loss0", "mean"), members=("member", "size"))
    ratio = (cells.loss / cells.loss0).max()
    return [Condition("depth", float(frame.depth.min()), ">= 2", "hidden layers"),
            Condition("members", float(cells.members.min()), ">= 3", "networks per cell"),
            Condition("trained", float(ratio), "<= 0.5", "training loss at the end / at the "
                      "start, the largest over cells (means over members)")]


def _s5_slope(x_key, over_key, pick):
    """The log-log slope of the RMSE against ``x_key`` per value of ``over_key``; ``pick`` the
    largest (``max``) or smallest (``min``)."""
    def measure(frames, config):
        import numpy as np

        frame = frames[S5]
        cells, arrays = _s5_cells(frame)
        xi = 0 if x_key == "width" else 1
        groups = {}
        for k, cell in enumerate(cells):
            groups.setdefault(cell[1 - xi], []).append((cell[xi], k))
        if any(len(g) < 2 for g in groups.values()):
            raise Inconclusive(f"fewer than two {x_key} values per {over_key}")
        keys = list(groups)

        def slopes(rms):
            """``[..., groups]`` slopes of log rms (``[..., cells]``) against log x."""
            out = []
            for key in keys:
                x = np.log([x for x, _ in groups[key]])
                c = (x - x.mean()) / ((x - x.mean()) ** 2).sum()
                out.append((np.log(rms[..., [k for _, k in groups[key]]]) * c).sum(-1))
            return np.stack(out, -1)

        reduce = np.max if pick is max else np.min
        rms = np.array([np.sqrt(np.mean(a ** 2)) for a in arrays])
        per = slopes(rms)
        value = float(reduce(per))
        rng = np.random.default_rng(0)
        boot = np.stack([np.sqrt(np.mean(a[rng.integers(0, a.size, (1000, a.size))] ** 2, -1))
                         for a in arrays], -1)  # [resamples, cells]
        if min(a.size for a in arrays) < 2:
            low, high = -math.inf, math.inf
        else:
            _, low, high = percentile_interval(value, reduce(slopes(boot), -1),
                                                  bias_corrected=True)
        key = keys[int(np.argmax(per) if pick is max else np.argmin(per))]
        name = {"width": "M", "n_train": "S"}
        listing = ", ".join(f"{name[over_key]} = {k:g}: {v:.3g}"
                            for k, v in zip(keys, per, strict=True))
        n = int(sum(len(a) for a in arrays))
        note = (f"{pick.__name__} over {over_key} of the log-log slope of the test RMSE "
                f"(root mean square over members) against {x_key}; at {name[over_key]} = "
                f"{key:g} ({listing}); bootstrap over the members of {len(cells)} cells; depth "
                f"{int(frame.depth.min())} only (Fig. S5 does not vary depth)")
        diagnosis = (f"disagrees: slopes {listing} at depth {int(frame.depth.min())}; the "
                     f"networks trained and the members' spread is in the interval")
        return Measurement(value, low, high, n, note, _s5_conditions(frame), diagnosis)
    return measure


# ----- Fig. S7 ---------------------------------------------------------------------------------
def _parameterization(frames, config):
    import numpy as np

    d = frames[S7]
    if "test_loss_half" not in d.columns:
        raise Inconclusive("Fig. S7 lacks test_loss_half: whether the loss flattened is unknown")
    judged = d[d.lr_fraction <= 1.0]
    above = sorted(float(f) for f in d.lr_fraction.unique() if f > 1.0)
    diverged = judged.groupby("lr_fraction").diverged.any()
    stable = sorted(float(f) for f, bad in diverged.items() if not bad)
    if not stable:
        raise Inconclusive("no rate <= eta_critical at which both parameterizations trained "
                           "stably")
    members = sorted(set(d.member))
    cube = {}
    for column in ("test_loss", "test_loss_half"):
        table = judged[judged.lr_fraction.isin(stable)].pivot_table(
            index="member", columns=["parameterization", "lr_fraction"], values=column)
        if not {"ntk", "standard"} <= set(table.columns.get_level_values(0)):
            raise Inconclusive("Fig. S7 lacks one of the two parameterizations")
        table = table.reindex(members)
        cube[column] = (table["standard"][stable].to_numpy(float),
                        table["ntk"][stable].to_numpy(float))  # [members, rates]
    std, ntk = cube["test_loss"]

    def rel(idx):
        i = idx.astype(int)
        a, b = std[i].mean(0), ntk[i].mean(0)
        return np.abs(a - b) / b

    value, low, high = _bootstrap([np.arange(len(members), dtype=float)],
                                          lambda idx: rel(idx).max())
    per = rel(np.arange(len(members), dtype=float))
    worst = stable[int(per.argmax())]
    flat = max(float(np.max(np.abs(cube["test_loss"][k].mean(0)
                                   - cube["test_loss_half"][k].mean(0))
                            / cube["test_loss"][k].mean(0))) for k in (0, 1))
    conditions = [
        Condition("members", len(members), ">= 3", "networks per cell (same seeds for both)"),
        Condition("judged_rates", len(stable), ">= 2", "rates <= eta_critical judged"),
        Condition("diverged_below_critical", float(len(diverged) - len(stable)), "<= 0",
                  "rates <= eta_critical at which a network diverged"),
        Condition("flat", flat, "<= 0.1", "|L(T) - L(T/2)| / L(T) of the mean test loss, the "
                  "largest over the judged rates and both parameterizations")]
    outside = ""
    if above:
        big = d[d.lr_fraction > 1.0].groupby(["lr_fraction", "parameterization"]).test_loss.mean()
        gaps = []
        for f in above:
            a, b = big.get((f, "standard"), math.nan), big.get((f, "ntk"), math.nan)
            gaps.append(f"{f:g}: {abs(a - b) / b:.3g}" if math.isfinite(a) and math.isfinite(b)
                        and b > 0 else f"{f:g}: diverged")
        outside = (f"; left out: rates {above} eta_critical, above eta_critical (outside Theorem "
                   f"2.1; the linearized model diverges there), relative gaps {', '.join(gaps)}")
    listing = ", ".join(f"{f:g}: {v:.3g}" for f, v in zip(stable, per, strict=True))
    note = (f"|standard - ntk| / ntk mean final test loss, max over the {len(stable)} rates "
            f"<= eta_critical where neither diverged ({listing}); the max at eta_ntk = "
            f"{worst:g} eta_critical; bootstrap over {len(members)} paired members{outside}")
    diagnosis = (f"disagrees: at {worst:g} eta_critical the relative gap is {per.max():.3g} "
                 f"with both parameterizations stable and the loss flat ({flat:.3g}); members' "
                 f"spread bootstrapped")
    return Measurement(value, low, high, len(members), note, conditions, diagnosis)


# ----- Fig. S9 ---------------------------------------------------------------------------------
def _s9_table(frame):
    need = {"rel_error_se", "repeats"} - set(frame.columns)
    if need:
        raise Inconclusive(f"Fig. S9 lacks the column(s) {sorted(need)}")
    return frame


def _z(k: int) -> float:
    """Two-sided normal quantile at 95% with a Bonferroni correction over ``k`` intervals."""
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - LEVEL) / (2 * k)))


def _s9_conditions(d) -> list[Condition]:
    return [Condition("depth", float(d.depth.min()), ">= 2", "hidden layers (depth 1: an "
                      "exact average of i.i.d. units, slope -1/2 by construction)"),
            Condition("repeats", float(d.repeats.min()), ">= 3", "independent repetitions per "
                      "width"),
            Condition("widths", float(d.width.nunique()), ">= 3", "widths in the fit")]


def _kernel_slope(kernel):
    def measure(frames, config):
        import numpy as np

        d = _s9_table(frames[S9])
        d = d[d.kernel == kernel]
        if d.empty:
            raise Inconclusive(f"Fig. S9 has no {kernel} kernel")
        if d.width.nunique() < 2:
            raise Inconclusive(f"Fig. S9 has a single width for the {kernel} kernel: no slope")
        counts = sorted(d.n_samples.unique())
        z = _z(len(counts))
        slopes, lows, highs = {}, [], []
        for n in counts:
            g = d[d.n_samples == n].sort_values("width")
            x = np.log(g.width.to_numpy(float))
            m, se = g.rel_error.to_numpy(float), g.rel_error_se.to_numpy(float)
            c = (x - x.mean()) / ((x - x.mean()) ** 2).sum()
            s = float((c * np.log(m)).sum())
            half = z * float(np.sqrt((c ** 2 * (se / m) ** 2).sum()))
            slopes[n] = s
            dev = (s - half + 0.5, s + half + 0.5)
            lows.append(0.0 if dev[0] <= 0 <= dev[1] else min(map(abs, dev)))
            highs.append(max(map(abs, dev)))
        devs = {n: abs(s + 0.5) for n, s in slopes.items()}
        worst = max(devs, key=devs.get)
        value = devs[worst]
        low, high = min(max(lows), value), max(max(highs), value)
        listing = ", ".join(f"{n:g}: {s:.3g}" for n, s in slopes.items())
        widths = sorted(int(w) for w in d.width.unique())
        n_rep = int(d.repeats.min())
        note = (f"{kernel}: |slope + 1/2| of the least-squares log-log slope of the mean "
                f"relative error against width (widths {widths}), largest over the Monte "
                f"Carlo sample counts, at {worst:g} samples (slopes {listing}); standard errors "
                f"over {n_rep} repetitions, Bonferroni over {len(counts)} counts")
        first, last = slopes[counts[0]], slopes[counts[-1]]
        if abs(last + 0.5) > abs(first + 0.5) + 0.05 and last < first:
            diagnosis = (f"scale: the slope steepens from {first:.3g} ({counts[0]:g} sample(s)) "
                         f"to {last:.3g} ({counts[-1]:g}) as the Monte Carlo samples grow: "
                         f"averaging removes the O(1/sqrt(n)) fluctuation and leaves the "
                         f"finite-width bias of the expected kernel, O(1/n), at depth "
                         f"{int(d.depth.min())}")
        else:
            diagnosis = (f"disagrees: slopes {listing} at depth {int(d.depth.min())} with "
                         f"{n_rep} repetitions per width; their standard errors are in the "
                         f"interval")
        return Measurement(value, low, high, n_rep * len(widths), note, _s9_conditions(d),
                           diagnosis)
    return measure


def _more_samples(frames, config):

    d = _s9_table(frames[S9])
    if d.n_samples.nunique() < 2:
        raise Inconclusive("Fig. S9 has a single number of Monte Carlo samples")
    lo, hi = d.n_samples.min(), d.n_samples.max()
    cells = d.set_index(["kernel", "width", "n_samples"])
    keys = sorted({(k, w) for k, w, _ in cells.index})
    z = _z(len(keys))
    ratios, lows, highs = {}, [], []
    for k, w in keys:
        a, b = cells.loc[(k, w, hi)], cells.loc[(k, w, lo)]
        r = float(a.rel_error / b.rel_error)
        half = z * math.hypot(a.rel_error_se / a.rel_error, b.rel_error_se / b.rel_error)
        ratios[k, w] = r
        lows.append(r * math.exp(-half))
        highs.append(r * math.exp(half))
    key = max(ratios, key=ratios.get)
    value = ratios[key]
    note = (f"relative error with {hi:g} samples / with {lo:g}, max over kernels and widths, "
            f"at {key[0]} M = {key[1]:g} (ratio of means; delta-method interval from the "
            f"standard errors over {int(d.repeats.min())} repetitions, Bonferroni over "
            f"{len(keys)} cells, covariance of the nested counts ignored: conservative)")
    diagnosis = (f"disagrees: at {key[0]} M = {key[1]:g} more samples do not reduce the error "
                 f"(ratio {value:.3g}): the finite-width bias of the expected kernel dominates")
    return Measurement(value, min(max(lows), value), max(max(highs), value),
                       int(d.repeats.min()) * int(d.width.nunique()), note,
                       _s9_conditions(d), diagnosis)


CLAIMS = [
    Claim("F2-mean", "The mean of the ensemble's outputs during GD follows the linearized "
          "analytic dynamics (NTK-GP) well", "Sec. 3, Fig. 2, eqs. 14-15",
          "max over steps of RMS_alpha(ensemble mean - NTK-GP mean) / RMS_alpha(NTK-GP sd)",
          "<= 0.5", (FIG2,), _fig2_follow("mean")),
    Claim("F2-sd", "The variance of the ensemble's outputs during GD follows the linearized "
          "analytic dynamics (NTK-GP) well", "Sec. 3, Fig. 2, eqs. 14-15",
          "max over steps of RMS_alpha(ensemble sd - NTK-GP sd) / RMS_alpha(NTK-GP sd)",
          "<= 0.2", (FIG2,), _fig2_follow("std")),
    Claim("F2-readout", "The ensemble follows the dynamics of training all layers (NTK-GP), "
          "not those of training only the readout layer", "Sec. 3, Fig. 2 (blue vs red), "
          "eqs. 14-16", "min over steps after the first (where the two are apart) of the "
          "ensemble's distance to the readout-only prediction / to the NTK-GP", "> 1", (FIG2,),
          _readout_differs),
    Claim("F2-nngp", "The NNGP posterior (exact Bayesian inference), while similar, is noticeably "
          "different from the predictive distribution at the end of GD training",
          "Sec. 3, Fig. 2", "at the last step, distance of the ensemble to the NNGP posterior / "
          "to the NTK-GP", ">= 2", (FIG2,), _nngp_differs),
    Claim("F3-outputs", "The network's outputs follow those of its linearization (empirical "
          "Theta_0, eqs. 8-11) with remarkably good agreement", "Sec. 3, Fig. 3",
          "max over steps of the RMS over train and test points of network - closed-form "
          "linearized output", "<= 0.1", (FIG3,), _fig3_outputs),
    Claim("F3-weights", "The individual weights' motion follows the linearized dynamics",
          "Sec. 3, Fig. 3", "RMS over tracked weights of (network - linearization) change from "
          "init / RMS linearization change, last step", "<= 0.1", (FIG3,), _fig3_weights),
    Claim("F3-kernel", "The empirical kernel Theta_hat_0 predicts the finite-width network's "
          "dynamics more accurately than the analytic Theta", "Sec. 3, Fig. 3 (last panel)",
          "RMSE(network, empirical-Theta_0 linearization) / RMSE(network, analytic-Theta "
          "linearization), test points, last step", "< 1", (FIG3,), _fig3_kernel),
    Claim("S5-width", "As the width grows the error between the network and its linearization "
          "decreases", "Sec. 3, Fig. S5", "max over training-set sizes of the log-log slope of "
          "the RMSE against width", "< 0", (S5,), _s5_slope("width", "n_train", max)),
    Claim("S5-data", "The linearization error grows with the size of the dataset",
          "Sec. 3, Fig. S5", "min over widths of the log-log slope of the RMSE against the "
          "training-set size", "> 0", (S5,), _s5_slope("n_train", "width", min)),
    Claim("S7-parameterization", "Standard and NTK parameterization reach similar quality "
          "models at the same normalized learning rate eta_std = eta_NTK / n",
          "App. F, Fig. S7", "max over stable normalized rates <= eta_critical of |standard - "
          "ntk| / ntk mean final test loss", "<= 0.2", (S7,), _parameterization),
    Claim("S9-ntk-rate", "The empirical NTK converges as ||Theta_hat - Theta||_F = O(1/sqrt(n))",
          "App. I, Fig. S9", "NTK: largest |fitted log-log slope of the relative error against "
          "width + 1/2| over sample counts", "<= 0.1", (S9,), _kernel_slope("ntk")),
    Claim("S9-nngp-rate", "The empirical NNGP kernel converges as ||K_hat - K||_F = "
          "O(1/sqrt(n))", "App. I, Fig. S9", "NNGP: largest |fitted log-log slope of the "
          "relative error against width + 1/2| over sample counts", "<= 0.1", (S9,),
          _kernel_slope("nngp")),
    Claim("S9-samples", "The Monte Carlo kernel estimates converge as the number of samples "
          "increases", "App. I, Fig. S9", "relative error with the most / with the fewest "
          "samples, max over kernels and widths", "< 1", (S9,), _more_samples),
]
