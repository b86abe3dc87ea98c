"""lee2019 Fig. S9 (App. I): relative Frobenius error of Monte Carlo estimates of the NNGP
kernel and the NTK (:func:`mlptheory.kernels.monte_carlo_kernels`) against the analytic
kernels, ``||K_hat - K||_F / ||K||_F``, vs width, for several numbers of Monte Carlo samples.

Inputs: ``n_inputs`` points from ``N(0, I_input_dim)`` (one draw, from the base seed). One
table per width; per repetition ``max(n_samples)`` fresh networks, and the estimate with ``n``
samples averages the first ``n`` of them (nested subsets of one draw: the curves of one
repetition are correlated, different repetitions are independent). The figure shows the mean
over repetitions and the least-squares slope of log(mean error) against log(width), to be
compared with the CLT rate -1/2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...kernels import monte_carlo_kernels, nngp_ntk
from ...seeding import derive_seed, derive_seeds
from .plan import PAPER, family_spec


def gaussian_inputs(n: int, dim: int, seed: int) -> np.ndarray:
    return np.random.default_rng(derive_seed(seed, PAPER, "kernel_inputs")).standard_normal(
        (n, dim))


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    x = gaussian_inputs(settings["n_inputs"], settings["input_dim"], settings["seed"])
    spec = family_spec(settings, x.shape[1])
    k_inf, th_inf = nngp_ntk(spec, x)
    width, n_max = spec.hidden[0], max(settings["n_samples"])
    rows = []
    for rep in range(settings["repeats"]):
        seeds = derive_seeds(settings["seed"], n_max, PAPER, "kernel_convergence", width, rep)
        k_all, th_all = monte_carlo_kernels(spec, x, seeds, per_sample=True)
        for n in settings["n_samples"]:
            for kernel, est, exact in (("nngp", k_all, k_inf), ("ntk", th_all, th_inf)):
                err = np.linalg.norm(est[:n].mean(0) - exact) / np.linalg.norm(exact)
                rows.append(dict(kernel=kernel, width=width, n_samples=n, repeat=rep,
                                 rel_error=float(err), depth=spec.depth,
                                 n_inputs=len(x), input_dim=x.shape[1]))
    if log is not None:
        log.info("M=%d: %d repetitions of %d samples", width, settings["repeats"], n_max)
    return pd.DataFrame(rows)


def fitted_slopes(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error of ``rel_error`` over repetitions per (kernel, n_samples,
    width), with the log-log slope against width per (kernel, n_samples)."""
    agg = (frame.groupby(["kernel", "n_samples", "width"])
           .agg(rel_error=("rel_error", "mean"), rel_error_se=("rel_error", "sem"),
                repeats=("rel_error", "size"), depth=("depth", "first"),
                n_inputs=("n_inputs", "first"), input_dim=("input_dim", "first"))
           .reset_index())
    slopes = {key: np.polyfit(np.log(cur.width), np.log(cur.rel_error), 1)[0]
              for key, cur in agg.groupby(["kernel", "n_samples"])}
    agg["slope"] = [slopes[k, n] for k, n in zip(agg.kernel, agg.n_samples, strict=True)]
    return agg


def draw(tables, settings):
    """Mean relative error vs width (log-log) per kernel, one line per sample count, with the
    fitted slope in the legend and a -1/2 reference line."""
    import matplotlib.pyplot as plt

    agg = fitted_slopes(pd.concat(tables, ignore_index=True))
    kernels = ("nngp", "ntk")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True, sharey=True)
    for ax, kernel in zip(axes, kernels, strict=True):
        sub = agg[agg.kernel == kernel]
        for k, (n, cur) in enumerate(sub.groupby("n_samples")):
            ax.errorbar(cur.width, cur.rel_error, yerr=cur.rel_error_se, fmt="o-",
                        color=f"C{k}", ms=4, capsize=2,
                        label=f"{n} samples, slope {cur.slope.iloc[0]:.3f}")
            w = cur.width.to_numpy(dtype=float)
            ref = cur.rel_error.iloc[0] * (w / w[0]) ** -0.5
            ax.plot(w, ref, color=f"C{k}", ls=":", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("width M")
        ax.set_title(("NNGP " + r"$\|\hat K - K\|_F / \|K\|_F$") if kernel == "nngp" else
                     ("NTK " + r"$\|\hat\Theta - \Theta\|_F / \|\Theta\|_F$"), fontsize=9)
        ax.legend(fontsize=7, title="dotted: slope -1/2", title_fontsize=7)
    r = agg.iloc[0]
    fig.suptitle(f"{r.n_inputs} inputs from N(0, I_{r.input_dim}), depth {r.depth} ReLU, "
                 f"ntk param., mean over {r.repeats} repetitions", fontsize=9)
    return fig, agg
