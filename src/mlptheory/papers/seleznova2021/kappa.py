"""seleznova2021 Figs. 5, 6 (Lemma 5.2): ``kappa_1``, ``kappa_2`` and their ratio against depth,
in the ordered phase, at the edge of chaos and in the chaotic phase."""

from __future__ import annotations

import pandas as pd

from ...kernels import edge_of_chaos, kappa1, kappa2, mean_field, phase
from ...plotting import fmt


def resolve_phase_settings(entries) -> list[tuple[str, float, float, str]]:
    """Config entries ``{activation, sb2, sw2: [ordered, "eoc", chaotic]}`` -> tuples with the
    edge of chaos solved (``"eoc"``) and each sw2 labelled by its phase."""
    out = []
    for entry in entries:
        act, sb2 = entry["activation"], float(entry["sb2"])
        for sw2 in entry["sw2"]:
            value = edge_of_chaos(act, sb2) if sw2 == "eoc" else float(sw2)
            out.append((act, value, sb2, phase(act, value, sb2, tol=1e-7)))
    return out


def kappa_table(settings, covariances, max_depth: int) -> pd.DataFrame:
    """``kappa_1``, ``kappa_2`` (Lemma 5.2) for depths ``1..max_depth``; inputs with
    ``qhat^0 = |x|^2/d = 1`` and ``qhat_sr^0 = x_s.x_r/d = c`` for each covariance ``c``."""
    rows = []
    for activation, sw2, sb2, label in settings:
        for c in covariances:
            for depth in range(1, int(max_depth) + 1):
                mf = mean_field(depth, activation, float(sw2), float(sb2), qhat0=1.0,
                                qhat0_sr=float(c))
                k1, k2 = kappa1(mf), kappa2(mf)
                rows.append(dict(activation=activation, sw2=float(sw2), sb2=float(sb2),
                                 phase=label, covariance=float(c), depth=depth, kappa1=k1,
                                 kappa2=k2, kappa_ratio=k1 / k2))
    return pd.DataFrame(rows)


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    return kappa_table(resolve_phase_settings(settings["settings"]), settings["covariances"],
                       settings["max_depth"])


def _draw(frame: pd.DataFrame, value: str, label: str):
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    acts = list(dict.fromkeys(frame.activation))
    settings = list(dict.fromkeys(zip(frame.activation, frame.sw2, frame.sb2, frame.phase,
                                      strict=True)))
    ncol = max(sum(1 for s in settings if s[0] == a) for a in acts)
    fig, axes = plt.subplots(len(acts), ncol, figsize=(3.2 * ncol + 1, 2.9 * len(acts)),
                             squeeze=False, constrained_layout=True)
    norm = Normalize(0, 1)
    for i, act in enumerate(acts):
        for j, (a, sw2, sb2, ph) in enumerate(s for s in settings if s[0] == act):
            ax = axes[i][j]
            sub = frame[(frame.activation == a) & (frame.sw2 == sw2) & (frame.sb2 == sb2)]
            for c, cur in sub.groupby("covariance"):
                ax.plot(cur.depth, cur[value], color=plt.cm.viridis(norm(c)), lw=1)
            ax.set_yscale("log")
            ax.set_title(rf"{chr(97 + i)}) {a}, $\sigma_w^2$={sw2:.3g}, "
                         rf"$\sigma_b^2$={fmt(sb2)} ({ph})", fontsize=9)
            ax.set_xlabel("depth L")
        axes[i][0].set_ylabel(label)
    sm = plt.cm.ScalarMappable(norm=norm, cmap="viridis")
    fig.colorbar(sm, ax=axes.ravel().tolist(), label=r"input covariance $x_s^T x_r / d$")
    return fig, frame


def draw_kappa2(tables, settings):
    """Fig. 5: ``kappa_2`` against depth, one line per input covariance."""
    return _draw(tables[0], "kappa2", r"$\kappa_2$")


def draw_ratio(tables, settings):
    """Fig. 6: ``kappa_1 / kappa_2`` against depth, one line per input covariance."""
    return _draw(tables[0], "kappa_ratio", r"$\kappa_1/\kappa_2$")
