"""The activations, each in one place (neural-tangents ``stax`` keeps ``fn`` and its kernel dual
side by side): forward and derivative for torch tensors and numpy arrays, the Gaussian
expectations the infinite-width kernels need, and the properties the mean-field code uses.

Models and training (:mod:`mlptheory.models`, :mod:`mlptheory.training`), the empirical and
the analytic kernels (:mod:`mlptheory.kernels`) all take their activation from :data:`REGISTRY`.

This module imports neither torch nor scipy at module level: :mod:`mlptheory.spec` imports it,
and the Snakemake planning code imports the spec. The torch functions use tensor methods
(``z.tanh()`` is the same kernel as ``torch.tanh(z)``); scipy is imported where it is used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Activation:
    """One elementwise nonlinearity ``phi`` and everything derived from it.

    * ``phi``, ``dphi``: ``phi`` and ``phi'`` on torch tensors;
    * ``phi_np``, ``dphi_np``: the same on numpy float64 arrays;
    * ``gaussian``: ``(k11, k22, k12) -> (E[phi(u) phi(v)], E[phi'(u) phi'(v)])`` for
      ``(u, v) ~ N(0, [[k11, k12], [k12, k22]])`` in closed form (float64 arrays of one shape),
      or ``None`` where there is none (then :mod:`mlptheory.kernels.analytic` integrates);
    * ``moments``: ``q -> (E[phi(sqrt(q) z)^2], E[phi'(sqrt(q) z)^2])``, ``z ~ N(0, 1)``
      (seleznova2021 eqs. (6), (8)), floats;
    * ``homogeneous_slope``: for positively homogeneous ``phi`` (``phi(a u) = a phi(u)``,
      ``a > 0``) the constant ``c = E[phi(sqrt(q) z)^2]/q = E[phi'(sqrt(q) z)^2]``, so the
      length map is linear, ``chi_1 = sw2 c`` for every ``q`` and the edge of chaos is
      ``sw2 = 1/c``; ``None`` otherwise;
    * ``bounded``: ``sup |phi| <= 1`` (the mean-field fixed point is then at most ``sw2 + sb2``);
    * ``dphi0``: ``phi'(0)`` (for ``sb2 = 0`` the edge of chaos is ``1/phi'(0)^2``).
    """

    name: str
    phi: Callable
    dphi: Callable
    phi_np: Callable
    dphi_np: Callable
    gaussian: Callable | None
    moments: Callable
    homogeneous_slope: float | None
    bounded: bool
    dphi0: float
    # phi' as a function of phi's output h, where that is exact and the same bits as dphi(z)
    # (training and the NTK then reuse the forward pass's h instead of recomputing phi)
    dphi_of_phi: Callable | None = None

    @property
    def homogeneous(self) -> bool:
        return self.homogeneous_slope is not None

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


#: An activation as the kernel functions accept it: a registry name, a registry object, or a
#: user-given numpy pair ``(phi, dphi)`` (then the quadrature rules are used).
ActivationLike = str | Activation | tuple[Callable, Callable]


# ----- relu ---------------------------------------------------------------------------------
def _relu_gaussian(k11, k22, k12):
    """Arc-cosine kernel of degree 0 and 1 (Cho & Saul 2009). ``sqrt(k11 k22) sin(theta) =
    sqrt(det)``; the angle by ``arctan2`` (accurate near 0 and pi)."""
    det = np.sqrt(np.maximum(k11 * k22 - k12**2, 0.0))
    theta = np.arctan2(det, k12)
    return (det + (np.pi - theta) * k12) / (2 * np.pi), (np.pi - theta) / (2 * np.pi)


# ----- erf ----------------------------------------------------------------------------------
def _erf_np(x):
    from scipy.special import erf

    return erf(x)


def _erf_gaussian(k11, k22, k12):
    """Williams (1997); ``E[erf'(u) erf'(v)] = (4/pi) / sqrt((1+2k11)(1+2k22) - 4 k12^2)``."""
    a = (1 + 2 * k11) * (1 + 2 * k22)
    ephi = 2 / np.pi * np.arcsin(np.clip(2 * k12 / np.sqrt(a), -1.0, 1.0))
    edphi = 4 / np.pi / np.sqrt(a - 4 * k12**2)
    return ephi, edphi


# ----- identity -----------------------------------------------------------------------------
def _identity(x):
    return x


def _identity_gaussian(k11, k22, k12):
    return k12.copy(), np.ones_like(k12)


def _ones_like_tensor(z):
    import torch

    return torch.ones_like(z)


# ----- tanh ---------------------------------------------------------------------------------
def _sech2(u):
    # 1/cosh^2 without overflow for large |u|
    e = np.exp(-2.0 * abs(u))
    return 4.0 * e / (1.0 + e) ** 2


def gauss_even(f, q: float) -> float:
    """``E[f(u)]`` for ``u ~ N(0, q)`` and even, bounded ``f`` decaying in ``|u|``, by quad."""
    from scipy.integrate import quad

    if q <= 0:
        return float(f(0.0))
    s = math.sqrt(q)
    upper = min(60.0, 14.0 * s)
    norm = 2.0 / math.sqrt(2.0 * math.pi * q)
    val, _ = quad(
        lambda u: f(u) * math.exp(-0.5 * u * u / q),
        0.0,
        upper,
        epsabs=0.0,
        epsrel=1e-13,
        limit=400,
        points=[min(1.0, upper / 2)],
    )
    return norm * val


def _tanh_moments(q):
    """Adaptive quadrature (rel. tol 1e-13) written as ``1 - E[sech^2]`` and ``E[sech^4]`` in
    ``u = sqrt(q) z``, so the integrand stays smooth for large ``q``."""
    return 1.0 - gauss_even(_sech2, q), gauss_even(lambda u: _sech2(u) ** 2, q)


def _moments_from_gaussian(gaussian):
    """One-input moments from a closed form at ``k11 = k22 = k12 = q`` (seleznova2021 App. E)."""

    def moments(q):
        k = np.asarray(float(q), dtype=np.float64)
        e, ed = gaussian(*np.broadcast_arrays(k, k, k))
        return float(e), float(ed)

    return moments


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

RELU = Activation(
    name="relu",
    phi=lambda z: z.relu(),
    dphi=lambda z: (z > 0).to(z.dtype),
    phi_np=lambda x: np.maximum(x, 0.0),
    dphi_np=lambda x: (x > 0).astype(np.float64),
    gaussian=_relu_gaussian,
    moments=_moments_from_gaussian(_relu_gaussian),
    homogeneous_slope=0.5,
    bounded=False,
    dphi0=0.0,  # the convention of dphi at the kink (z > 0)
    dphi_of_phi=lambda h: (h > 0).to(h.dtype),  # relu(z) > 0 exactly when z > 0
)
TANH = Activation(
    name="tanh",
    phi=lambda z: z.tanh(),
    dphi=lambda z: 1.0 - z.tanh() ** 2,
    phi_np=np.tanh,
    dphi_np=lambda x: 1.0 / np.cosh(x) ** 2,
    gaussian=None,
    moments=_tanh_moments,
    homogeneous_slope=None,
    bounded=True,
    dphi0=1.0,
    dphi_of_phi=lambda h: 1.0 - h ** 2,  # h = z.tanh(): the same bits as dphi(z)
)
ERF = Activation(
    name="erf",
    phi=lambda z: z.erf(),
    dphi=lambda z: _TWO_OVER_SQRT_PI * (-z * z).exp(),
    phi_np=_erf_np,
    dphi_np=lambda x: _TWO_OVER_SQRT_PI * np.exp(-(x**2)),
    gaussian=_erf_gaussian,
    moments=_moments_from_gaussian(_erf_gaussian),
    homogeneous_slope=None,
    bounded=True,
    dphi0=_TWO_OVER_SQRT_PI,
)
IDENTITY = Activation(
    name="identity",
    phi=_identity,
    dphi=_ones_like_tensor,
    phi_np=_identity,
    dphi_np=np.ones_like,
    gaussian=_identity_gaussian,
    moments=_moments_from_gaussian(_identity_gaussian),
    homogeneous_slope=1.0,
    bounded=False,
    dphi0=1.0,
)

REGISTRY: dict[str, Activation] = {a.name: a for a in (RELU, TANH, ERF, IDENTITY)}
ACTIVATIONS = tuple(REGISTRY)


def get(activation) -> Activation:
    """The registry object for a name (or the object itself)."""
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str) and activation in REGISTRY:
        return REGISTRY[activation]
    raise ValueError(
        f"unknown activation {activation!r}: expected one of {ACTIVATIONS} or a (phi, dphi) pair"
    )


def lookup(activation: ActivationLike) -> Activation | None:
    """The registry object for a name or object; ``None`` for a user-given ``(phi, dphi)`` pair."""
    if isinstance(activation, str | Activation):
        return get(activation)
    return None


def numpy_pair(activation: ActivationLike) -> tuple[Callable, Callable]:
    """Numpy ``(phi, phi')`` for a name or registry object, or a user-given pair as it is."""
    act = lookup(activation)
    if act is None:
        phi, dphi = activation
        return phi, dphi
    return act.phi_np, act.dphi_np
