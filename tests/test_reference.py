"""The recorded reference runs (reference/<scale>/) and their comparison with a new run: each
reference matches the current claims registry (ids, columns), says what produced it, and is
marked stale when the claim definitions change. Never reruns a scale."""

import csv
import json
from pathlib import Path

import pytest
from conftest import REPO, rst_to_html

from mlptheory import reference as ref_mod
from mlptheory.claims import COLUMNS, counts
from mlptheory.papers import paper_claims
from mlptheory.reference import (
    PAPERS,
    Reference,
    benchmark_times,
    check_rows,
    claims_hash,
    comparison,
    comparison_md,
    comparison_rst,
    load,
    record,
    reference_dirs,
)

REFERENCES = reference_dirs(REPO / "reference")
MACHINE_KEYS = {"cpu", "cores", "memory_gib", "torch_version", "torch_threads_per_job"}


def registry_rows(verdict="reproduced", scale="quick"):
    """One claims.csv row per registered claim (all columns)."""
    rows = []
    for paper in PAPERS:
        for c in paper_claims(paper):
            rows.append({**dict.fromkeys(COLUMNS, ""), "paper": paper, "claim_id": c.claim_id,
                         "kind": c.kind, "verdict": verdict, "scale": f"scale={scale}",
                         "low": "0", "high": "1", "n": "3"})
    return rows


def write_reference(path: Path, rows, **prov):
    path.mkdir(parents=True)
    with open(path / "claims.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(rows)
    (path / "provenance.json").write_text(json.dumps(prov))
    return path


def test_the_laptop_and_quick_references_are_recorded():
    assert {"laptop", "quick"} <= set(REFERENCES), REFERENCES


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_matches_the_registry_and_says_what_produced_it(name):
    ref = load(Path(REFERENCES[name]))
    assert check_rows(ref.rows) == [], f"reference/{name}: re-record it (python -m " \
        "mlptheory.reference record ...) after changing the claims"
    p = ref.provenance
    assert p["scale"] == name
    assert len(p["commit"]) >= 40 and not p["commit"].endswith("-dirty"), p["commit"]
    assert MACHINE_KEYS <= set(p["machine"]), p["machine"]
    assert set(p["time_per_paper"]) >= set(PAPERS)
    for paper in PAPERS:
        assert p["time_per_paper"][paper]["wall_s"] > 0 and p["time_per_paper"][paper]["jobs"] > 0
    assert len(p["config_hash"]) == 16 and len(p["claims_hash"]) == 16 and p["date"]
    assert (Path(REFERENCES[name]) / "claims.md").is_file()
    # the recorded verdict counts are those of the recorded rows
    assert p["verdicts"] == counts(ref.rows)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_no_recorded_verdict_straddles_its_threshold(name):
    """Every recorded verdict follows from its row's low, high, expected and validity alone: a
    reproduced or not-reproduced verdict has its whole interval on one side of the threshold,
    and an interval that straddles it is recorded as inconclusive."""
    import math

    from mlptheory.claims import interval_position, verdict

    for r in load(Path(REFERENCES[name])).rows:
        low, high = float(r["low"]), float(r["high"])
        assert verdict(low, high, r["expected"], r["validity"])[0] == r["verdict"], r
        if r["verdict"] != "inconclusive":
            assert not math.isnan(low) and interval_position(low, high, r["expected"]) in (
                "inside", "outside"), r


def test_check_rows_finds_missing_unknown_ids_and_wrong_columns():
    rows = registry_rows()
    assert check_rows(rows) == []
    dropped = [r for r in rows if (r["paper"], r["claim_id"]) != (rows[0]["paper"],
                                                                  rows[0]["claim_id"])]
    problems = check_rows(dropped)
    assert len(problems) == 1 and rows[0]["claim_id"] in problems[0] and "missing" in problems[0]
    extra = rows + [{**rows[-1], "claim_id": "X-new"}]
    assert "X-new" in " ".join(check_rows(extra))
    renamed = [{("verdict_" if k == "verdict" else k): v for k, v in r.items()} for r in rows]
    assert "columns" in check_rows(renamed)[0]


def test_claims_hash_follows_the_claim_definitions(monkeypatch):
    h = claims_hash()
    assert h == claims_hash() and len(h) == 16
    assert claims_hash(("lee2019",)) != h
    real = ref_mod.inspect.getsource

    def edited(obj):
        text = real(obj)
        return text + "\n# an edited threshold" if "seleznova2021.claims" in getattr(
            obj, "__name__", "") else text

    monkeypatch.setattr(ref_mod.inspect, "getsource", edited)
    assert claims_hash() != h


def test_a_reference_is_stale_when_the_claims_hash_differs(tmp_path):
    path = write_reference(tmp_path / "quick", registry_rows(), scale="quick",
                           commit="a" * 40, date="2026-12-06 21:00 UTC", claims_hash="0" * 16,
                           config_hash="1" * 16, machine={"cores": 2, "cpu": "x"})
    assert load(path, "0" * 16).stale is False
    stale = load(path, "f" * 16)
    assert stale.stale and "STALE" in stale.summary() and "STALE" in stale.label()
    assert "STALE" not in load(path, "0" * 16).summary()


def test_comparison_puts_the_recorded_verdicts_beside_this_run(tmp_path):
    now = registry_rows("reproduced", "quick")
    old = registry_rows("inconclusive", "quick")[1:]  # the first claim not recorded
    quick = load(write_reference(tmp_path / "quick", old, scale="quick", commit="b" * 40,
                                 claims_hash="0" * 16), "0" * 16)
    laptop = load(write_reference(tmp_path / "laptop", registry_rows("reproduced", "laptop"),
                                  scale="laptop", commit="c" * 40, claims_hash="0" * 16), "0" * 16)
    table = comparison(now, [laptop, quick])
    claims_only = [r for r in now if r["kind"] == "claim"]
    assert len(table) == len(claims_only)
    first = table[0]
    assert first[:3] == (now[0]["paper"], now[0]["claim_id"], "reproduced")
    assert first[3] == "reproduced"           # laptop: another scale, never "(differs)"
    assert first[4] == "not recorded"
    assert table[1][4] == "inconclusive (differs)"  # same scale, other verdict
    html = rst_to_html(comparison_rst(now, [laptop, quick]))
    assert "system-message" not in html and "not recorded" in html
    assert "reference/quick" in comparison_md(now, [laptop, quick])
    assert comparison_rst(now, []) == "" and comparison_md(now, []) == ""


def test_benchmark_times_sum_per_paper(tmp_path):
    bench = tmp_path / "benchmarks"
    head = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for rel, s, cpu in [("train_run/lee2019/a.tsv", 10, 9), ("lee2019_table/b.tsv", 5, 4),
                        ("sorensen2020_paper_table/c.tsv", 2, 2), ("claims/claims.tsv", 1, 1)]:
        (bench / rel).parent.mkdir(parents=True, exist_ok=True)
        (bench / rel).write_text(head + f"{s}\t0:00:{s:02d}\t1\t1\t1\t1\t0\t0\t90\t{cpu}\n")
    times = benchmark_times(bench)
    assert times["lee2019"] == {"jobs": 2, "wall_s": 15.0, "cpu_s": 13.0}
    assert times["sorensen2020"]["jobs"] == 1 and times["shared"]["wall_s"] == 1.0
    assert list(times) == [*PAPERS[2:], "shared"]  # the papers' order, then shared


def test_record_writes_provenance_and_refuses_to_overwrite(tmp_path):
    results = tmp_path / "results"
    write_reference(results, registry_rows())  # a claims.csv as a run writes it
    (results / "claims.md").write_text("# Does it reproduce?\n")
    config = {"scale": "quick", "training": {"threads": 1}}
    with pytest.raises(ValueError, match="no claims.csv"):
        record(tmp_path / "nothing", tmp_path / "ref", config, REPO)
    prov = record(results, tmp_path / "ref", config, REPO, wall_s=123.4)
    assert prov["claims_hash"] == claims_hash() and prov["dag_wall_s"] == 123.4
    assert json.loads((tmp_path / "ref" / "provenance.json").read_text()) == prov
    with pytest.raises(ValueError, match="--force"):
        record(results, tmp_path / "ref", config, REPO)
    record(results, tmp_path / "ref", config, REPO, force=True)
    bad = registry_rows()[1:]
    write_reference(tmp_path / "bad", bad)
    with pytest.raises(ValueError, match="registry"):
        record(tmp_path / "bad", tmp_path / "ref2", config, REPO)
    assert isinstance(load(tmp_path / "ref"), Reference)


def test_reference_dirs_relative_to_a_workdir(tmp_path):
    """The claims rule names the references relative to the scale's workdir: the same names
    from a checkout moved elsewhere."""
    names = {}
    for place in ("a", "b/c"):
        root = tmp_path / place / "reference" / "quick"
        root.mkdir(parents=True)
        for f in ("claims.csv", "provenance.json"):
            (root / f).write_text("")
        names[place] = reference_dirs(root.parent, tmp_path / place / "scales" / "quick")
    assert names["a"] == names["b/c"] == {"quick": "../../reference/quick"}
