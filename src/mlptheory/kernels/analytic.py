"""Infinite-width NNGP and NTK of a fully connected network (lee2019 App. C/E).

Conventions (``EXPERIMENTS.md``, "Global conventions"): ``depth`` hidden layers of the same
activation, then a scalar readout; every affine layer uses the same ``sw2`` and ``sb2``. The
first layer's kernel is ``K^1(x, x') = sw2 * x.x'/d + sb2`` in both parameterizations.

The Gaussian expectations ``E[phi(u) phi(v)]`` and ``E[phi'(u) phi'(v)]`` with
``(u, v) ~ N(0, [[k11, k12], [k12, k22]])`` are taken in closed form where the activation
registry (:mod:`mlptheory.activations`) has one (ReLU arc-cosine kernel, erf, identity), and by a
2-d piecewise Gauss-Legendre rule for tanh or a user-given ``(phi, dphi)`` pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import singledispatch

import numpy as np

from .. import activations
from ..activations import ActivationLike
from ..spec import NetworkSpec


def arccos_kernel(theta):
    """Normalized arc-cosine kernel of degree 1, ``(sin t + (pi - t) cos t) / pi``.

    tsuchida2019 eq. (9) (Cho & Saul 2009): the normalized kernel of a wide ReLU layer whose
    inputs are at angle ``t``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    return (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / np.pi


def gaussian_expectations(
    activation: ActivationLike,
    k11,
    k22,
    k12,
    closed_form: bool = True,
    quad_order: int = 40,
) -> tuple[np.ndarray, np.ndarray]:
    """``(E[phi(u) phi(v)], E[phi'(u) phi'(v)])`` for ``(u, v) ~ N(0, [[k11, k12], [k12, k22]])``.

    The two integrals of seleznova2021 eqs. (7) and (9) (and eqs. (5), (8) when ``k11 = k22 =
    k12``). The registry's closed form (relu/erf/identity) unless ``closed_form=False``; else a
    piecewise Gauss-Legendre rule (``quad_order`` nodes per piece) in the two Cholesky
    coordinates, split at the kinks of ``phi`` at 0.
    """
    k11, k22, k12 = np.broadcast_arrays(*(np.asarray(k, dtype=np.float64) for k in (k11, k22, k12)))
    act = activations.lookup(activation)
    if closed_form and act is not None and act.gaussian is not None:
        return act.gaussian(k11, k22, k12)
    return _quadrature(activation, k11, k22, k12, quad_order)


def _quadrature(activation, k11, k22, k12, order, chunk=512, cutoff=9.0):
    """Piecewise Gauss-Legendre in the whitened coordinates ``u = sqrt(k11) z1``,
    ``v = m z1 + s z2``: ``z1`` split at 0, ``z2`` split where ``v = 0`` (per ``z1`` node), each
    piece with ``order`` nodes, both truncated to ``[-cutoff, cutoff]`` (tail mass < 1e-18).
    Integrands with a kink at 0 (ReLU) are then piecewise smooth and converge geometrically."""
    phi, dphi = activations.numpy_pair(activation)
    t, w = np.polynomial.legendre.leggauss(order)
    half = cutoff * (t + 1) / 2
    z1 = np.concatenate([-half[::-1], half])
    w1 = np.concatenate([w[::-1], w]) * (cutoff / 2) * _normal_pdf(z1)
    shape = k12.shape
    flat = [k.reshape(-1) for k in (k11, k22, k12)]
    out_phi = np.empty(k12.size)
    out_dphi = np.empty(k12.size)
    for start in range(0, k12.size, chunk):
        a, b, c = (k[start : start + chunk, None, None] for k in flat)
        a_safe = np.maximum(a, 1e-300)
        sa = np.sqrt(a_safe)
        m = c / sa
        s = np.sqrt(np.maximum(b - c**2 / a_safe, 0.0))
        zz1 = z1[None, :, None]
        kink = np.clip(-m * zz1 / np.maximum(s, 1e-300), -cutoff, cutoff)  # [P, 2n, 1]
        lo_mid, lo_half = (kink - cutoff) / 2, (kink + cutoff) / 2  # [-cutoff, kink]
        hi_mid, hi_half = (cutoff + kink) / 2, (cutoff - kink) / 2  # [kink, cutoff]
        z2 = np.concatenate([lo_mid + lo_half * t, hi_mid + hi_half * t], axis=-1)
        w2 = np.concatenate([lo_half * w, hi_half * w], axis=-1) * _normal_pdf(z2)
        u = sa * zz1
        v = m * zz1 + s * z2
        weight = w1[None, :, None] * w2
        out_phi[start : start + chunk] = np.sum(phi(u) * phi(v) * weight, axis=(1, 2))
        out_dphi[start : start + chunk] = np.sum(dphi(u) * dphi(v) * weight, axis=(1, 2))
    return out_phi.reshape(shape), out_dphi.reshape(shape)


def _normal_pdf(z):
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _pairwise(activation, k11, k22, k12, symmetric, closed_form, quad_order):
    """Expectations for every pair ``(i, j)``; only ``i <= j`` evaluated when symmetric."""
    if not symmetric:
        a, b = np.broadcast_arrays(k11[:, None], k22[None, :])
        return gaussian_expectations(activation, a, b, k12, closed_form, quad_order)
    iu, ju = np.triu_indices(k12.shape[0])
    e, ed = gaussian_expectations(
        activation, k11[iu], k11[ju], k12[iu, ju], closed_form, quad_order
    )
    ephi, edphi = np.empty_like(k12), np.empty_like(k12)
    ephi[iu, ju], ephi[ju, iu] = e, e
    edphi[iu, ju], edphi[ju, iu] = ed, ed
    return ephi, edphi


def _hidden_widths(width, depth):
    if width is None:
        raise ValueError("parameterization='standard' needs the hidden `width` (int or list)")
    if isinstance(width, Sequence | np.ndarray):
        widths = [int(m) for m in width]
        if len(widths) != depth:
            raise ValueError(f"width has {len(widths)} entries, expected depth={depth}")
        return widths
    return [int(width)] * depth


def infinite_width_args(spec: NetworkSpec) -> tuple[int, str, float, float]:
    """``(depth, activation, sw2, sb2)`` of a spec, as the infinite-width functions take them.

    The analytic and mean-field recursions assume weights of variance ``sw2/fan_in`` and biases
    of variance ``sb2`` at init (``gaussian`` or ``generalized_gaussian``, either
    parameterization); other initializations are refused rather than silently mismatched.
    """
    if spec.init in ("he", "glorot_uniform"):
        raise ValueError(
            f"init={spec.init!r} does not have variance sw2/fan_in; the infinite-width kernels "
            "need init='gaussian' or 'generalized_gaussian' (for he: sw2=2, init='gaussian')"
        )
    if spec.bias and spec.bias_init == "zeros" and spec.sb2 > 0:
        raise ValueError("bias_init='zeros' with sb2 > 0: the infinite-width kernels assume "
                         "biases of variance sb2; use bias_init='gaussian' or sb2=0")
    return spec.depth, spec.activation, spec.sw2, spec.sb2


@singledispatch
def nngp_ntk(
    X,
    depth: int,
    activation: ActivationLike,
    sw2: float,
    sb2: float,
    parameterization: str = "ntk",
    width=None,
    bias: bool = True,
    X2=None,
    *,
    closed_form: bool = True,
    quad_order: int = 40,
) -> tuple[np.ndarray, np.ndarray]:
    """Infinite-width NNGP ``K`` and NTK ``Theta`` of the scalar readout (lee2019 App. C, E).

    ``K^1 = sw2 x.x'/d + sb2``; ``K^{l+1} = sw2 E[phi(u) phi(v)] + sb2`` with ``(u, v)`` drawn
    with covariance ``K^l``; ``K`` is ``K^{depth+1}``, the covariance of the readout.

    ntk parameterization: ``Theta^1 = K^1``, ``Theta^{l+1} = K^{l+1} + sw2 Edot^l Theta^l``
    with ``Edot^l = E[phi'(u) phi'(v)]`` (lee2019 eq. (33)/App. E).
    standard parameterization (finite hidden ``width``, lee2019 App. F): the gradient w.r.t. a
    stored weight lacks the factor ``sqrt(sw2/fan_in)``, so layer ``l`` contributes
    ``(M_{l-1} Qhat^{l-1} + 1) P^l`` instead of ``(sw2 Qhat^{l-1} + sb2) P^l``, with
    ``Qhat^{l-1} = E[phi phi']`` per unit (``x.x'/d`` for ``l = 1``), ``P^l = prod_{k>=l}
    sw2 Edot^k``; the ``+1`` counts the trainable bias even when ``sb2 = 0``.
    ``bias=False``: no bias parameters, so ``sb2`` is ignored (treated as 0).

    ``nngp_ntk(spec, X, X2=None)`` takes depth, activation, ``sw2``, ``sb2``, parameterization,
    hidden widths and bias from a :class:`~mlptheory.spec.NetworkSpec`.

    Returns float64 arrays ``[n, n]`` (or ``[n, n2]`` with ``X2``).
    """
    if parameterization not in ("ntk", "standard"):
        raise ValueError(f"parameterization={parameterization!r}, expected 'ntk' or 'standard'")
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    X = np.asarray(X, dtype=np.float64)
    X2 = X if X2 is None else np.asarray(X2, dtype=np.float64)
    if X.ndim != 2 or X2.ndim != 2 or X.shape[1] != X2.shape[1]:
        raise ValueError(f"X and X2 must be [n, d] with the same d, got {X.shape}, {X2.shape}")
    symmetric = X2 is X
    d = X.shape[1]
    b = float(sb2) if bias else 0.0
    nb = 1.0 if bias else 0.0
    widths = _hidden_widths(width, depth) if parameterization == "standard" else None

    qhat = X @ X2.T / d  # per-unit second moment of the previous layer's outputs
    qhat1 = np.einsum("ij,ij->i", X, X) / d
    qhat2 = np.einsum("ij,ij->i", X2, X2) / d
    k12, k11, k22 = sw2 * qhat + b, sw2 * qhat1 + b, sw2 * qhat2 + b
    theta = k12.copy() if parameterization == "ntk" else d * qhat + nb
    for layer in range(depth):
        ephi, edphi = _pairwise(activation, k11, k22, k12, symmetric, closed_form, quad_order)
        e11, _ = gaussian_expectations(activation, k11, k11, k11, closed_form, quad_order)
        e22, _ = gaussian_expectations(activation, k22, k22, k22, closed_form, quad_order)
        k12, k11, k22 = sw2 * ephi + b, sw2 * e11 + b, sw2 * e22 + b
        if parameterization == "ntk":
            theta = k12 + sw2 * edphi * theta
        else:
            theta = widths[layer] * ephi + nb + sw2 * edphi * theta
    return k12, theta


@nngp_ntk.register(NetworkSpec)
def _nngp_ntk_of_spec(
    spec: NetworkSpec, X, X2=None, *, closed_form: bool = True, quad_order: int = 40
) -> tuple[np.ndarray, np.ndarray]:
    depth, activation, sw2, sb2 = infinite_width_args(spec)
    for name, x in (("X", X), ("X2", X2)):
        if x is not None and np.shape(x)[-1] != spec.input_dim:
            raise ValueError(f"{name} has {np.shape(x)[-1]} features, spec.input_dim is "
                             f"{spec.input_dim}")
    keyword_form = nngp_ntk.dispatch(object)
    return keyword_form(
        X, depth, activation, sw2, sb2, spec.parameterization, list(spec.hidden), spec.bias, X2,
        closed_form=closed_form, quad_order=quad_order,
    )
