"""Negative controls of the seleznova2021 claims on synthetic target frames (the columns of the
real target CSVs): per claim family a world where the claims hold (reproduced), where they are
false (not_reproduced, with a diagnosis), where a validity condition fails and where the interval
straddles the threshold (both inconclusive)."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO

from mlptheory.claims import evaluate, verdict
from mlptheory.papers import paper_claims
from mlptheory.papers.seleznova2021 import claims as selez

CLAIMS = paper_claims("seleznova2021")
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())["seleznova2021"]
EOC = {"tanh": 3.4432, "relu": 2.0}


def chi1(act, sw2):
    return sw2 / EOC[act]


def phase(c):
    return "ordered" if c < 1 - 1e-9 else ("critical" if c <= 1 + 1e-9 else "chaotic")


def rows(frames, config=CONFIG):
    return {r["claim_id"]: r for r in evaluate("seleznova2021", CLAIMS, frames, config, "quick")}


def check(out, ids, expected):
    for cid in ids:
        r = out[cid]
        assert r["verdict"] == expected, (cid, r["verdict"], r["reason"], r["note"])
        # the verdict follows from the CSV columns alone
        assert verdict(r["low"], r["high"], r["expected"], r["validity"])[0] == expected
        if expected == "not_reproduced":
            assert r["diagnosis"].split(":")[0] in ("scale", "deviation", "disagrees")


# ----- NTK variance (Figs. 1, 2, 7) -------------------------------------------------------------
def ratio_world(act, w, d, sw2, grow_ordered=0.0):
    c = chi1(act, sw2)
    if c <= 0.75:
        return 1 + 0.5 / w + grow_ordered * d
    if abs(c - 1) <= 0.05:
        return 1 + 0.5 / w + 0.2 * d / w
    return 1 + 0.5 / w + math.expm1(3.0 * (c - 1) * (d - 1) / w * 10)


def var_frame(act, widths, sw2s, depths, sb2=1.0, se=0.002, n_inits=200, **kw):
    out = []
    for w in widths:
        for s in sw2s:
            for d in depths:
                c = chi1(act, s)
                out.append(dict(activation=act, width=w, depth=d, sw2=s, sb2=sb2,
                                n_inits=n_inits, ratio=ratio_world(act, w, d, s, **kw),
                                ratio_se=se, mean_ntk=10.0, chi1=c, phase=phase(c)))
    return pd.DataFrame(out)


def var_frames(**kw):
    sw2 = {"tanh": [0.5, 1.0, 2.0, 3.5, 5.0], "relu": [0.5, 1.0, 1.5, 2.0, 3.5, 5.0]}
    frames = {f"fig1_ntk_variance_{a}": var_frame(a, [50, 100], sw2[a], [1, 5, 20], **kw)
              for a in ("tanh", "relu")}
    fig2 = pd.concat([var_frame("relu", [50, 100, 200], [s], [1, 2, 5, 10, 20], **kw)
                      for s in (1.0, 1.5, 3.0)], ignore_index=True)
    frames["fig2_ntk_variance_vs_depth"] = fig2
    frames["fig7_ntk_variance_bias"] = pd.concat(
        [var_frame(a, [100], sw2[a], [1, 5, 20], sb2=b, **kw) for a in ("tanh", "relu")
         for b in (0.5, 1.0)], ignore_index=True)
    return frames


VAR_IDS = ["S3-ordered-variance", "S3-chaotic-variance", "S3-eoc-variance", "S3-width",
           "S3-shallow", "S3-fig2-chaotic", "S3-bias"]


def test_variance_claims_hold_in_a_world_where_they_hold():
    check(rows(var_frames()), VAR_IDS, "reproduced")


def test_variance_grows_in_the_ordered_phase_is_not_reproduced():
    out = rows(var_frames(grow_ordered=0.02))
    check(out, ["S3-ordered-variance"], "not_reproduced")


def test_variance_too_few_inits_is_inconclusive():
    out = rows(var_frames(n_inits=20))
    check(out, VAR_IDS, "inconclusive")
    assert "n_inits" in out["S3-shallow"]["reason"]


def test_variance_noisy_cells_straddle():
    out = rows(var_frames(grow_ordered=0.1 / 19, se=0.05))
    check(out, ["S3-ordered-variance", "S3-shallow"], "inconclusive")
    assert "within noise" in out["S3-ordered-variance"]["reason"]


def test_shallow_variance_above_threshold_is_not_reproduced():
    frames = var_frames()
    for name in ("fig1_ntk_variance_tanh", "fig1_ntk_variance_relu"):
        f = frames[name]
        f.loc[f.depth == 1, "ratio"] = 1.3
    check(rows(frames), ["S3-shallow"], "not_reproduced")


# ----- NTK change (Figs. 3, 4, 8-11) ------------------------------------------------------------
def change_frame(act, width, depths=(1, 5, 20), sw2s=(0.5, 1.0, 2.0, 3.5, 5.0), seeds=3,
                 noise=0.05, flat=False, ordered_trainable=False, lr_ratio=0.5, seed=0):
    rng = np.random.default_rng(seed)
    eoc = {"tanh": 3.5, "relu": 2.0}[act]
    out = []
    for d in depths:
        for s in sw2s:
            s = eoc if s == 2.0 and act == "tanh" else s
            c = chi1(act, s) if not (act == "tanh" and s == 3.5) else 1.01
            for i in range(seeds):
                if flat and c > 1.05:
                    base = 0.01 / math.sqrt(d)  # falls with depth, below the ordered phase
                elif flat or c <= 0.75:
                    base = 0.01
                elif abs(c - 1) <= 0.05:
                    base = 0.05
                else:
                    base = 0.04 * d
                change = base * 16 / width * (1 + noise * rng.standard_normal())
                trainable = ((c > 0.75) or d < 20 or ordered_trainable)
                out.append(dict(
                    activation=act, width=width, depth=d, sw2=s, sb2=1.0, lr=1e-5 * lr_ratio,
                    lr_config=1e-5, lr_critical=1e-5, seed=1000 * i + d, steps_run=1000,
                    stop_reason="max_steps", initial_loss=0.5, baseline_loss=0.45,
                    min_loss=0.2 if trainable else 0.45, final_loss=0.2 if trainable else 0.45,
                    rel_change_10=change / 2, rel_change_100=change, rel_change_1000=change,
                    rel_change_final=change, chi1=c, phase=phase(c)))
    return pd.DataFrame(out)


def change_frames(width=32, widths=(16, 32), **kw):
    frames = {}
    for act, (final, steps, by_width) in {"tanh": (3, 8, 10), "relu": (4, 9, 11)}.items():
        main = change_frame(act, width, **kw)
        frames[f"fig{final}_ntk_change_{act}"] = main
        frames[f"fig{steps}_ntk_change_steps_{act}"] = main
        frames[f"fig{by_width}_ntk_change_width_{act}"] = pd.concat(
            [change_frame(act, w, seed=w, **kw) for w in widths], ignore_index=True)
    return frames


CHANGE_IDS = ["S4-transition-tanh", "S4-transition-relu", "S4-ordered-small", "S4-chaotic-depth",
              "S4-eoc-below-one", "S4-eoc-above-ordered", "S4-trainability",
              "S4-trainability-phases", "S4-trainability-chaotic", "S4-early", "S4-width",
              "S4-width-transition"]


def test_change_claims_hold_in_a_world_where_they_hold():
    check(rows(change_frames()), CHANGE_IDS, "reproduced")


def test_no_transition_is_not_reproduced():
    out = rows(change_frames(flat=True, ordered_trainable=True))
    check(out, ["S4-transition-tanh", "S4-transition-relu", "S4-chaotic-depth",
                "S4-width-transition", "S4-trainability"], "not_reproduced")


def test_chaotic_untrainable_contradicts_the_phase_claim():
    frames = change_frames()
    for name in ("fig3_ntk_change_tanh", "fig4_ntk_change_relu"):
        f = frames[name]
        f.loc[f.chi1 > 1.05, "min_loss"] = 1e5
    out = rows(frames)
    check(out, ["S4-trainability-phases", "S4-trainability-chaotic"], "not_reproduced")
    check(out, ["S4-trainability"], "reproduced")
    assert out["S4-trainability-chaotic"]["diagnosis"].startswith("deviation:lr_cap:")


def test_change_one_seed_or_rate_above_critical_is_inconclusive():
    out = rows(change_frames(seeds=1))
    check(out, CHANGE_IDS, "inconclusive")
    assert "seeds = 1" in out["S4-transition-relu"]["reason"]
    out = rows(change_frames(lr_ratio=2.0))
    check(out, CHANGE_IDS, "inconclusive")
    assert "lr = 2" in out["S4-ordered-small"]["reason"]


def test_change_short_training_is_inconclusive():
    config = {**CONFIG, "ntk_change": {**CONFIG["ntk_change"], "max_steps": 1000}}
    out = rows(change_frames(), config)
    check(out, CHANGE_IDS, "inconclusive")
    assert "gd_time" in out["S4-ordered-small"]["reason"]


def test_ordered_change_large_gets_a_width_diagnosis():
    frames = change_frames()
    for name in ("fig3_ntk_change_tanh", "fig4_ntk_change_relu"):
        f = frames[name]
        f.loc[f.chi1 <= 0.75, "rel_change_final"] *= 50
    out = rows(frames)
    check(out, ["S4-ordered-small"], "not_reproduced")
    # Figs. 10, 11 of this world: the change falls from M = 16 to M = 32
    assert out["S4-ordered-small"]["diagnosis"].startswith("scale:")


def test_change_noisy_networks_straddle():
    frames = change_frames()
    for name in ("fig3_ntk_change_tanh", "fig4_ntk_change_relu"):
        f = frames[name]
        ordered = f.chi1 <= 0.75
        # ordered mean 0.09 with a wide spread over networks: around the 0.1 threshold
        f.loc[ordered, "rel_change_final"] = np.resize([0.01, 0.17], ordered.sum())
    check(rows(frames), ["S4-ordered-small"], "inconclusive")


# ----- Fig. 6 (kappa) and Theorem 5.3 -----------------------------------------------------------
def kappa_frame(chaotic_rises=True, max_depth=30):
    out = []
    for act in ("erf", "relu"):
        for ph, sw2 in (("ordered", 1.0), ("critical", 2.0), ("chaotic", 3.0)):
            for c in (0.0, 0.5, 1.0):
                for d in range(1, max_depth + 1):
                    if c == 1.0:
                        r = 1.0
                    elif ph == "ordered":
                        r = 1 + 5 * math.exp(-d / 3)
                    else:
                        r = 2 + (0.1 * d if chaotic_rises else 3 * math.exp(-d / 5))
                    out.append(dict(activation=act, sw2=sw2, sb2=0.1, phase=ph, covariance=c,
                                    depth=d, kappa1=r, kappa2=1.0, kappa_ratio=r))
    return pd.DataFrame(out)


def test_kappa_claims_hold_fail_and_need_depth():
    ids = ["S5-kappa-ordered", "S5-kappa-chaotic", "S5-kappa-eoc"]
    check(rows({"fig6_kappa_ratio_vs_depth": kappa_frame()}), ids, "reproduced")
    out = rows({"fig6_kappa_ratio_vs_depth": kappa_frame(chaotic_rises=False)})
    check(out, ["S5-kappa-chaotic", "S5-kappa-eoc"], "not_reproduced")
    assert "falling" in out["S5-kappa-chaotic"]["diagnosis"]
    check(rows({"fig6_kappa_ratio_vs_depth": kappa_frame(max_depth=5)}), ids, "inconclusive")
    # exact recursions: a point interval, never within noise
    assert all(r["low"] == r["high"] for r in out.values() if r["claim_id"] in ids)


def thm_frame(ordered_factor=10.0, shallow_factor=1.0, se_frac=0.05, n_inits=100, width=500):
    out = []
    for act in ("erf", "relu"):
        for ph, sw2 in (("ordered", 1.0), ("critical", 2.0), ("chaotic", 3.0)):
            for d in (1, 2, 5, 10, 20):
                theory = 1.0
                emp = {"analytic_ntk": theory,
                       "empirical_ntk": (ordered_factor if ph == "ordered" and d > 1 else
                                         shallow_factor)}
                for variant, v in emp.items():
                    out.append(dict(activation=act, sw2=sw2, sb2=0.1, phase=ph, depth=d,
                                    width=width, n_train=128, n_inits=n_inits, variant=variant,
                                    theory_variance=theory, empirical_variance=v,
                                    empirical_se=se_frac * v))
    return pd.DataFrame(out)


THM_IDS = ["S5-thm53-ordered", "S5-thm53-finite", "S5-thm53"]


def test_thm53_claims_hold_fail_need_inits_and_straddle():
    check(rows({"thm53_output_variance": thm_frame()}), THM_IDS, "reproduced")
    out = rows({"thm53_output_variance": thm_frame(ordered_factor=1.0, shallow_factor=0.2)})
    check(out, ["S5-thm53-ordered", "S5-thm53-finite"], "not_reproduced")
    check(rows({"thm53_output_variance": thm_frame(n_inits=10)}), THM_IDS, "inconclusive")
    check(rows({"thm53_output_variance": thm_frame(width=100)}), ["S5-thm53-finite"],
          "inconclusive")
    check(rows({"thm53_output_variance": thm_frame(ordered_factor=2.0, se_frac=0.3)}),
          ["S5-thm53-ordered"], "inconclusive")


def test_analytic_thm53_row_is_a_sanity_check():
    assert {c.claim_id: c.kind for c in selez.CLAIMS}["S5-thm53"] == "sanity"
    assert sum(c.kind == "claim" for c in selez.CLAIMS) >= 20


@pytest.mark.parametrize("claim", selez.CLAIMS, ids=lambda c: c.claim_id)
def test_missing_targets_are_inconclusive(claim):
    out = rows({})
    assert out[claim.claim_id]["verdict"] == "inconclusive"
