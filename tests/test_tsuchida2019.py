"""tsuchida2019: the random-layer kernel against the arc-cosine kernel, the full-network kernel
against the composed arc-cosine kernel, Procedure 1 pairs, the Fig. 5 sweep statistics, and the
plan (one ensemble per optimizer family with per-member hyperparameters)."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
from test_planning import REPO, plan_config

from mlptheory.kernels import arccos_kernel
from mlptheory.kernels.tsuchida import procedure1
from mlptheory.papers.tsuchida2019 import optimizer_sweep, random_kernels, trained_kernels
from mlptheory.papers.tsuchida2019.plan import plan
from mlptheory.run_request import RunRequest


@pytest.mark.parametrize("beta", [0.5, math.inf])
def test_random_layer_kernel_follows_the_arccos_kernel(beta):
    """Fig. 2: a 1000 x 1000 random layer, any beta: mean squared deviation below 1e-3."""
    frame = random_kernels.table({"n_inputs": 1000, "n_hidden": 1000, "betas": [beta],
                                  "draws": 1, "n_angles": 25, "seed": 3})
    np.testing.assert_allclose(frame.theta_achieved, frame.theta, atol=1e-12)
    np.testing.assert_allclose(frame.k_arccos, arccos_kernel(frame.theta), rtol=0, atol=0)
    assert random_kernels.deviation(frame)[beta] < 1e-3
    # and the measured kernel does depend on the angle as the closed form says, not trivially
    assert frame.k_measured.iloc[0] == pytest.approx(1.0, abs=1e-12)
    assert frame.k_measured.iloc[-1] < 0.05


def test_rotated_pairs_are_unit_vectors_at_the_angle():
    rng = np.random.default_rng(0)
    theta = np.linspace(0, np.pi, 7)
    x, y = random_kernels.rotated_pairs(rng, 50, theta)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.einsum("ij,ij->i", x, y), np.cos(theta), atol=1e-12)


def test_composed_arccos_is_the_kernel_of_a_wide_random_relu_network():
    """The full-network column: sigma(W3 sigma(W2 sigma(W1 x))) of a wide Gaussian net against
    the arc-cosine kernel applied three times (and once = arccos_kernel itself)."""
    theta = np.linspace(0.1, np.pi, 9)
    np.testing.assert_allclose(trained_kernels.composed_arccos(theta, 1), arccos_kernel(theta),
                               atol=1e-14)
    rng = np.random.default_rng(1)
    d, n = 40, 4000
    x, y = random_kernels.rotated_pairs(rng, d, theta)
    ws = [rng.standard_normal((n, d)) * math.sqrt(2 / d)]
    ws += [rng.standard_normal((n, n)) * math.sqrt(2 / n) for _ in range(2)]
    k = trained_kernels.cosine_rows(trained_kernels.relu_features(ws, x),
                                    trained_kernels.relu_features(ws, y))
    np.testing.assert_allclose(k, trained_kernels.composed_arccos(theta, 3), atol=0.02)


@pytest.mark.parametrize("zero_sum", [True, False])
def test_procedure1_pairs_have_the_angle_and_the_sums(zero_sum):
    rng = np.random.default_rng(2)
    data = rng.uniform(0, 1, size=(30, 50)) * (rng.uniform(size=(30, 50)) < 0.4)
    theta = rng.uniform(0, np.pi, size=30)
    pairs = procedure1(data, theta, rng, zero_sum=zero_sum)
    np.testing.assert_allclose(pairs.achieved, pairs.theta, atol=1e-9)
    sums = np.abs(np.concatenate([pairs.x.sum(1), pairs.y.sum(1)]))
    if zero_sum:
        assert sums.max() < 1e-12
    else:
        assert sums.min() > 1e-3


def test_sweep_statistics_are_min_max_normalized_per_family_and_layer():
    rng = np.random.default_rng(4)
    kernel_rows, weight_rows = [], []
    for opt, values in (("adam", [1e-16, 1e-8, 1.0]), ("sgd", [0.1, 0.5])):
        for m, v in enumerate(values):
            eps, lr = (v, 1e-3) if opt == "adam" else (0.0, v)
            for layer in (1, 2):
                for step in (0, 10):
                    k = rng.uniform(size=5)
                    ref = rng.uniform(size=5)
                    kernel_rows.append(pd.DataFrame({
                        "optimizer": opt, "eps": eps, "lr": lr, "member": m, "status": "ok",
                        "inputs": "nonzero_sum", "layer": str(layer), "step": step,
                        "k_measured": k, "k_arccos": ref}))
                    weight_rows.append({"optimizer": opt, "eps": eps, "lr": lr, "member": m,
                                        "status": "ok", "layer": layer, "step": step,
                                        "en_squared": rng.uniform()})
    kernels = pd.concat(kernel_rows, ignore_index=True)
    weights = pd.DataFrame(weight_rows)
    out = optimizer_sweep.sweep_table(kernels, weights, "nonzero_sum")
    assert len(out) == 10 and set(out.step) == {10}
    for (opt, layer), group in out.groupby(["optimizer", "layer"]):
        for m, row in group.set_index("member").iterrows():
            sel = kernels[(kernels.optimizer == opt) & (kernels.member == m)
                          & (kernels.layer == str(layer)) & (kernels.step == 10)]
            assert row.delta_k_raw == pytest.approx(
                np.mean((sel.k_measured - sel.k_arccos) ** 2), rel=1e-12)
        raw = group.delta_w_raw.to_numpy()
        np.testing.assert_allclose(group.delta_w, (raw - raw.min()) / (raw.max() - raw.min()))
        assert group.delta_k.min() == 0.0 and group.delta_k.max() == 1.0


def test_plan_trains_one_ensemble_per_family_with_per_member_hyperparameters():
    config = plan_config(REPO, "configs/quick.yaml")
    cfg = config["tsuchida2019"]
    reps = cfg["training"]["seeds"]
    assert reps >= 3  # the claims' intervals need independent replicates
    result = plan(config)
    assert set(result.runs) == {f"autoencoder_{f}" for f in ("adam", "sgd")
                                if cfg["optimizers"][f]["eps" if f == "adam" else "lr"]} | {
        f"autoencoder_{f}" for f in ("rmsprop", "nadam") if cfg["optimizers"][f]["eps"]}
    for request in result.runs.values():
        assert RunRequest.from_dict(request.to_dict()) == request
    adam = result.runs["autoencoder_adam"]
    # setting-major: member i * reps + r is setting i, replicate r
    assert list(adam.train.member_eps) == [e for e in cfg["optimizers"]["adam"]["eps"]
                                           for _ in range(reps)]
    assert adam.train.member_lr is None and adam.data.targets == "reconstruction"
    assert adam.spec.widths == (784,) * 5 and not adam.spec.bias and adam.spec.init == "he"
    assert adam.train.data_order == "per_member"  # own minibatch order per init seed
    first = list(adam.seeds[:reps])
    assert len(set(first)) == reps and list(adam.seeds) == first * len(
        cfg["optimizers"]["adam"]["eps"])
    sgd = result.runs["autoencoder_sgd"]
    assert list(sgd.train.member_lr) == [lr for lr in cfg["optimizers"]["sgd"]["lr"]
                                         for _ in range(reps)]
    assert list(sgd.seeds[:reps]) == first  # replicate r: one init across the optimizers
    rows = result.registry.figures["fig3_trained_kernels_zero_sum"].settings["rows"]
    assert [(r["optimizer"], r["eps"] if r["optimizer"] == "adam" else r["lr"]) for r in rows] \
        == [("adam", 1e-16), ("adam", 1e-8), ("adam", 1.0), ("sgd", 0.5)]


def test_member_settings_number_the_replicates_by_their_init_seed():
    from types import SimpleNamespace

    train = SimpleNamespace(optimizer="adam", lr=1e-3, eps=1e-8, member_lr=None,
                            member_eps=(1e-16, 1e-16, 1.0, 1.0))
    run = SimpleNamespace(train=train, seeds=np.array([7, 9, 7, 9]))
    got = trained_kernels.member_settings(run)
    assert [(m["eps"], m["replicate"]) for m in got] == [(1e-16, 0), (1e-16, 1), (1.0, 0),
                                                        (1.0, 1)]


def test_hypothesis3_statistic_of_procedure1_zero_sum_inputs_is_large():
    """Hypothesis 3 asks m^(1/4) max|x_i| / ||x|| -> 0; the zero-sum steps of Procedure 1 put
    the negated sum into one coordinate, which then holds most of the norm."""
    rng = np.random.default_rng(5)
    data = rng.uniform(0, 1, size=(20, 784)) * (rng.uniform(size=(20, 784)) < 0.2)
    spread = trained_kernels.hypothesis3(data)
    pairs = procedure1(data, rng.uniform(0, np.pi, 20), rng, zero_sum=True)
    assert np.median(trained_kernels.hypothesis3(pairs.x)) > 3 * np.median(spread)
    assert trained_kernels.hypothesis3(np.ones((1, 16)))[0] == pytest.approx(16 ** 0.25 / 4)


def test_plan_names_the_key_of_a_figure_row_outside_its_sweep():
    config = plan_config(REPO, "configs/quick.yaml")
    bad = copy.deepcopy(config)
    bad["tsuchida2019"]["figure_rows"]["adam_eps"] = [1e-3]
    with pytest.raises(ValueError, match=r"tsuchida2019\.figure_rows\.adam_eps: 0\.001"):
        plan(bad)
    empty = copy.deepcopy(config)
    empty["tsuchida2019"]["optimizers"]["nadam"]["eps"] = []
    result = plan(empty)
    assert "autoencoder_nadam" not in result.runs and "kernels_nadam" not in result.registry.tables


@pytest.mark.slow
def test_smoke_outputs_hold_the_plotted_numbers(smoke_workflow):
    out = smoke_workflow / "results" / "tsuchida2019"
    fig2 = pd.read_csv(out / "fig2_random_kernels.csv")
    assert {"beta", "draw", "theta", "k_measured", "k_arccos"} <= set(fig2)
    for name in ("fig3_trained_kernels_zero_sum", "fig4_trained_kernels_nonzero_sum"):
        frame = pd.read_csv(out / f"{name}.csv")
        assert {"optimizer", "eps", "lr", "layer", "step", "theta", "k_measured",
                "k_arccos"} <= set(frame)
        layers = frame[frame.layer.astype(str) != "full"]
        np.testing.assert_allclose(layers.k_arccos, arccos_kernel(layers.theta_achieved),
                                   atol=1e-12)
        np.testing.assert_allclose(frame.theta_achieved, frame.theta, atol=1e-9)
    fig5 = pd.read_csv(out / "fig5_optimizer_sweep.csv")
    assert {"optimizer", "eps", "lr", "layer", "delta_k_raw", "delta_w_raw", "delta_k",
            "delta_w"} <= set(fig5)
    finite = fig5.dropna(subset=["delta_w"])
    assert finite.delta_w.between(0, 1).all()
