"""lee2019 claims on synthetic target CSVs (the real CSVs' columns): for each claim family a case
where the claim holds, where it is false, where its interval straddles the threshold and where a
validity condition fails."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO

from mlptheory.claims import evaluate, verdict
from mlptheory.papers import paper_claims

CLAIMS = paper_claims("lee2019")
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())["lee2019"]
FIG2, FIG3, S5, S7, S9 = ("fig2_predictive_distribution", "fig3_linearized_dynamics",
                          "figS5_linearization_error", "figS7_parameterization",
                          "figS9_kernel_convergence")
IDS = ["F2-mean", "F2-sd", "F2-readout", "F2-nngp", "F3-outputs", "F3-weights", "F3-kernel",
       "S5-width", "S5-data", "S7-parameterization", "S9-ntk-rate", "S9-nngp-rate",
       "S9-samples"]


def run(**frames):
    rows = {r["claim_id"]: r for r in evaluate("lee2019", CLAIMS, frames, CONFIG, "quick")}
    for r in rows.values():  # every verdict follows from the CSV's columns alone
        assert verdict(r["low"], r["high"], r["expected"], r["validity"]) == (r["verdict"],
                                                                             r["reason"])
        if r["verdict"] == "not_reproduced":
            assert not r["diagnosis"].startswith("disagrees: every validity"), r["claim_id"]
    return rows


def check(rows, expected: dict[str, str]):
    got = {k: rows[k]["verdict"] for k in expected}
    assert got == expected, {k: (rows[k]["low"], rows[k]["high"], rows[k]["reason"])
                             for k in expected}


# ----- Fig. 2 ----------------------------------------------------------------------------------
def predictive(mean_offset=0.0, sd_factor=1.0, nngp_offset=1.0, members=100, trained=True,
               ens_toward_nngp=0.0, readout_offset=1.0, ens_toward_readout=0.0):
    """Fig. 2 with member rows: the members' sample mean and sd equal the NTK-GP's shifted by
    ``mean_offset`` sd and scaled by ``sd_factor`` exactly (up to ``ens_toward_nngp``, the
    fraction of the way to the NNGP of the last step's mean, and ``ens_toward_readout``, the
    fraction of the way to the readout-only mean at every step); the NNGP mean is
    ``nngp_offset`` sd away from the NTK-GP's last mean, the readout-only mean
    ``readout_offset`` sd away from the NTK-GP's at every step after 0."""
    rng = np.random.default_rng(3)
    alpha = np.linspace(0, 1, 11)
    steps = (0, 10, 100)
    z = rng.standard_normal((members, len(steps), len(alpha)))
    z = (z - z.mean(0)) / z.std(0, ddof=1)
    common = dict(width=512, depth=3, n_train=32, lr=0.2, ensemble=members, dataset="mnist")
    rows = []
    last_mean = 2 * alpha - 1
    last_sd = 0.25 + 0.2 * np.sin(np.pi * alpha)
    nngp_mean, nngp_sd = last_mean + nngp_offset * last_sd, last_sd
    for i, step in enumerate(steps):
        t = step / 100
        mean, sd = t * last_mean, (1 - t) * 1.0 + t * last_sd
        ro_mean = mean + (readout_offset * sd if i > 0 else 0.0)
        ens_mean = mean + mean_offset * sd + ens_toward_readout * (ro_mean - mean)
        if i == len(steps) - 1:
            ens_mean = ens_mean + ens_toward_nngp * (nngp_mean - mean)
        outs = ens_mean + sd_factor * sd * z[:, i]
        loss = 0.5 * (1 - (t if trained else 0.0)) + 0.01
        for model, m, s in (("ensemble", outs.mean(0), outs.std(0, ddof=1)),
                            ("ntk_gp", mean, sd), ("readout", ro_mean, sd),
                            ("nngp", nngp_mean, nngp_sd)):
            rows += [dict(model=model, step=step, alpha=a, mean=mm, std=ss, member=-1,
                          train_loss=loss, **common) for a, mm, ss in zip(alpha, m, s,
                                                                          strict=True)]
        for e in range(members):
            rows += [dict(model="member", step=step, alpha=a, mean=v, std=np.nan, member=e,
                          train_loss=loss, **common) for a, v in zip(alpha, outs[e],
                                                                     strict=True)]
    return pd.DataFrame(rows)


F2 = ["F2-mean", "F2-sd", "F2-readout", "F2-nngp"]


def test_fig2_reproduced_when_the_ensemble_is_the_ntk_gp():
    rows = run(**{FIG2: predictive()})
    check(rows, dict.fromkeys(F2, "reproduced"))
    assert rows["F2-mean"]["n"] == 100 and rows["F2-mean"]["measured"] == pytest.approx(0, abs=1e-9)
    assert "models_apart" in rows["F2-mean"]["validity"]


def test_fig2_not_reproduced_when_the_ensemble_leaves_the_ntk_gp():
    rows = run(**{FIG2: predictive(mean_offset=1.2, sd_factor=1.7)})
    check(rows, {"F2-mean": "not_reproduced", "F2-sd": "not_reproduced"})
    rows = run(**{FIG2: predictive(ens_toward_nngp=1.0)})  # the ensemble ends at the NNGP
    check(rows, {"F2-nngp": "not_reproduced"})
    assert rows["F2-nngp"]["diagnosis"].startswith("disagrees:")


def test_fig2_readout_verdicts():
    """The ensemble on the NTK-GP: reproduced; on the readout-only prediction: not; halfway
    with few members: within noise."""
    row = run(**{FIG2: predictive()})["F2-readout"]
    assert row["verdict"] == "reproduced" and "t=10" in row["note"]
    rows = run(**{FIG2: predictive(ens_toward_readout=1.0)})
    check(rows, {"F2-readout": "not_reproduced"})
    assert rows["F2-readout"]["diagnosis"].startswith("disagrees: at t=")
    rows = run(**{FIG2: predictive(ens_toward_readout=0.5, members=30)})
    check(rows, {"F2-readout": "inconclusive"})


def test_fig2_within_noise_straddles():
    rows = run(**{FIG2: predictive(mean_offset=0.5, sd_factor=1.2, members=40)})
    check(rows, dict.fromkeys(F2[:2], "inconclusive"))
    assert all("within noise" in rows[k]["reason"] for k in F2[:2])
    rows = run(**{FIG2: predictive(ens_toward_nngp=1 / 3, members=40)})
    check(rows, {"F2-nngp": "inconclusive"})
    assert "within noise" in rows["F2-nngp"]["reason"]


def test_fig2_inconclusive_when_untrained_too_few_or_the_models_coincide():
    rows = run(**{FIG2: predictive(trained=False)})
    check(rows, dict.fromkeys(F2, "inconclusive"))
    assert all("trained" in rows[k]["reason"] for k in F2)
    rows = run(**{FIG2: predictive(members=10)})
    assert all("members = 10" in rows[k]["reason"] for k in F2)
    rows = run(**{FIG2: predictive(nngp_offset=0.05, readout_offset=0.05)})
    check(rows, {"F2-mean": "inconclusive", "F2-nngp": "inconclusive", "F2-sd": "reproduced",
                 "F2-readout": "inconclusive"})
    assert "models_apart" in rows["F2-mean"]["reason"]
    assert "steps_apart" in rows["F2-readout"]["reason"]
    old = predictive().query("model != 'member'").drop(columns=["member", "train_loss"])
    rows = run(**{FIG2: old})
    assert "lacks the column" in rows["F2-mean"]["note"]


# ----- Fig. 3 ----------------------------------------------------------------------------------
def dynamics(error, trained=True, analytic_error=0.3, weight_error=0.01):
    """Fig. 3: the network is its closed-form linearization (empirical Theta_0) plus ``error``
    times a pattern of RMS 1 over the points at every step after 0; the analytic-Theta
    linearization is the network's outputs minus ``analytic_error`` times another pattern; 12
    tracked weights move like the linearization's, the network's off by ``weight_error`` (RMS,
    relative)."""
    rng = np.random.default_rng(2)
    f_train, f_test = rng.normal(size=16), rng.normal(size=16)
    noise = rng.normal(size=32)
    noise /= np.sqrt(np.mean(noise ** 2))
    other = rng.normal(size=32)
    other /= np.sqrt(np.mean(other ** 2))
    w0, dw, werr = rng.normal(size=12), rng.normal(size=12), rng.normal(size=12)
    werr *= weight_error * np.sqrt(np.mean(dw ** 2)) / np.sqrt(np.mean(werr ** 2))
    rows = []
    for step in (0, 1, 10, 100):
        decay = 0.97 ** step if trained else 1.0
        for model in ("network", "linearized_closed_form", "linearized_analytic"):
            e = error * min(step, 1) if model == "network" else 0.0
            rows.append(dict(model=model, step=step, quantity="displacement", split=np.nan,
                             point=-1, value=(1 - 0.97 ** step) * 3.0 * (1 + e) + 1e-3))
            for k, (split, f) in enumerate((("train", f_train), ("test", f_test))):
                out = decay * f + (1 - decay) * np.sign(f) + e * noise[16 * k:16 * (k + 1)]
                if model == "linearized_analytic":
                    out = out + min(step, 1) * (error * noise[16 * k:16 * (k + 1)]
                                                - analytic_error * other[16 * k:16 * (k + 1)])
                rows.append(dict(model=model, step=step, quantity="loss", split=split,
                                 point=-1, value=float(np.mean((out - np.sign(f)) ** 2) / 2)))
                rows += [dict(model=model, step=step, quantity="output", split=split, point=i,
                              value=v) for i, v in enumerate(out)]
            if model != "linearized_analytic":
                moved = (1 - 0.97 ** step) * (dw + (werr if model == "network" else 0.0))
                rows += [dict(model=model, step=step, quantity="weight", split=f"layer{j // 4}",
                              point=j, value=w) for j, w in enumerate(w0 + moved)]
    frame = pd.DataFrame(rows)
    for key, value in dict(width=1024, depth=3, n_train=16, n_test=16, lr=0.5, lr_fraction=0.5,
                           dataset="mnist").items():
        frame[key] = value
    return frame


def test_fig3_outputs_verdicts():
    rows = run(**{FIG3: dynamics(0.01)})
    check(rows, {"F3-outputs": "reproduced"})
    assert rows["F3-outputs"]["n"] == 32 and "one network" in rows["F3-outputs"]["note"]
    rows = run(**{FIG3: dynamics(0.5)})
    check(rows, {"F3-outputs": "not_reproduced"})
    assert "tests/test_predict.py" in rows["F3-outputs"]["diagnosis"]
    check(run(**{FIG3: dynamics(0.1)}), {"F3-outputs": "inconclusive"})
    rows = run(**{FIG3: dynamics(0.01, trained=False)})
    check(rows, {"F3-outputs": "inconclusive"})
    assert "trained" in rows["F3-outputs"]["reason"]


def test_fig3_weights_verdicts():
    row = run(**{FIG3: dynamics(0.01)})["F3-weights"]
    assert row["verdict"] == "reproduced" and row["n"] == 12 and "tracked" in row["note"]
    rows = run(**{FIG3: dynamics(0.01, weight_error=0.6)})
    check(rows, {"F3-weights": "not_reproduced"})
    assert rows["F3-weights"]["diagnosis"].startswith("disagrees:")
    check(run(**{FIG3: dynamics(0.01, weight_error=0.1)}), {"F3-weights": "inconclusive"})
    assert "trained" in run(**{FIG3: dynamics(0.0, trained=False)})["F3-weights"]["reason"]


def test_fig3_kernel_verdicts():
    """Empirical Theta_0 closer to the network than the analytic Theta: reproduced; the
    analytic Theta closer: not; the two about as close: within noise."""
    row = run(**{FIG3: dynamics(0.02, analytic_error=0.3)})["F3-kernel"]
    assert row["verdict"] == "reproduced" and row["n"] == 16
    rows = run(**{FIG3: dynamics(0.3, analytic_error=0.02)})
    check(rows, {"F3-kernel": "not_reproduced"})
    assert rows["F3-kernel"]["diagnosis"].startswith("disagrees: at width 1024")
    check(run(**{FIG3: dynamics(0.2, analytic_error=0.2)}), {"F3-kernel": "inconclusive"})


# ----- Fig. S5 ---------------------------------------------------------------------------------
def linearization_error(width_power=-0.5, data_power=0.4, members=3, depth=2, noise=0.02,
                        trained=True):
    rng = np.random.default_rng(4)
    rows = []
    for w in (64, 128, 256, 512):
        for n in (16, 64, 128):
            for e in range(members):
                rows.append(dict(width=w, n_train=n, member=e,
                                 rmse=0.5 * w ** width_power * n ** data_power
                                 * math.exp(noise * rng.standard_normal()),
                                 rmse_train=0.01, train_loss=0.01 if trained else 0.4,
                                 train_loss0=0.5, depth=depth, members=members, steps=1000,
                                 lr=0.5, lr_fraction=0.5, n_test=64, dataset="mnist"))
    return pd.DataFrame(rows)


S5_IDS = ["S5-width", "S5-data"]


def test_s5_verdicts():
    rows = run(**{S5: linearization_error()})
    check(rows, dict.fromkeys(S5_IDS, "reproduced"))
    assert rows["S5-width"]["n"] == 36 and "Fig. S5 does not vary depth" in rows["S5-width"]["note"]
    check(run(**{S5: linearization_error(width_power=0.3, data_power=-0.3)}),
          dict.fromkeys(S5_IDS, "not_reproduced"))
    check(run(**{S5: linearization_error(width_power=-0.1, data_power=0.1, noise=0.2)}),
          dict.fromkeys(S5_IDS, "inconclusive"))


@pytest.mark.parametrize("change, condition", [(dict(depth=1), "depth = 1"),
                                               (dict(members=2), "members = 2"),
                                               (dict(trained=False), "trained = 0.8")])
def test_s5_inconclusive_when_a_condition_fails(change, condition):
    rows = run(**{S5: linearization_error(**change)})
    check(rows, dict.fromkeys(S5_IDS, "inconclusive"))
    assert condition in rows["S5-width"]["reason"]


# ----- Fig. S7 ---------------------------------------------------------------------------------
def parameterization(std_factor=1.0, noise=0.01, members=3, flat=True, diverged_at=None,
                     above_factor=3.0):
    rng = np.random.default_rng(5)
    rows = []
    for frac in (0.125, 0.5, 1.0, 2.0, 4.0):
        for param in ("ntk", "standard"):
            factor = (std_factor if frac <= 1 else above_factor) if param == "standard" else 1
            for member in range(members):
                loss = 0.5 / (1 + frac) * factor * (1 + noise * rng.standard_normal())
                diverged = frac == diverged_at and param == "standard"
                rows.append(dict(parameterization=param, eta_ntk=frac * 0.3, lr_fraction=frac,
                                 lr=frac * 0.3, member=member,
                                 test_loss=np.inf if diverged else loss,
                                 test_loss_half=np.inf if diverged else
                                 loss * (1.02 if flat else 1.5), half_step=50,
                                 diverged=diverged, width=256, depth=1, n_train=64, steps=100,
                                 dataset="mnist"))
    return pd.DataFrame(rows)


def test_s7_judged_at_rates_up_to_eta_critical():
    row = run(**{S7: parameterization()})["S7-parameterization"]
    assert row["verdict"] == "reproduced", row["reason"]
    assert "3 rates <= eta_critical" in row["note"] and "left out: rates [2.0, 4.0]" in row["note"]
    assert row["n"] == 3
    check(run(**{S7: parameterization(std_factor=2.0)}), {"S7-parameterization": "not_reproduced"})
    check(run(**{S7: parameterization(std_factor=1.15, noise=0.1)}),
          {"S7-parameterization": "inconclusive"})


@pytest.mark.parametrize("change, condition", [(dict(flat=False), "flat = 0.5"),
                                               (dict(members=2), "members = 2"),
                                               (dict(diverged_at=0.5), "diverged_below_critical")])
def test_s7_inconclusive_when_a_condition_fails(change, condition):
    row = run(**{S7: parameterization(**change)})["S7-parameterization"]
    assert row["verdict"] == "inconclusive" and condition in row["reason"], row["reason"]


# ----- Fig. S9 ---------------------------------------------------------------------------------
def kernel_convergence(power=-0.5, power_most=None, depth=2, repeats=20, rel_se=0.01,
                       sample_power=-0.5):
    rows = []
    for kernel in ("nngp", "ntk"):
        for n in (1, 10, 100):
            p = power_most if (power_most is not None and n == 100) else power
            for w in (32, 64, 128, 256, 512):
                err = 2.0 * w ** p * n ** sample_power
                rows.append(dict(kernel=kernel, n_samples=n, width=w, rel_error=err,
                                 rel_error_se=rel_se * err, repeats=repeats, depth=depth,
                                 n_inputs=10, input_dim=1024, slope=p))
    return pd.DataFrame(rows)


S9_IDS = ["S9-ntk-rate", "S9-nngp-rate", "S9-samples"]


def test_s9_verdicts():
    rows = run(**{S9: kernel_convergence()})
    check(rows, dict.fromkeys(S9_IDS, "reproduced"))
    assert rows["S9-ntk-rate"]["measured"] == pytest.approx(0.0, abs=1e-9)
    assert rows["S9-ntk-rate"]["n"] == 100
    rows = run(**{S9: kernel_convergence(power=-1.0, sample_power=0.1)})
    check(rows, dict.fromkeys(S9_IDS, "not_reproduced"))
    rows = run(**{S9: kernel_convergence(power_most=-0.9)})
    check(rows, {"S9-ntk-rate": "not_reproduced"})
    assert rows["S9-ntk-rate"]["diagnosis"].startswith("scale:")
    rows = run(**{S9: kernel_convergence(power=-0.6, rel_se=0.05, sample_power=-0.01)})
    check(rows, dict.fromkeys(S9_IDS, "inconclusive"))


@pytest.mark.parametrize("change, condition", [(dict(depth=1), "depth = 1"),
                                               (dict(repeats=2), "repeats = 2")])
def test_s9_inconclusive_when_a_condition_fails(change, condition):
    rows = run(**{S9: kernel_convergence(**change)})
    check(rows, dict.fromkeys(S9_IDS, "inconclusive"))
    assert condition in rows["S9-samples"]["reason"]


def test_every_claim_listed_and_missing_targets_are_inconclusive():
    rows = run()
    assert list(rows) == IDS
    assert all(r["verdict"] == "inconclusive" and "not built" in r["note"]
               for r in rows.values())
