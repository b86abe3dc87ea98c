"""results/claims.csv: every verdict follows from its low, high, expected and validity columns
alone, every measured value from the target CSVs it names (recomputed here on the shared smoke
DAG), and the verdict rules themselves (interval inside / outside / straddling, validity)."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import merged_config, rst_to_html

from mlptheory.claims import (
    COLUMNS,
    Claim,
    Condition,
    Measurement,
    bootstrap_interval,
    check_diagnosis,
    counts,
    evaluate,
    exact,
    markdown,
    mean_interval,
    parse_expected,
    parse_validity,
    proportion_interval,
    row,
    rst_table,
    verdict,
)
from mlptheory.claims_figure import normalized_row
from mlptheory.papers import PAPERS, claim_sources, paper_claims


@pytest.mark.parametrize("expected,low,high,want", [
    ("< 1.1", 1.0, 1.09, "reproduced"), ("< 1.1", 1.1, 1.3, "not_reproduced"),
    ("< 1.1", 1.087, 1.105, "inconclusive"),          # S3-shallow: 1.0963 +- 0.0093
    ("<= 4", 3.9, 4.1, "inconclusive"),                # S5-sgd-stays: 3.994 against <= 4
    ("<= 0", 0.0, 0.0, "reproduced"), (">= 3", 2.0, 2.999, "not_reproduced"),
    ("> 0", 1e-9, 1e-8, "reproduced"), ("> 0", -math.inf, math.inf, "inconclusive"),
    ("in [-0.6, -0.4]", -0.55, -0.45, "reproduced"),
    ("in [-0.6, -0.4]", -0.39, -0.3, "not_reproduced"),
    ("in [-0.6, -0.4]", -0.9, -0.7, "not_reproduced"),
    ("in [-0.6, -0.4]", -0.7, -0.5, "inconclusive"), ("in [-0.6, -0.4]", -1, 0, "inconclusive"),
    ("< 1", math.nan, math.nan, "inconclusive"),
])
def test_verdict_follows_from_the_interval_and_expected(expected, low, high, want):
    assert verdict(low, high, expected)[0] == want


def test_a_failed_validity_condition_makes_any_interval_inconclusive():
    assert verdict(1.0, 1.0, "< 2", "trained: 0.3 <= 0.5; depth: 2 >= 2")[0] == "reproduced"
    result, reason = verdict(1.0, 1.0, "< 2", "trained: 0.92 <= 0.5; depth: 1 >= 2")
    assert result == "inconclusive"
    assert reason == "validity: trained = 0.92, needs <= 0.5; depth = 1, needs >= 2"
    assert verdict(5.0, 5.0, "< 2", "seeds: nan >= 3")[0] == "inconclusive"


def test_validity_text_round_trips_through_the_csv_column():
    conds = (Condition("trained", 0.123456789, "<= 0.5", "loss ratio"),
             Condition("rate", 1.0, "in [0, 1]"), Condition("depth", 3, ">= 2"))
    text = "; ".join(c.text() for c in conds)
    assert text == "trained: 0.123457 <= 0.5; rate: 1 in [0, 1]; depth: 3 >= 2"
    assert parse_validity(text) == [("trained", 0.123457, "<= 0.5"), ("rate", 1.0, "in [0, 1]"),
                                    ("depth", 3.0, ">= 2")]
    assert parse_validity("") == [] and parse_validity(None) == []
    with pytest.raises(ValueError, match="validity condition"):
        parse_validity("trained 0.3 <= 0.5")


@pytest.mark.parametrize("bad", ["1.1", "== 3", "in [1, ]", "< x", "in [2, 1]"])
def test_unparseable_expected_is_refused(bad):
    with pytest.raises(ValueError, match="expected="):
        Claim("x", "c", "r", "q", bad, ("t",), lambda f, c: exact(0, ""))
    with pytest.raises(ValueError):
        parse_expected(bad)
    with pytest.raises(ValueError):
        Condition("x", 1.0, bad)


def test_measurements_and_diagnoses_are_checked():
    with pytest.raises(ValueError, match="does not hold the value"):
        Measurement(2.0, 0.0, 1.0, 3, "")
    for bad in ("it failed", "scale:", "deviation: no what", "deviation:: x", "because: x"):
        with pytest.raises(ValueError, match="diagnosis"):
            check_diagnosis(bad)
    for good in ("scale: 0.5 at M = 64, 0.2 at M = 256", "deviation:lee2019.depth: depth 1",
                 "disagrees: trained, 3 seeds"):
        assert check_diagnosis(good) == good
    with pytest.raises(ValueError, match="kind="):
        Claim("x", "c", "r", "q", "< 1", ("t",), lambda f, c: exact(0, ""), kind="other")


def test_intervals_cover_known_values():
    rng = np.random.default_rng(1)
    # Student t: the interval of the mean of 4 normal samples covers 0 about 95% of the time
    hits = [lo <= 0 <= hi for lo, hi in (mean_interval(rng.normal(0, 1, 4))[1:]
                                         for _ in range(400))]
    assert 0.91 < np.mean(hits) < 0.99
    assert mean_interval([2.0])[1:] == (-math.inf, math.inf)
    m, lo, hi = mean_interval([1.0, 2.0, 3.0])
    assert m == 2.0 and lo == pytest.approx(2 - 4.302653 / math.sqrt(3)) and hi > 3
    # bootstrap of a ratio of means: covers the truth, reproducible (fixed seed)
    a, b = rng.normal(10, 1, 40), rng.normal(5, 1, 40)
    value, lo, hi = bootstrap_interval([a, b], lambda x, y: x.mean() / y.mean())
    assert lo < 2.0 < hi and lo <= value <= hi
    assert bootstrap_interval([a, b], lambda x, y: x.mean() / y.mean()) == (value, lo, hi)
    assert bootstrap_interval([[1.0], b], lambda x, y: x.mean())[1:] == (-math.inf, math.inf)
    f, lo, hi = proportion_interval(0, 10)
    assert f == 0 and lo == 0 and hi == pytest.approx(0.3084971, abs=1e-6)


def _claim(expected="< 1", kind="claim"):
    return Claim("c", "claim", "Sec. 1", "q", expected, ("t",), lambda f, c: None, kind)


def test_every_not_reproduced_row_has_a_diagnosis():
    r = row("p", _claim(), Measurement(2.0, 1.5, 2.5, 5, "n"), "quick")
    assert r["verdict"] == "not_reproduced" and r["diagnosis"].startswith("disagrees: ")
    r = row("p", _claim(), Measurement(2.0, 1.5, 2.5, 5, "n", diagnosis="scale: x at 1, y at 2"),
            "quick")
    assert r["diagnosis"] == "scale: x at 1, y at 2"
    r = row("p", _claim(), Measurement(0.5, 0.4, 0.6, 5, "n", diagnosis="scale: x"), "quick")
    assert r["verdict"] == "reproduced" and r["diagnosis"] == ""


def test_evaluate_refuses_a_measure_that_returns_no_measurement(monkeypatch):
    claims = [Claim("c", "claim", "r", "q", "< 1", ("t",), lambda f, c: (0.5, "old style"))]
    with pytest.raises(TypeError, match="not a Measurement"):
        evaluate("p", claims, {"t": None}, {}, "quick")


def test_missing_target_makes_the_claim_inconclusive_and_says_which():
    rows = evaluate("sorensen2020", paper_claims("sorensen2020"), {},
                    {"n_networks": 20, "epochs": 2}, "quick")
    assert {r["verdict"] for r in rows} == {"inconclusive"}
    assert all("not built by this configuration" in r["note"] for r in rows)


def test_claim_sources_are_the_built_targets_the_claims_read():
    built = {"sorensen2020": ["results/sorensen2020/averaging.csv",
                              "results/sorensen2020/averaging.pdf",
                              "results/sorensen2020/unrelated.csv"],
             "lee2019": []}
    sources = claim_sources(built)
    assert sources == {"sorensen2020": {"averaging": "results/sorensen2020/averaging.csv"},
                       "lee2019": {}}


def test_every_claim_list_is_well_formed():
    for paper in PAPERS:
        claims = paper_claims(paper)
        ids = [c.claim_id for c in claims]
        assert len(set(ids)) == len(ids), paper
        for c in claims:
            parse_expected(c.expected)
            assert c.targets and c.claim and c.reference and c.quantity


def test_claims_csv_of_the_smoke_dag_recomputes(smoke_workflow):
    table = pd.read_csv(smoke_workflow / "results" / "claims.csv", keep_default_na=False,
                        na_values=[""])
    assert list(table.columns) == list(COLUMNS)
    recompute_every_verdict(table)
    config = merged_config(smoke_workflow, "configs/quick.yaml", "smoke.yaml")
    for paper in PAPERS:
        rows = table[table.paper == paper]
        claims = paper_claims(paper)
        if not claims:
            continue
        assert len(rows) == len(claims) >= 6, paper
        assert (rows.scale == "scale=smoke").all()
        # every measured value from the target CSVs
        frames = {t: pd.read_csv(smoke_workflow / "results" / paper / f"{t}.csv")
                  for c in claims for t in c.targets}
        again = evaluate(paper, paper_claims(paper), frames, config[paper], "smoke")
        for col in ("measured", "low", "high"):
            np.testing.assert_allclose([a[col] for a in again], rows[col].to_numpy(float),
                                       rtol=1e-9, equal_nan=True)
        assert [a["verdict"] for a in again] == rows.verdict.tolist()
    md = (smoke_workflow / "results" / "claims.md").read_text()
    assert md.startswith("# Does it reproduce?") and "Verdicts:" in md
    rst = (smoke_workflow / "results" / "claims.rst").read_text()
    assert rst.lstrip().startswith(".. raw:: html") and "data:image/png;base64," in rst
    assert "system-message" not in rst_to_html(rst)
    pdf = smoke_workflow / "results" / "claims_at_a_glance.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


def recompute_every_verdict(table: pd.DataFrame) -> None:
    """Every row's verdict and reason from its low, high, expected and validity columns alone;
    firm verdicts have their interval wholly on one side; every failure has a diagnosis."""
    for _, r in table.iterrows():
        validity = "" if pd.isna(r.validity) else r.validity
        assert (r.verdict, r.reason) == verdict(float(r.low), float(r.high), r.expected,
                                                validity), r.to_dict()
        assert r.kind in ("claim", "sanity") and int(r.n) >= 0
        if r.verdict != "inconclusive":
            assert float(r.low) <= float(r.measured) <= float(r.high), r.to_dict()
        if r.verdict == "not_reproduced":
            assert check_diagnosis(r.diagnosis), r.to_dict()
        else:
            assert pd.isna(r.diagnosis) or r.diagnosis == "", r.to_dict()


def test_markdown_rst_and_figure_hold_every_row():
    rows = [row("p", Claim(f"c{i}", "a | b", "Sec. 1", "q*", "< 1", ("t",), None, kind), m,
                "quick") for i, (m, kind) in enumerate([
                    (Measurement(0.5, 0.4, 0.6, 3, "n"), "claim"),
                    (Measurement(2.0, 1.5, 2.5, 3, "n", diagnosis="scale: 2 at M = 8"), "claim"),
                    (Measurement(math.nan, math.nan, math.nan, 0, "n"), "claim"),
                    (exact(0.0, "n"), "sanity")])]
    md = markdown(rows)
    assert all(f"| c{i}" in md for i in range(4)) and "a \\| b" in md and "c3 (sanity)" in md
    assert "| p | 1 | 1 | 1 |" in md  # the sanity row is not counted
    assert "1 reproduced, 1 not_reproduced, 1 inconclusive" in md
    assert "diagnosis: scale: 2 at M = 8" in md and "[1.5, 2.5]" in md
    assert counts(rows) == {"p": {"reproduced": 1, "not_reproduced": 1, "inconclusive": 1}}
    html = rst_to_html(rst_table(rows))
    assert "system-message" not in html and html.count("<tr") == 2 + 5
    assert "diagnosis: scale: 2 at M = 8" in html


@pytest.mark.parametrize("expected,measured,low,high,want", [
    ("< 2", 1.0, 0.5, 1.5, (0.5, 0.25, 0.75)),     # inside, in units of |a|
    ("> 2", 1.0, 0.5, 1.5, (-0.5, -0.75, -0.25)),
    ("> 0", 0.01, 0.005, 0.02, (0.5, 0.25, 1.0)),   # a threshold of 0: the row's own scale
    ("in [0, 2]", 1.0, 0.5, 3.0, (1.0, -1.0, 1.0)),  # passes the centre: 1 is the top
    ("< 1", 2.0, -math.inf, math.inf, (-1.0, -math.inf, math.inf)),
])
def test_the_glance_axis_puts_the_threshold_at_zero_and_the_region_positive(
        expected, measured, low, high, want):
    got = normalized_row({"measured": measured, "low": low, "high": high, "expected": expected})
    assert got == pytest.approx(want)
