"""seleznova2021 paper module: formulas against independent computations, batched per-member
initializations against separate runs, and the paper's findings on the smoke workflow."""

import numpy as np
import pandas as pd
import pytest
import torch
from test_planning import plan_config

from mlptheory.experiment import train_to_file
from mlptheory.kernels import thm53_output_variance
from mlptheory.papers.seleznova2021 import ntk_change, ntk_variance, plan, thm53
from mlptheory.runs import read_run
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig

torch.set_num_threads(1)


def test_ratio_and_se_against_bootstrap():
    rng = np.random.default_rng(0)
    t = rng.lognormal(0.0, 0.5, size=400)
    ratio, se = ntk_variance.ratio_and_se(t)
    assert ratio == pytest.approx(np.sum(t**2) * len(t) / np.sum(t) ** 2, rel=1e-12)
    boot = [ntk_variance.ratio_and_se(t[rng.integers(0, len(t), len(t))])[0] for _ in range(2000)]
    assert se == pytest.approx(np.std(boot), rel=0.15)
    # the delta-method se shrinks like 1/sqrt(n)
    assert ntk_variance.ratio_and_se(np.tile(t, 4))[1] == pytest.approx(se / 2, rel=0.01)
    with pytest.raises(ValueError, match="2 samples"):
        ntk_variance.ratio_and_se([1.0])


def test_relative_change_against_explicit_frobenius():
    rng = np.random.default_rng(1)
    t0, t1 = rng.standard_normal((2, 3, 5, 5))
    want = [np.sqrt(((t1[e] - t0[e]) ** 2).sum()) / np.sqrt((t0[e] ** 2).sum()) for e in range(3)]
    np.testing.assert_allclose(ntk_change.relative_change(t1, t0), want, rtol=1e-13)


def test_kernel_regression_output_interpolates_and_matches_inverse():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 7, 7))
    theta = a @ a.transpose(0, 2, 1) + 7 * np.eye(7)  # two SPD kernels on 6 train + 1 test
    f0, y = rng.standard_normal((2, 7)), rng.standard_normal(6)
    t = torch.as_tensor
    out = thm53.kernel_regression_output(t(theta[:, -1, :-1]), t(theta[:, :-1, :-1]),
                                         t(f0[:, -1]), t(f0[:, :-1]), t(y)).numpy()
    want = [f0[e, -1] + theta[e, -1, :-1] @ np.linalg.inv(theta[e, :-1, :-1]) @ (y - f0[e, :-1])
            for e in range(2)]
    np.testing.assert_allclose(out, want, rtol=1e-12)
    # at a training point the trained output equals its target (eq. (10) interpolates)
    at_train = thm53.kernel_regression_output(t(theta[:, 0, :-1]), t(theta[:, :-1, :-1]),
                                              t(f0[:, 0]), t(f0[:, :-1]), t(y)).numpy()
    np.testing.assert_allclose(at_train, y[0], rtol=1e-10)


def test_empirical_output_variance_approaches_theorem53_when_wide():
    """One wide erf layer: the empirical NTK is nearly deterministic, so the variance of the
    kernel-regression output over initializations matches Theorem 5.3."""
    n_train, width = 16, 3000
    xs = thm53.orthogonal_inputs(n_train + 1, n_train + 1, seed=0)
    np.testing.assert_allclose(xs @ xs.T, (n_train + 1) * np.eye(n_train + 1), atol=1e-10)
    spec = NetworkSpec(n_train + 1, (width,), 1, activation="erf", sw2=3.0, sb2=0.05)
    var, se = thm53.empirical_output_variance(spec, xs[:-1], xs[-1], 150, seed=3)
    theory = thm53_output_variance(1, "erf", 3.0, 0.05, n_train,
                                   alphas=[(n_train + 1) / width, 1.0])
    assert abs(var - theory) < 3 * se, (var, se, theory)


def test_member_inits_batched_equals_separate_runs(tmp_path):
    rng = np.random.default_rng(4)
    x = torch.as_tensor(rng.standard_normal((12, 6)) / np.sqrt(6))
    y = torch.as_tensor(rng.standard_normal((12, 3)))
    spec = NetworkSpec(6, (8, 8), 3, activation="tanh", sw2=1.0, sb2=0.5)
    config = TrainConfig(optimizer="gd", lr=0.05, max_steps=30, tol=1e-3, patience=5,
                         checkpoint_steps=(10,), log_every=100)
    inits = [{"sw2": 0.5, "sb2": 0.5}, {"sw2": 3.0, "sb2": 1.0}, {"sw2": 1.5, "sb2": 0.0}]
    seeds = [5, 6, 7]
    train_to_file(spec, seeds, x, y, config, tmp_path / "batched.h5", member_inits=inits)
    batched = read_run(tmp_path / "batched.h5")
    assert [s.sw2 for s in batched.member_specs()] == [0.5, 3.0, 1.5]
    for e, (seed, init) in enumerate(zip(seeds, inits, strict=True)):
        path = tmp_path / f"separate{e}.h5"
        train_to_file(spec.replace(**init), [seed], x, y, config, path)
        alone = read_run(path)
        np.testing.assert_array_equal(batched.losses[: len(alone.losses), e], alone.losses[:, 0])
        assert batched.status[e] == alone.status[0]
        assert batched.final_step[e] == alone.final_step[0]
        for step in alone.checkpoint_steps:
            want = alone.checkpoint(int(step))
            got = batched.checkpoint(int(step))
            for name in want:
                np.testing.assert_array_equal(got[name][e], want[name][0])
    with pytest.raises(ValueError, match="standard parameterization"):
        train_to_file(spec.replace(parameterization="ntk"), seeds, x, y, config,
                      tmp_path / "bad.h5", member_inits=inits)


def test_training_requests_batch_every_sw2_of_one_depth():
    cfg = {"activations": ["relu"], "width": 16, "widths": [8, 16], "depths": [1, 3],
           "sw2": [1.0, 2.0, 3.0], "sb2": 1.0, "seeds": 2, "n_train": 8, "lr": 1e-5,
           "max_steps": 10, "tol": 1e-7, "patience": 5, "ntk_steps": [5], "log_every": 5,
           "dataset": "mnist"}
    requests = plan.training_requests(cfg, 0)
    assert sorted(requests) == sorted(plan.run_name("relu", w, d) for w in (8, 16)
                                      for d in (1, 3))
    req = requests[plan.run_name("relu", 16, 3)]
    assert [i["sw2"] for i in req.init] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert req.seeds[0::2] == (req.seeds[0],) * 3  # common random numbers across sw2
    assert len(set(req.seeds)) == 2
    assert req.spec.hidden == (16, 16, 16)


def test_variance_cells_of_each_grid():
    cfg = {"widths": [10, 20], "sb2": 1.0, "sw2": [1.0, 2.0], "depths": [1, 2, 3],
           "bias_width": 5, "bias_sb2": [0.1, 0.5, 1.0],
           "vs_depth": {"settings": [[1.0, 1.0], [2.0, 0.0]], "widths": [4], "depths": [1, 2]}}
    assert len(plan.variance_cells(cfg, "fig1", "tanh")) == 12
    assert {c[4] for c in plan.variance_cells(cfg, "fig7", "relu")} == {0.1, 0.5, 1.0}
    assert plan.variance_cells(cfg, "fig2")[-1] == ("relu", 4, 2, 2.0, 0.0)
    with pytest.raises(ValueError, match="unknown NTK-variance grid"):
        plan.variance_cells(cfg, "fig9", "relu")


@pytest.mark.slow
def test_smoke_workflow_shows_the_papers_findings(smoke_workflow):
    """The seleznova2021 targets of the smoke DAG, and the paper's findings in their numbers."""
    out = smoke_workflow / "results" / "seleznova2021"
    config = plan_config(smoke_workflow, "configs/quick.yaml", "smoke.yaml")
    targets = plan.plan(config).registry.figures
    assert len(targets) == 13
    for target in targets:
        assert (out / f"{target}.pdf").stat().st_size > 1000
        assert len(pd.read_csv(out / f"{target}.csv")) > 0
    fig1 = pd.read_csv(out / "fig1_ntk_variance_relu.csv")
    relu = fig1[(fig1.width == 100) & (fig1.sb2 == 1.0)].set_index(["sw2", "depth"])
    assert (relu.loc[1.0].ratio < 1.1).all()
    assert relu.loc[(3.0, 20), "ratio"] > 1.5
    assert set(fig1.phase) == {"ordered", "chaotic"}
    change = pd.read_csv(out / "fig4_ntk_change_relu.csv")
    deepest = change[change.depth == change.depth.max()].groupby("phase").rel_change_final.mean()
    assert deepest["chaotic"] > deepest["ordered"]


def test_gd_critical_lr_from_the_explicit_jacobian():
    """2S / lambda_max of J J^T, J the Jacobian of all outputs on all inputs w.r.t. all
    parameters (materialized by autograd), for every member of a small ensemble."""
    from torch.func import functional_call, jacrev

    from mlptheory.kernels import gd_critical_lr
    from mlptheory.models import EnsembleMLP

    spec = NetworkSpec(5, (7, 6), 3, activation="tanh", sw2=2.0, sb2=0.5)
    model = EnsembleMLP(spec, seeds=[1, 2])
    x = torch.as_tensor(np.random.default_rng(0).random((4, 5)))
    got = gd_critical_lr(model, x).numpy()
    for e in range(2):
        member = model.member(e)
        params = {k: v.detach() for k, v in member.named_parameters()}
        jac = jacrev(lambda p, m=member: functional_call(m, p, (x,)))(params)
        j = torch.cat([v.reshape(4 * 3, -1) for v in jac.values()], dim=1)
        lam = torch.linalg.eigvalsh(j @ j.T)[-1].item()
        np.testing.assert_allclose(got[e], 2 * 4 / lam, rtol=1e-12)


def test_baseline_loss_is_the_best_constant_predictors():
    y = np.random.default_rng(3).random((20, 4))
    best = ntk_change.baseline_loss(y)
    for c in (y.mean(0), y.mean(0) + 0.01, np.zeros(4)):
        assert 0.5 * ((y - c) ** 2).sum() / len(y) >= best - 1e-15
    np.testing.assert_allclose(best, 0.5 * ((y - y.mean(0)) ** 2).sum() / 20, rtol=1e-14)
