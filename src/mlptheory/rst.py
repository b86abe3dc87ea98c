"""reStructuredText for the report's generated tables (standard library only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def cell(value) -> str:
    """A table cell on one line, with the characters rst would read as markup escaped."""
    text = str(value).replace("\n", " ").replace("*", "\\*").replace("`", "'")
    return text.replace("|", "\\|")


def list_table(header: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] = ()
               ) -> str:
    """A ``list-table`` directive: ``header`` and one line of cells per row."""
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append("   :widths: " + " ".join(str(w) for w in widths))
    out.append("")
    for cells in [header, *rows]:
        for i, value in enumerate(cells):
            out.append(("   * - " if i == 0 else "     - ") + cell(value))
    return "\n".join(out) + "\n"
