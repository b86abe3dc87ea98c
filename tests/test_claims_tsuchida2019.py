"""tsuchida2019 claims on synthetic target CSVs (the columns of the real targets): for each claim
family a case where the claim holds (reproduced), where it is false (not reproduced, with a
diagnosis), where a validity condition fails and where the interval straddles the threshold
(both inconclusive)."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO

from mlptheory.claims import evaluate
from mlptheory.papers import paper_claims
from mlptheory.papers.tsuchida2019.claims import transition_width

CLAIMS = paper_claims("tsuchida2019")
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())["tsuchida2019"]
ROWS = [("adam", 1e-3, 1e-16), ("adam", 1e-3, 1e-8), ("adam", 1e-3, 1.0), ("sgd", 0.5, 0.0)]
ZERO, NONZERO, SWEEP = ("fig3_trained_kernels_zero_sum", "fig4_trained_kernels_nonzero_sum",
                        "fig5_optimizer_sweep")
TSU_CLAIMS = ["F2-init-arccos", "S5-zero-sum-invariant", "S5-adam-small-eps-breaks",
              "S5-adam-large-eps-stays", "S5-sgd-stays", "S5-adam-sharp-dW",
              "S5-adam-sharp-dk", "S5-rmsprop-nadam-sharp", "S5-sgd-smaller-dW",
              "S5-sgd-smaller-dk"]


def run(frames):
    rows = evaluate("tsuchida2019", CLAIMS, frames, CONFIG, "quick")
    return {r["claim_id"]: r for r in rows}


def arccos(theta):
    return (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / np.pi


def trained_kernels(inputs, drift=None, loss=None, diverged=(), reps=3, pairs=120):
    """Figs. 3/4 rows with the target's columns. The kernel at t = 0 is arc-cosine plus
    finite-width noise (sd 0.02); at the last step (t = 150) its MSE is ``drift[(opt, eps)]``
    times larger (a number, or one per replicate), half as much more at t = 50; the training
    loss falls from 0.1 to 0.1 x ``loss[(opt, eps)]`` (default 0.2), the mean image's is 0.05
    (so ``trained`` is 2 x ``loss``)."""
    drift, loss = drift or {}, loss or {}
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, np.pi, pairs)
    frames = []
    for s, (opt, lr, eps) in enumerate(ROWS):
        factors = np.broadcast_to(drift.get((opt, eps), 1.0), (reps,))
        for r in range(reps):
            for layer in ["1", "2", "3", "4", "full"]:
                for step in (0, 50, 150):
                    f = 1.0 if step == 0 else (factors[r] if step == 150
                                               else 1 + (factors[r] - 1) / 2)
                    k = arccos(theta) + rng.normal(0, 0.02 * math.sqrt(f), theta.size)
                    frames.append(pd.DataFrame({
                        "optimizer": opt, "eps": eps, "lr": lr, "replicate": r,
                        "member": s * reps + r,
                        "status": "diverged" if (opt, eps) in diverged else "max_steps",
                        "loss": 0.1 * (loss.get((opt, eps), 0.2) if step == 150 else 1.0),
                        "loss_mean_image": 0.05,
                        "inputs": inputs, "layer": layer, "step": step,
                        "pair": np.arange(theta.size), "theta": theta,
                        "theta_achieved": theta, "k_measured": k, "k_arccos": arccos(theta),
                        "n_skipped": 0, "hyp3_x": 5.3}))
    return pd.concat(frames, ignore_index=True)


GRID = [1e-16, 1e-12, 1e-8, 1e-4, 1.0]


def sweep(shape=("step",) * 3, sgd=0.5, grid=GRID, small_loss=0.2, moved=0.2, noise=0.02,
          families=("adam", "rmsprop", "nadam")):
    """Fig. 5 rows with the target's columns. Per replicate the adaptive families' Delta W and
    Delta k (1000x their base at small eps, linear in between) follow ``shape[r]``: ``step``
    (the whole change between eps = 1e-8 and 1e-4), ``linear`` (even in log eps) or ``flat``;
    SGD's are ``sgd`` (a number or one per replicate) times the adaptive base."""
    rows = []
    reps = len(shape)
    sgd = np.broadcast_to(sgd, (reps,))
    rng = np.random.default_rng(3)
    for family in families:
        for i, eps in enumerate(grid):
            for r in range(reps):
                x = (math.log10(eps) + 16) / 16  # 0 at 1e-16, 1 at 1
                level = {"step": 0.0 if eps < 1e-6 else 1.0, "linear": x, "flat": 0.5}[shape[r]]
                scale = (1 + 999 * (1 - level)) * (1 + noise * rng.standard_normal())
                for layer in (1, 2, 3, 4):
                    rows.append(dict(
                        optimizer=family, eps=eps, lr=1e-3, replicate=r, member=i * reps + r,
                        status="max_steps", layer=layer, step=150, delta_k_raw=3e-4 * scale,
                        delta_w_raw=2e-6 * scale,
                        loss=0.1 * (small_loss if eps == min(grid) else 0.9), loss_mean_image=0.05,
                        displacement=0.3, delta_w_init=2e-6, loss_init=0.1))
    for i, lr in enumerate((0.1, 0.5, 1.0)):
        for r in range(reps):
            for layer in (1, 2, 3, 4):
                bad = lr == 1.0
                rows.append(dict(
                    optimizer="sgd", eps=0.0, lr=lr, replicate=r, member=i * reps + r,
                    status="diverged" if bad else "max_steps", layer=layer, step=150,
                    delta_k_raw=3e-4 * 1e3 * sgd[r], delta_w_raw=np.nan if bad
                    else 2e-6 * 1e3 * sgd[r], loss=0.02, loss_mean_image=0.05, displacement=moved,
                    delta_w_init=2e-6, loss_init=0.1))
    frame = pd.DataFrame(rows)
    frame["delta_k"] = frame["delta_w"] = 0.0  # min-max normalized columns (not read)
    return frame


def random_kernels(offsets=(0.0, 0.0, 0.0, 0.0, 0.0)):
    """Fig. 2 rows; draw ``d`` leaves the curve by ``offsets[d] * sin(theta)``."""
    theta = np.linspace(0, np.pi, 20)
    rng = np.random.default_rng(1)
    return pd.concat([pd.DataFrame({
        "beta": beta, "draw": d, "theta": theta, "theta_achieved": theta,
        "k_measured": arccos(theta) + rng.normal(0, 0.02, theta.size) + off * np.sin(theta),
        "k_arccos": arccos(theta)}) for beta in (0.5, 2.0, np.inf)
        for d, off in enumerate(offsets)], ignore_index=True)


BROKEN = {("adam", 1e-16): 25.0, ("adam", 1e-8): 25.0}


def holding():
    return {"fig2_random_kernels": random_kernels(), ZERO: trained_kernels("zero_sum"),
            NONZERO: trained_kernels("nonzero_sum", drift=BROKEN), SWEEP: sweep()}


def test_transition_width_of_a_step_a_ramp_and_a_flat_curve():
    x = np.array([-16.0, -12, -8, -4, 0])
    assert transition_width(x, [1, 1, 1, 0, 0]) == pytest.approx(3.2, abs=0.02)
    assert transition_width(x, [0, 1, 2, 3, 4]) == pytest.approx(12.8, abs=0.02)
    assert transition_width(x, [5, 5, 5, 5, 5]) == 16.0
    # half the change in each of two steps: 80% needs one step and 60% of the other
    assert transition_width(x, [2, 2, 1, 0, 0]) == pytest.approx(6.4, abs=0.02)


def test_every_claim_reproduced_where_the_paper_holds():
    rows = run(holding())
    assert sorted(rows) == sorted(TSU_CLAIMS)
    got = {k: r["verdict"] for k, r in rows.items()}
    assert got == dict.fromkeys(TSU_CLAIMS, "reproduced"), {
        k: (r["reason"], r["note"]) for k, r in rows.items() if r["verdict"] != "reproduced"}
    for r in rows.values():
        assert r["n"] >= 3 and r["low"] <= r["measured"] <= r["high"], r["claim_id"]
        assert r["validity"], r["claim_id"]
    assert "layers 2+3" in rows["S5-zero-sum-invariant"]["note"]
    assert "Hypothesis 3 fails" in rows["S5-zero-sum-invariant"]["note"]
    assert "of the paper's 19000" in rows["S5-sgd-stays"]["note"]
    assert rows["S5-adam-sharp-dW"]["measured"] == pytest.approx(3.2, abs=0.2)


def test_every_claim_not_reproduced_where_the_paper_fails_with_a_diagnosis():
    frames = {"fig2_random_kernels": random_kernels((0.3,) * 5),
              # zero sums do not protect the kernel, small eps does not break it, large eps
              # and SGD do; the sweeps change evenly over eps and SGD's Delta W is larger
              ZERO: trained_kernels("zero_sum", drift={("adam", 1e-8): 25.0}),
              NONZERO: trained_kernels("nonzero_sum", drift={("adam", 1.0): 25.0,
                                                             ("sgd", 0.0): 25.0}),
              SWEEP: sweep(shape=("linear",) * 3, sgd=1e4)}
    rows = run(frames)
    got = {k: r["verdict"] for k, r in rows.items()}
    assert got == dict.fromkeys(TSU_CLAIMS, "not_reproduced"), {
        k: (r["reason"], r["note"]) for k, r in rows.items()}
    for r in rows.values():
        assert r["diagnosis"].split(":")[0] in ("scale", "deviation", "disagrees")
        assert "no setting of ours is known" not in r["diagnosis"], r["claim_id"]
    assert rows["S5-adam-sharp-dW"]["measured"] == pytest.approx(12.8, abs=0.5)


def test_small_eps_that_keeps_growing_is_diagnosed_as_too_short_training():
    frames = holding()
    frames[NONZERO] = trained_kernels("nonzero_sum", drift={("adam", 1e-16): 2.5})
    row = run(frames)["S5-adam-small-eps-breaks"]
    assert row["verdict"] == "not_reproduced"
    assert row["diagnosis"].startswith("scale: the drift ratio grows with training")


def test_untrained_networks_make_the_kernel_claims_inconclusive():
    """The Adam eps = 1 network that never trained: its kernel staying put is no evidence."""
    frames = holding()
    frames[NONZERO] = trained_kernels("nonzero_sum", drift=BROKEN,
                                      loss={("adam", 1.0): 0.92, ("adam", 1e-16): 0.7,
                                            ("sgd", 0.0): 0.9})
    frames[ZERO] = trained_kernels("zero_sum", loss={r[::2]: 0.9 for r in ROWS})
    rows = run(frames)
    for claim in ("S5-adam-large-eps-stays", "S5-adam-small-eps-breaks", "S5-sgd-stays"):
        assert rows[claim]["verdict"] == "inconclusive", claim
        assert "trained = " in rows[claim]["reason"], claim
    assert rows["S5-zero-sum-invariant"]["verdict"] == "inconclusive"
    assert "rows = 0" in rows["S5-zero-sum-invariant"]["reason"]


def test_one_replicate_and_two_draws_are_inconclusive():
    frames = {"fig2_random_kernels": random_kernels((0.0, 0.0)),
              ZERO: trained_kernels("zero_sum", reps=1),
              NONZERO: trained_kernels("nonzero_sum", drift=BROKEN, reps=1),
              SWEEP: sweep(shape=("step",))}
    rows = run(frames)
    assert all(r["verdict"] == "inconclusive" for r in rows.values()), {
        k: r["reason"] for k, r in rows.items()}
    assert "draws = 2" in rows["F2-init-arccos"]["reason"]
    assert "replicates = 1" in rows["S5-sgd-stays"]["reason"]


def test_sharp_change_conditions_signal_grid_training_and_missing_sweeps():
    frames = holding()
    frames[SWEEP] = sweep(shape=("flat",) * 3)  # no change beyond the replicate noise
    rows = run(frames)
    assert rows["S5-adam-sharp-dW"]["verdict"] == "inconclusive"
    assert "signal = " in rows["S5-adam-sharp-dW"]["reason"]
    frames[SWEEP] = sweep(grid=[1e-16, 1e-8, 1.0])  # 8-decade gaps cannot resolve 4 decades
    assert "grid = 8" in run(frames)["S5-adam-sharp-dk"]["reason"]
    frames[SWEEP] = sweep(small_loss=0.8)  # the small-eps networks did not train
    assert "trained = " in run(frames)["S5-adam-sharp-dW"]["reason"]
    frames[SWEEP] = sweep(families=("adam",))  # a config without RMSProp / NAdam sweeps
    row = run(frames)["S5-rmsprop-nadam-sharp"]
    assert row["verdict"] == "inconclusive" and "sweeps = 0" in row["reason"]


def test_sgd_that_never_moved_its_weights_is_inconclusive():
    frames = holding()
    frames[SWEEP] = sweep(moved=0.01)
    rows = run(frames)
    for claim in ("S5-sgd-smaller-dW", "S5-sgd-smaller-dk"):
        assert rows[claim]["verdict"] == "inconclusive"
        assert "moved = 0.01" in rows[claim]["reason"]


def test_intervals_that_straddle_the_thresholds_are_inconclusive():
    frames = {"fig2_random_kernels": random_kernels((0.0, 0.02, 0.05, 0.08, 0.11)),
              ZERO: trained_kernels("zero_sum", drift={("adam", 1e-16): (1.0, 4.0, 9.0)}),
              NONZERO: trained_kernels("nonzero_sum", drift={
                  ("adam", 1e-16): (1.0, 5.0, 12.0), ("adam", 1e-8): 25.0,
                  ("adam", 1.0): (1.0, 4.0, 9.0), ("sgd", 0.0): (1.0, 4.0, 9.0)}),
              SWEEP: sweep(shape=("step", "step", "linear"), sgd=(0.3, 1e-3, 1e3))}
    rows = run(frames)
    for claim in TSU_CLAIMS:
        if claim == "S5-rmsprop-nadam-sharp":
            continue  # the same rows as S5-adam-sharp-dW
        assert rows[claim]["verdict"] == "inconclusive", (claim, rows[claim]["reason"])
        assert rows[claim]["reason"].startswith("within noise"), (claim, rows[claim]["reason"])


def test_diverged_settings_are_left_out_and_two_layers_have_no_hidden_layer():
    frames = holding()
    frames[ZERO] = trained_kernels("zero_sum", diverged=[r[::2] for r in ROWS])
    frames[NONZERO] = frames[NONZERO].query("eps != 1e-16")
    del frames["fig2_random_kernels"]
    rows = run(frames)
    for claim in ("F2-init-arccos", "S5-zero-sum-invariant", "S5-adam-small-eps-breaks"):
        assert rows[claim]["verdict"] == "inconclusive", claim
        assert math.isnan(rows[claim]["measured"])
    assert "diverged" in rows["S5-zero-sum-invariant"]["note"]
    assert rows["S5-adam-large-eps-stays"]["verdict"] == "reproduced"
    two = trained_kernels("zero_sum").query("layer in ['1', '2', 'full']")
    row = run({ZERO: two})["S5-zero-sum-invariant"]
    assert row["verdict"] == "inconclusive" and "Proposition 6" in row["note"]
