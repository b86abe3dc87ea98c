"""Mean-field signal propagation, edge of chaos, and seleznova2021 Lemma 5.2 / Theorem 5.3.

Indexing (seleznova2021 Sec. 2, App. E, adapted to ``EXPERIMENTS.md``): a network with ``L``
hidden layers has affine layers ``l = 1..L+1`` (``L+1`` is the scalar readout) with
pre-activations ``z^l``. For two inputs ``x_s, x_r``:

* ``qhat^0 = |x_s|^2/d``, ``qhat_sr^0 = x_s.x_r/d`` (per-coordinate input second moments);
* ``q^l = sw2 qhat^{l-1} + sb2`` (eq. 5), ``qhat^l = E[phi(sqrt(q^l) z)^2]`` (eq. 6);
* ``q_sr^l = sw2 qhat_sr^{l-1} + sb2``, ``qhat_sr^l = E[phi(u1) phi(u2)]`` (eq. 7),
  ``c^l = q_sr^l / sqrt(q^l(x_s) q^l(x_r))``;
* ``p^{L+1} = p_sr^{L+1} = 1``; ``p^l = sw2 E[phi'(z^l)^2] p^{l+1}`` (eq. 8) and
  ``p_sr^l = sw2 E[phi'(u1) phi'(u2)] p_sr^{l+1}`` (eq. 9), where ``p^l = E[sum_i delta_i^2]``.
  With fan-in normalized weights ``W^{l+1} ~ N(0, sw2/M_l)`` (our models) the sum over the
  ``M_l`` units cancels the ``1/M_l`` of the variance, so no width ratio appears (eq. (8)'s
  ``M_{l+1}/M_{l+2}`` is 1 for constant widths, the paper's setting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import singledispatch

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq

from .. import activations
from ..activations import ActivationLike
from ..spec import NetworkSpec
from .analytic import gaussian_expectations, infinite_width_args


def single_moments(activation: ActivationLike, q: float) -> tuple[float, float]:
    """``(E[phi(sqrt(q) z)^2], E[phi'(sqrt(q) z)^2])``, seleznova2021 eqs. (6) and (8).

    The registry's ``moments`` for a named activation (closed forms for relu/erf/identity,
    seleznova2021 App. E; adaptive quadrature for tanh, see :mod:`mlptheory.activations`); a
    user-given ``(phi, dphi)`` pair by quad over ``z``.
    """
    q = float(q)
    act = activations.lookup(activation)
    if act is not None:
        return act.moments(q)
    phi, dphi = activation
    dens = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    s = math.sqrt(max(q, 0.0))
    e = quad(lambda z: float(phi(s * z)) ** 2 * dens(z), -np.inf, np.inf, epsrel=1e-12)[0]
    ed = quad(lambda z: float(dphi(s * z)) ** 2 * dens(z), -np.inf, np.inf, epsrel=1e-12)[0]
    return e, ed


def q_map(activation: ActivationLike, sw2: float, sb2: float, q: float) -> float:
    """Length map ``q^{l+1} = sw2 E[phi(sqrt(q^l) z)^2] + sb2``, seleznova2021 eq. (5)."""
    return sw2 * single_moments(activation, q)[0] + sb2


@singledispatch
def fixed_point_q(activation: ActivationLike, sw2: float, sb2: float) -> float:
    """The stable fixed point ``q*`` of :func:`q_map` (``inf`` if the length map diverges).

    ReLU/identity are linear in ``q``: ``q* = sb2/(1 - sw2 c)`` for ``sw2 c < 1`` (``c = 1/2``
    resp. ``1``), else ``inf``. Bounded activations: root of ``q_map(q) - q`` in
    ``[sb2, sw2 sup phi^2 + sb2]``; for ``sb2 = 0`` it is 0 when ``sw2 phi'(0)^2 <= 1``.
    ``fixed_point_q(spec)`` reads the activation, ``sw2`` and ``sb2`` from a spec.
    """
    act = activations.lookup(activation)
    if act is not None and act.homogeneous:
        slope = sw2 * act.homogeneous_slope
        return sb2 / (1 - slope) if slope < 1 else math.inf
    g = lambda q: q_map(activation, sw2, sb2, q) - q  # noqa: E731
    if sb2 == 0.0:
        chi0 = sw2 * single_moments(activation, 0.0)[1]
        if chi0 <= 1.0:
            return 0.0
        lo = 1e-12
        while g(lo) <= 0:  # numerically at the unstable root 0; step away from it
            lo *= 10
    else:
        lo = sb2
    hi = max(2 * lo, sw2 + sb2 + 1.0)  # tanh/erf: phi^2 <= 1
    while g(hi) > 0:
        hi *= 2
    if g(lo) == 0.0:
        return lo
    return brentq(g, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=500)


@singledispatch
def chi1(activation: ActivationLike, sw2: float, sb2: float, q: float | None = None) -> float:
    """``chi_1 = sw2 E[phi'(sqrt(q*) z)^2]`` at the fixed point ``q*`` (or at ``q``).

    seleznova2021 Sec. 2 (after eq. (9)). ReLU: ``sw2/2`` for every ``q``. ``chi1(spec, q=None)``
    reads the activation, ``sw2`` and ``sb2`` from a spec.
    """
    if q is None:
        q = fixed_point_q(activation, sw2, sb2)
    if math.isinf(q):
        act = activations.lookup(activation)
        if act is not None and act.homogeneous:
            q = 1.0  # chi_1 does not depend on q for positively homogeneous phi
        else:
            raise ValueError("length map diverges; chi_1 undefined")
    return sw2 * single_moments(activation, q)[1]


def edge_of_chaos(activation: ActivationLike, sb2: float) -> float:
    """``sw2`` at which ``chi_1 = 1`` at the fixed point ``q*(sw2, sb2)`` (seleznova2021 Sec. 2).

    ReLU: exactly 2 for every ``sb2``; identity: exactly 1; ``sb2 = 0``: ``1/phi'(0)^2``
    (tanh 1, erf pi/4). Otherwise solved by ``brentq``
    with the fixed point from adaptive quadrature (converged to ~1e-13 relative).
    """
    if sb2 < 0:
        raise ValueError(f"sb2 must be >= 0, got {sb2}")
    act = activations.lookup(activation)
    if act is not None and act.homogeneous:
        return 1.0 / act.homogeneous_slope  # chi_1 = sw2 * slope for every q
    if sb2 == 0.0:
        # q* = 0 for sw2 phi'(0)^2 <= 1 and chi_1 > 1 above: the EOC is 1/phi'(0)^2 exactly
        return 1.0 / single_moments(activation, 0.0)[1]
    h = lambda sw2: chi1(activation, sw2, sb2) - 1.0  # noqa: E731
    lo, hi = 0.5, 4.0
    while h(lo) > 0:
        lo /= 2
    while h(hi) < 0:
        hi *= 2
    return brentq(h, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500)


@singledispatch
def phase(activation: ActivationLike, sw2: float, sb2: float, tol: float = 1e-9) -> str:
    """``ordered`` (``chi_1 < 1``), ``critical`` (``|chi_1 - 1| <= tol``) or ``chaotic``.

    ``phase(spec, tol=1e-9)`` reads the activation, ``sw2`` and ``sb2`` from a spec."""
    c = chi1(activation, sw2, sb2)
    if abs(c - 1.0) <= tol:
        return "critical"
    return "ordered" if c < 1.0 else "chaotic"


@dataclass(frozen=True)
class MeanField:
    """Mean-field quantities of one input pair, arrays indexed by layer (see module doc).

    ``q, q_r, q_sr, c, p, p_r, p_sr`` have length ``L+2`` with index ``l = 1..L+1`` used
    (index 0 is NaN); ``qhat, qhat_r, qhat_sr`` have index ``l = 0..L``.
    """

    q: np.ndarray
    q_r: np.ndarray
    q_sr: np.ndarray
    c: np.ndarray
    qhat: np.ndarray
    qhat_r: np.ndarray
    qhat_sr: np.ndarray
    p: np.ndarray
    p_r: np.ndarray
    p_sr: np.ndarray

    @property
    def depth(self) -> int:
        return len(self.q) - 2


@singledispatch
def mean_field(
    depth: int,
    activation: ActivationLike,
    sw2: float,
    sb2: float,
    qhat0: float = 1.0,
    qhat0_sr: float | None = None,
    qhat0_r: float | None = None,
    quad_order: int = 40,
) -> MeanField:
    """Forward (eqs. 5-7) and backward (eqs. 8-9) mean-field recursions of seleznova2021.

    ``qhat0 = |x_s|^2/d``, ``qhat0_r = |x_r|^2/d`` (default ``qhat0``), ``qhat0_sr = x_s.x_r/d``
    (default ``qhat0``, i.e. the same input twice). The two-input integrals use closed forms
    for relu/erf and otherwise the piecewise Gauss-Legendre rule of
    :func:`gaussian_expectations`; the one-input integrals use :func:`single_moments`.
    ``mean_field(spec, qhat0=1.0, ...)`` reads depth, activation, ``sw2`` and ``sb2`` from a
    spec (the hidden widths do not enter, see the module doc).
    """
    if qhat0_r is None:
        qhat0_r = qhat0
    if qhat0_sr is None:
        qhat0_sr = qhat0
    n = depth + 2
    arr = lambda: np.full(n, np.nan)  # noqa: E731
    q, q_r, q_sr, c, p, p_r, p_sr = (arr() for _ in range(7))
    qhat, qhat_r, qhat_sr = (np.full(depth + 1, np.nan) for _ in range(3))
    qhat[0], qhat_r[0], qhat_sr[0] = qhat0, qhat0_r, qhat0_sr
    edot, edot_r, edot_sr = arr(), arr(), arr()
    for layer in range(1, depth + 2):
        q[layer] = sw2 * qhat[layer - 1] + sb2
        q_r[layer] = sw2 * qhat_r[layer - 1] + sb2
        q_sr[layer] = sw2 * qhat_sr[layer - 1] + sb2
        c[layer] = q_sr[layer] / math.sqrt(q[layer] * q_r[layer])
        if layer == depth + 1:
            break
        qhat[layer], edot[layer] = single_moments(activation, q[layer])
        qhat_r[layer], edot_r[layer] = single_moments(activation, q_r[layer])
        e, ed = gaussian_expectations(
            activation, q[layer], q_r[layer], q_sr[layer], quad_order=quad_order
        )
        qhat_sr[layer], edot_sr[layer] = float(e), float(ed)
    p[depth + 1] = p_r[depth + 1] = p_sr[depth + 1] = 1.0
    for layer in range(depth, 0, -1):
        p[layer] = sw2 * edot[layer] * p[layer + 1]
        p_r[layer] = sw2 * edot_r[layer] * p_r[layer + 1]
        p_sr[layer] = sw2 * edot_sr[layer] * p_sr[layer + 1]
    return MeanField(q, q_r, q_sr, c, qhat, qhat_r, qhat_sr, p, p_r, p_sr)


def _alphas(depth, alphas):
    if alphas is None:
        return np.ones(depth + 1)
    alphas = np.asarray(alphas, dtype=np.float64)
    if alphas.shape != (depth + 1,):
        raise ValueError(
            f"alphas must hold alpha_0..alpha_L ({depth + 1} values), got shape {alphas.shape}"
        )
    return alphas


def lemma52_alpha(alphas) -> float:
    """``alpha = sum_{l=1}^{L} alpha_l alpha_{l-1}`` (seleznova2021 Lemma 5.2, with the paper's
    ``L`` read as the number of weight layers ``L+1`` so that the sum is never empty)."""
    alphas = np.asarray(alphas, dtype=np.float64)
    return float(np.sum(alphas[1:] * alphas[:-1])) if len(alphas) > 1 else float(alphas[0])


def kappa1(mf: MeanField, alphas=None, alpha: float | None = None) -> float:
    """``kappa_1(x) = sum_l (alpha_{l-1}/alpha) qhat^{l-1}(x) p^l(x)``, seleznova2021 Lemma 5.2.

    Sum over all weight layers ``l = 1..L+1``; ``alphas = (M_0/M, ..., M_L/M)`` (default all 1)
    and ``alpha`` defaults to :func:`lemma52_alpha`. Then the mean NTK of the standard
    parameterization is ``alpha M kappa_1 + sum_l p^l`` (the last sum: biases, ``O(1/M)``
    relative).
    """
    a = _alphas(mf.depth, alphas)
    alpha = lemma52_alpha(a) if alpha is None else alpha
    return float(np.sum(a * mf.qhat * mf.p[1:]) / alpha)


def kappa2(mf: MeanField, alphas=None, alpha: float | None = None) -> float:
    """``kappa_2(x_s, x_r) = sum_l (alpha_{l-1}/alpha) qhat_sr^{l-1} p_sr^l``, Lemma 5.2."""
    a = _alphas(mf.depth, alphas)
    alpha = lemma52_alpha(a) if alpha is None else alpha
    return float(np.sum(a * mf.qhat_sr * mf.p_sr[1:]) / alpha)


def output_variance(q: float, q_sr: float, kappa1: float, kappa2: float, S: int) -> float:
    """seleznova2021 Theorem 5.3: ``Var f_inf(x) ~ (1 + A^2/S)(q - q_sr) + (A - 1)^2 q_sr``.

    ``A = S / (kappa1/kappa2 + S - 1)``; ``q, q_sr`` are the readout's ``q^{L+1}``,
    ``q_sr^{L+1}`` (Lemma 5.1: ``E f0(x)^2`` and ``E f0(x_s) f0(x_r)``).
    """
    A = S / (kappa1 / kappa2 + (S - 1))
    return (1 + A * A / S) * (q - q_sr) + (A - 1) ** 2 * q_sr


@singledispatch
def thm53_output_variance(
    depth: int,
    activation: ActivationLike,
    sw2: float,
    sb2: float,
    S: int,
    qhat0: float = 1.0,
    qhat0_sr: float = 0.0,
    alphas=None,
) -> float:
    """Theorem 5.3 for data-independent means: unit-norm-like inputs with ``qhat^0 = qhat0``
    and pairwise ``qhat_sr^0 = qhat0_sr``. ``thm53_output_variance(spec, S, ...)`` reads
    depth, activation, ``sw2`` and ``sb2`` from a spec."""
    mf = mean_field(depth, activation, sw2, sb2, qhat0=qhat0, qhat0_sr=qhat0_sr)
    k1, k2 = kappa1(mf, alphas), kappa2(mf, alphas)
    return output_variance(mf.q[-1], mf.q_sr[-1], k1, k2, S)


# ----- the same functions with the hyperparameters read from a NetworkSpec ------------------
@fixed_point_q.register(NetworkSpec)
def _fixed_point_q_of_spec(spec: NetworkSpec) -> float:
    _, activation, sw2, sb2 = infinite_width_args(spec)
    return fixed_point_q(activation, sw2, sb2)


@chi1.register(NetworkSpec)
def _chi1_of_spec(spec: NetworkSpec, q: float | None = None) -> float:
    _, activation, sw2, sb2 = infinite_width_args(spec)
    return chi1(activation, sw2, sb2, q)


@phase.register(NetworkSpec)
def _phase_of_spec(spec: NetworkSpec, tol: float = 1e-9) -> str:
    _, activation, sw2, sb2 = infinite_width_args(spec)
    return phase(activation, sw2, sb2, tol)


@mean_field.register(NetworkSpec)
def _mean_field_of_spec(
    spec: NetworkSpec,
    qhat0: float = 1.0,
    qhat0_sr: float | None = None,
    qhat0_r: float | None = None,
    quad_order: int = 40,
) -> MeanField:
    return mean_field(*infinite_width_args(spec), qhat0, qhat0_sr, qhat0_r, quad_order)


@thm53_output_variance.register(NetworkSpec)
def _thm53_output_variance_of_spec(
    spec: NetworkSpec, S: int, qhat0: float = 1.0, qhat0_sr: float = 0.0, alphas=None
) -> float:
    return thm53_output_variance(*infinite_width_args(spec), S, qhat0, qhat0_sr, alphas)
