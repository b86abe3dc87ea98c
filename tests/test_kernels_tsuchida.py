"""tsuchida2019: eq. (1), the (E^n)^2 statistic, Procedure 1 exactness and reporting."""

import numpy as np
import pytest

from mlptheory.kernels import (
    arccos_kernel,
    en_squared,
    normalized_kernel,
    procedure1,
    vector_angle,
)


def test_normalized_kernel_matches_explicit_sum_and_arccos_limit():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((20000, 30))
    theta = np.array([0.3, 1.2, 2.0, 3.0])
    x = np.zeros((4, 30))
    x[:, 0] = 1.0
    y = np.zeros((4, 30))
    y[:, 0], y[:, 1] = np.cos(theta), np.sin(theta)
    k = normalized_kernel(W, x, y)
    a, b = np.maximum(W @ x[1], 0), np.maximum(W @ y[1], 0)
    assert k[1] == pytest.approx(a @ b / np.sqrt((a @ a) * (b @ b)), rel=1e-13)
    # i.i.d. Gaussian weights, 20000 units: sampling error ~ 1/sqrt(20000)
    np.testing.assert_allclose(k, arccos_kernel(theta), atol=0.03)


def test_en_squared():
    W = np.array([[1.0, 3.0], [-4.0, 0.0], [0.5, 0.5]])
    assert en_squared(W) == 4.0  # row means 2, -2, 0.5


def _data(rng):
    data = np.zeros((6, 40))
    data[:, :25] = rng.uniform(0.1, 1.0, (6, 25))  # 13 free coordinates (excl. last two)
    data[3] = rng.uniform(0.1, 1.0, 40)  # no zero coordinate: must be reported
    data[4, :38] = rng.uniform(0.1, 1.0, 38)  # zeros only in the last two coordinates
    return data


@pytest.mark.parametrize("zero_sum", [True, False])
def test_procedure1_exact_angle_and_sums(zero_sum):
    rng = np.random.default_rng(1)
    data = _data(rng)
    theta = np.array([0.0, 0.4, np.pi / 2, 1.0, 2.5, np.pi])
    res = procedure1(data, theta, rng, zero_sum=zero_sum)
    if zero_sum:
        assert res.skipped == [3, 4]
    else:  # last two coordinates of x are kept and not available to p
        assert res.skipped == [3, 4]
    assert res.index.tolist() == [0, 1, 2, 5]
    np.testing.assert_allclose(res.achieved, theta[res.index], rtol=0, atol=1e-12)
    # independent check of the angle away from 0 and pi
    cos = np.einsum("ij,ij->i", res.x, res.y) / (
        np.linalg.norm(res.x, axis=1) * np.linalg.norm(res.y, axis=1)
    )
    inner = (theta[res.index] > 0.1) & (theta[res.index] < 3.0)
    np.testing.assert_allclose(np.arccos(cos[inner]), theta[res.index][inner], atol=1e-12)
    if zero_sum:
        scale = np.abs(res.x).sum(1)
        assert np.all(np.abs(res.x.sum(1)) <= 1e-13 * scale)
        assert np.all(np.abs(res.y.sum(1)) <= 1e-13 * scale)
        assert np.all(res.x[:, -1] == 0)
    else:
        np.testing.assert_array_equal(res.x, data[res.index])
    np.testing.assert_allclose(np.linalg.norm(res.y, axis=1), np.linalg.norm(res.x, axis=1))


def test_procedure1_min_free_and_validation():
    rng = np.random.default_rng(2)
    data = _data(rng)
    res = procedure1(data, 1.0, rng, min_free=14)  # only 13 free coordinates anywhere
    assert res.skipped == list(range(6)) and len(res.x) == 0
    with pytest.raises(ValueError, match="theta"):
        procedure1(data, 4.0, rng)


def test_vector_angle_is_accurate_near_zero():
    x = np.array([[1.0, 0.0, 0.0]])
    y = np.array([[1.0, 1e-9, 0.0]])
    assert vector_angle(x, y)[0] == pytest.approx(1e-9, rel=1e-12)
