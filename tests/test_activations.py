"""The activation registry against independent computations (float64): autograd, numpy vs
torch, closed-form Gaussian expectations vs the quadrature rule and Monte Carlo, one-input
moments vs scipy quad; and the one backward recursion vs autograd."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.integrate import quad

from mlptheory import activations, spec
from mlptheory.activations import ACTIVATIONS, REGISTRY
from mlptheory.kernels.analytic import gaussian_expectations
from mlptheory.models import MLP, EnsembleMLP, backprop_deltas
from mlptheory.spec import NetworkSpec

SRC = Path(__file__).resolve().parents[1] / "src"


def _points(seed=0, n=2001):
    z = torch.linspace(-4.0, 4.0, n, dtype=torch.float64)
    z = z + 1e-3 * torch.as_tensor(np.random.default_rng(seed).standard_normal(n))
    return z[z.abs() > 1e-6]  # relu has no derivative at 0


def test_import_loads_neither_torch_nor_scipy():
    code = ("import sys, mlptheory.activations, mlptheory.spec; "
            "assert 'torch' not in sys.modules and 'scipy' not in sys.modules, "
            "sorted(m for m in ('torch', 'scipy') if m in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_registry_is_the_spec_vocabulary():
    assert spec.ACTIVATIONS == ACTIVATIONS == ("relu", "tanh", "erf", "identity")
    assert all(REGISTRY[name].name == name for name in ACTIVATIONS)
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        activations.get("softplus")
    pair = (np.sin, np.cos)
    assert activations.numpy_pair(pair) == pair and activations.lookup(pair) is None
    model = MLP(NetworkSpec(3, (4,), activation="erf"), seed=0)
    assert model.activation is activations.ERF
    assert model.multipliers == [model.spec.multipliers(i) for i in range(2)]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_torch_derivative_matches_autograd(name):
    act = REGISTRY[name]
    z = _points().requires_grad_(True)
    (grad,) = torch.autograd.grad(act.phi(z).sum(), z)
    torch.testing.assert_close(act.dphi(z.detach()), grad, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_numpy_and_torch_agree(name):
    act = REGISTRY[name]
    z = _points(1)
    x = z.numpy()
    np.testing.assert_allclose(act.phi_np(x), act.phi(z).numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(act.dphi_np(x), act.dphi(z).numpy(), rtol=1e-13, atol=1e-15)
    # the torch derivative at 0 follows the registry's dphi0 (relu: the z > 0 convention)
    assert act.dphi(torch.zeros(1, dtype=torch.float64)).item() == pytest.approx(act.dphi0,
                                                                                 rel=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_properties(name):
    act = REGISTRY[name]
    x = np.linspace(-50, 50, 10001)
    assert act.bounded == bool(np.all(np.abs(act.phi_np(x)) <= 1.0))
    for q in (0.3, 2.0, 17.0):
        e, ed = act.moments(q)
        if act.homogeneous:
            assert e == pytest.approx(act.homogeneous_slope * q, rel=1e-14)
            assert ed == pytest.approx(act.homogeneous_slope, rel=1e-14)
        else:
            # not linear in q: the length map needs a root search
            assert e / q != pytest.approx(act.moments(2 * q)[0] / (2 * q), rel=1e-3)
    if name != "relu":
        assert act.moments(0.0)[1] == pytest.approx(act.dphi0**2, rel=1e-14)


def _covariances():
    rng = np.random.default_rng(3)
    k11 = rng.uniform(0.2, 3.0, 6)
    k22 = rng.uniform(0.2, 3.0, 6)
    c = np.array([-0.95, -0.4, 0.0, 0.3, 0.8, 0.99])
    return k11, k22, c * np.sqrt(k11 * k22)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if REGISTRY[n].gaussian is not None])
def test_closed_forms_match_quadrature(name):
    k11, k22, k12 = _covariances()
    closed = REGISTRY[name].gaussian(k11, k22, k12)
    rule = gaussian_expectations(name, k11, k22, k12, closed_form=False, quad_order=60)
    np.testing.assert_allclose(closed[0], rule[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(closed[1], rule[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if REGISTRY[n].gaussian is not None])
def test_closed_forms_match_monte_carlo(name):
    act = REGISTRY[name]
    k11, k22, k12 = _covariances()
    e, ed = act.gaussian(k11, k22, k12)
    rng = np.random.default_rng(11)
    n = 400_000
    for i in range(len(k11)):
        cov = np.array([[k11[i], k12[i]], [k12[i], k22[i]]])
        u, v = rng.multivariate_normal(np.zeros(2), cov, size=n, method="eigh").T
        for value, f in ((e[i], act.phi_np), (ed[i], act.dphi_np)):
            sample = f(u) * f(v)
            se = sample.std() / math.sqrt(n)
            assert abs(sample.mean() - value) <= 5 * se + 1e-12


def _quad_moments(act, q):
    dens = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    s = math.sqrt(q)
    kink = [0.0] if act.name == "relu" else None
    with np.errstate(over="ignore"):  # cosh overflows far out, where 1/cosh^2 is 0 anyway
        e = quad(lambda z: float(act.phi_np(np.float64(s * z))) ** 2 * dens(z), -40, 40,
                 points=kink, epsabs=0, epsrel=1e-12, limit=200)[0]
        ed = quad(lambda z: float(act.dphi_np(np.float64(s * z))) ** 2 * dens(z), -40, 40,
                  points=kink, epsabs=0, epsrel=1e-12, limit=200)[0]
    return e, ed


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("q", [0.05, 1.0, 7.5, 300.0])
def test_one_input_moments_match_quad(name, q):
    act = REGISTRY[name]
    e, ed = act.moments(q)
    e_ref, ed_ref = _quad_moments(act, q)
    assert e == pytest.approx(e_ref, rel=1e-10)
    assert ed == pytest.approx(ed_ref, rel=1e-9)


@pytest.mark.parametrize("name", ["tanh", "relu"])
@pytest.mark.parametrize("parameterization", ["ntk", "standard"])
def test_backprop_deltas_match_autograd(name, parameterization):
    spec_ = NetworkSpec(3, (5, 4), 2, name, sw2=1.6, sb2=0.2, parameterization=parameterization)
    model = EnsembleMLP(spec_, seeds=[0, 1])
    x = torch.as_tensor(np.random.default_rng(0).standard_normal((2, 6, 3)))
    zs = model.preactivations(x)
    cot = torch.as_tensor(np.random.default_rng(1).standard_normal((2, 6, 2)))
    grads = torch.autograd.grad((zs[-1] * cot).sum(), zs, retain_graph=True)
    with torch.no_grad():
        deltas = dict(backprop_deltas(model, [z.detach() for z in zs], cot))
    assert sorted(deltas) == [0, 1, 2]
    for layer, g in enumerate(grads):
        torch.testing.assert_close(deltas[layer], g, rtol=1e-13, atol=1e-14)
    # the NTK form: an identity cotangent per input gives every output's delta at once
    eye = torch.eye(2, dtype=torch.float64).expand(2, 6, 2, 2)
    with torch.no_grad():
        full = dict(backprop_deltas(model, [z.detach() for z in zs], eye))
    for a in range(2):
        grads_a = torch.autograd.grad(zs[-1][..., a].sum(), zs, retain_graph=True)
        for layer, g in enumerate(grads_a):
            torch.testing.assert_close(full[layer][..., a, :], g, rtol=1e-13, atol=1e-14)
