"""The papers' claims as statistical tests: ``results/claims.csv`` answers "does it reproduce?".

Each paper lists its claims in ``mlptheory.papers.<paper>.claims.CLAIMS``: the paper's own
words (paraphrased, with the section or figure), the quantity that tests it -- a function of the
paper's target CSVs -- and the expected region, fixed before looking at any result. A claim's
measure returns a :class:`Measurement`: the value, a two-sided 95% interval ``[low, high]`` over
``n`` independent replicates (seeds, networks, pairs or cells; an exact quantity has
``low = high = value``), the **validity conditions** under which the test can fail at all (the
networks trained, the depth is not the trivial one, enough replicates, ...), each measured, and,
for when the value lies outside the expected region, a **diagnosis** with its evidence.

The verdict follows from the CSV's ``low``, ``high``, ``expected`` and ``validity`` columns alone
(:func:`verdict`), so anyone can recompute it:

* any validity condition fails -> ``inconclusive``, the reason names the condition and its value;
* no interval (the targets could not measure it; the note says why) -> ``inconclusive``;
* the whole interval inside the expected region -> ``reproduced``;
* the whole interval outside it -> ``not_reproduced``, with a ``diagnosis``:
  ``scale: ...`` (the quantity moves towards the region as a stated setting grows),
  ``deviation:<what>: ...`` (a named choice of ours) or ``disagrees: ...`` (nothing of ours
  explains it; what was ruled out);
* otherwise -> ``inconclusive``, "within noise" (the interval straddles the threshold).

``expected`` is ``"< x"``, ``"<= x"``, ``"> x"``, ``">= x"`` or ``"in [a, b]"``; a validity
condition is written ``name: value op threshold`` and several are joined by ``"; "``.

A claim of kind ``sanity`` checks our own machinery rather than the paper (sorting three fixed
points, a formula that is exact for the inputs used); it gets a verdict like any other, and the
counts of the paper's claims leave it out.

Planning imports this module without numpy, scipy or pandas (the claim lists are data); the
interval helpers and the measuring functions import what they need when called.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

VERDICTS = ("reproduced", "not_reproduced", "inconclusive")
KINDS = ("claim", "sanity")
COLUMNS = ("paper", "claim_id", "kind", "claim", "reference", "quantity", "measured", "low",
           "high", "n", "expected", "validity", "verdict", "reason", "diagnosis", "scale",
           "targets", "note")
DIAGNOSES = ("scale", "deviation", "disagrees")
LEVEL = 0.95  # two-sided level of every interval
_EXPECTED = re.compile(r"^\s*(<=|>=|<|>)\s*(\S+)\s*$|^\s*in\s*\[\s*(\S+)\s*,\s*(\S+)\s*\]\s*$")
_CONDITION = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*:\s*(\S+)\s+(<=|>=|<|>|in)\s+(.+?)\s*$")


class Inconclusive(Exception):
    """Raised by a claim's measure when its targets cannot measure it (the message says why)."""


# ----- expected regions ------------------------------------------------------------------------
def parse_expected(expected: str) -> tuple[str, float, float | None]:
    """``(op, a, b)`` of an expected column: op in ``< <= > >= in`` (``b`` only for ``in``)."""
    m = _EXPECTED.match(expected)
    try:
        if m and m.group(1):
            return m.group(1), float(m.group(2)), None
        if m:
            a, b = float(m.group(3)), float(m.group(4))
            if a <= b:
                return "in", a, b
    except ValueError:
        pass
    raise ValueError(f"expected={expected!r}: use '< x', '<= x', '> x', '>= x' or 'in [a, b]' "
                     "with numbers x, a <= b")


def satisfies(x: float, expected: str) -> bool:
    """Whether the single value ``x`` lies in the region ``expected`` (NaN never does)."""
    op, a, b = parse_expected(expected)
    if x is None or math.isnan(x):
        return False
    return {"<": x < a, "<=": x <= a, ">": x > a, ">=": x >= a,
            "in": b is not None and a <= x <= b}[op]


def interval_position(low: float, high: float, expected: str) -> str:
    """``inside``, ``outside`` or ``straddles``: where ``[low, high]`` lies against the region
    ``expected`` (a point interval is inside or outside)."""
    if low > high:
        raise ValueError(f"interval [{low}, {high}]: low above high")
    op, a, b = parse_expected(expected)
    if op == "in":
        if a <= low and high <= b:
            return "inside"
        return "outside" if high < a or low > b else "straddles"
    lo_in, hi_in = satisfies(low, expected), satisfies(high, expected)
    if lo_in and hi_in:
        return "inside"
    if not lo_in and not hi_in:
        return "outside"
    return "straddles"


# ----- validity conditions ---------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """A condition under which a claim's test can fail: ``value`` (measured) must satisfy
    ``required`` (an expected region). ``name`` is a short identifier (``trained``,
    ``depth``, ``replicates``), ``what`` says in words what is measured."""

    name: str
    value: float
    required: str
    what: str = ""

    def __post_init__(self):
        parse_expected(self.required)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ValueError(f"condition name {self.name!r}: letters, digits, '_', '.', '-'")

    def text(self) -> str:
        """``name: value op threshold``: the form the CSV's validity column holds."""
        op, a, b = parse_expected(self.required)
        req = f"in [{a:.6g}, {b:.6g}]" if op == "in" else f"{op} {a:.6g}"
        return f"{self.name}: {fmt_number(self.value)} {req}"


def fmt_number(x: float) -> str:
    """A number in the CSV's text columns: 6 significant digits (``nan``, ``inf`` as such)."""
    return f"{float(x):.6g}"


def parse_validity(validity: str) -> list[tuple[str, float, str]]:
    """``[(name, value, required)]`` of a CSV validity column (empty: no condition)."""
    out = []
    for part in (p for p in str(validity or "").split(";") if p.strip()):
        m = _CONDITION.match(part)
        if not m:
            raise ValueError(f"validity condition {part.strip()!r}: expected "
                             "'name: value op threshold'")
        required = f"{m.group(3)} {m.group(4)}"
        parse_expected(required)
        out.append((m.group(1), float(m.group(2)), required))
    return out


# ----- measurements ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    """What a claim's measure returns.

    ``low``/``high``: the two-sided 95% interval (``low = high = value`` for an exact quantity),
    ``n``: the number of independent replicates behind it, ``note``: which cells the value came
    from, ``conditions``: the validity conditions, ``diagnosis``: why the value would be outside
    the expected region (``scale: ...``, ``deviation:<what>: ...`` or ``disagrees: ...``), used
    only when the verdict is ``not_reproduced``.
    """

    value: float
    low: float
    high: float
    n: int
    note: str
    conditions: tuple[Condition, ...] = ()
    diagnosis: str = ""

    def __post_init__(self):
        if not (math.isnan(self.value) or self.low <= self.value <= self.high):
            raise ValueError(f"interval [{self.low}, {self.high}] does not hold the value "
                             f"{self.value}")
        if self.diagnosis:
            check_diagnosis(self.diagnosis)
        object.__setattr__(self, "conditions", tuple(self.conditions))


def exact(value: float, note: str, conditions: Iterable[Condition] = (), diagnosis: str = "",
          n: int = 1) -> Measurement:
    """A quantity without sampling error (a formula, a count over all there is)."""
    value = float(value)
    return Measurement(value, value, value, n, note, tuple(conditions), diagnosis)


def check_diagnosis(diagnosis: str) -> str:
    """The diagnosis itself, after checking it starts with one of :data:`DIAGNOSES` and gives
    its evidence (``scale: ...``, ``deviation:<what>: ...``, ``disagrees: ...``)."""
    head, _, evidence = diagnosis.partition(":")
    kind = head.strip()
    if kind == "deviation":
        what, _, evidence = evidence.partition(":")
        if not what.strip():
            raise ValueError(f"diagnosis {diagnosis!r}: 'deviation:<what>: evidence'")
    if kind not in DIAGNOSES or not evidence.strip():
        raise ValueError(f"diagnosis {diagnosis!r}: start with 'scale:', 'deviation:<what>:' "
                         "or 'disagrees:' and give the evidence")
    return diagnosis


def mean_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float]:
    """``(mean, low, high)``: Student-t interval of the mean of independent replicates (NaN
    dropped). One replicate gives ``(-inf, inf)``: its spread is unknown."""
    import numpy as np
    from scipy import stats

    x = np.asarray([v for v in values if not math.isnan(float(v))], float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size < 2:
        return m, -math.inf, math.inf
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


def percentile_interval(value: float, stats, level: float = LEVEL,
                        bias_corrected: bool = False) -> tuple[float, float, float]:
    """``(value, low, high)`` from bootstrap statistics ``stats`` (non-finite ones dropped):
    their percentile interval, widened to hold ``value``. ``bias_corrected`` shifts it by the
    bootstrap's estimate of the bias (mean of ``stats`` - ``value``): for maxima, absolute
    values and RMS of noisy differences, which resampling inflates, the plain interval sits
    above the value and could call a claim at its threshold ``not_reproduced``."""
    import numpy as np

    stats = np.asarray(stats, float)
    stats = stats[np.isfinite(stats)]
    low, high = np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])
    if bias_corrected:
        bias = float(stats.mean()) - value
        low, high = low - bias, high - bias
    return value, float(min(low, value)), float(max(high, value))


def bootstrap_interval(samples: Sequence[Sequence[float]], statistic: Callable,
                       level: float = LEVEL, n_boot: int = 2000, seed: int = 0,
                       bias_corrected: bool = False) -> tuple[float, float, float]:
    """``(value, low, high)`` of ``statistic(*samples)`` with a percentile bootstrap that
    resamples each sample (independent replicates) with replacement, with a fixed seed so the
    CSV is reproducible (:func:`percentile_interval`; ``bias_corrected`` needs a finite
    value). A sample of one replicate, or fewer than half the resamples finite, gives
    ``(-inf, inf)``."""
    import numpy as np

    arrays = [np.asarray(s, float) for s in samples]
    value = float(statistic(*arrays))
    if any(a.size < 2 for a in arrays):
        return value, -math.inf, math.inf
    rng = np.random.default_rng(seed)
    stats = np.array([statistic(*(a[rng.integers(0, a.size, a.size)] for a in arrays))
                      for _ in range(n_boot)], float)
    if np.isfinite(stats).sum() < n_boot // 2:
        return value, -math.inf, math.inf
    return percentile_interval(value, stats, level,
                               bias_corrected and math.isfinite(value))


def proportion_interval(successes: int, n: int, level: float = LEVEL
                        ) -> tuple[float, float, float]:
    """``(fraction, low, high)``: Clopper-Pearson (exact binomial) interval of a fraction."""
    from scipy import stats

    if n <= 0:
        return math.nan, math.nan, math.nan
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(level, method="exact")
    return successes / n, float(ci.low), float(ci.high)


# ----- claims ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    """One claim of a paper.

    ``measure(frames, config)`` gets the target CSVs (name -> DataFrame; the names are
    ``targets``: figures ``results/<paper>/<name>.csv`` or tables of the paper) and the paper's
    config block, and returns a :class:`Measurement` or raises :class:`Inconclusive`.
    ``kind`` is ``claim`` or ``sanity`` (a check of our own machinery, left out of the counts).
    """

    claim_id: str
    claim: str
    reference: str
    quantity: str
    expected: str
    targets: tuple[str, ...]
    measure: Callable
    kind: str = field(default="claim")

    def __post_init__(self):
        parse_expected(self.expected)
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.claim_id}: kind={self.kind!r}, use one of {KINDS}")


def verdict(low: float, high: float, expected: str, validity: str = "") -> tuple[str, str]:
    """``(verdict, reason)`` from a row's interval, expected region and validity column alone
    (the rules of the module docstring)."""
    failed = [(name, value, req) for name, value, req in parse_validity(validity)
              if not satisfies(value, req)]
    if failed:
        return "inconclusive", "validity: " + "; ".join(
            f"{name} = {fmt_number(value)}, needs {req}" for name, value, req in failed)
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "inconclusive", "not measured (see note)"
    where = interval_position(low, high, expected)
    interval = f"[{fmt_number(low)}, {fmt_number(high)}]"
    if where == "inside":
        return "reproduced", f"95% interval {interval} inside {expected}"
    if where == "outside":
        return "not_reproduced", f"95% interval {interval} outside {expected}"
    return "inconclusive", f"within noise: 95% interval {interval} straddles {expected}"


def row(paper: str, claim: Claim, m: Measurement | None, scale: str, why: str = "") -> dict:
    """The CSV row of ``claim`` measured as ``m`` (None: not measurable, ``why``)."""
    if m is None:
        m = Measurement(math.nan, math.nan, math.nan, 0, f"inconclusive: {why}")
    validity = "; ".join(c.text() for c in m.conditions)
    result, reason = verdict(m.low, m.high, claim.expected, validity)
    diagnosis = ""
    if result == "not_reproduced":
        diagnosis = m.diagnosis or (
            "disagrees: every validity condition held ("
            + ("; ".join(c.text() for c in m.conditions) or "none needed")
            + "); no setting of ours is known to move it")
    return {"paper": paper, "claim_id": claim.claim_id, "kind": claim.kind,
            "claim": claim.claim, "reference": claim.reference, "quantity": claim.quantity,
            "measured": float(m.value), "low": float(m.low), "high": float(m.high),
            "n": int(m.n), "expected": claim.expected, "validity": validity,
            "verdict": result, "reason": reason, "diagnosis": diagnosis,
            "scale": f"scale={scale}", "targets": " ".join(claim.targets), "note": m.note}


def evaluate(paper: str, claims: Sequence[Claim], frames: Mapping, config: dict, scale: str
             ) -> list[dict]:
    """One row per claim of ``paper`` (its ``claims``: :func:`mlptheory.papers.paper_claims`;
    columns :data:`COLUMNS`), measured on ``frames`` (target name -> DataFrame) with the paper's
    ``config`` block. A claim whose targets are not all in ``frames`` (not built by this
    configuration) is inconclusive, saying which."""
    rows = []
    for c in claims:
        missing = [t for t in c.targets if t not in frames]
        try:
            if missing:
                raise Inconclusive(f"target(s) {', '.join(missing)} not built by this "
                                   "configuration")
            m = c.measure({t: frames[t] for t in c.targets}, config)
            if not isinstance(m, Measurement):
                raise TypeError(f"{paper} {c.claim_id}: measure returned {type(m).__name__}, "
                                "not a Measurement")
            rows.append(row(paper, c, m, scale))
        except Inconclusive as why:
            rows.append(row(paper, c, None, scale, str(why)))
    return rows


# ----- presentation ----------------------------------------------------------------------------
def fmt_value(x: float) -> str:
    """A measured value for people: 4 significant digits, NaN as an empty cell."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.4g}"


def fmt_interval(r: Mapping) -> str:
    """``[low, high]`` of a row for people ('exact' when low = high = measured)."""
    low, high = float(r["low"]), float(r["high"])
    if math.isnan(low) or math.isnan(high):
        return ""
    if low == high:
        return "exact"
    return f"[{low:.4g}, {high:.4g}]"


def counts(rows: Sequence[Mapping]) -> dict[str, dict[str, int]]:
    """paper -> verdict -> number of claims (sanity rows left out), in :data:`VERDICTS` order."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        per = out.setdefault(r["paper"], dict.fromkeys(VERDICTS, 0))
        if r.get("kind", "claim") == "claim":
            per[r["verdict"]] += 1
    return out


def _explanation(r: Mapping) -> str:
    parts = [str(r.get("reason") or "")]
    if r.get("diagnosis"):
        parts.append(f"diagnosis: {r['diagnosis']}")
    return "; ".join(p for p in parts if p)


def markdown(rows: list[dict]) -> str:
    """``results/claims.md``: the counts, then one table per paper with reasons and notes."""
    lines = ["# Does it reproduce?", ""]
    scales = sorted({r["scale"] for r in rows})
    lines += [f"Every claim of the papers that this workflow's targets test ({', '.join(scales)})"
              ": the measured value with its 95% interval over `n` replicates, the expected "
              "region (fixed before measuring), the validity conditions under which the test "
              "can fail, and the verdict with its reason; a `not_reproduced` verdict carries a "
              "diagnosis. Recompute any verdict from `low`, `high`, `expected` and `validity` "
              "in `results/claims.csv` (`mlptheory.claims.verdict`). Rows of kind `sanity` "
              "check our own machinery and are left out of the counts.", ""]
    lines += ["| paper | " + " | ".join(VERDICTS) + " |",
              "|---|" + "---|" * len(VERDICTS)]
    for paper, per in counts(rows).items():
        lines.append(f"| {paper} | " + " | ".join(str(per[v]) for v in VERDICTS) + " |")
    lines.append("")
    for paper in dict.fromkeys(r["paper"] for r in rows):
        lines += [f"## {paper}", "", "| id | claim | reference | quantity | measured | 95% "
                  "interval | n | expected | validity | verdict | reason | note |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["paper"] == paper:
                cid = r["claim_id"] + (" (sanity)" if r.get("kind") == "sanity" else "")
                cells = [cid, r["claim"], r["reference"], r["quantity"],
                         fmt_value(r["measured"]), fmt_interval(r), r["n"], r["expected"],
                         r["validity"], f"**{r['verdict']}**", _explanation(r), r["note"]]
                lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    total = {v: sum(per[v] for per in counts(rows).values()) for v in VERDICTS}
    lines.append("Verdicts: " + ", ".join(f"{n} {v}" for v, n in total.items()) + ".")
    return "\n".join(lines) + "\n"


def rst_table(rows: list[dict]) -> str:
    """The claims as reStructuredText: the counts per paper, then a list-table with the
    interval, the verdict and its reason or diagnosis (the report's "Does it reproduce?")."""
    from .rst import list_table

    per = counts(rows)
    head = list_table(("paper", *(v.replace("_", " ") for v in VERDICTS)),
                      [(p, *(c[v] for v in VERDICTS)) for p, c in per.items()],
                      widths=(16, 12, 12, 12))
    table = list_table(
        ("paper", "id", "claim (reference)", "measured [95%], n", "expected", "verdict",
         "reason / diagnosis"),
        [(r["paper"], r["claim_id"] + (" (sanity)" if r.get("kind") == "sanity" else ""),
          f"{r['claim']} ({r['reference']}); {r['quantity']}",
          f"{fmt_value(r['measured']) or 'n/a'} {fmt_interval(r)}, n = {r['n']}",
          r["expected"], r["verdict"].replace("_", " "), _explanation(r))
         for r in rows],
        widths=(9, 8, 30, 12, 8, 9, 24))
    return head + "\n" + table
