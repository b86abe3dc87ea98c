"""The claims of lee2019 (Sec. 3, Apps. F, I) that its targets test (see :mod:`mlptheory.claims`).

The thresholds were fixed from the paper's wording before measuring. The targets are +-1, so
output differences are on the scale of the targets:

* the network follows its linearization with "remarkably good agreement" (Fig. 3): outputs
  within 0.1 (RMS over the train and test points, at every step; a tenth of the target scale),
  and ``||theta_t - theta_0||`` within 10% at the end of training;
* the ensemble's mean and variance "follow the analytic dynamics from linearization well"
  (Fig. 2, eqs. 14-15): at every step the mean differs by at most half the NTK-GP's predictive
  sd (RMS over the interpolation; the plotted +-2 sd band is 4 sd wide) and the sd by at most
  20% (the Monte Carlo error of a sample sd over 100 networks is 7%);
* the NNGP posterior, "while similar, is noticeably different" from the distribution at the
  end of GD training: the ensemble is at least twice as far from the NNGP posterior as from
  the NTK-GP (distance: RMS mean and sd differences combined);
* "as the width grows the error decreases" and "the error grows in the size of the dataset"
  (Fig. S5): the log-log slope of the linearization RMSE against width is negative for every
  training-set size, against training-set size positive for every width;
* standard and NTK parameterization give "similar quality" at the same normalized learning
  rate (Fig. S7): final test losses within 20% at every rate where neither diverged;
* ``||K_hat - K||_F = O(1/sqrt(n))`` (Fig. S9): every fitted log-log slope against width within
  0.1 of -1/2, i.e. in [-0.6, -0.4] (O(1/n) would give -1, no convergence 0); and "convergence
  as the number of Monte Carlo samples increases": the error with the most samples below the
  error with one sample at every width.
"""

from __future__ import annotations

import math

from ...claims import Claim, Inconclusive

FIG2, FIG3, S5, S7, S9 = ("fig2_predictive_distribution", "fig3_linearized_dynamics",
                          "figS5_linearization_error", "figS7_parameterization",
                          "figS9_kernel_convergence")


def _rms(values) -> float:
    return float((values ** 2).mean() ** 0.5)


def _fig2_models(frame, step):
    """``{model: rows at step sorted by alpha}`` of Fig. 2 (ensemble, ntk_gp, nngp)."""
    g = frame[frame.step == step]
    out = {}
    for model in ("ensemble", "ntk_gp", "nngp"):
        m = g[g.model == model].sort_values("alpha")
        if m.empty:
            raise Inconclusive(f"Fig. 2 has no {model} at step {step}")
        out[model] = m.reset_index(drop=True)
    return out


def _fig2_follow(column):
    def measure(frames, config):
        d = frames[FIG2]
        rows = []
        for step in sorted(d.step.unique()):
            m = _fig2_models(d, step)
            ens, ntk = m["ensemble"], m["ntk_gp"]
            rows.append((_rms(ens[column] - ntk[column]) / _rms(ntk["std"]), int(step)))
        value, step = max(rows)
        what = "mean difference" if column == "mean" else "sd difference"
        return value, (f"RMS over alpha of the ensemble - NTK-GP {what} / RMS NTK-GP sd, max "
                       f"over steps {[s for _, s in rows]} at step {step} "
                       f"({' / '.join(f'{s}: {v:.3g}' for v, s in rows)})")
    return measure


def _distance(a, b) -> float:
    return math.hypot(_rms(a["mean"] - b["mean"]), _rms(a["std"] - b["std"]))


def _nngp_differs(frames, config):
    d = frames[FIG2]
    step = int(d.step.max())
    m = _fig2_models(d, step)
    to_nngp, to_ntk = _distance(m["ensemble"], m["nngp"]), _distance(m["ensemble"], m["ntk_gp"])
    return to_nngp / to_ntk, (f"last step {step}: distance (RMS mean and sd differences) of the "
                              f"ensemble to the NNGP posterior {to_nngp:.3g} / to the NTK-GP "
                              f"{to_ntk:.3g}")


def _fig3_pair(frame, quantity):
    """Network and closed-form linearization rows of ``quantity``, aligned by step/split/point."""
    keys = ["step", "split", "point"]
    d = frame[frame.quantity == quantity].fillna({"split": ""})
    net = d[d.model == "network"].set_index(keys).value
    lin = d[d.model == "linearized_closed_form"].set_index(keys).value
    if net.empty or lin.empty:
        raise Inconclusive(f"Fig. 3 lacks the network or its closed-form linearization "
                           f"({quantity})")
    return net.align(lin, join="inner")


def _fig3_outputs(frames, config):
    net, lin = _fig3_pair(frames[FIG3], "output")
    diff = (net - lin)
    if not diff.apply(math.isfinite).all():
        raise Inconclusive("the network's outputs are not finite (diverged)")
    per_step = (diff ** 2).groupby(level="step").mean() ** 0.5
    step = per_step.idxmax()
    n_points = diff.groupby(level="step").size().max()
    return float(per_step.max()), (f"RMS over the {n_points} train and test points of network - "
                                   f"closed-form linearization, max over "
                                   f"{len(per_step)} steps at step {step}")


def _fig3_displacement(frames, config):
    net, lin = _fig3_pair(frames[FIG3], "displacement")
    step = net.index.get_level_values("step").max()
    a, b = float(net.xs(step, level="step").iloc[0]), float(lin.xs(step, level="step").iloc[0])
    if not (math.isfinite(a) and b > 0):
        raise Inconclusive(f"displacement at step {step}: network {a}, linearization {b}")
    return abs(a - b) / b, (f"step {step}: ||theta_t - theta_0|| network {a:.4g}, closed-form "
                            f"linearization {b:.4g}")


def _slopes(frame, x, y, over):
    """``{value of over: least-squares slope of log y against log x}`` (positive finite y)."""
    import numpy as np

    out = {}
    for key, g in frame.groupby(over):
        g = g[(g[y] > 0) & g[y].apply(math.isfinite)].groupby(x)[y].mean()
        if len(g) < 2:
            raise Inconclusive(f"{over} = {key}: fewer than two {x} values with a finite {y}")
        out[key] = float(np.polyfit(np.log(g.index.to_numpy(float)),
                                    np.log(g.to_numpy(float)), 1)[0])
    return out


def _fmt(slopes) -> str:
    return ", ".join(f"{k:g}: {v:.3g}" for k, v in slopes.items())


def _error_vs_width(frames, config):
    slopes = _slopes(frames[S5], "width", "rmse", "n_train")
    key = max(slopes, key=slopes.get)
    return slopes[key], (f"max over training-set sizes of the log-log slope of the test RMSE "
                         f"against width; the max at S = {key:g} ({_fmt(slopes)})")


def _error_vs_data(frames, config):
    slopes = _slopes(frames[S5], "n_train", "rmse", "width")
    key = min(slopes, key=slopes.get)
    return slopes[key], (f"min over widths of the log-log slope of the test RMSE against the "
                         f"training-set size; the min at M = {key:g} ({_fmt(slopes)})")


def _parameterization(frames, config):
    d = frames[S7]
    cells = d.groupby(["lr_fraction", "parameterization"]).agg(
        loss=("test_loss", "mean"), diverged=("diverged", "any")).reset_index()
    ok = cells[~cells.diverged.astype(bool) & cells.loss.apply(math.isfinite)]
    both = ok.pivot(index="lr_fraction", columns="parameterization", values="loss").dropna()
    if both.empty or not {"ntk", "standard"} <= set(both.columns):
        raise Inconclusive("no learning rate at which both parameterizations trained stably")
    rel = (both["standard"] - both["ntk"]).abs() / both["ntk"]
    frac = rel.idxmax()
    return float(rel.max()), (f"|standard - ntk| / ntk mean final test loss, max over the "
                              f"{len(rel)} of {cells.lr_fraction.nunique()} normalized rates "
                              f"where neither diverged; the max at eta_ntk = {frac:g} "
                              f"eta_critical")


def _kernel_slope(kernel):
    def measure(frames, config):
        d = frames[S9]
        d = d[d.kernel == kernel]
        if d.empty:
            raise Inconclusive(f"Fig. S9 has no {kernel} kernel")
        if d.width.nunique() < 2:
            raise Inconclusive(f"Fig. S9 has a single width for the {kernel} kernel: no slope")
        # the figure's own least-squares fits (kernel_convergence.fitted_slopes), per count
        slopes = d.groupby("n_samples").slope.first().to_dict()
        key = max(slopes, key=lambda k: abs(slopes[k] + 0.5))
        return slopes[key], (f"{kernel}: the fitted log-log slope (widths "
                             f"{sorted(int(w) for w in d.width.unique())}) farthest from -1/2 "
                             f"over Monte Carlo sample counts, at {key:g} samples "
                             f"({_fmt(slopes)})")
    return measure


def _more_samples(frames, config):
    d = frames[S9]
    if d.n_samples.nunique() < 2:
        raise Inconclusive("Fig. S9 has a single number of Monte Carlo samples")
    lo, hi = d.n_samples.min(), d.n_samples.max()
    err = d.groupby(["kernel", "width", "n_samples"]).rel_error.mean()
    ratios = {(k, w): err[k, w, hi] / err[k, w, lo]
              for k, w in {(k, w) for k, w, _ in err.index}}
    key = max(ratios, key=ratios.get)
    return float(ratios[key]), (f"relative error with {hi:g} samples / with {lo:g}, max over "
                                f"kernels and widths, at {key[0]} M = {key[1]:g}")


CLAIMS = [
    Claim("F2-mean", "The mean of the ensemble's outputs during GD follows the linearized "
          "analytic dynamics (NTK-GP) well", "Sec. 3, Fig. 2, eqs. 14-15",
          "max over steps of RMS_alpha(ensemble mean - NTK-GP mean) / RMS_alpha(NTK-GP sd)",
          "<= 0.5", (FIG2,), _fig2_follow("mean")),
    Claim("F2-sd", "The variance of the ensemble's outputs during GD follows the linearized "
          "analytic dynamics (NTK-GP) well", "Sec. 3, Fig. 2, eqs. 14-15",
          "max over steps of RMS_alpha(ensemble sd - NTK-GP sd) / RMS_alpha(NTK-GP sd)",
          "<= 0.2", (FIG2,), _fig2_follow("std")),
    Claim("F2-nngp", "The NNGP posterior (exact Bayesian inference), while similar, is noticeably "
          "different from the predictive distribution at the end of GD training",
          "Sec. 3, Fig. 2", "at the last step, distance of the ensemble to the NNGP posterior / "
          "to the NTK-GP", ">= 2", (FIG2,), _nngp_differs),
    Claim("F3-outputs", "The network's outputs follow those of its linearization (empirical "
          "Theta_0, eqs. 8-11) with remarkably good agreement", "Sec. 3, Fig. 3",
          "max over steps of the RMS over train and test points of network - closed-form "
          "linearized output", "<= 0.1", (FIG3,), _fig3_outputs),
    Claim("F3-weights", "The weights' motion follows the linearized dynamics",
          "Sec. 3, Fig. 3", "|network - linearization| / linearization of ||theta_t - theta_0|| "
          "at the last step", "<= 0.1", (FIG3,), _fig3_displacement),
    Claim("S5-width", "As the width grows the error between the network and its linearization "
          "decreases", "Sec. 3, Fig. S5", "max over training-set sizes of the log-log slope of "
          "the RMSE against width", "< 0", (S5,), _error_vs_width),
    Claim("S5-data", "The linearization error grows with the size of the dataset",
          "Sec. 3, Fig. S5", "min over widths of the log-log slope of the RMSE against the "
          "training-set size", "> 0", (S5,), _error_vs_data),
    Claim("S7-parameterization", "Standard and NTK parameterization reach similar quality "
          "models at the same normalized learning rate eta_std = eta_NTK / n",
          "App. F, Fig. S7", "max over stable normalized rates of |standard - ntk| / ntk mean "
          "final test loss", "<= 0.2", (S7,), _parameterization),
    Claim("S9-ntk-rate", "The empirical NTK converges as ||Theta_hat - Theta||_F = O(1/sqrt(n))",
          "App. I, Fig. S9", "NTK: fitted log-log slope of the relative error against width "
          "farthest from -1/2 over sample counts", "in [-0.6, -0.4]", (S9,),
          _kernel_slope("ntk")),
    Claim("S9-nngp-rate", "The empirical NNGP kernel converges as ||K_hat - K||_F = "
          "O(1/sqrt(n))", "App. I, Fig. S9", "NNGP: fitted log-log slope of the relative error "
          "against width farthest from -1/2 over sample counts", "in [-0.6, -0.4]", (S9,),
          _kernel_slope("nngp")),
    Claim("S9-samples", "The Monte Carlo kernel estimates converge as the number of samples "
          "increases", "App. I, Fig. S9", "relative error with the most / with the fewest "
          "samples, max over kernels and widths", "< 1", (S9,), _more_samples),
]
