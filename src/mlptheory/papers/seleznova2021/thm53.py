"""seleznova2021 Theorem 5.3: the variance of the fully trained output under NTK dynamics, the
formula next to the variance over initializations of kernel regression (eq. (10),
:func:`kernel_regression_output`) with each initialization's empirical NTK."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ...kernels import empirical_ntk, thm53_output_variance
from ...models import EnsembleMLP
from ...plotting import fmt
from ...seeding import derive_seed, derive_seeds
from ...spec import NetworkSpec
from .kappa import resolve_phase_settings
from .plan import PAPER


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


def table(params: dict, inputs, log=None) -> pd.DataFrame:
    return thm53_table(resolve_phase_settings(params["settings"]), params["depths"],
                       params["width"], params["n_train"], params["n_inits"], params["seed"],
                       log=log)


def draw(tables, params):
    """Theorem 5.3 (lines) and the empirical variance (points) against depth, per activation."""
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
        ax.set_title(rf"{act}, $\sigma_b^2$={fmt(sub.sb2.iloc[0])}, S={sub.n_train.iloc[0]}, "
                     f"M={sub.width.iloc[0]}, {sub.n_inits.iloc[0]} inits", fontsize=9)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(r"Var $f_{t=\infty}(x)$")
    return fig, frame
