"""The one way to build a fully connected network: :class:`MLP` and its batched ensemble.

Both are derived from a :class:`~mlptheory.spec.NetworkSpec`. Initial weights are drawn with
numpy's PCG64 generator from an integer seed, so a seed gives the same network on every
device and in every dtype, and member ``e`` of an ensemble built from ``seeds`` equals
``MLP(spec, seed=seeds[e])`` exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from scipy.special import gammaln

from . import activations
from .params import as_torch, clone, member, stack
from .spec import NetworkSpec

Params = list[tuple[torch.Tensor, torch.Tensor | None]]


def torch_dtype(name: str) -> torch.dtype:
    return {"float32": torch.float32, "float64": torch.float64}[name]


def generalized_gaussian(rng: np.random.Generator, std: float, beta: float, size) -> np.ndarray:
    """Samples with density proportional to ``exp(-|w/alpha|^beta)`` and standard deviation ``std``.

    ``Var = alpha^2 Gamma(3/beta) / Gamma(1/beta)``; ``|w/alpha|^beta ~ Gamma(1/beta, 1)``.
    ``beta = inf`` is the uniform distribution on ``[-sqrt(3) std, sqrt(3) std]``.
    """
    if math.isinf(beta):
        a = math.sqrt(3.0) * std
        return rng.uniform(-a, a, size=size)
    alpha = std * math.exp(0.5 * (gammaln(1.0 / beta) - gammaln(3.0 / beta)))
    magnitude = rng.standard_gamma(1.0 / beta, size=size) ** (1.0 / beta)
    sign = rng.choice(np.array([-1.0, 1.0]), size=size)
    return alpha * sign * magnitude


def init_params_numpy(spec: NetworkSpec, seed: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Initial ``(W, b)`` pairs as float64 numpy arrays, a pure function of ``(spec, seed)``."""
    rng = np.random.default_rng(seed)
    params = []
    for layer, ((out_dim, in_dim), bias_shape) in enumerate(spec.shapes):
        std = spec.weight_std(layer)
        if spec.init == "glorot_uniform":
            a = math.sqrt(3.0) * std
            w = rng.uniform(-a, a, size=(out_dim, in_dim))
        elif spec.init == "generalized_gaussian":
            w = generalized_gaussian(rng, std, spec.init_beta, (out_dim, in_dim))
        else:
            w = rng.standard_normal((out_dim, in_dim)) * std
        b = None
        if bias_shape is not None:
            b = rng.standard_normal(bias_shape) * spec.bias_std()
        params.append((w, b))
    return params


def init_params(spec: NetworkSpec, seed: int, device=None) -> Params:
    """Initial ``(W, b)`` pairs as torch tensors in ``spec.dtype``."""
    return as_torch(init_params_numpy(spec, seed), torch_dtype(spec.dtype), device)


def spec_from_params(params, **spec_kwargs) -> NetworkSpec:
    """A spec with layer sizes read off ``(W, b)`` pairs (``W[out, in]`` or ``[E, out, in]``)."""
    widths = [params[0][0].shape[-1]] + [w.shape[-2] for w, _ in params]
    has_bias = {b is not None for _, b in params}
    if len(has_bias) != 1:
        raise ValueError("either every layer has a bias or none does")
    for i, (w, _) in enumerate(params[1:], start=1):
        if w.shape[-1] != widths[i]:
            raise ValueError(f"layer {i} expects {w.shape[-1]} inputs, previous gives {widths[i]}")
    dtype = params[0][0].dtype
    spec_kwargs.setdefault("dtype", "float64" if dtype == torch.float64 else "float32")
    return NetworkSpec(
        input_dim=widths[0],
        hidden=tuple(widths[1:-1]),
        output_dim=widths[-1],
        bias=has_bias.pop(),
        **spec_kwargs,
    )


class _AffineStack(torch.nn.Module):
    """Shared machinery: parameters ``weights[l]`` and ``biases[l]`` and the forward pass.

    ``activation`` is the :class:`~mlptheory.activations.Activation` of the hidden layers and
    ``multipliers[l]`` the ``(w_mult, b_mult)`` of affine layer ``l`` (``spec.multipliers``).
    """

    def __init__(self, spec: NetworkSpec, params: Params):
        super().__init__()
        self.spec = spec
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(w) for w, _ in params])
        self.biases = torch.nn.ParameterList(
            [torch.nn.Parameter(b) for _, b in params if b is not None]
        )
        self.activation = activations.get(spec.activation)
        self.multipliers = [spec.multipliers(layer) for layer in range(spec.n_layers)]

    def forward_pass(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Pre-activations ``z^1, ..., z^{L+1}`` of every affine layer (the last is the output)
        and the hidden post-activations ``h^l = phi(z^l)``, ``l = 1..L``."""
        zs, hs = [], []
        h = x
        last = len(self.weights) - 1
        for layer, w in enumerate(self.weights):
            w_mult, b_mult = self.multipliers[layer]
            z = self._affine(h, w, w_mult)
            if self.spec.bias:
                b = self.biases[layer]
                z = z + (b if b_mult == 1.0 else b_mult * b).unsqueeze(-2)
            zs.append(z)
            if layer < last:
                h = self.activation.phi(z)
                hs.append(h)
        return zs, hs

    def preactivations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Pre-activations ``z^1, ..., z^{L+1}`` of every affine layer (the last is the output)."""
        return self.forward_pass(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.preactivations(x)[-1]

    def to_params(self) -> Params:
        """Detached copies of the ``(W, b)`` pairs."""
        biases = list(self.biases) if self.spec.bias else [None] * len(self.weights)
        return clone(list(zip(self.weights, biases, strict=True)))


def backprop_deltas(
    model: _AffineStack, zs: Sequence[torch.Tensor], cotangent: torch.Tensor,
    hs: Sequence[torch.Tensor] | None = None,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Back-propagate an output cotangent: yields ``(l, delta^l)`` for ``l = L, ..., 0``.

    ``zs`` are ``model.preactivations(x)`` (``hs``, optional: the hidden activations of
    ``model.forward_pass(x)``, reused for ``phi'`` where the activation allows it);
    ``delta^l = c . df/dz^l`` has the shape of ``z^l`` with ``cotangent``'s extra axes before
    the unit axis. Two uses:

    * training: ``cotangent = dL/df [E, S, out]`` (one batch per member), ``delta^l = dL/dz^l``;
    * empirical NTK: ``cotangent [..., n, out, out]`` (an identity per input), ``delta^l
      [..., n, out, M_l]`` with entry ``[i, a, m] = df_a(x_i)/dz^l_{im}``.

    Recursion: ``delta^{l-1} = w_mult_l (delta^l W^l) * phi'(z^{l-1})``. Each delta is computed
    after the consumer has used the previous one (a generator), so training writes its
    gradients layer by layer without keeping every delta alive. A 3-d delta of an ensemble is
    propagated by ``torch.bmm``, others by ``torch.matmul`` (the ops the two callers used, so
    their bits are unchanged).
    """
    act = model.activation
    # phi'(z^{l-1}) from the forward pass's h^{l-1} where the activation allows it (same bits)
    from_h = hs is not None and act.dphi_of_phi is not None
    extra = cotangent.dim() - zs[-1].dim()  # axes between the input axis and the unit axis
    delta = cotangent
    for layer in range(len(zs) - 1, -1, -1):
        yield layer, delta
        if layer == 0:
            return
        w = model.weights[layer]  # [out, in] or [E, out, in]
        w_mult, _ = model.multipliers[layer]
        if w.dim() == 2:
            delta = delta @ w
        elif delta.dim() == 3:
            delta = torch.bmm(delta, w)
        else:  # an ensemble's [E, ..., M] delta: one GEMM per member, not one per input
            delta = torch.bmm(delta.reshape(w.shape[0], -1, w.shape[-2]), w).reshape(
                *delta.shape[:-1], w.shape[-1])
        if w_mult != 1.0:
            delta.mul_(w_mult)
        slope = act.dphi_of_phi(hs[layer - 1]) if from_h else act.dphi(zs[layer - 1])
        delta.mul_(_unsqueeze(slope, -2, extra))


def _unsqueeze(t: torch.Tensor, dim: int, times: int) -> torch.Tensor:
    for _ in range(times):
        t = t.unsqueeze(dim)
    return t


class MLP(_AffineStack):
    """A fully connected network ``x [n, d] -> f(x) [n, out]``.

    Build it from a spec and a seed (``MLP(spec, seed=0)``) or from existing weights
    (``MLP.from_params(params, activation=..., parameterization=...)``).
    """

    def __init__(self, spec: NetworkSpec, seed: int = 0, params: Params | None = None):
        if params is None:
            params = init_params(spec, seed)
        super().__init__(spec, params)

    @staticmethod
    def _affine(h, w, w_mult):
        z = h @ w.T
        return z if w_mult == 1.0 else w_mult * z

    @classmethod
    def from_params(cls, params: Params, **spec_kwargs) -> MLP:
        """An MLP around copies of ``(W, b)`` pairs; ``spec_kwargs`` as in :class:`NetworkSpec`."""
        spec = spec_from_params(params, **spec_kwargs)
        return cls(spec, params=clone(params))


class EnsembleMLP(_AffineStack):
    """``E`` independent networks of one spec, weights stored as ``[E, out, in]``.

    ``forward(x)`` takes ``x [n, d]`` (shared inputs) or ``[E, n, d]`` (one batch per member)
    and returns ``[E, n, out]``; every layer is one batched matrix product.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        seeds: Sequence[int] | None = None,
        params: Params | None = None,
    ):
        if params is None:
            if seeds is None:
                raise ValueError("EnsembleMLP needs seeds or params")
            members = [init_params(spec, int(s)) for s in seeds]
            params = stack(members)
        super().__init__(spec, params)

    @property
    def n_members(self) -> int:
        return self.weights[0].shape[0]

    @staticmethod
    def _affine(h, w, w_mult):
        z = torch.matmul(h, w.transpose(-1, -2))
        return z if w_mult == 1.0 else w_mult * z

    def member(self, e: int) -> MLP:
        """Member ``e`` as a standalone :class:`MLP` (a copy)."""
        return MLP(self.spec, params=clone(member(self.to_params(), e)))

    @classmethod
    def from_members(cls, members: Sequence[MLP]) -> EnsembleMLP:
        specs = {m.spec for m in members}
        if len(specs) != 1:
            raise ValueError("all members must share one spec")
        return cls(specs.pop(), params=stack([m.to_params() for m in members]))

    @classmethod
    def from_params(cls, params: Params, **spec_kwargs) -> EnsembleMLP:
        """An ensemble around copies of stacked ``(W [E, out, in], b [E, out])`` pairs."""
        spec = spec_from_params(params, **spec_kwargs)
        return cls(spec, params=clone(params))


def ensemble_at(run, step: int | None = None, device=None, dtype: str | None = None
                ) -> EnsembleMLP:
    """The ensemble of a run file (:class:`mlptheory.runs.Run`) at checkpoint ``step``
    (default: the end), in the run's dtype or ``dtype``."""
    spec = run.spec if dtype is None else run.spec.replace(dtype=dtype)
    return EnsembleMLP(spec, params=as_torch(run.params(step), torch_dtype(spec.dtype), device))


def convert_parameterization(
    params: Params, spec: NetworkSpec, to: str
) -> tuple[Params, NetworkSpec]:
    """Re-express a network in the other parameterization without changing its function.

    ``EXPERIMENTS.md``: standard ``z = W h + b``; ntk ``z = sqrt(sw2/fan_in) W' h + sqrt(sb2) b'``.
    So ``W' = W / sqrt(sw2/fan_in)`` and ``b' = b / sqrt(sb2)`` (standard -> ntk) and back.
    Works on single ``[out, in]`` and stacked ``[E, out, in]`` weights. An ntk network with
    ``sb2 = 0`` can only take a zero standard bias.
    """
    if to not in ("standard", "ntk"):
        raise ValueError(f"to={to!r}, expected 'standard' or 'ntk'")
    if to == spec.parameterization:
        return clone(params), spec
    # glorot_uniform and he are standard-only initializations; the converted network is the
    # same function, so the init family no longer describes it
    init = "gaussian" if to == "ntk" and spec.init in ("glorot_uniform", "he") else spec.init
    target = spec.replace(parameterization=to, init=init)
    converted = []
    for layer, (w, b) in enumerate(params):
        fan_in = spec.widths[layer]
        w_mult = math.sqrt(spec.sw2 / fan_in)
        b_mult = math.sqrt(spec.sb2)
        if to == "ntk":
            w_new = w.detach() / w_mult
            if b is None:
                b_new = None
            elif b_mult == 0.0:
                if torch.count_nonzero(b) > 0:
                    raise ValueError(f"layer {layer}: sb2 = 0, so the ntk parameterization "
                                     "cannot represent a nonzero standard bias")
                b_new = b.detach().clone()
            else:
                b_new = b.detach() / b_mult
        else:
            w_new = w.detach() * w_mult
            b_new = None if b is None else b.detach() * b_mult
        converted.append((w_new, b_new))
    return converted, target
