"""The claim lists of lee2019 on synthetic target CSVs where each claim clearly holds or clearly
fails (tsuchida2019's: test_claims_tsuchida2019.py), and the shape of every paper's claim list
(ids, expected, targets)."""

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


# ----- lee2019 -------------------------------------------------------------------------------
def predictive(mean_offset=0.0, sd_factor=1.0, nngp_offset=0.3):
    """Fig. 2: the ensemble equals the NTK-GP up to ``mean_offset`` (in sd) and ``sd_factor``;
    the NNGP differs by ``nngp_offset`` in the mean."""
    alpha = np.linspace(0, 1, 11)
    rows = []
    for step in (0, 10, 100):
        t = step / 100
        mean = t * (2 * alpha - 1)
        sd = 1.0 - 0.8 * t * (1 - 4 * alpha * (1 - alpha)) + 0.05
        wiggle = 0.02 * np.sin(7 * alpha + step)
        for model, m, s in (("ntk_gp", mean, sd),
                            ("ensemble", mean + mean_offset * sd + wiggle,
                             sd * sd_factor + wiggle),
                            ("nngp", 2 * alpha - 1 + nngp_offset, 0.8 * sd)):
            rows += [dict(model=model, step=step, alpha=a, mean=mm, std=ss, width=512,
                          depth=3, n_train=32, lr=0.2, ensemble=48, dataset="mnist")
                     for a, mm, ss in zip(alpha, m, s, strict=True)]
    return pd.DataFrame(rows)


def dynamics(error):
    """Fig. 3: the network is its closed-form linearization plus ``error`` (outputs, relative
    displacement)."""
    rng = np.random.default_rng(2)
    rows = []
    f_train, f_test = rng.normal(size=8), rng.normal(size=8)
    noise_train, noise_test = rng.normal(size=8), rng.normal(size=8)
    for step in (0, 1, 10, 100):
        decay = 0.99 ** step
        for model in ("network", "linearized_closed_form", "linearized_trained"):
            e = error * min(step, 1) if model == "network" else 0.0
            disp = (1 - decay) * 3.0 * (1 + e)
            rows.append(dict(model=model, step=step, quantity="displacement", split=np.nan,
                             point=-1, value=disp))
            for split, f, noise in (("train", f_train, noise_train),
                                    ("test", f_test, noise_test)):
                out = decay * f + (1 - decay) * np.sign(f) + e * noise
                rows.append(dict(model=model, step=step, quantity="loss", split=split,
                                 point=-1, value=float(np.mean((out - np.sign(f)) ** 2) / 2)))
                rows += [dict(model=model, step=step, quantity="output", split=split, point=i,
                              value=v) for i, v in enumerate(out)]
    return pd.DataFrame(rows)


def linearization_error(width_power=-0.5, data_power=0.4):
    return pd.DataFrame([dict(width=w, n_train=n, rmse=0.5 * w ** width_power * n ** data_power,
                              rmse_train=0.0, train_loss=0.0, depth=1, members=2, steps=1000,
                              lr=0.5, lr_fraction=0.5, n_test=64, dataset="mnist")
                         for w in (64, 128, 256, 512) for n in (16, 64, 256)])


def parameterization(std_factor=1.0):
    rows = []
    for frac in (0.125, 0.5, 1.0, 4.0):
        for param in ("ntk", "standard"):
            diverged = frac == 4.0 and param == "standard"
            for member in (0, 1):
                loss = (0.5 / (1 + frac) + 0.01 * member) * (std_factor if param == "standard"
                                                             else 1.0)
                rows.append(dict(parameterization=param, eta_ntk=frac, lr_fraction=frac,
                                 lr=frac, member=member,
                                 test_loss=np.inf if diverged else loss, diverged=diverged,
                                 width=256, depth=1, n_train=64, steps=100, dataset="mnist"))
    return pd.DataFrame(rows)


def kernel_convergence(power=-0.5):
    rows = []
    for kernel in ("nngp", "ntk"):
        for n in (1, 10, 100):
            for w in (64, 128, 256, 512, 1024):
                rows.append(dict(kernel=kernel, n_samples=n, width=w,
                                 rel_error=2.0 * w ** power / np.sqrt(n) * (1 + 0.01 * (w % 3)),
                                 rel_error_se=0.001, repeats=20, depth=1, n_inputs=10,
                                 input_dim=1024, slope=power))
    return pd.DataFrame(rows)


LEE_CLAIMS = ["F2-mean", "F2-sd", "F2-nngp", "F3-outputs", "F3-weights", "S5-width", "S5-data",
              "S7-parameterization", "S9-ntk-rate", "S9-nngp-rate", "S9-samples"]


def lee_frames(**changes):
    frames = {"fig2_predictive_distribution": predictive(),
              "fig3_linearized_dynamics": dynamics(0.01),
              "figS5_linearization_error": linearization_error(),
              "figS7_parameterization": parameterization(),
              "figS9_kernel_convergence": kernel_convergence()}
    frames.update(changes)
    return frames


def test_lee_claims_reproduced_where_the_paper_holds():
    got, rows = verdicts("lee2019", lee_frames())
    assert sorted(got) == sorted(LEE_CLAIMS)
    assert got == dict.fromkeys(LEE_CLAIMS, "reproduced"), {k: rows[k]["note"] for k in got}
    assert rows["S9-ntk-rate"]["measured"] == pytest.approx(-0.5, abs=0.02)
    assert "3 of 4 normalized rates" in rows["S7-parameterization"]["note"]


def test_lee_claims_not_reproduced_where_the_paper_fails():
    frames = lee_frames(
        fig2_predictive_distribution=predictive(mean_offset=1.0, sd_factor=1.5, nngp_offset=0),
        fig3_linearized_dynamics=dynamics(0.5),
        figS5_linearization_error=linearization_error(width_power=0.1, data_power=-0.2),
        figS7_parameterization=parameterization(std_factor=2.0),
        figS9_kernel_convergence=kernel_convergence(power=-1.0).assign(
            rel_error=lambda d: d.rel_error * d.n_samples ** 0.5))
    got, rows = verdicts("lee2019", frames)
    assert got == dict.fromkeys(LEE_CLAIMS, "not_reproduced"), {k: rows[k]["note"] for k in got}
    assert rows["S9-nngp-rate"]["measured"] == pytest.approx(-1.0, abs=0.02)


def test_lee_slope_claim_fails_on_a_too_slow_rate_too():
    got, rows = verdicts("lee2019", lee_frames(figS9_kernel_convergence=kernel_convergence(-0.25)))
    assert got["S9-ntk-rate"] == got["S9-nngp-rate"] == "not_reproduced"
    assert rows["S9-ntk-rate"]["measured"] == pytest.approx(-0.25, abs=0.02)


def test_lee_inconclusive_when_the_targets_cannot_decide():
    all_diverged = parameterization().assign(diverged=True, test_loss=np.inf)
    one_width = kernel_convergence().query("width == 64")
    got, rows = verdicts("lee2019", {"figS7_parameterization": all_diverged,
                                     "figS9_kernel_convergence": one_width})
    assert got["S7-parameterization"] == "inconclusive"
    assert got["S9-ntk-rate"] == "inconclusive"
    assert got["S9-samples"] == "reproduced"  # needs sample counts, not widths
    assert "not built" in rows["F2-mean"]["note"]
