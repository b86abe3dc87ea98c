"""results/claims.csv: every verdict follows from its measured and expected columns, and every
measured value from the target CSVs it names (recomputed here on the shared smoke DAG)."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import merged_config, rst_to_html

from mlptheory.claims import (
    COLUMNS,
    PAPERS,
    Claim,
    claim_sources,
    evaluate,
    markdown,
    paper_claims,
    parse_expected,
    rst_table,
    verdict,
)


@pytest.mark.parametrize("expected,value,want", [
    ("< 1.1", 1.09, "reproduced"), ("< 1.1", 1.1, "not_reproduced"),
    ("<= 0", 0.0, "reproduced"), (">= 3", 2.999, "not_reproduced"), ("> 0", 1e-9, "reproduced"),
    ("in [-0.6, -0.4]", -0.5, "reproduced"), ("in [-0.6, -0.4]", -0.39, "not_reproduced"),
    ("<= 1e-12", 0.0, "reproduced"), ("< 1", math.nan, "inconclusive"),
])
def test_verdict_follows_from_measured_and_expected(expected, value, want):
    assert verdict(value, expected) == want


@pytest.mark.parametrize("bad", ["1.1", "== 3", "in [1, ]", "< x"])
def test_unparseable_expected_is_refused(bad):
    with pytest.raises(ValueError, match="expected="):
        Claim("x", "c", "r", "q", bad, ("t",), lambda f, c: (0, ""))
    with pytest.raises(ValueError):
        parse_expected(bad)


def test_missing_target_makes_the_claim_inconclusive_and_says_which():
    rows = evaluate("sorensen2020", {}, {"n_networks": 20, "epochs": 2}, "quick")
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
    config = merged_config(smoke_workflow, "configs/quick.yaml", "smoke.yaml")
    for paper in PAPERS:
        rows = table[table.paper == paper]
        claims = paper_claims(paper)
        if not claims:
            continue
        assert len(rows) == len(claims) >= 6, paper
        # every verdict from its own row
        for _, r in rows.iterrows():
            assert r.verdict == verdict(float(r.measured), r.expected), r.to_dict()
            assert r.scale == "scale=smoke"
            if r.verdict == "inconclusive":
                assert r.note.startswith("inconclusive:"), r.to_dict()
        # every measured value from the target CSVs
        frames = {t: pd.read_csv(smoke_workflow / "results" / paper / f"{t}.csv")
                  for c in claims for t in c.targets}
        again = evaluate(paper, frames, config[paper], "smoke")
        np.testing.assert_allclose([a["measured"] for a in again], rows.measured.to_numpy(float),
                                   rtol=1e-9, equal_nan=True)
    md = (smoke_workflow / "results" / "claims.md").read_text()
    assert md.startswith("# Does it reproduce?") and "Verdicts:" in md
    assert (smoke_workflow / "results" / "claims.rst").read_text().startswith(".. list-table::")


def test_markdown_and_rst_hold_every_row():
    rows = [{"paper": "p", "claim_id": f"c{i}", "claim": "a | b", "reference": "Sec. 1",
             "quantity": "q*", "measured": v, "expected": "< 1", "verdict": verdict(v, "< 1"),
             "scale": "scale=quick", "targets": "t", "note": "n"} for i, v in
            enumerate([0.5, 2.0, math.nan])]
    md = markdown(rows)
    assert all(f"| c{i} |" in md for i in range(3)) and "a \\| b" in md
    assert "1 reproduced, 1 not_reproduced, 1 inconclusive" in md
    html = rst_to_html(rst_table(rows))
    assert "system-message" not in html and html.count("<tr") == 4
