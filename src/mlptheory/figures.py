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
