"""Analytic NNGP/NTK: closed forms vs quadrature, vs scipy dblquad, vs Monte Carlo of networks."""

import math

import numpy as np
import pytest
import torch
from scipy.integrate import dblquad

from mlptheory.kernels import (
    arccos_kernel,
    empirical_nngp,
    empirical_ntk,
    mean_field,
    nngp_ntk,
)
from mlptheory.kernels.analytic import gaussian_expectations
from mlptheory.models import EnsembleMLP
from mlptheory.seeding import derive_seeds
from mlptheory.spec import NetworkSpec


def test_arccos_kernel_values_and_relu_link():
    assert arccos_kernel(0.0) == pytest.approx(1.0, abs=1e-15)
    assert arccos_kernel(np.pi / 2) == pytest.approx(1 / np.pi, abs=1e-15)
    assert arccos_kernel(np.pi) == pytest.approx(0.0, abs=1e-15)
    theta = np.linspace(0, np.pi, 7)
    e, _ = gaussian_expectations("relu", 1.0, 1.0, np.cos(theta))
    np.testing.assert_allclose(2 * e, arccos_kernel(theta), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("parameterization", ["ntk", "standard"])
@pytest.mark.parametrize("bias", [True, False])
def test_closed_forms_match_quadrature(activation, parameterization, bias):
    rng = np.random.default_rng(1)
    X, X2 = rng.standard_normal((5, 6)), rng.standard_normal((3, 6))
    X2[0] = X[0]  # an identical pair: angle 0
    X2[1] = -2 * X[1]  # opposite pair: angle pi
    kw = dict(parameterization=parameterization, width=[40, 30, 50], bias=bias, X2=X2)
    closed = nngp_ntk(X, 3, activation, 1.7, 0.3, **kw)
    quad = nngp_ntk(X, 3, activation, 1.7, 0.3, closed_form=False, **kw)
    for a, b in zip(closed, quad, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-11, atol=1e-12 * np.abs(a).max())


@pytest.mark.parametrize("k", [(1.0, 1.0, 0.3), (4.0, 0.5, -1.2), (9.0, 9.0, 8.9)])
def test_tanh_quadrature_matches_dblquad(k):
    k11, k22, k12 = k
    cov = np.array([[k11, k12], [k12, k22]])
    prec, det = np.linalg.inv(cov), np.linalg.det(cov)

    def expect(f):
        def dens(v, u):
            x = np.array([u, v])
            return f(u, v) * math.exp(-0.5 * x @ prec @ x) / (2 * math.pi * math.sqrt(det))

        return dblquad(dens, -40, 40, -40, 40, epsabs=1e-13, epsrel=1e-11)[0]

    sech2 = lambda x: 1 / math.cosh(x) ** 2  # noqa: E731
    e, ed = gaussian_expectations("tanh", k11, k22, k12)
    assert float(e) == pytest.approx(expect(lambda u, v: math.tanh(u) * math.tanh(v)), rel=1e-9)
    assert float(ed) == pytest.approx(expect(lambda u, v: sech2(u) * sech2(v)), rel=1e-9)


def test_standard_counts_bias_parameters_even_with_zero_sb2():
    X = np.random.default_rng(2).standard_normal((2, 4))
    _, with_bias = nngp_ntk(X, 2, "relu", 2.0, 0.0, "standard", width=10, bias=True)
    _, without = nngp_ntk(X, 2, "relu", 2.0, 0.0, "standard", width=10, bias=False)
    # sb2 = 0 leaves the forward pass unchanged; the biases add sum_l p_sr^l (mean field eq. 9)
    q = np.sum(X * X, 1) / 4
    mf = mean_field(2, "relu", 2.0, 0.0, qhat0=q[0], qhat0_r=q[1], qhat0_sr=X[0] @ X[1] / 4)
    assert with_bias[0, 1] - without[0, 1] == pytest.approx(np.sum(mf.p_sr[1:]), rel=1e-13)
    with pytest.raises(ValueError, match="width"):
        nngp_ntk(X, 2, "relu", 2.0, 0.0, "standard")


def _monte_carlo(spec, X, n_inits, seed, chunk=100):
    """Per-init f(x) f(x'), empirical NNGP and empirical NTK, as [n_inits, n, n] arrays."""
    seeds = derive_seeds(seed, n_inits, "mc")
    xt = torch.as_tensor(X)
    ff, kk, tt = [], [], []
    for s in range(0, n_inits, chunk):
        model = EnsembleMLP(spec, seeds=seeds[s : s + chunk])
        with torch.no_grad():
            f = model(xt)[..., 0]
        ff.append((f[:, :, None] * f[:, None, :]).numpy())
        kk.append(empirical_nngp(model, xt).numpy())
        tt.append(empirical_ntk(model, xt).numpy())
    return [np.concatenate(a) for a in (ff, kk, tt)]


MC_SETTINGS = [
    # activation, parameterization, bias, sw2, sb2, depth, width
    ("relu", "ntk", True, 2.0, 0.1, 1, 256),
    ("relu", "standard", True, 1.5, 0.0, 1, 256),  # zero-initialized but trainable bias
    ("tanh", "standard", True, 2.5, 0.5, 1, 256),
    ("erf", "ntk", False, 1.3, 0.7, 1, 256),
    ("tanh", "ntk", True, 1.8, 0.2, 3, 256),
    ("relu", "standard", False, 2.0, 0.0, 3, 256),
]


@pytest.mark.parametrize("setting", MC_SETTINGS)
def test_analytic_matches_monte_carlo(setting):
    activation, parameterization, bias, sw2, sb2, depth, width = setting
    X = np.random.default_rng(3).standard_normal((3, 8))
    spec = NetworkSpec(8, (width,) * depth, 1, activation, sw2, sb2, bias, parameterization)
    K, Theta = nngp_ntk(X, depth, activation, sw2, sb2, parameterization, width, bias)
    ff, kk, tt = _monte_carlo(spec, X, 400, seed=7)
    # depth 1: the expectations are exact at finite width; deeper: allow O(1/M) corrections
    finite = 0.0 if depth == 1 else 3.0 / width
    for samples, target in ((ff, K), (kk, K), (tt, Theta)):
        mean = samples.mean(0)
        se = samples.std(0, ddof=1) / math.sqrt(len(samples))
        assert np.all(np.abs(mean - target) <= 4 * se + finite * np.abs(target) + 1e-12), (
            mean,
            target,
            se,
        )
