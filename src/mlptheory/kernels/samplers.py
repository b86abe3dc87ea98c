"""Samples of ``Theta_0(x, x)`` over random initializations (seleznova2021 Fig. 1, 2, 7).

Two samplers of the same distribution:

* ``explicit``: networks drawn exactly as :class:`~mlptheory.models.MLP` draws them (numpy
  PCG64 per seed), batched as an :class:`~mlptheory.models.EnsembleMLP`, NTK by the
  ``structured`` method. Cost ``O(L M^2)`` per initialization (dominated by drawing ``W``).
* ``conditional`` (exact, ``O(L M)`` per initialization; Gaussian weights only): the forward
  pass uses ``W^l`` only through ``u = W^l a`` (``a`` = the layer's input), which is
  ``N(0, s^2 |a|^2 I)``; given ``u``, the backward pass needs ``W^T delta`` whose conditional law
  is ``a (u.delta)/|a|^2 + (I - a a^T/|a|^2) g`` with ``g ~ N(0, s^2 |delta|^2 I)``. Layers are
  independent, and each ``W^l`` enters the backward pass once, so sampling ``u`` forward and
  then ``W^T delta`` backward from these conditionals is exact, never forming ``W``.

``Theta_0(x, x) = sum_l w_mult_l^2 |delta^l|^2 |a^{l-1}|^2 + b_mult_l^2 |delta^l|^2`` (the bias
term only when the spec has biases), as in :func:`~mlptheory.kernels.empirical_ntk`.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import activations
from ..models import EnsembleMLP
from ..seeding import derive_seeds
from ..spec import NetworkSpec
from .empirical import empirical_ntk

SAMPLERS = ("auto", "conditional", "explicit")


def ntk_diagonal_samples(
    spec: NetworkSpec,
    x,
    n_inits: int,
    seed: int,
    method: str = "auto",
    max_chunk_bytes: float = 2e8,
) -> np.ndarray:
    """``Theta_0(x, x)`` for ``n_inits`` initializations of ``spec`` (float64 ``[n_inits]``).

    ``method="auto"`` uses ``conditional`` for Gaussian initializations (``gaussian``, ``he``)
    and ``explicit`` otherwise. ``explicit`` uses seeds ``derive_seeds(seed, n_inits,
    "ntk_diagonal")``, so sample ``i`` is the NTK of ``MLP(spec, seed=seeds[i])``.
    Needs a scalar output (``spec.output_dim == 1``).
    """
    if method not in SAMPLERS:
        raise ValueError(f"method={method!r}, expected one of {SAMPLERS}")
    if spec.output_dim != 1:
        raise ValueError(f"ntk_diagonal_samples needs output_dim=1, got {spec.output_dim}")
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.shape[0] != spec.input_dim:
        raise ValueError(f"x has {x.shape[0]} coordinates, spec.input_dim={spec.input_dim}")
    gaussian = spec.init in ("gaussian", "he")
    if method == "auto":
        method = "conditional" if gaussian else "explicit"
    if method == "conditional":
        if not gaussian:
            raise ValueError(f"the conditional sampler needs Gaussian weights, init={spec.init}")
        return _conditional(spec, x, n_inits, np.random.default_rng(seed))
    return _explicit(spec, x, n_inits, seed, max_chunk_bytes)


def _explicit(spec, x, n_inits, seed, max_chunk_bytes):
    seeds = derive_seeds(seed, n_inits, "ntk_diagonal")
    chunk = max(1, int(max_chunk_bytes // (8 * spec.n_params)))
    xt = torch.as_tensor(x[None, :], dtype=torch.float64)
    out = []
    for start in range(0, n_inits, chunk):
        model = EnsembleMLP(spec.replace(dtype="float64"), seeds=seeds[start : start + chunk])
        out.append(empirical_ntk(model, xt, method="structured")[:, 0, 0].numpy())
    return np.concatenate(out)


def _conditional(spec, x, n, rng):
    phi, dphi = activations.numpy_pair(spec.activation)
    n_layers = spec.n_layers
    a = np.broadcast_to(x, (n, x.shape[0]))
    inputs, us, zs = [], [], []
    for layer in range(n_layers):
        w_mult, b_mult = spec.multipliers(layer)
        s = spec.weight_std(layer)
        a2 = np.einsum("ij,ij->i", a, a)
        u = rng.standard_normal((n, spec.widths[layer + 1])) * (s * np.sqrt(a2))[:, None]
        z = w_mult * u
        if spec.bias:
            z = z + b_mult * spec.bias_std() * rng.standard_normal(z.shape)
        inputs.append(a)
        us.append(u)
        zs.append(z)
        a = phi(z)
    theta = np.zeros(n)
    delta = np.ones((n, 1))
    for layer in range(n_layers - 1, -1, -1):
        w_mult, b_mult = spec.multipliers(layer)
        a = inputs[layer]
        a2 = np.einsum("ij,ij->i", a, a)
        d2 = np.einsum("ij,ij->i", delta, delta)
        theta += w_mult**2 * d2 * a2
        if spec.bias:
            theta += b_mult**2 * d2
        if layer == 0:
            break
        # W^T delta | u  =  a (u.delta)/|a|^2 + (I - a a^T/|a|^2) g,  g ~ N(0, s^2 |delta|^2 I)
        s = spec.weight_std(layer)
        g = rng.standard_normal(a.shape) * (s * np.sqrt(d2))[:, None]
        safe = np.where(a2 > 0, a2, 1.0)
        ud = np.einsum("ij,ij->i", us[layer], delta)
        ag = np.einsum("ij,ij->i", a, g)
        wtd = g + a * ((ud - ag) / safe)[:, None]
        delta = dphi(zs[layer - 1]) * (w_mult * wtd)
    return theta


def ntk_variance_ratio(samples) -> float:
    """``E[Theta_0(x,x)^2] / E[Theta_0(x,x)]^2`` (seleznova2021 Fig. 1) from samples."""
    s = np.asarray(samples, dtype=np.float64)
    return float(np.mean(s**2) / np.mean(s) ** 2)
