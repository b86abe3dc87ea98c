"""Operations on a network's parameters as data: a list of ``(W, b)`` pairs (``b`` may be None).

One network holds ``W [out, in]``, ``b [out]``; a *stacked* set of ``N`` networks holds
``W [N, out, in]``, ``b [N, out]`` (an :class:`~mlptheory.models.EnsembleMLP`'s layout, and a
run file's). Every function takes numpy arrays or torch tensors and returns the kind it was
given (torch is never imported here), in the input's dtype and on its device, except
:func:`mean` (float64) and :func:`interpolate` (float64 coefficients, so the usual promotion).

Permuting the units of hidden layer ``l`` by ``perm`` (new unit ``i`` = old unit ``perm[i]``)
permutes the rows of ``W_l``, the entries of ``b_l`` and the columns of ``W_{l+1}``; it does
not change the network function (the Git Re-Basin permutation spec of an MLP).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _is_torch(a) -> bool:
    return hasattr(a, "detach")


def _stack_arrays(arrays: list):
    if _is_torch(arrays[0]):
        import torch

        return torch.stack(arrays)
    return np.stack(arrays)


def _copy(a):
    if a is None:
        return None
    return a.detach().clone() if _is_torch(a) else np.array(a, copy=True)


def clone(params) -> list:
    """Detached copies of ``(W, b)`` pairs."""
    return [(_copy(w), _copy(b)) for w, b in params]


def stack(networks: Sequence) -> list:
    """Stack ``N`` networks' ``(W, b)`` lists into ``[(W [N, ...], b [N, ...] or None)]``."""
    return [(_stack_arrays([net[layer][0] for net in networks]),
             None if networks[0][layer][1] is None
             else _stack_arrays([net[layer][1] for net in networks]))
            for layer in range(len(networks[0]))]


def n_networks(params) -> int:
    """Number of networks in stacked parameters."""
    return params[0][0].shape[0]


def member(params, i: int) -> list:
    """Network ``i`` of stacked parameters (views, not copies)."""
    return [(w[i], None if b is None else b[i]) for w, b in params]


def select(params, idx) -> list:
    """The stacked networks ``idx`` (an index array, a slice or a boolean mask)."""
    return [(w[idx], None if b is None else b[idx]) for w, b in params]


def unstack(params) -> list[list]:
    """Inverse of :func:`stack`: one list of ``(W, b)`` copies per network."""
    return [clone(member(params, i)) for i in range(n_networks(params))]


def _mean64(a):
    if _is_torch(a):
        import torch

        return a.detach().mean(0, dtype=torch.float64)
    return np.asarray(a).mean(0, dtype=np.float64)


def mean(params) -> list:
    """The elementwise mean of stacked networks (sorensen2020 Sec. 5), in float64."""
    return [(_mean64(w), None if b is None else _mean64(b)) for w, b in params]


def interpolate(a, b, ts) -> list:
    """Networks ``(1 - t) a + t b`` for every ``t`` in ``ts``, stacked (``t = 0`` gives ``a``
    and ``t = 1`` gives ``b`` exactly)."""
    ts = np.asarray(ts, dtype=np.float64)
    if _is_torch(a[0][0]):
        import torch

        ts = torch.as_tensor(ts, device=a[0][0].device)
    out = []
    for (wa, ba), (wb, bb) in zip(a, b, strict=True):
        w = (1 - ts)[:, None, None] * wa[None] + ts[:, None, None] * wb[None]
        bias = None if ba is None else (1 - ts)[:, None] * ba[None] + ts[:, None] * bb[None]
        out.append((w, bias))
    return out


def as_numpy(params) -> list:
    """The ``(W, b)`` pairs as numpy arrays (torch tensors copied to the CPU, same dtype)."""
    out = []
    for w, b in params:
        w = w.detach().cpu().numpy() if _is_torch(w) else np.asarray(w)
        if b is not None:
            b = b.detach().cpu().numpy() if _is_torch(b) else np.asarray(b)
        out.append((w, b))
    return out


def as_torch(params, dtype=None, device=None) -> list:
    """The ``(W, b)`` pairs as torch tensors (in ``dtype`` on ``device`` where given, else as
    they are); the inverse of :func:`as_numpy`."""
    import torch

    def to_torch(a):
        return None if a is None else torch.as_tensor(a, dtype=dtype, device=device)

    return [(to_torch(w), to_torch(b)) for w, b in params]


def like(reference, params) -> list:
    """numpy ``params`` as torch tensors on ``reference``'s device if it holds torch tensors."""
    w0 = reference[0][0]
    if not _is_torch(w0):
        return params
    return as_torch(params, device=w0.device)


def permute(params, perms: Sequence[np.ndarray]) -> list:
    """Apply one permutation per hidden layer (``perms[l]``: new unit i = old unit perms[l][i])."""
    layers = as_numpy(params)
    if len(perms) != len(layers) - 1:
        raise ValueError(f"{len(layers) - 1} hidden layers but {len(perms)} permutations")
    out = [(w.copy(), None if b is None else b.copy()) for w, b in layers]
    for layer, perm in enumerate(perms):
        perm = np.asarray(perm)
        if sorted(perm.tolist()) != list(range(out[layer][0].shape[0])):
            raise ValueError(f"perms[{layer}] is not a permutation of the layer's units")
        w, b = out[layer]
        out[layer] = (w[perm], None if b is None else b[perm])
        w_next, b_next = out[layer + 1]
        out[layer + 1] = (w_next[:, perm], b_next)
    return like(params, out)


def equal(a, b) -> bool:
    """Whether two networks have the same shapes and bitwise the same values."""
    if len(a) != len(b):
        return False
    for (wa, ba), (wb, bb) in zip(as_numpy(a), as_numpy(b), strict=True):
        if (ba is None) != (bb is None) or wa.shape != wb.shape or wa.dtype != wb.dtype:
            return False
        if wa.tobytes() != wb.tobytes() or (ba is not None and ba.tobytes() != bb.tobytes()):
            return False
    return True
