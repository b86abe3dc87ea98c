"""Writing figure targets: ``<target>.pdf`` plus ``<target>.csv`` with exactly the plotted numbers.

Figures are drawn with matplotlib's non-interactive Agg backend and saved without a creation
date, so rerunning a target with the same inputs gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def save_figure(fig, path, png: bool = False) -> None:
    """Save ``fig`` to ``path`` (PDF, no timestamp); ``png=True`` also writes a preview PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"CreationDate": None} if path.suffix == ".pdf" else None,
                bbox_inches="tight")
    if png:
        fig.savefig(path.with_suffix(".png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def write_csv(frame: pd.DataFrame, path) -> None:
    """A tidy table (one row per plotted point, hyperparameters as columns)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.10g")


def write_text(text: str, path) -> None:
    """A text file (e.g. a markdown table with its notes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
