"""lee2019 experiment helpers against independent computations (float64)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mlptheory.linearize import gradient_descent
from mlptheory.models import MLP
from mlptheory.papers.lee2019.common import log_steps, standardize, train_ensemble
from mlptheory.papers.lee2019.kernel_convergence import fitted_slopes
from mlptheory.papers.lee2019.plan import plan
from mlptheory.papers.lee2019.predictive import interpolation
from mlptheory.spec import NetworkSpec

torch.set_num_threads(1)


def test_train_ensemble_records_what_plain_autograd_gd_gives():
    spec = NetworkSpec(6, (32, 32), 1, activation="relu", sw2=2.0, sb2=0.1,
                       parameterization="ntk")
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.standard_normal((10, 6)))
    y = torch.as_tensor(np.sign(rng.standard_normal((10, 1))))
    xt = torch.as_tensor(rng.standard_normal((3, 6)))
    steps = [0, 3, 17, 40]
    hist = train_ensemble(spec, [5, 9], x, y, 0.3, 40, steps, x_eval=xt)
    assert sorted(hist) == steps
    for e, seed in enumerate([5, 9]):
        net = MLP(spec, seed=seed)
        theta0 = [p.detach().clone() for p in net.parameters()]
        ref = gradient_descent(net, x, y, 0.3, 40, steps, x_eval=xt)
        for s in steps:
            np.testing.assert_allclose(hist[s]["eval"][e], ref[s]["eval"].numpy(), rtol=1e-10,
                                       atol=1e-12)
            np.testing.assert_allclose(hist[s]["train"][e], ref[s]["train"].detach().numpy(),
                                       rtol=1e-10, atol=1e-12)
        disp = torch.sqrt(sum((p - p0).pow(2).sum() for p, p0 in zip(net.parameters(), theta0,
                                                                      strict=True)))
        assert hist[40]["displacement"][e] == pytest.approx(float(disp), rel=1e-10)
        # the weights were dropped from the records
        assert set(hist[40]) == {"train", "eval", "displacement", "loss"}


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
    x = standardize(torch.as_tensor(rng.random((6, 50))))
    np.testing.assert_allclose((x * x).sum(1).numpy() / 50, 1.0, rtol=1e-12)
    y = torch.tensor([[-1.0], [1.0], [1.0], [-1.0], [1.0], [-1.0]], dtype=torch.float64)
    alpha, xa = interpolation(x, y, 5)
    torch.testing.assert_close(xa[-1], x[1])  # alpha = 1: the first +1 point
    torch.testing.assert_close(xa[0], x[0])  # alpha = 0: the first -1 point
    torch.testing.assert_close(xa[2], 0.5 * (x[0] + x[1]))


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
