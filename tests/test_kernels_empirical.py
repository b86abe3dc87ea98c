"""Empirical NTK: structured vs torch.func Jacobian vs NTK-vector products (float64)."""

import pytest
import torch

from mlptheory.kernels import empirical_nngp, empirical_ntk
from mlptheory.models import MLP, EnsembleMLP
from mlptheory.spec import NetworkSpec


def _rel(a, b):
    return float(((a - b).abs().max() / b.abs().max()).detach())


@pytest.mark.parametrize("activation", ["relu", "tanh", "erf"])
@pytest.mark.parametrize("parameterization", ["standard", "ntk"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("output_dim", [1, 3])
def test_three_methods_agree(activation, parameterization, bias, output_dim):
    spec = NetworkSpec(5, (7, 6), output_dim, activation, 1.7, 0.3, bias, parameterization)
    model = MLP(spec, seed=11)
    g = torch.Generator().manual_seed(0)
    X1 = torch.randn(4, 5, generator=g, dtype=torch.float64)
    X2 = torch.randn(3, 5, generator=g, dtype=torch.float64)
    for x2 in (None, X2):
        for outputs in ("trace", "full"):
            ref = empirical_ntk(model, X1, x2, method="structured", outputs=outputs)
            n2 = 4 if x2 is None else 3
            shape = (4, n2) if outputs == "trace" else (4, n2, output_dim, output_dim)
            assert ref.shape == shape
            for method in ("jacobian", "ntk_vp"):
                other = empirical_ntk(model, X1, x2, method=method, outputs=outputs)
                assert _rel(other, ref) < 1e-10, (method, outputs)
    full = empirical_ntk(model, X1, X2, outputs="full")
    trace = empirical_ntk(model, X1, X2)
    assert _rel(full.diagonal(dim1=-2, dim2=-1).sum(-1), trace) < 1e-14


@pytest.mark.parametrize("shared_inputs", [True, False])
def test_ensemble_matches_members(shared_inputs):
    spec = NetworkSpec(4, (6, 5), 2, "tanh", 2.0, 0.5, True, "ntk")
    ens = EnsembleMLP(spec, seeds=[1, 2, 3])
    g = torch.Generator().manual_seed(1)
    X1 = torch.randn(5, 4, generator=g, dtype=torch.float64)
    if not shared_inputs:
        X1 = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    for outputs in ("trace", "full"):
        theta = empirical_ntk(ens, X1, outputs=outputs)
        assert theta.shape[0] == 3
        for method in ("jacobian", "ntk_vp"):
            assert _rel(empirical_ntk(ens, X1, method=method, outputs=outputs), theta) < 1e-10
        for e in range(3):
            x = X1 if shared_inputs else X1[e]
            single = empirical_ntk(ens.member(e), x, outputs=outputs)
            assert _rel(theta[e], single) < 1e-13
    k = empirical_nngp(ens, X1)
    for e in range(3):
        x = X1 if shared_inputs else X1[e]
        assert _rel(k[e], empirical_nngp(ens.member(e), x)) < 1e-13


def test_empirical_nngp_formula_and_errors():
    spec = NetworkSpec(3, (4,), 1, "relu", 1.5, 0.2, True, "standard")
    model = MLP(spec, seed=0)
    X = torch.randn(2, 3, dtype=torch.float64)
    h = torch.relu(model.preactivations(X)[0]).detach()
    assert _rel(empirical_nngp(model, X), 1.5 * h @ h.T / 4 + 0.2) < 1e-14
    with pytest.raises(ValueError, match="method"):
        empirical_ntk(model, X, method="bogus")
    with pytest.raises(ValueError, match="features"):
        empirical_ntk(model, torch.randn(2, 5, dtype=torch.float64))
