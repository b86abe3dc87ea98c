"""The infinite-width kernel functions take a NetworkSpec as first argument and then equal the
keyword form exactly (stax style: one spec, the finite network and its kernels)."""

import numpy as np
import pytest

from mlptheory.kernels import (
    chi1,
    edge_of_chaos,
    fixed_point_q,
    mean_field,
    nngp_ntk,
    phase,
    thm53_output_variance,
)
from mlptheory.spec import NetworkSpec

SPECS = [
    NetworkSpec(4, (7, 5, 6), activation="tanh", sw2=1.4, sb2=0.1, parameterization="standard"),
    NetworkSpec(4, (3, 3), activation="relu", sw2=2.0, sb2=0.3, parameterization="ntk"),
    NetworkSpec(4, (8,), activation="erf", sw2=2.5, sb2=0.2, bias=False,
                parameterization="standard"),
]


@pytest.mark.parametrize("spec", SPECS)
def test_nngp_ntk_spec_form(spec):
    rng = np.random.default_rng(0)
    X, X2 = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    args = (spec.depth, spec.activation, spec.sw2, spec.sb2, spec.parameterization,
            list(spec.hidden), spec.bias)
    for x2 in (None, X2):
        ref = nngp_ntk(X, *args, X2=x2)
        got = nngp_ntk(spec, X, x2)
        assert all(np.array_equal(a, b) for a, b in zip(ref, got, strict=True))
    ref = nngp_ntk(X, *args, closed_form=False, quad_order=20)
    got = nngp_ntk(spec, X, closed_form=False, quad_order=20)
    assert all(np.array_equal(a, b) for a, b in zip(ref, got, strict=True))
    with pytest.raises(ValueError, match="spec.input_dim"):
        nngp_ntk(spec, X[:, :3])


@pytest.mark.parametrize("spec", SPECS)
def test_mean_field_spec_form(spec):
    a, s, b = spec.activation, spec.sw2, spec.sb2
    ref = mean_field(spec.depth, a, s, b, qhat0=1.3, qhat0_sr=0.2, qhat0_r=0.8)
    got = mean_field(spec, qhat0=1.3, qhat0_sr=0.2, qhat0_r=0.8)
    for name in ("q", "q_r", "q_sr", "c", "qhat", "qhat_r", "qhat_sr", "p", "p_r", "p_sr"):
        assert np.array_equal(getattr(ref, name), getattr(got, name), equal_nan=True)
    assert thm53_output_variance(spec, 12, qhat0=1.1) == thm53_output_variance(
        spec.depth, a, s, b, 12, qhat0=1.1)
    assert chi1(spec) == chi1(a, s, b)
    assert chi1(spec, q=0.7) == chi1(a, s, b, 0.7)
    assert phase(spec) == phase(a, s, b)
    assert phase(spec, tol=0.5) == phase(a, s, b, tol=0.5)
    assert fixed_point_q(spec) == fixed_point_q(a, s, b)


def test_edge_of_chaos_takes_the_spec_activation():
    spec = NetworkSpec(4, (7,), activation="tanh", sb2=0.05)
    eoc = edge_of_chaos(spec.activation, spec.sb2)
    assert phase(spec.replace(sw2=eoc), tol=1e-9) == "critical"


def test_spec_form_refuses_inits_the_theory_does_not_describe():
    with pytest.raises(ValueError, match="sw2/fan_in"):
        chi1(NetworkSpec(4, (7,), init="he"))
    with pytest.raises(ValueError, match="bias_init='zeros'"):
        nngp_ntk(NetworkSpec(4, (7,), sb2=0.1, bias_init="zeros"), np.ones((2, 4)))
