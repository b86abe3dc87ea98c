"""Empirical NTK and NNGP of finite networks (:class:`MLP` and :class:`EnsembleMLP`).

``Theta(x, x') = sum_p df(x)/dtheta_p df(x')/dtheta_p`` over *all* trainable parameters,
biases included (``EXPERIMENTS.md``). Three methods:

* ``structured``: forward activations ``h^{l-1}`` and backward deltas ``delta^l = df/dz^l``
  per layer; since ``z^l = w_mult W^l h^{l-1} + b_mult b^l``,
  ``Theta = sum_l w_mult_l^2 (delta^l . delta'^l)(h^{l-1} . h'^{l-1})
  + b_mult_l^2 (delta^l . delta'^l)``. No per-parameter Jacobian is ever formed: cost is one
  forward/backward pass plus ``n1 n2 M`` per layer.
* ``jacobian``: ``torch.func.jacrev`` Jacobians per parameter, contracted (generic check).
* ``ntk_vp``: NTK-vector products ``J1 (J2^T v)`` (``torch.func.vjp`` then ``jvp``), vmapped
  over the basis vectors ``v`` of the ``n2 * out`` outputs (generic check).
"""

from __future__ import annotations

import torch
from torch.func import functional_call, jacrev, jvp, vjp, vmap

from ..models import MLP, EnsembleMLP, backprop_deltas

METHODS = ("auto", "structured", "jacobian", "ntk_vp")
OUTPUTS = ("trace", "full")


def _check(model, X1, X2, method, outputs):
    if not isinstance(model, MLP | EnsembleMLP):
        raise TypeError(f"empirical_ntk needs an MLP or EnsembleMLP, got {type(model).__name__}")
    if method not in METHODS:
        raise ValueError(f"method={method!r}, expected one of {METHODS}")
    if outputs not in OUTPUTS:
        raise ValueError(f"outputs={outputs!r}, expected one of {OUTPUTS}")
    for name, x in (("X1", X1), ("X2", X2)):
        if x is not None and x.shape[-1] != model.spec.input_dim:
            raise ValueError(
                f"{name} has {x.shape[-1]} features, model expects {model.spec.input_dim}"
            )


def empirical_ntk(model, X1, X2=None, method: str = "auto", outputs: str = "trace"):
    """Empirical NTK of ``model`` between ``X1 [n1, d]`` and ``X2 [n2, d]`` (default ``X1``).

    Returns ``[n1, n2]`` (``outputs="trace"``: summed over the outputs, i.e. the trace of the
    per-output kernel) or ``[n1, n2, out, out]`` (``outputs="full"``: entry ``[i, j, a, b]`` is
    ``grad f_a(x_i) . grad f_b(x_j)``); for an :class:`EnsembleMLP` a leading ``[E]`` axis (its
    inputs may be ``[n, d]`` shared or ``[E, n, d]`` per member). ``method="auto"`` is
    ``structured``. Computed without building an autograd graph of the model's parameters for
    ``structured``; the result has the model's dtype.
    """
    _check(model, X1, X2, method, outputs)
    if method in ("auto", "structured"):
        return _structured(model, X1, X2, outputs)
    fn = _jacobian_ntk if method == "jacobian" else _ntk_vp
    if isinstance(model, EnsembleMLP):
        per = []
        for e in range(model.n_members):
            x1 = X1[e] if X1.dim() == 3 else X1
            x2 = None if X2 is None else (X2[e] if X2.dim() == 3 else X2)
            per.append(fn(model.member(e), x1, x2, outputs))
        return torch.stack(per)
    return fn(model, X1, X2, outputs)


def _forward_backward(model, X):
    """Post-activations ``h^0..h^L`` and deltas ``df_a/dz^l`` as ``[..., n, out, M_l]``."""
    zs, hidden = model.forward_pass(X)
    hs = [X] + hidden
    n_out = model.spec.output_dim
    eye = torch.eye(n_out, dtype=X.dtype, device=X.device)
    deltas = [None] * len(zs)
    for layer, delta in backprop_deltas(model, zs, eye.expand(*zs[-1].shape[:-1], n_out, n_out),
                                        hidden):
        deltas[layer] = delta
    return hs, deltas


def _structured(model, X1, X2, outputs):
    with torch.no_grad():
        hs1, ds1 = _forward_backward(model, X1)
        hs2, ds2 = (hs1, ds1) if X2 is None else _forward_backward(model, X2)
        theta = None
        for layer in range(len(ds1)):
            w_mult, b_mult = model.multipliers[layer]
            # in place: one n1 x n2 temporary besides theta (the same operations and bits)
            coef = (hs1[layer] @ hs2[layer].transpose(-1, -2)).mul_(w_mult**2)  # [..., n1, n2]
            if model.spec.bias:
                coef.add_(b_mult**2)
            if outputs == "trace":
                d1 = ds1[layer].flatten(-2)  # [..., n1, out*M]
                d2 = ds2[layer].flatten(-2)
                term = (d1 @ d2.transpose(-1, -2)).mul_(coef)
            else:
                dd = torch.einsum("...iam,...jbm->...ijab", ds1[layer], ds2[layer])
                term = dd.mul_(coef[..., None, None])
            theta = term if theta is None else theta.add_(term)
            del coef, term
    return theta


def _named_params(model):
    return {k: v.detach() for k, v in model.named_parameters()}


def _jacobian_ntk(model, X1, X2, outputs):
    params = _named_params(model)

    def f(p, x):
        return functional_call(model, p, (x,))

    j1 = jacrev(f)(params, X1)  # name -> [n1, out, *shape]
    j2 = j1 if X2 is None else jacrev(f)(params, X2)
    theta = None
    for name in params:
        a = j1[name].flatten(2)
        b = j2[name].flatten(2)
        term = torch.einsum("iap,jbp->ijab", a, b)
        theta = term if theta is None else theta + term
    return theta.diagonal(dim1=-2, dim2=-1).sum(-1) if outputs == "trace" else theta


def _ntk_vp(model, X1, X2, outputs):
    params = _named_params(model)
    X2 = X1 if X2 is None else X2

    def f1(p):
        return functional_call(model, p, (X1,))

    def f2(p):
        return functional_call(model, p, (X2,))

    _, vjp_fn = vjp(f2, params)

    def column(v):  # Theta(X1, X2) v, v in the output space of X2
        (cot,) = vjp_fn(v)
        return jvp(f1, (params,), (cot,))[1]

    n2, n_out = X2.shape[0], model.spec.output_dim
    basis = torch.eye(n2 * n_out, dtype=X2.dtype, device=X2.device).reshape(-1, n2, n_out)
    cols = vmap(column)(basis)  # [n2*out (j,b), n1, out (a)]
    theta = cols.reshape(n2, n_out, X1.shape[0], n_out).permute(2, 0, 3, 1)  # [i, j, a, b]
    return theta.diagonal(dim1=-2, dim2=-1).sum(-1) if outputs == "trace" else theta


def gd_critical_lr(model, x):
    """``2 S / lambda_max(Theta_0)`` per member (a ``[E]`` tensor, or a scalar tensor for an
    :class:`MLP`): the largest stable rate of full-batch GD on the loss
    ``1/(2S) sum_i ||f(x_i) - y_i||^2`` of the linearized network, whose function-space step is
    ``f <- f - (lr/S) Theta (f - y)`` (Karakida et al. 2018, the bound seleznova2021 chose its
    rate by). ``Theta`` is the full empirical NTK over inputs and outputs, ``[S*out, S*out]``."""
    with torch.no_grad():
        full = empirical_ntk(model, x, outputs="full")
    single = full.dim() == 4
    if single:
        full = full.unsqueeze(0)
    e, s, _, k, _ = full.shape
    matrix = full.permute(0, 1, 3, 2, 4).reshape(e, s * k, s * k)
    crit = 2.0 * s / torch.linalg.eigvalsh(matrix)[:, -1]
    return crit[0] if single else crit


def empirical_nngp(model, X1, X2=None):
    """Empirical NNGP kernel from the last hidden layer ``h^L`` of ``model``.

    Normalized to match the analytic ``K`` of :func:`nngp_ntk` (the covariance of the readout
    pre-activation): the conditional covariance of the readout given ``h^L`` over a fresh draw
    of the readout weights and bias, ``K_hat = w_mult^2 s_w^2 h^L . h'^L + b_mult^2 s_b^2``
    where ``s_w, s_b`` are the init standard deviations of the stored readout weight and bias
    (``sw2 h.h'/M_L + sb2`` for gaussian init in either parameterization). Returns
    ``[n1, n2]`` (``[E, n1, n2]`` for an ensemble).
    """
    spec = model.spec
    last = spec.n_layers - 1
    w_mult, b_mult = spec.multipliers(last)
    with torch.no_grad():
        zs = model.preactivations(X1)
        h1 = X1 if len(zs) == 1 else model.activation.phi(zs[-2])
        if X2 is None:
            h2 = h1
        else:
            zs2 = model.preactivations(X2)
            h2 = X2 if len(zs2) == 1 else model.activation.phi(zs2[-2])
        k = (w_mult * spec.weight_std(last)) ** 2 * (h1 @ h2.transpose(-1, -2))
        if spec.bias:
            k = k + (b_mult * spec.bias_std()) ** 2
    return k
