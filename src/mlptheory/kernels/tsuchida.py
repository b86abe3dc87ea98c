"""tsuchida2019: layer-wise normalized kernel (eq. 1), the ``(E^n)^2`` statistic (Sec. 5.2) and
Procedure 1 (input pairs at a prescribed angle, with or without zero coordinate sums)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import activations


def normalized_kernel(W, X, Y, activation="relu") -> np.ndarray:
    """tsuchida2019 eq. (1): ``cos theta^(l)`` of the layer ``sigma(W x)`` for each pair.

    ``W [n_out, n_in]`` (PyTorch layout, no bias), ``X, Y [n_pairs, n_in]`` (or one pair
    ``[n_in]``). Returns ``sum_j s(W_j.x) s(W_j.y) / sqrt(sum_j s(W_j.x)^2 sum_j s(W_j.y)^2)``
    per pair (NaN where a layer output is identically zero).
    """
    W = np.asarray(W, dtype=np.float64)
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
    if X.shape != Y.shape or X.shape[1] != W.shape[1]:
        raise ValueError(f"need X, Y [n, {W.shape[1]}] of equal shape, got {X.shape}, {Y.shape}")
    phi, _ = activations.numpy_pair(activation)
    a, b = phi(X @ W.T), phi(Y @ W.T)
    num = np.einsum("ij,ij->i", a, b)
    den = np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def en_squared(W) -> float:
    """``(E^n)^2 = max_j ((1/n) sum_i W_ji)^2``, tsuchida2019 Sec. 5.2 (``W [out j, in i]``)."""
    W = np.asarray(W, dtype=np.float64)
    return float(np.max(W.mean(axis=1) ** 2))


def vector_angle(x, y) -> np.ndarray:
    """Angle between rows of ``x`` and ``y``, ``2 atan2(|x^ - y^|, |x^ + y^|)`` (Kahan; accurate
    to rounding over all of ``[0, pi]``, unlike ``arccos`` of the cosine)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    xh = x / np.linalg.norm(x, axis=1, keepdims=True)
    yh = y / np.linalg.norm(y, axis=1, keepdims=True)
    return 2 * np.arctan2(np.linalg.norm(xh - yh, axis=1), np.linalg.norm(xh + yh, axis=1))


@dataclass
class Procedure1Result:
    """Pairs from :func:`procedure1`: ``x[k], y[k]`` at angle ``achieved[k]`` (requested
    ``theta[k]``) built from data point ``index[k]``; ``skipped`` lists data points with fewer
    than ``min_free`` usable zero coordinates (not used)."""

    x: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    achieved: np.ndarray
    index: np.ndarray
    skipped: list[int] = field(default_factory=list)


ANGLE_TOL = 1e-9


def procedure1(
    data,
    theta,
    rng: np.random.Generator,
    zero_sum: bool = True,
    min_free: int = 1,
) -> Procedure1Result:
    """tsuchida2019 Procedure 1: for each data point ``x`` a ``y`` at angle ``theta`` to ``x``.

    ``data [n, d]``, ``theta [n]`` (or a scalar). Steps (``EXPERIMENTS.md``, "Procedure 1
    details"): (a) zero the last two coordinates of ``x``; (1) ``p`` is zero where ``x`` is
    non-zero, ``U[0, 1]`` elsewhere, last two coordinates 0; (b) ``x[-2] = -sum(x)``;
    (c) ``p[-1] = -sum(p)``; scale ``p`` to ``|p| = |x|`` (after (c), so ``p`` is exactly
    orthogonal to ``x``: disjoint supports); return ``y = cos(theta) x + sin(theta) p``.
    ``zero_sum=False`` skips the lettered steps (a)-(c) (Sec. 5.2).

    A data point with fewer than ``min_free`` zero coordinates available to ``p`` (excluding
    the last two) cannot give a ``p`` and is listed in ``skipped``; so is an all-zero point.
    Raises if an achieved angle (:func:`vector_angle`) differs from ``theta`` by > 1e-9.
    """
    data = np.atleast_2d(np.asarray(data, dtype=np.float64))
    n, d = data.shape
    if d < 3:
        raise ValueError(f"Procedure 1 needs at least 3 coordinates, got {d}")
    theta = np.broadcast_to(np.asarray(theta, dtype=np.float64), (n,))
    if np.any((theta < 0) | (theta > np.pi)):
        raise ValueError("theta must lie in [0, pi]")
    xs, ys, ths, idx, skipped = [], [], [], [], []
    for k in range(n):
        x = data[k].copy()
        if zero_sum:
            x[-2:] = 0.0  # (a)
        free = x == 0.0
        free[-2:] = False
        if free.sum() < min_free or not np.any(x != 0.0):
            skipped.append(k)
            continue
        p = np.zeros(d)
        p[free] = rng.uniform(0.0, 1.0, size=int(free.sum()))  # (1)
        if zero_sum:
            x[-2] = -x.sum()  # (b)
            p[-1] = -p.sum()  # (c)
        p *= np.linalg.norm(x) / np.linalg.norm(p)
        xs.append(x)
        ys.append(np.cos(theta[k]) * x + np.sin(theta[k]) * p)
        ths.append(theta[k])
        idx.append(k)
    if not xs:
        empty = np.zeros((0, d))
        return Procedure1Result(empty, empty, np.zeros(0), np.zeros(0), np.zeros(0, int), skipped)
    x, y, th = np.array(xs), np.array(ys), np.array(ths)
    achieved = vector_angle(x, y)
    bad = np.abs(achieved - th) > ANGLE_TOL
    if np.any(bad):
        raise RuntimeError(
            f"Procedure 1 missed the angle by {np.abs(achieved - th).max():.3g} "
            f"for data points {np.array(idx)[bad][:10].tolist()}"
        )
    return Procedure1Result(x, y, th, achieved, np.array(idx), skipped)
