"""The claim lists of tsuchida2019 on synthetic target CSVs where each claim clearly holds or
clearly fails (lee2019: tests/test_claims_lee2019.py), and the shape of every paper's claim
list (ids, expected, targets)."""

import importlib
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO

from mlptheory.claims import PAPERS, evaluate, paper_claims, parse_expected

CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


def verdicts(paper, frames):
    rows = evaluate(paper, frames, CONFIG[paper], "quick")
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


def test_claims_modules_import_only_the_standard_library():
    import subprocess
    import sys

    code = ("import sys; import mlptheory.papers.tsuchida2019.claims, "
            "mlptheory.papers.lee2019.claims; "
            "print(','.join(m for m in ('torch', 'pandas', 'numpy', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": ""}, check=True)
    assert out.stdout.strip() == ""


# ----- tsuchida2019 --------------------------------------------------------------------------
def arccos(theta):
    return (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / np.pi


ROWS = [("adam", 1e-3, 1e-16), ("adam", 1e-3, 1e-8), ("adam", 1e-3, 1.0), ("sgd", 0.5, 0.0)]


def trained_kernels(inputs, broken=(), diverged=()):
    """Figs. 3/4 rows: the kernel at t = 0 is arc-cosine plus finite-width noise (sd 0.02); at
    the last step the settings in ``broken`` leave the curve by 0.3 (1 - k)."""
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, np.pi, 50)
    frames = []
    for member, (opt, lr, eps) in enumerate(ROWS):
        for layer in ["1", "2", "3", "4", "full"]:
            for step in (0, 30, 300):
                k = arccos(theta) + rng.normal(0, 0.02, theta.size)
                if step > 0 and (opt, eps) in broken:
                    k = k + 0.3 * (1 - arccos(theta))
                frames.append(pd.DataFrame({
                    "optimizer": opt, "lr": lr, "eps": eps, "member": member,
                    "status": "diverged" if (opt, eps) in diverged else "max_steps",
                    "inputs": inputs, "layer": layer, "step": step,
                    "pair": np.arange(theta.size), "theta": theta, "theta_achieved": theta,
                    "k_measured": k, "k_arccos": arccos(theta), "n_skipped": 0}))
    return pd.concat(frames, ignore_index=True)


def sweep(sharp=True, sgd_small=True):
    """Fig. 5 rows: Delta W, Delta k 1000x larger at the smallest eps (``sharp``) or flat."""
    rows = []
    families = {"adam": [1e-16, 1e-8, 1e-4, 1.0], "rmsprop": [1e-16, 1.0],
                "nadam": [1e-16, 1.0]}
    for family, grid in families.items():
        for member, eps in enumerate(grid):
            scale = (1e3 if eps < 1e-6 else 1.0) if sharp else 1.0
            for layer in (1, 2, 3, 4):
                rows.append(dict(optimizer=family, eps=eps, lr=1e-3, member=member,
                                 status="max_steps", layer=layer, step=300,
                                 delta_k_raw=3e-4 * scale, delta_w_raw=2e-6 * scale))
    for member, lr in enumerate((0.01, 0.1, 0.5, 1.0)):
        for layer in (1, 2, 3, 4):
            factor = 0.5 if sgd_small else 1e4
            rows.append(dict(optimizer="sgd", eps=0.0, lr=lr, member=member,
                             status="diverged" if lr == 1.0 else "max_steps", layer=layer,
                             step=300, delta_k_raw=3e-4 * factor,
                             delta_w_raw=np.nan if lr == 1.0 else 2e-6 * factor))
    frame = pd.DataFrame(rows)
    frame["delta_k"] = frame["delta_w"] = 0.0  # min-max normalized columns (not read)
    return frame


def random_kernels(offset):
    theta = np.linspace(0, np.pi, 20)
    rng = np.random.default_rng(1)
    return pd.concat([pd.DataFrame({
        "beta": beta, "draw": d, "theta": theta, "theta_achieved": theta,
        "k_measured": arccos(theta) + rng.normal(0, 0.02, theta.size) + offset * np.sin(theta),
        "k_arccos": arccos(theta)}) for beta in (0.5, 2.0, np.inf) for d in range(3)],
        ignore_index=True)


TSU_CLAIMS = ["F2-init-arccos", "S5-zero-sum-invariant", "S5-adam-small-eps-breaks",
              "S5-adam-large-eps-stays", "S5-sgd-stays", "S5-adam-sharp-dW",
              "S5-adam-sharp-dk", "S5-rmsprop-nadam-sharp", "S5-sgd-smaller-dW",
              "S5-sgd-smaller-dk"]


def test_tsuchida_claims_reproduced_where_the_paper_holds():
    frames = {"fig2_random_kernels": random_kernels(0.0),
              "fig3_trained_kernels_zero_sum": trained_kernels("zero_sum"),
              "fig4_trained_kernels_nonzero_sum": trained_kernels(
                  "nonzero_sum", broken={("adam", 1e-16), ("adam", 1e-8)}),
              "fig5_optimizer_sweep": sweep()}
    got, rows = verdicts("tsuchida2019", frames)
    assert sorted(got) == sorted(TSU_CLAIMS)
    assert got == dict.fromkeys(TSU_CLAIMS, "reproduced"), {k: rows[k]["note"] for k in got}
    assert "layers 2+3" in rows["S5-zero-sum-invariant"]["note"]


def test_tsuchida_claims_not_reproduced_where_the_paper_fails():
    frames = {"fig2_random_kernels": random_kernels(0.3),
              # observation (1) fails: zero sums do not protect the kernel, small eps does not
              # break it, large eps and SGD do
              "fig3_trained_kernels_zero_sum": trained_kernels(
                  "zero_sum", broken={("adam", 1e-8)}),
              "fig4_trained_kernels_nonzero_sum": trained_kernels(
                  "nonzero_sum", broken={("adam", 1.0), ("sgd", 0.0)}),
              "fig5_optimizer_sweep": sweep(sharp=False, sgd_small=False)}
    got, rows = verdicts("tsuchida2019", frames)
    assert got == dict.fromkeys(TSU_CLAIMS, "not_reproduced"), {k: rows[k]["note"] for k in got}


def test_tsuchida_inconclusive_when_the_targets_cannot_decide():
    frames = {"fig3_trained_kernels_zero_sum": trained_kernels("zero_sum", diverged=[
                  (o, e) for o, _, e in ROWS]),
              "fig4_trained_kernels_nonzero_sum": trained_kernels("nonzero_sum").query(
                  "eps != 1e-16"),
              "fig5_optimizer_sweep": sweep().query("optimizer in ['adam', 'sgd']")}
    got, rows = verdicts("tsuchida2019", frames)
    for claim in ("F2-init-arccos", "S5-zero-sum-invariant", "S5-adam-small-eps-breaks",
                  "S5-rmsprop-nadam-sharp"):
        assert got[claim] == "inconclusive", claim
        assert math.isnan(rows[claim]["measured"])
    assert "diverged" in rows["S5-zero-sum-invariant"]["note"]
    assert got["S5-adam-large-eps-stays"] == "reproduced"


def test_tsuchida_two_layer_network_has_no_proposition6_layer():
    two = trained_kernels("zero_sum").query("layer in ['1', '2', 'full']")
    got, rows = verdicts("tsuchida2019", {"fig3_trained_kernels_zero_sum": two})
    assert got["S5-zero-sum-invariant"] == "inconclusive"
    assert "Proposition 6" in rows["S5-zero-sum-invariant"]["note"]
