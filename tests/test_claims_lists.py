"""The shape of every paper's claim list (ids, expected, targets) and its imports; each paper's
claims on synthetic target CSVs (holding, failing, invalid, within noise) are tested in
tests/test_claims_<paper>.py."""

import importlib
import math

import pytest
import yaml
from conftest import REPO

from mlptheory.claims import evaluate, parse_expected
from mlptheory.papers import PAPERS, paper_claims

CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


def verdicts(paper, frames):
    rows = evaluate(paper, paper_claims(paper), frames, CONFIG[paper], "quick")
    return {r["claim_id"]: r["verdict"] for r in rows}, {r["claim_id"]: r for r in rows}


# ----- every paper ---------------------------------------------------------------------------
@pytest.mark.parametrize("paper", PAPERS)
def test_every_claim_has_a_unique_id_a_parseable_expected_and_targets(paper):
    claims = paper_claims(paper)
    assert len(claims) >= 6
    ids = [c.claim_id for c in claims]
    assert len(set(ids)) == len(ids), ids
    plan = importlib.import_module(f"mlptheory.papers.{paper}.plan").plan(CONFIG).registry
    for c in claims:
        op, a, b = parse_expected(c.expected)
        assert math.isfinite(a) and (b is None or b > a), c.claim_id
        assert c.targets and all(isinstance(t, str) for t in c.targets), c.claim_id
        missing = [t for t in c.targets if t not in plan.figures and t not in plan.paper_tables]
        assert not missing, f"{paper} {c.claim_id}: targets {missing} are not registered"
        assert c.claim and c.reference and c.quantity and callable(c.measure)


@pytest.mark.parametrize("paper", PAPERS)
def test_claims_modules_import_only_the_standard_library(paper):
    """Loading a claims module (Snakemake does, to parse the workflow) imports the standard
    library and mlptheory.claims, nothing else: numpy and pandas only inside the measures."""
    import ast
    import sys

    tree = ast.parse((REPO / "src" / "mlptheory" / "papers" / paper / "claims.py").read_text())
    top = tree.body  # module-level statements only
    imported = {alias.name.split(".")[0] for node in top
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in top
                 if isinstance(node, ast.ImportFrom) and not node.level}
    relative = {node.module for node in top if isinstance(node, ast.ImportFrom) and node.level}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported
    assert relative <= {"claims"}, relative


def test_the_paper_descriptions_load_no_heavy_library():
    """Snakemake imports mlptheory.papers (every plan and claims module) to parse the workflow:
    no torch, pandas, scipy or matplotlib (numpy comes with the network specs of the plans)."""
    import subprocess
    import sys

    code = ("import sys; import mlptheory.papers; print(','.join(m for m in "
            "('torch', 'pandas', 'scipy', 'matplotlib', 'h5py') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": ""}, check=True)
    assert out.stdout.strip() == ""
