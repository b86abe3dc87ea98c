"""The O(L M) Gaussian-conditioning sampler of Theta_0(x, x) vs explicit networks."""

import math

import numpy as np
import pytest
import torch

from mlptheory.kernels import empirical_ntk, ntk_diagonal_samples, ntk_variance_ratio
from mlptheory.models import MLP
from mlptheory.seeding import derive_seeds
from mlptheory.spec import NetworkSpec

SETTINGS = [
    # activation, parameterization, bias, sw2, sb2, hidden
    ("relu", "standard", True, 2.0, 1.0, (12, 12, 12, 12)),
    ("relu", "standard", False, 3.0, 0.0, (10, 15, 8)),
    ("tanh", "standard", True, 4.0, 1.0, (12,) * 6),
    ("tanh", "ntk", True, 1.2, 0.3, (16, 9)),
    ("erf", "ntk", False, 2.5, 0.0, (10, 10, 10)),
    ("erf", "standard", True, 0.7, 0.5, (20,)),
]


@pytest.mark.parametrize("setting", SETTINGS)
def test_conditional_sampler_matches_explicit_networks(setting):
    activation, parameterization, bias, sw2, sb2, hidden = setting
    spec = NetworkSpec(6, hidden, 1, activation, sw2, sb2, bias, parameterization)
    x = np.linspace(-1.0, 1.5, 6)
    n = 20000
    cond = ntk_diagonal_samples(spec, x, n, seed=1, method="conditional")
    expl = ntk_diagonal_samples(spec, x, n, seed=2, method="explicit")
    for stat in (lambda t: t, lambda t: t**2):  # E[Theta] and E[Theta^2]
        a, b = stat(cond), stat(expl)
        se = math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
        assert abs(a.mean() - b.mean()) <= 3 * se, (a.mean(), b.mean(), se)


def test_explicit_sampler_is_the_ntk_of_seeded_networks():
    spec = NetworkSpec(5, (7, 7), 1, "tanh", 1.5, 0.2, True, "standard")
    x = np.arange(5.0) / 5
    samples = ntk_diagonal_samples(spec, x, 3, seed=4, method="explicit")
    for s, samp in zip(derive_seeds(4, 3, "ntk_diagonal"), samples, strict=True):
        theta = empirical_ntk(MLP(spec, seed=s), torch.as_tensor(x[None]), method="jacobian")
        assert samp == pytest.approx(float(theta[0, 0]), rel=1e-12)
    assert ntk_variance_ratio([1.0, 3.0]) == pytest.approx(5.0 / 4.0)


def test_sampler_validation():
    spec = NetworkSpec(5, (7,), 2)
    with pytest.raises(ValueError, match="output_dim"):
        ntk_diagonal_samples(spec, np.ones(5), 3, 0)
    spec = NetworkSpec(5, (7,), 1, init="glorot_uniform")
    with pytest.raises(ValueError, match="Gaussian"):
        ntk_diagonal_samples(spec, np.ones(5), 3, 0, method="conditional")
