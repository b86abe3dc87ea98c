""""Claims at a glance": every claim's 95% interval against its expected region on one
normalized axis, coloured by verdict and grouped by paper, like a meta-analysis forest plot
(the first thing the report's "Does it reproduce?" section shows).

The common axis is the **normalized distance into the expected region**: 0 is the threshold,
positive values lie inside the region, negative outside.

* ``< a``, ``<= a``: ``(a - x) / s``; ``> a``, ``>= a``: ``(x - a) / s``, with ``s = |a|``, or,
  for a threshold of 0, the largest magnitude among the row's value and interval ends;
* ``in [a, b]``: ``1 - |x - c| / h`` with ``c = (a + b) / 2`` and ``h = (b - a) / 2`` (1 at the
  centre, 0 at either end).

The axis is symmetric-logarithmic (linear within +-0.1), so ratios of 10^5 and differences of 0.01
share one picture; an interval running past the axis ends (an unknown spread) is drawn to the
edge with an arrow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .claims import VERDICTS, parse_expected

COLOURS = {"reproduced": "#1b7837", "not_reproduced": "#b2182b", "inconclusive": "#8c8c8c"}
LIMIT = 1e3  # the axis runs over [-LIMIT, LIMIT]
LINEAR = 0.1  # and is linear within [-LINEAR, LINEAR]


def _scale(a: float, xs: Sequence[float]) -> float:
    if a != 0:
        return abs(a)
    finite = [abs(x) for x in xs if math.isfinite(x) and x != 0]
    return max(finite) if finite else 1.0


def normalized(x: float, expected: str, scale: float) -> float:
    """The normalized distance of ``x`` into the region ``expected`` (module docstring)."""
    op, a, b = parse_expected(expected)
    if math.isnan(x):
        return math.nan
    if op == "in":
        c, h = (a + b) / 2, (b - a) / 2
        if h == 0:
            return 0.0 if x == c else -math.inf
        return 1 - abs(x - c) / h
    if math.isinf(x):
        return math.copysign(math.inf, (a - x) if op in ("<", "<=") else (x - a))
    return ((a - x) if op in ("<", "<=") else (x - a)) / scale


def normalized_row(r: Mapping) -> tuple[float, float, float]:
    """``(value, low, high)`` of a claims row on the normalized axis."""
    value, low, high = (float(r[k]) for k in ("measured", "low", "high"))
    op, a, b = parse_expected(r["expected"])
    s = _scale(a, (value, low, high))
    ends = [normalized(x, r["expected"], s) for x in (low, high)]
    if op == "in" and low <= (a + b) / 2 <= high:
        ends.append(1.0)  # the interval passes the centre of the region
    ends = [e for e in ends if not math.isnan(e)]
    if not ends:
        return math.nan, math.nan, math.nan
    return normalized(value, r["expected"], s), min(ends), max(ends)


def at_a_glance(rows: Sequence[Mapping], title: str = ""):
    """The forest plot of ``rows`` (claims.csv rows); returns the matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    papers = list(dict.fromkeys(r["paper"] for r in rows))
    entries: list[tuple[str, Mapping | None]] = []
    for paper in papers:
        entries.append((paper, None))
        entries += [(paper, r) for r in rows if r["paper"] == paper]
    height = 0.8 + 0.22 * len(entries)
    fig, ax = plt.subplots(figsize=(9.0, height))
    ax.axvspan(0, LIMIT, color="#d9f0d3", alpha=0.6, lw=0, zorder=0)
    ax.axvline(0, color="black", lw=0.8, zorder=1)
    labels = []
    for i, (paper, r) in enumerate(entries):
        y = -i
        if r is None:
            labels.append(paper)
            ax.axhline(y, color="#cccccc", lw=0.5, zorder=0)
            continue
        sanity = r.get("kind", "claim") == "sanity"
        labels.append(f"{r['claim_id']}{' (sanity)' if sanity else ''}")
        colour = COLOURS[r["verdict"]]
        value, low, high = normalized_row(r)
        if math.isnan(value) and math.isnan(low):
            ax.text(0.02, y, "not measured", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=6.5, color=colour)
            continue
        lo, hi = max(low, -LIMIT), min(high, LIMIT)
        ax.plot([lo, hi], [y, y], color=colour, lw=2.2, solid_capstyle="butt", zorder=2)
        if low < -LIMIT:
            ax.plot([-LIMIT], [y], marker="<", color=colour, ms=5, zorder=3)
        if high > LIMIT:
            ax.plot([LIMIT], [y], marker=">", color=colour, ms=5, zorder=3)
        invalid = r["verdict"] == "inconclusive" and str(r.get("reason", "")).startswith(
            "validity")
        if math.isfinite(value):
            ax.plot([max(min(value, LIMIT), -LIMIT)], [y],
                    marker="D" if sanity else "o", ms=4.5, zorder=4,
                    mfc="white" if invalid else colour, mec=colour)
    ax.set_yticks([-i for i in range(len(entries))], labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), entries, strict=True):
        if r is None:
            tick.set_fontweight("bold")
            tick.set_fontsize(8.5)
        else:
            tick.set_fontsize(7)
    ax.set_xscale("symlog", linthresh=LINEAR)
    ax.set_xlim(-LIMIT, LIMIT)
    ax.set_ylim(-len(entries) + 0.4, 0.6)
    ax.set_xlabel("normalized distance into the expected region (0: threshold; > 0 inside; "
                  "symlog)", fontsize=8)
    handles = [Line2D([], [], color=COLOURS[v], lw=2.2, marker="o", ms=4.5,
                      label=v.replace("_", " ")) for v in VERDICTS]
    handles.append(Line2D([], [], color=COLOURS["inconclusive"], lw=0, marker="o", mfc="white",
                          ms=4.5, label="a validity condition failed"))
    handles.append(Line2D([], [], color="black", lw=0, marker="D", ms=4,
                          label="sanity check (not counted)"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5,
              fontsize=7, frameon=False, handlelength=1.6, columnspacing=1.2)
    ax.set_title(title or "Claims at a glance: 95% interval against the expected region",
                 fontsize=9.5, pad=22)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return fig


def embedded_png(fig, dpi: int = 100) -> str:
    """An rst ``raw:: html`` block holding ``fig`` as a base64 PNG (the report is one
    self-contained HTML file)."""
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    # docutils refuses lines over 10,000 characters; browsers skip the whitespace inside a
    # base64 data URI (forgiving-base64 decode), so the data is wrapped
    lines = "\n".join(f"   {data[i:i + 76]}" for i in range(0, len(data), 76))
    return ("\n.. raw:: html\n\n"
            '   <img alt="Claims at a glance" style="max-width:100%" src="data:image/png;base64,\n'
            f'{lines}"/>\n\n')
