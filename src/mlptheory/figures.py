"""Writing figure targets: ``<target>.pdf`` plus ``<target>.csv`` with exactly the plotted numbers.

Figures are drawn with matplotlib's non-interactive Agg backend and saved without a creation
date, so rerunning a target with the same inputs gives the same bytes. Every file is written to a
temporary name and renamed (:func:`mlptheory.files.atomic_output`): a killed job never leaves a
half-written CSV or PDF under the target's name.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .files import atomic_output  # noqa: E402


def save_figure(fig, path, png: bool = False) -> None:
    """Save ``fig`` to ``path`` (PDF, no timestamp); ``png=True`` also writes a preview PNG."""
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=path.suffix[1:],
                    metadata={"CreationDate": None} if path.suffix == ".pdf" else None,
                    bbox_inches="tight")
    if png:
        with atomic_output(path.with_suffix(".png")) as tmp:
            fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def write_csv(frame: pd.DataFrame, path) -> None:
    """A tidy table (one row per plotted point, hyperparameters as columns)."""
    with atomic_output(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")


def write_text(text: str, path) -> None:
    """A text file (e.g. a markdown table with its notes)."""
    with atomic_output(path) as tmp:
        tmp.write_text(text)


# columns of a figure's CSV that say at what settings it was made, and how the footer names them
SETTINGS = (("dataset", "data"), ("activation", "act."), ("width", "width"),
            ("hidden", "hidden"), ("depth", "depth"), ("n_train", "S"),
            ("n_inits", "inits"), ("ensemble", "ensemble"), ("members", "members"),
            ("n_networks", "networks"), ("repeats", "repeats"), ("n_samples", "MC samples"),
            ("max_steps", "steps"), ("steps", "steps"), ("epochs", "epochs"),
            ("lr", "lr"))
# columns whose number of distinct values is the number of replicates
REPLICATES = ("seed", "replicate", "member", "init", "network", "pair")


def _values(column: pd.Series) -> str:
    values = sorted(column.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    text = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    if len(text) <= 4:
        return ", ".join(text)
    return f"{text[0]}..{text[-1]} ({len(text)} values)"


def footer_text(frame: pd.DataFrame, scale: str, seed: int, name: str = "") -> str:
    """What a figure's footer says: its name, the scale and base seed of the run, and the
    settings its CSV records (the columns of :data:`SETTINGS`, the replicate count)."""
    parts = [p for p in (name, f"scale={scale}", f"seed {seed}") if p]
    seen = set()
    for column, label in SETTINGS:
        if column in frame.columns and label not in seen and frame[column].notna().any():
            seen.add(label)
            parts.append(f"{label} {_values(frame[column])}")
    for column in REPLICATES:
        if column in frame.columns:
            values = frame[column]
            if pd.api.types.is_numeric_dtype(values):  # -1 marks rows of no replicate
                values = values[values >= 0]
            parts.append(f"{values.nunique()} {column}s")
            break
    return "mlptheory: " + " | ".join(parts)


def add_footer(fig, text: str, width: int = 150) -> None:
    """``text`` in small grey type under everything ``fig`` draws (legends placed below the
    axes included), wrapped; ``bbox_inches="tight"`` keeps it in the saved file."""
    import textwrap

    # a legend placed by loc= against the figure follows the figure's edge, which the tight
    # bounding box moves down to the footer: pin it to where it is now
    for legend in fig.legends:
        legend.set_bbox_to_anchor((0, 0, 1, 1), transform=fig.transFigure)
    fig.canvas.draw()  # lay the figure out, so its extent is known
    bottom = fig.get_tightbbox(fig.canvas.get_renderer()).y0 / fig.get_figheight()
    fig.text(0.5, min(bottom, 0.0) - 0.01, "\n".join(textwrap.wrap(text, width)),
             ha="center", va="top", fontsize=6.5, color="0.3", transform=fig.transFigure)
