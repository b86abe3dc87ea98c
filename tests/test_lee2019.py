"""lee2019 experiment helpers against independent computations (float64)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mlptheory.data import to_inputs
from mlptheory.experiment import (
    analytic_eta_critical,
    checkpoint_measures,
    interpolation_inputs,
    tracked_indices,
    train_to_file,
)
from mlptheory.kernels import nngp_ntk
from mlptheory.linearize import gradient_descent
from mlptheory.models import MLP
from mlptheory.papers.lee2019.kernel_convergence import fitted_slopes
from mlptheory.papers.lee2019.plan import log_steps, plan
from mlptheory.predict import eta_critical
from mlptheory.run_request import DataRequest
from mlptheory.runs import read_run
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig

torch.set_num_threads(1)


def _problem(d=6, n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.standard_normal((n, d)))
    y = torch.as_tensor(np.where(np.arange(n) % 3 == 0, -1.0, 1.0)[:, None])
    return x, y


def test_run_measures_record_what_plain_autograd_gd_gives(tmp_path):
    """A run with lee2019's measures (outputs, interpolation, displacement, tracked weights,
    no weights) against each member trained alone by plain autograd GD (float64)."""
    spec = NetworkSpec(6, (32, 32), 1, activation="relu", sw2=2.0, sb2=0.1,
                       parameterization="ntk")
    x, y = _problem()
    steps = [0, 3, 17, 40]
    measure = {"outputs": True, "interpolation": 5, "interpolation_range": [-1.0, 2.0],
               "displacement": True, "tracked_weights": 4}
    make = checkpoint_measures(measure, x, y, DataRequest("mnist", targets="signed"), None, spec)
    config = TrainConfig(optimizer="gd", lr=0.3, loss="mse", max_steps=40,
                         checkpoint_steps=tuple(steps))
    train_to_file(spec, [5, 9], x, y, config, tmp_path / "r.h5", make_callback=make,
                  keep_weights=False)
    run = read_run(tmp_path / "r.h5")
    assert list(run.checkpoint_steps) == steps
    classes = (y[:, 0] < 0).long()
    _, xa = interpolation_inputs(x, classes, 5, (-1.0, 2.0))
    indices = tracked_indices(spec, 4)
    for e, seed in enumerate([5, 9]):
        net = MLP(spec, seed=seed)
        theta0 = [p.detach().clone() for p in net.parameters()]

        def record(m, theta0=theta0):
            disp = torch.sqrt(sum((p.detach() - p0).pow(2).sum()
                                  for p, p0 in zip(m.parameters(), theta0, strict=True)))
            return {"w": [w.detach().flatten()[idx].clone()
                          for w, idx in zip(m.weights, indices, strict=True)],
                    "disp": float(disp)}

        ref = gradient_descent(net, x, y, 0.3, 40, steps, x_eval=xa, measure=record)
        for s in steps:
            got = run.checkpoint(s)
            assert not any(k.startswith(("W", "b")) for k in got)  # weights: false
            np.testing.assert_allclose(got["outputs"][e], ref[s]["train"].detach().numpy(),
                                       rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(got["interpolation_outputs"][e], ref[s]["eval"].numpy(),
                                       rtol=1e-10, atol=1e-12)
            assert got["displacement"][e] == pytest.approx(ref[s]["disp"], rel=1e-10, abs=1e-14)
            np.testing.assert_allclose(got["tracked_weights"][e],
                                       np.stack([w.numpy() for w in ref[s]["w"]]),
                                       rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("parameterization", ["ntk", "standard"])
def test_lr_unit_eta_critical_resolves_from_the_analytic_ntk(tmp_path, parameterization):
    """``lr_unit="eta_critical"``: the run trains at fraction x 2S/(lam_min + lam_max) of the
    analytic NTK (ntk parameterization; divided by the width M for the standard one, lee2019
    App. F), stores eta_critical, and equals a run given the absolute rate."""
    spec = NetworkSpec(6, (24, 24), 1, activation="tanh", sw2=1.5, sb2=0.05,
                       parameterization=parameterization)
    x, y = _problem()
    _, theta = nngp_ntk(spec.replace(parameterization="ntk"), x.numpy())
    want = 2 * len(x) / (np.linalg.eigvalsh(theta)[[0, -1]].sum())
    assert want == pytest.approx(eta_critical(theta, len(x)), rel=1e-12)
    if parameterization == "standard":
        want /= 24
    assert analytic_eta_critical(spec, x) == pytest.approx(want, rel=1e-12)
    given = TrainConfig(optimizer="gd", lr=0.5, lr_unit="eta_critical", loss="mse",
                        max_steps=10, member_lr=(0.5, 0.25))
    train_to_file(spec, [1, 2], x, y, given, tmp_path / "u.h5")
    absolute = TrainConfig(optimizer="gd", lr=0.5 * want, loss="mse", max_steps=10,
                           member_lr=(0.5 * want, 0.25 * want))
    train_to_file(spec, [1, 2], x, y, absolute, tmp_path / "a.h5")
    unit, ref = read_run(tmp_path / "u.h5"), read_run(tmp_path / "a.h5")
    assert unit.lr_critical == pytest.approx(want, rel=1e-12) and ref.lr_critical is None
    np.testing.assert_allclose(unit.member_lrs(), [0.5 * want, 0.25 * want], rtol=1e-12)
    np.testing.assert_allclose(unit.losses, ref.losses, rtol=1e-12)
    assert unit.train.lr == 0.5 and unit.train.lr_unit == "eta_critical"  # as given


def test_lr_unit_rejects_other_optimizers_and_lr_cap():
    from mlptheory.errors import BadInput

    with pytest.raises(BadInput, match="lr_unit needs optimizer='gd'"):
        TrainConfig(optimizer="adam", lr=0.5, lr_unit="eta_critical")
    with pytest.raises(BadInput, match="lr_unit or lr_cap"):
        TrainConfig(lr=0.5, lr_unit="eta_critical", lr_cap=0.5)
    with pytest.raises(BadInput, match="lr_unit='x'"):
        TrainConfig(lr=0.5, lr_unit="x")


def test_fitted_slopes_recover_a_power_law():
    rows = [dict(kernel=k, width=w, n_samples=n, repeat=r, depth=1, n_inputs=4, input_dim=8,
                 rel_error=c * w**-0.5 / np.sqrt(n))
            for k, c in (("nngp", 2.0), ("ntk", 3.0)) for n in (1, 10) for r in range(3)
            for w in (64, 128, 256, 512)]
    agg = fitted_slopes(pd.DataFrame(rows))
    np.testing.assert_allclose(agg.slope, -0.5, atol=1e-12)
    assert set(agg.repeats) == {3}


def test_standardize_and_interpolation():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(6, 50)).astype(np.uint8)
    x = to_inputs(images, scaling="standardize")
    np.testing.assert_allclose(x.mean(1).numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose((x * x).sum(1).numpy() / 50, 1.0, rtol=1e-12)
    raw = images.astype(np.float64)
    ref = (raw - raw.mean(1, keepdims=True)) / raw.std(1, keepdims=True)
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-12)
    classes = torch.tensor([1, 0, 0, 1, 0, 1])
    alpha, xa = interpolation_inputs(x, classes, 5)
    torch.testing.assert_close(xa[-1], x[1])  # alpha = 1: the first point of class 0
    torch.testing.assert_close(xa[0], x[0])  # alpha = 0: the first point of class 1
    torch.testing.assert_close(xa[2], 0.5 * (x[0] + x[1]))
    alpha, xa = interpolation_inputs(x, classes, 6, (-2.0, 3.0))
    torch.testing.assert_close(xa[0], -2 * x[1] + 3 * x[0])


def test_log_steps():
    assert log_steps(1000, 1) == [0, 1, 10, 100, 1000]
    assert log_steps(0, 5) == [0]


def test_plan_registers_the_five_figures():
    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    reg = plan(config).registry
    assert sorted(reg.figures) == sorted(["fig2_predictive_distribution",
                                          "fig3_linearized_dynamics",
                                          "figS5_linearization_error", "figS7_parameterization",
                                          "figS9_kernel_convergence"])
    assert len(reg.figures["figS9_kernel_convergence"].tables) == len(
        config["lee2019"]["kernel_convergence"]["widths"])


@pytest.mark.parametrize("classes, message", [(["airplane", "zebra"], "'zebra' is not a class"),
                                              (["horse", "7"], "two different classes")])
def test_plan_rejects_bad_classes_naming_the_key(classes, message):
    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    config["lee2019"]["classes"] = classes
    with pytest.raises(ValueError, match="lee2019.classes") as err:
        plan(config)
    assert message in str(err.value)


def test_linearization_error_figure_draws_the_rms_over_members_and_keeps_them():
    import matplotlib

    matplotlib.use("Agg")
    from mlptheory.papers.lee2019.linearization_error import draw

    rows = [dict(width=w, n_train=n, member=e, rmse=r, rmse_train=0.0, train_loss=0.01,
                 train_loss0=0.5, depth=2, members=2, steps=10, lr=0.1, lr_fraction=0.5,
                 n_test=8, dataset="mnist")
            for w in (16, 32) for n in (8, 16) for e, r in enumerate((0.3, 0.4))]
    fig, frame = draw([pd.DataFrame(rows)], {})
    assert len(frame) == 8 and set(frame.member) == {0, 1}
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), np.sqrt((0.3 ** 2 + 0.4 ** 2) / 2))


def test_plan_trains_every_network_in_its_own_runs_with_the_papers_settings():
    """Every lee2019 network is a run of the generic rule; Fig. 2 is the caption's network
    (3 x 8192 tanh, sw2 1.5, no bias, eta 0.5, |D| = 128, 100 networks) split over run files
    without changing which networks are trained; Fig. 3 the caption's 5 x 2048 ReLU."""
    import copy

    import yaml


    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    p = plan(config)
    pred = {k: v for k, v in p.runs.items() if k.startswith("predictive")}
    assert len(pred) == 5 and sum(len(r.seeds) for r in pred.values()) == 100
    first = next(iter(pred.values()))
    assert first.spec.hidden == (8192,) * 3 and first.spec.activation == "tanh"
    assert first.spec.sw2 == 1.5 and not first.spec.bias and first.spec.parameterization == "ntk"
    assert first.train.lr == 0.5 and first.train.lr_unit is None and first.data.n == 128
    assert first.train.checkpoint_steps == (0, 16, 256, 65536)
    assert first.measure["weights"] is False
    dyn = p.runs["dynamics"]
    assert dyn.spec.hidden == (2048,) * 5 and dyn.spec.activation == "relu"
    assert dyn.train.lr == 0.01 and dyn.data.n == 256
    one = copy.deepcopy(config)
    one["lee2019"]["predictive"]["networks_per_run"] = 100
    seeds = [s for r in pred.values() for s in r.seeds]
    assert list(plan(one).runs["predictive_00-99"].seeds) == seeds
    tables = p.registry.tables
    assert tables["predictive"].inputs["runs"] == [f"results/runs/lee2019/{k}.h5" for k in pred]
    assert all(name in p.runs for name in ("parameterization_ntk", "parameterization_standard"))
    # the fractions of eta_critical, resolved by the run from the analytic NTK of its data
    par = p.runs["parameterization_standard"]
    assert par.train.lr_unit == "eta_critical" and par.spec.parameterization == "standard"
