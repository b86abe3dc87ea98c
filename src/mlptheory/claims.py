"""The papers' claims as checks: ``results/claims.csv`` answers "does it reproduce?".

Each paper lists its claims in ``mlptheory.papers.<paper>.claims.CLAIMS``: the paper's own
words (paraphrased, with the section or figure), the quantity that tests it -- a function of the
paper's target CSVs -- and the expected value, fixed before looking at any result. The verdict
follows from ``measured`` and ``expected`` alone (:func:`verdict`), so anyone can recompute it:

* ``reproduced``: the measured value satisfies ``expected``;
* ``not_reproduced``: it does not;
* ``inconclusive``: the targets cannot decide at this scale (``measured`` is NaN, the reason is in
  ``note``) -- a claim about a setting the configuration does not contain, or a quantity whose
  cells all diverged. Never used for a value that merely fails.

``expected`` is ``"< x"``, ``"<= x"``, ``"> x"``, ``">= x"`` or ``"in [a, b]"``.

Planning imports this module without pandas (the claim lists are data); the measuring functions
import what they need when called.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

VERDICTS = ("reproduced", "not_reproduced", "inconclusive")
PAPERS = ("tsuchida2019", "seleznova2021", "sorensen2020", "lee2019")
COLUMNS = ("paper", "claim_id", "claim", "reference", "quantity", "measured", "expected",
           "verdict", "scale", "targets", "note")
_EXPECTED = re.compile(r"^\s*(<=|>=|<|>)\s*(\S+)\s*$|^\s*in\s*\[\s*(\S+)\s*,\s*(\S+)\s*\]\s*$")


class Inconclusive(Exception):
    """Raised by a claim's measure when its targets cannot decide it (the message says why)."""


@dataclass(frozen=True)
class Claim:
    """One claim of a paper.

    ``measure(frames, config)`` gets the target CSVs (name -> DataFrame; the names are
    ``targets``: figures ``results/<paper>/<name>.csv`` or tables of the paper) and the paper's
    config block, and returns ``(value, note)`` -- the note says which cells the value came from
    -- or raises :class:`Inconclusive`.
    """

    claim_id: str
    claim: str
    reference: str
    quantity: str
    expected: str
    targets: tuple[str, ...]
    measure: Callable

    def __post_init__(self):
        parse_expected(self.expected)


def parse_expected(expected: str) -> tuple[str, float, float | None]:
    """``(op, a, b)`` of an expected column: op in ``< <= > >= in`` (``b`` only for ``in``)."""
    m = _EXPECTED.match(expected)
    try:
        if m and m.group(1):
            return m.group(1), float(m.group(2)), None
        if m:
            return "in", float(m.group(3)), float(m.group(4))
    except ValueError:
        pass
    raise ValueError(f"expected={expected!r}: use '< x', '<= x', '> x', '>= x' or 'in [a, b]' "
                     "with numbers x, a, b")


def verdict(measured: float, expected: str) -> str:
    """The verdict that ``measured`` (NaN: inconclusive) earns against ``expected``."""
    if measured is None or (isinstance(measured, float) and math.isnan(measured)):
        return "inconclusive"
    op, a, b = parse_expected(expected)
    ok = {"<": measured < a, "<=": measured <= a, ">": measured > a, ">=": measured >= a,
          "in": b is not None and a <= measured <= b}[op]
    return "reproduced" if ok else "not_reproduced"


def paper_claims(paper: str) -> list[Claim]:
    """The claims of ``paper`` (``mlptheory.papers.<paper>.claims.CLAIMS``; none for a paper
    without a claims module)."""
    import importlib

    name = f"mlptheory.papers.{paper}.claims"
    try:
        claims = importlib.import_module(name).CLAIMS
    except ModuleNotFoundError as err:
        if err.name != name:
            raise
        return []
    ids = [c.claim_id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{paper}: claim ids repeat: {ids}")
    return claims


def claim_targets(paper: str) -> list[str]:
    """Every target name the claims of ``paper`` read (in first-use order)."""
    return list(dict.fromkeys(t for c in paper_claims(paper) for t in c.targets))


def claim_sources(built: Mapping[str, list[str]]) -> dict[str, dict[str, str]]:
    """paper -> {target name: ``results/<paper>/<name>.csv``} of every claim target among the
    files a configuration builds (``built``: paper -> its target files); a claim whose target is
    left out becomes an inconclusive row that says so (:func:`evaluate`)."""
    sources = {}
    for paper, files in built.items():
        files = set(files)
        sources[paper] = {name: f"results/{paper}/{name}.csv" for name in claim_targets(paper)
                          if f"results/{paper}/{name}.csv" in files}
    return sources


def evaluate(paper: str, frames: Mapping, config: dict, scale: str) -> list[dict]:
    """One row per claim of ``paper`` (columns :data:`COLUMNS`), measured on ``frames``
    (target name -> DataFrame) with the paper's ``config`` block. A claim whose targets are not
    all in ``frames`` (not built by this configuration) is inconclusive, saying which."""
    rows = []
    for c in paper_claims(paper):
        missing = [t for t in c.targets if t not in frames]
        try:
            if missing:
                raise Inconclusive(f"target(s) {', '.join(missing)} not built by this "
                                   "configuration")
            value, note = c.measure({t: frames[t] for t in c.targets}, config)
            value = float(value)
        except Inconclusive as why:
            value, note = math.nan, f"inconclusive: {why}"
        rows.append({"paper": paper, "claim_id": c.claim_id, "claim": c.claim,
                     "reference": c.reference, "quantity": c.quantity, "measured": value,
                     "expected": c.expected, "verdict": verdict(value, c.expected),
                     "scale": f"scale={scale}", "targets": " ".join(c.targets), "note": note})
    return rows


def fmt_value(x: float) -> str:
    """A measured value for people: 4 significant digits, NaN as an empty cell."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.4g}"


def markdown(rows: list[dict]) -> str:
    """``results/claims.md``: one table per paper, then the counts of each verdict."""
    lines = ["# Does it reproduce?", ""]
    scales = sorted({r["scale"] for r in rows})
    lines += [f"Every claim of the papers that this workflow's targets test, with the measured "
              f"value, the expected value (fixed before measuring) and the verdict "
              f"({', '.join(scales)}). Recompute any verdict from `measured` and `expected` "
              "in `results/claims.csv`.", ""]
    for paper in dict.fromkeys(r["paper"] for r in rows):
        lines += [f"## {paper}", "", "| id | claim | reference | quantity | measured | expected "
                  "| verdict | note |", "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["paper"] == paper:
                cells = [r["claim_id"], r["claim"], r["reference"], r["quantity"],
                         fmt_value(r["measured"]), r["expected"], f"**{r['verdict']}**",
                         r["note"]]
                lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    lines.append("Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".")
    return "\n".join(lines) + "\n"


def rst_table(rows: list[dict]) -> str:
    """The claims as a reStructuredText list-table (the report's "Does it reproduce?")."""
    from .rst import list_table

    return list_table(
        ("paper", "id", "claim (reference)", "measured", "expected", "verdict"),
        [(r["paper"], r["claim_id"], f"{r['claim']} ({r['reference']}); {r['quantity']}",
          fmt_value(r["measured"]) or "n/a", r["expected"], r["verdict"].replace("_", " "))
         for r in rows],
        widths=(10, 8, 40, 10, 10, 12))
