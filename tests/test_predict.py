"""lee2019 library: linearize, closed-form GD dynamics, NTK-GP, NNGP posterior and Monte Carlo
kernels, each against an independent float64 computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.func import functional_call, jacrev

from mlptheory.kernels import empirical_nngp, empirical_ntk, monte_carlo_kernels, nngp_ntk
from mlptheory.linearize import gradient_descent, linearize, output_jacobian
from mlptheory.models import MLP, EnsembleMLP
from mlptheory.predict import (
    eta_critical,
    gp_inference,
    gradient_descent_mse,
    gradient_descent_mse_ensemble,
    readout_gd_ensemble,
)
from mlptheory.spec import NetworkSpec

torch.set_num_threads(1)


def _data(n, d, k=1, seed=0):
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.standard_normal((n, d)))
    y = torch.as_tensor(rng.standard_normal((n, k)))
    return x, y


def _spec(d=5, hidden=(16, 16), out=1, **kw):
    return NetworkSpec(d, hidden, out, activation="relu", sw2=2.0, sb2=0.1,
                       parameterization="ntk", **kw)


def test_linearize_is_first_order_taylor_model():
    net = MLP(_spec(out=2), seed=1)
    x, _ = _data(6, 5)
    lin = linearize(net)
    torch.testing.assert_close(lin(x), net(x), rtol=0, atol=1e-14)
    names = [n for n, _ in net.named_parameters()]
    p0 = {n: p.detach().clone() for n, p in net.named_parameters()}
    rng = np.random.default_rng(2)
    with torch.no_grad():
        for w in lin.omega:
            w.copy_(torch.as_tensor(rng.standard_normal(w.shape)) * 0.1)
    jac = jacrev(lambda p: functional_call(net, p, (x,)))(p0)  # materialized, independent
    expected = net(x).detach() + sum(
        torch.einsum("iap,p->ia", jac[n].flatten(2), w.detach().flatten())
        for n, w in zip(names, lin.omega, strict=True))
    torch.testing.assert_close(lin(x).detach(), expected, rtol=1e-12, atol=1e-12)
    # the network itself is untouched and not a parameter of the linearized model
    assert sum(p.numel() for p in lin.parameters()) == net.spec.n_params


@pytest.mark.parametrize("out", [1, 2])
def test_closed_form_gd_matches_training_the_linearized_model(out):
    net = MLP(_spec(out=out), seed=3)
    x, y = _data(8, 5, out, seed=4)
    xt, _ = _data(4, 5, out, seed=5)
    full = "full" if out > 1 else "trace"
    theta = empirical_ntk(net, x, outputs=full).numpy()
    theta_tx = empirical_ntk(net, xt, x, outputs=full).numpy()
    with torch.no_grad():
        f0, f0t = net(x).numpy(), net(xt).numpy()
    lr = 0.9 * eta_critical(theta, len(x))
    steps = [0, 1, 5, 20, 60]
    pred = gradient_descent_mse(theta, y.numpy(), f0, lr, theta_tx, f0t)
    hist = gradient_descent(linearize(net), x, y, lr, max(steps), steps, x_eval=xt)
    train, test = pred.train_outputs(steps), pred.test_outputs(steps)
    disp = pred.displacement(steps)
    for i, s in enumerate(steps):
        np.testing.assert_allclose(train[i], hist[s]["train"].numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(test[i], hist[s]["eval"].numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(disp[i], float(hist[s]["displacement"]), rtol=1e-8,
                                   atol=1e-12)
    assert disp[-1] > 0.1 and np.abs(train[-1] - y.numpy()).max() < np.abs(f0 - y.numpy()).max()


def test_closed_form_weight_change_matches_training_the_linearized_model():
    """Eq. (10) in discrete time for a few chosen weights against the linearized model's own
    weights after explicit GD steps (float64)."""
    net = MLP(_spec(hidden=(12, 12)), seed=6)
    x, y = _data(7, 5, seed=7)
    theta = empirical_ntk(net, x).numpy()
    with torch.no_grad():
        f0 = net(x).numpy()
    lr = 0.8 * eta_critical(theta, len(x))
    steps = [0, 1, 7, 40]
    picks = [("weights.0", (3, 1)), ("weights.1", (5, 7)), ("weights.2", (0, 4)),
             ("biases.2", (0,))]

    def select(params):
        return torch.stack([params[n][idx] for n, idx in picks])

    jac = output_jacobian(net, x, select).numpy()  # [n, 4]
    pred = gradient_descent_mse(theta, y.numpy(), f0, lr).weight_change(steps, jac)
    hist = gradient_descent(linearize(net), x, y, lr, max(steps), steps,
                            measure=lambda m: {"w": select(m.params()).clone()})
    w0 = select(dict(net.named_parameters())).detach().numpy()
    for i, s in enumerate(steps):
        np.testing.assert_allclose(pred[i], hist[s]["w"].numpy() - w0, rtol=1e-8, atol=1e-12)
    assert np.abs(pred[-1]).min() > 1e-6  # every chosen weight moved


def test_eta_critical_is_the_edge_of_stability():
    theta = np.diag([1.0, 3.0])
    # ||1 - eta lam / S|| is largest (= 1 - 2 lam_min / (lam_min + lam_max)) at both ends
    assert eta_critical(theta, 4) == pytest.approx(2.0)


def test_gp_inference_is_gaussian_conditioning():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((9, 9))
    joint = a @ a.T + 0.5 * np.eye(9)
    tr, te = slice(0, 6), slice(6, 9)
    y = rng.standard_normal(6)
    mean, cov = gp_inference(joint[tr, tr], joint[te, tr], joint[te, te], y)
    prec = np.linalg.inv(joint)  # conditional covariance = inverse of the precision block
    cov_ref = np.linalg.inv(prec[te, te])
    mean_ref = -cov_ref @ prec[te, tr] @ y
    np.testing.assert_allclose(cov, cov_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-10, atol=1e-12)


def test_ntk_gp_equals_nngp_posterior_when_theta_is_k():
    # lee2019 Sec. 2.3: with Theta = K (identity network, no bias) eqs. (14)-(15) at t -> inf
    # are the posterior (13).
    rng = np.random.default_rng(1)
    a = rng.standard_normal((8, 8))
    joint = a @ a.T + np.eye(8)
    tr, te = slice(0, 5), slice(5, 8)
    y = rng.standard_normal(5)
    lr = eta_critical(joint[tr, tr], 5)
    mean, cov = gradient_descent_mse_ensemble(joint[tr, tr], joint[te, tr], joint[te, te],
                                              joint[tr, tr], joint[te, tr], y, lr, [0, 10**6])
    post_mean, post_cov = gp_inference(joint[tr, tr], joint[te, tr], joint[te, te], y)
    np.testing.assert_allclose(mean[1], post_mean, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(cov[1], post_cov, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(mean[0], 0.0, atol=0)
    np.testing.assert_allclose(cov[0], joint[te, te], rtol=1e-12)


def _five_train_three_test(spec):
    """5 training points (scalar targets) and 3 test points in R^4, with the analytic NNGP and
    NTK of ``spec`` over all 8, and the train / test slices."""
    x, y = _data(5, 4, seed=7)
    xt, _ = _data(3, 4, seed=8)
    k_all, th_all = nngp_ntk(spec, np.vstack([x.numpy(), xt.numpy()]))
    return x, y.numpy()[:, 0], xt, k_all, th_all, slice(0, 5), slice(5, 8)


def test_ntk_gp_matches_large_ensemble_of_linearized_networks():
    spec = _spec(d=4, hidden=(1024,))
    x, y, xt, k_all, th_all, tr, te = _five_train_three_test(spec)
    lr = 0.5 * eta_critical(th_all[tr, tr], 5)
    steps = [0, 20, 200]
    mean, cov = gradient_descent_mse_ensemble(k_all[tr, tr], k_all[te, tr], k_all[te, te],
                                              th_all[tr, tr], th_all[te, tr], y, lr, steps)
    ens = EnsembleMLP(spec, seeds=range(100, 500))
    with torch.no_grad():
        f0, f0t = ens(x).numpy(), ens(xt).numpy()
    theta = empirical_ntk(ens, x).numpy()
    theta_tx = empirical_ntk(ens, xt, x).numpy()
    outs = np.stack([gradient_descent_mse(theta[e], y[:, None], f0[e], lr, theta_tx[e], f0t[e])
                     .test_outputs(steps)[..., 0] for e in range(ens.n_members)])  # [E, T, m]
    sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    # mean: Monte Carlo error sd/sqrt(400) = 0.05 sd; finite-width Theta adds O(1/sqrt(M))
    assert np.all(np.abs(outs.mean(0) - mean) < 0.2 * sd)
    np.testing.assert_allclose(outs.std(0, ddof=1), sd, rtol=0.15)


def test_readout_only_dynamics_match_training_only_the_last_layer_of_wide_relu_networks():
    """lee2019 eq. (16): an ensemble of ReLU networks 2x256 whose hidden layers stay frozen and
    whose readout weights and bias take explicit GD steps on the MSE, against
    readout_gd_ensemble with the analytic NNGP kernel: mean and variance at three times within
    3 Monte Carlo standard errors (and the finite-width bias, O(1/M), far below them)."""
    spec = _spec(d=4, hidden=(256, 256))
    x, y, xt, k_all, th_all, tr, te = _five_train_three_test(spec)
    lr = 0.5 * eta_critical(k_all[tr, tr], 5)
    steps = [0, 10, 100]
    mean, cov = readout_gd_ensemble(k_all[tr, tr], k_all[te, tr], k_all[te, te], y, lr, steps)

    members = 400
    ens = EnsembleMLP(spec, seeds=range(1000, 1000 + members))
    w, b = (p.detach().clone() for p in (ens.weights[-1], ens.biases[-1]))  # [E, 1, M], [E, 1]
    with torch.no_grad():
        h, ht = ens.forward_pass(x)[1][-1], ens.forward_pass(xt)[1][-1]  # [E, n, M], frozen
        f_start = ens(xt)[..., 0]
    w_mult, b_mult = ens.multipliers[-1]
    outs, yt = [], torch.as_tensor(y)
    for t in range(max(steps) + 1):
        if t in steps:
            outs.append((w_mult * ht @ w.transpose(1, 2))[..., 0] + b_mult * b)
        f = (w_mult * h @ w.transpose(1, 2))[..., 0] + b_mult * b  # [E, n]
        resid = (f - yt) / len(y)  # dL/df for L = 1/(2S) sum (f - y)^2
        w = w - lr * w_mult * (resid[:, None, :] @ h)
        b = b - lr * b_mult * resid.sum(1, keepdim=True)
    outs = torch.stack(outs, 1).numpy()  # [E, T, m]
    np.testing.assert_allclose(outs[:, 0], f_start.numpy(), rtol=1e-12, atol=1e-12)
    var = np.diagonal(cov, axis1=1, axis2=2)
    se_mean = np.sqrt(var / members)
    assert np.all(np.abs(outs.mean(0) - mean) < 3 * se_mean), (outs.mean(0), mean)
    se_var = var * np.sqrt(2 / (members - 1))
    assert np.all(np.abs(outs.var(0, ddof=1) - var) < 3 * se_var), (outs.var(0, ddof=1), var)
    # the readout-only prediction is not the NTK-GP: training the hidden layers differs
    ntk_mean, _ = gradient_descent_mse_ensemble(k_all[tr, tr], k_all[te, tr], k_all[te, te],
                                                th_all[tr, tr], th_all[te, tr], y, lr, steps)
    assert np.max(np.abs(ntk_mean[1] - mean[1])) > 10 * np.max(se_mean[1])


def test_readout_only_dynamics_reach_the_nngp_posterior():
    spec = _spec(d=4, hidden=(64, 64))
    x, y = _data(6, 4, seed=3)
    xt, _ = _data(4, 4, seed=4)
    k_all, _ = nngp_ntk(spec, np.vstack([x.numpy(), xt.numpy()]))
    tr, te = slice(0, 6), slice(6, 10)
    y = y.numpy()[:, 0]
    lr = eta_critical(k_all[tr, tr], 6)
    mean, cov = readout_gd_ensemble(k_all[tr, tr], k_all[te, tr], k_all[te, te], y, lr,
                                    [0, 10**9])
    post_mean, post_cov = gp_inference(k_all[tr, tr], k_all[te, tr], k_all[te, te], y)
    np.testing.assert_allclose(mean[1], post_mean, rtol=0, atol=1e-8)
    np.testing.assert_allclose(cov[1], post_cov, rtol=0, atol=1e-8)
    np.testing.assert_allclose(cov[0], k_all[te, te], rtol=1e-12)


def test_monte_carlo_kernels_average_the_empirical_kernels():
    spec = _spec(d=6, hidden=(64,))
    x, _ = _data(4, 6, seed=9)
    k, th = monte_carlo_kernels(spec, x, seeds=[11, 12, 13], chunk=2)
    ref_k = sum(empirical_nngp(MLP(spec, seed=s), x) for s in (11, 12, 13)) / 3
    ref_t = sum(empirical_ntk(MLP(spec, seed=s), x, method="jacobian") for s in (11, 12, 13)) / 3
    np.testing.assert_allclose(k, ref_k.numpy(), rtol=1e-12)
    np.testing.assert_allclose(th, ref_t.numpy(), rtol=1e-10)
    # one hidden layer: both estimators are unbiased, so 400 samples land near the analytic kernels
    k, th = monte_carlo_kernels(spec, x, seeds=range(400), chunk=100)
    k_inf, th_inf = nngp_ntk(spec, x.numpy())
    assert np.linalg.norm(k - k_inf) / np.linalg.norm(k_inf) < 0.02
    assert np.linalg.norm(th - th_inf) / np.linalg.norm(th_inf) < 0.02


def test_bench_predict_tiny_run(capsys):
    import re

    from mlptheory.cli import main

    main(["bench", "predict", "--width", "16", "--n", "8", "--steps", "5", "--n-kernel", "32",
          "--times", "10"])
    out = capsys.readouterr().out
    diffs = [float(d) for d in re.findall(r"max \|difference\| ([0-9.e+-]+)", out)]
    assert len(diffs) == 2 and max(diffs) < 1e-10, out
    assert "linearize:" in out and "predict:" in out
