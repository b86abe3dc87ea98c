"""Mean field, edge of chaos (vs mpmath), Lemma 5.2 vs analytic NTK, Theorem 5.3 algebra."""

import math

import mpmath as mp
import numpy as np
import pytest

from mlptheory.kernels import (
    chi1,
    edge_of_chaos,
    fixed_point_q,
    kappa1,
    kappa2,
    lemma52_alpha,
    mean_field,
    nngp_ntk,
    output_variance,
    phase,
    single_moments,
)


@pytest.mark.parametrize("sb2", [0.0, 0.05, 1.0, 7.3])
def test_relu_edge_of_chaos_is_exactly_two(sb2):
    assert edge_of_chaos("relu", sb2) == 2.0
    assert chi1("relu", 2.0, sb2) == 1.0
    assert phase("relu", 1.5, sb2) == "ordered" and phase("relu", 2.5, sb2) == "chaotic"
    assert phase("relu", 2.0, sb2) == "critical"


# mpmath: independent high-precision reference (30 digits, tanh-sinh quadrature, findroot)
mp.mp.dps = 30
_PHI = {
    "tanh": (mp.tanh, lambda x: mp.sech(x) ** 2),
    "erf": (mp.erf, lambda x: 2 / mp.sqrt(mp.pi) * mp.exp(-(x**2))),
}


def _mp_moments(activation, q):
    phi, dphi = _PHI[activation]
    s = mp.sqrt(q)
    dens = lambda z: mp.exp(-(z**2) / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
    e = 2 * mp.quad(lambda z: phi(s * z) ** 2 * dens(z), [0, 1 / s, 8 / s, mp.inf])
    ed = 2 * mp.quad(lambda z: dphi(s * z) ** 2 * dens(z), [0, 1 / s, 8 / s, mp.inf])
    return e, ed


def _mp_edge_of_chaos(activation, sb2, guess_sw2, guess_q):
    def eqs(sw2, q):
        e, ed = _mp_moments(activation, q)
        return [sw2 * e + sb2 - q, sw2 * ed - 1]

    sw2, q = mp.findroot(eqs, (mp.mpf(guess_sw2), mp.mpf(guess_q)))
    return float(sw2), float(q)


@pytest.mark.parametrize("activation", ["tanh", "erf"])
@pytest.mark.parametrize("q", [0.01, 1.0, 30.0, 400.0])
def test_single_moments_match_mpmath(activation, q):
    e, ed = single_moments(activation, q)
    e_ref, ed_ref = _mp_moments(activation, mp.mpf(q))
    assert e == pytest.approx(float(e_ref), rel=1e-12)
    assert ed == pytest.approx(float(ed_ref), rel=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "erf"])
@pytest.mark.parametrize("sb2", [0.05, 1.0, 3.0])
def test_edge_of_chaos_matches_mpmath(activation, sb2):
    sw2 = edge_of_chaos(activation, sb2)
    q = fixed_point_q(activation, sw2, sb2)
    sw2_ref, q_ref = _mp_edge_of_chaos(activation, sb2, sw2 * 1.01, q * 1.01)
    assert sw2 == pytest.approx(sw2_ref, rel=1e-11)
    assert q == pytest.approx(q_ref, rel=1e-10)
    assert chi1(activation, sw2, sb2) == pytest.approx(1.0, abs=1e-12)
    assert phase(activation, 0.9 * sw2, sb2) == "ordered"
    assert phase(activation, 1.1 * sw2, sb2) == "chaotic"


def test_edge_of_chaos_without_bias():
    assert edge_of_chaos("tanh", 0.0) == pytest.approx(1.0, rel=1e-15)
    assert edge_of_chaos("erf", 0.0) == pytest.approx(math.pi / 4, rel=1e-15)


@pytest.mark.parametrize("activation", ["relu", "tanh", "erf"])
def test_backward_ratio_at_fixed_point_is_chi1(activation):
    sw2, sb2 = 1.7, 0.4
    q_star = fixed_point_q(activation, sw2, sb2)
    # start the forward recursion at the fixed point: q^1 = sw2 qhat0 + sb2 = q*
    mf = mean_field(5, activation, sw2, sb2, qhat0=(q_star - sb2) / sw2)
    np.testing.assert_allclose(mf.q[1:], q_star, rtol=1e-12)
    np.testing.assert_allclose(mf.p[1:-1] / mf.p[2:], chi1(activation, sw2, sb2), rtol=1e-12)
    np.testing.assert_allclose(mf.c[1:], 1.0, rtol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "tanh", "erf"])
@pytest.mark.parametrize("bias", [True, False])
def test_lemma52_reproduces_analytic_standard_ntk(activation, bias):
    """alpha M kappa + sum_l p^l (biases) equals the infinite-width standard-param. NTK."""
    depth, M, d, sw2 = 4, 64, 10, 1.9
    sb2 = 0.3 if bias else 0.0
    X = np.random.default_rng(5).standard_normal((2, d))
    K, Theta = nngp_ntk(X, depth, activation, sw2, sb2, "standard", width=M, bias=bias)
    q = np.sum(X * X, 1) / d
    mf = mean_field(depth, activation, sw2, sb2, q[0], X[0] @ X[1] / d, q[1])
    alphas = np.array([d / M] + [1.0] * depth)
    alpha = lemma52_alpha(alphas)
    nb = 1.0 if bias else 0.0
    assert K[0, 1] == pytest.approx(mf.q_sr[-1], rel=1e-12)
    assert K[0, 0] == pytest.approx(mf.q[-1], rel=1e-12)
    theta_sr = alpha * M * kappa2(mf, alphas) + nb * np.sum(mf.p_sr[1:])
    theta_s = alpha * M * kappa1(mf, alphas) + nb * np.sum(mf.p[1:])
    assert Theta[0, 1] == pytest.approx(theta_sr, rel=1e-11)
    assert Theta[0, 0] == pytest.approx(theta_s, rel=1e-11)


@pytest.mark.parametrize("S", [1, 5, 128])
def test_theorem53_matches_exact_linear_algebra(S):
    """Var(f0(x) - Theta(x,X) Theta(X)^-1 f0(X)) for Theta = (k1-k2) I + k2 11^T, and f0 with
    variance q and covariances q_sr (seleznova2021 App. B) equals the Theorem 5.3 formula."""
    q, q_sr, k1, k2 = 2.3, 0.7, 1.9, 0.6
    theta = (k1 - k2) * np.eye(S) + k2 * np.ones((S, S))
    cov = (q - q_sr) * np.eye(S + 1) + q_sr * np.ones((S + 1, S + 1))
    a = np.concatenate([[1.0], -np.linalg.solve(theta, k2 * np.ones(S))])
    assert a @ cov @ a == pytest.approx(output_variance(q, q_sr, k1, k2, S), rel=1e-12)
