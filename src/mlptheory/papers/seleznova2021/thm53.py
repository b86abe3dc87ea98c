"""seleznova2021 Theorem 5.3: the variance of the fully trained output under NTK dynamics, the
formula next to the variance over initializations of kernel regression (eq. (10),
:func:`kernel_regression_output`) of finite networks, in two variants:

* ``analytic_ntk``: ``f0`` of finite networks with the infinite-width NTK ``Theta*`` of the same
  spec (standard parameterization at width M): what the theorem assumes, a deterministic NTK;
* ``empirical_ntk``: each network's own empirical NTK, as a finite network trains. ``f0`` and
  ``Theta`` come from the same initialization, so ``f0(x) - Theta(x,X) Theta^-1 f0(X)`` is
  partly a projection of ``f0``: the variance is biased low by roughly ``(1 - c S/M)``, and
  through the non-zero targets ``Y`` the randomness of ``Theta`` adds variance of its own.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ...kernels import empirical_ntk, nngp_ntk, thm53_output_variance
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


VARIANTS = ("analytic_ntk", "empirical_ntk")


def output_samples(spec: NetworkSpec, x_train, x_test, y, n_inits: int, seed: int,
                   variants=VARIANTS, chunk: int = 10) -> dict[str, np.ndarray]:
    """eq. (10) at ``x_test`` for ``n_inits`` initializations of ``spec``, per variant: ``f0`` of
    each network, with the network's own NTK or the analytic ``Theta*`` of the spec (see the
    module docstring). All variants use the same networks, drawn once."""
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"variants {unknown}, expected some of {VARIANTS}")
    xs = torch.as_tensor(np.vstack([x_train, x_test[None]]), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(y, dtype=np.float64))
    if "analytic_ntk" in variants:
        theta_star = torch.as_tensor(nngp_ntk(spec, xs.numpy())[1])
    outs = {v: [] for v in variants}
    seeds = derive_seeds(seed, n_inits, "thm53")
    for start in range(0, n_inits, chunk):
        model = EnsembleMLP(spec, seeds=seeds[start:start + chunk])
        with torch.no_grad():
            f0 = model(xs)[..., 0]
            for variant in variants:
                theta = (theta_star.expand(len(f0), -1, -1) if variant == "analytic_ntk"
                         else empirical_ntk(model, xs, method="structured"))
                outs[variant].append(kernel_regression_output(
                    theta[:, -1, :-1], theta[:, :-1, :-1], f0[:, -1], f0[:, :-1], y))
    return {v: torch.cat(o).numpy() for v, o in outs.items()}


def variance_and_se(samples) -> tuple[float, float]:
    """Sample variance (``ddof=1``) and its standard error
    ``sqrt((m4 - (n-3)/(n-1) var^2) / n)``."""
    f = np.asarray(samples, dtype=np.float64)
    var = float(f.var(ddof=1))
    m4 = float(((f - f.mean()) ** 4).mean())
    n = len(f)
    return var, float(math.sqrt(max(m4 - (n - 3) / (n - 1) * var**2, 0.0) / n))


def empirical_output_variance(spec: NetworkSpec, x_train, x_test, n_inits: int, seed: int,
                              y=None, variant: str = "empirical_ntk") -> tuple[float, float]:
    """Variance over initializations of eq. (10) at ``x_test`` (targets ``y``, default 0);
    returns ``(variance, standard error)``."""
    y = np.zeros(len(x_train)) if y is None else y
    samples = output_samples(spec, x_train, x_test, y, n_inits, seed, variants=(variant,))
    return variance_and_se(samples[variant])


def thm53_table(settings, depths, width: int, n_train: int, n_inits: int, base_seed: int,
                log=None) -> pd.DataFrame:
    """Theorem 5.3 next to the empirical variance, per (setting, depth, variant).

    Inputs: ``n_train + 1`` orthogonal vectors of squared norm ``d = n_train + 1``, so
    ``qhat^0 = 1``, ``qhat_sr^0 = 0`` for every pair, the data-independent case the theorem
    describes; the theorem uses ``alphas = (d/M, 1, ..., 1)``. Targets: fixed random signs
    ``Y`` (the theorem's variance does not depend on ``Y``; a random NTK makes it depend).
    """
    dim = n_train + 1
    xs = orthogonal_inputs(dim, dim, derive_seed(base_seed, PAPER, "thm53_inputs"))
    y = np.random.default_rng(derive_seed(base_seed, PAPER, "thm53_targets")).choice(
        [-1.0, 1.0], size=n_train)
    rows = []
    for activation, sw2, sb2, label in settings:
        for depth in depths:
            alphas = np.r_[dim / width, np.ones(int(depth))]
            theory = thm53_output_variance(int(depth), activation, sw2, sb2, n_train,
                                           alphas=alphas)
            spec = NetworkSpec(dim, (int(width),) * int(depth), 1, activation=activation,
                               sw2=sw2, sb2=sb2)
            seed = derive_seed(base_seed, PAPER, "thm53", activation, float(sw2), int(depth))
            samples = output_samples(spec, xs[:-1], xs[-1], y, n_inits, seed)
            for variant in VARIANTS:
                var, se = variance_and_se(samples[variant])
                rows.append(dict(activation=activation, sw2=sw2, sb2=sb2, phase=label,
                                 depth=int(depth), width=int(width), n_train=n_train,
                                 n_inits=n_inits, variant=variant, theory_variance=theory,
                                 empirical_variance=var, empirical_se=se))
                if log is not None:
                    log.info("%s sw2=%.3f L=%d %s: theory %.4g, empirical %.4g +- %.2g",
                             activation, sw2, depth, variant, theory, var, se)
    return pd.DataFrame(rows)


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    return thm53_table(resolve_phase_settings(settings["settings"]), settings["depths"],
                       settings["width"], settings["n_train"], settings["n_inits"],
                       settings["seed"], log=log)


VARIANT_STYLE = {"analytic_ntk": dict(marker="o", ls="none", mfc=None),
                 "empirical_ntk": dict(marker="s", ls="none", mfc="none")}
VARIANT_LABEL = {"analytic_ntk": "f0 of finite nets, analytic NTK (theorem's assumption)",
                 "empirical_ntk": "f0 and NTK of the same finite net"}


def draw(tables, settings):
    """Theorem 5.3 (lines) and the two empirical variants (points) against depth, one panel per
    activation."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    frame = tables[0]
    acts = list(dict.fromkeys(frame.activation))
    fig, axes = plt.subplots(1, len(acts), figsize=(5.2 * len(acts), 4.2), squeeze=False,
                             constrained_layout=True)
    for ax, act in zip(axes[0], acts, strict=False):
        sub = frame[frame.activation == act]
        for k, ((sw2, ph), cur) in enumerate(sub.groupby(["sw2", "phase"], sort=True)):
            color = f"C{k}"
            theory = cur.drop_duplicates("depth")
            ax.plot(theory.depth, theory.theory_variance, color=color, lw=1.5,
                    label=rf"Thm 5.3, $\sigma_w^2$={sw2:.3g} ({ph})")
            for j, variant in enumerate(VARIANTS):
                part = cur[cur.variant == variant]
                style = dict(VARIANT_STYLE[variant])
                style["mfc"] = color if style["mfc"] is None else style["mfc"]
                # side by side: analytic slightly left, empirical slightly right of the depth
                shift = (j - 0.5) * 0.06 * part.depth
                ax.errorbar(part.depth + shift, part.empirical_variance,
                            yerr=part.empirical_se, color=color, ms=4, capsize=2, **style)
        ax.set_yscale("log")
        ax.set_xlabel("depth L")
        ax.set_title(rf"{act}, $\sigma_b^2$={fmt(sub.sb2.iloc[0])}, S={sub.n_train.iloc[0]}, "
                     f"M={sub.width.iloc[0]}, {sub.n_inits.iloc[0]} inits", fontsize=9)
        handles, labels = ax.get_legend_handles_labels()
        for variant in VARIANTS:
            style = dict(VARIANT_STYLE[variant])
            style["mfc"] = "0.4" if style["mfc"] is None else style["mfc"]
            handles.append(Line2D([], [], color="0.4", **style))
            labels.append(VARIANT_LABEL[variant])
        ax.legend(handles, labels, fontsize=7)
    axes[0][0].set_ylabel(r"Var $f_{t=\infty}(x)$ over initializations")
    return fig, frame
