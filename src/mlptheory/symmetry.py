"""Hidden-unit permutation symmetry: NodeSort canonicalization, weight matching, averaging.

A network is a list of ``(W, b)`` pairs in PyTorch layout ``W[out, in]`` (``b`` may be None).
Permuting the units of hidden layer ``l`` by ``perm`` (new unit ``i`` = old unit ``perm[i]``)
permutes the rows of ``W_l``, the entries of ``b_l`` and the columns of ``W_{l+1}``; it does
not change the network function. Every function here returns permutations in that form and
:func:`mlptheory.params.permute` applies them (the Git Re-Basin design: sorting and matching return
permutations, one function applies them).

NodeSort (sorensen2020 Sec. 3.2, Algorithm 1) orders the units of each hidden layer by their
*outgoing* weights, processing layers from last to first so that the outgoing weights of layer
``l`` are already expressed in the canonical order of layer ``l+1``. The thesis key is
``<W_{l+1}[:, j], (p^0, ..., p^{m-1})>`` (eq. 8); the exact alternative is a lexicographic
order. Both break remaining ties by the bits of the outgoing weights, the bias and the sorted
incoming weights, none of which depends on the (not yet canonical) order of the previous layer,
so the canonical form is bitwise identical for every permutation of the input, with one
exception stated in :func:`nodesort`. Units that tie completely are identical, and swapping them
changes nothing.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from .params import as_numpy, equal, like, member, n_networks, permute, stack

Layer = tuple[np.ndarray, np.ndarray | None]
ALIGN_METHODS = ("nodesort", "weight_matching", "none")


def invert(perm: np.ndarray) -> np.ndarray:
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(len(perm))
    return inverse


def _ordered_bits(x: np.ndarray) -> np.ndarray:
    """float64 values as int64 whose integer order is the float order (-0.0 just below +0.0).

    Sorting on these is exact (no arithmetic) and total: bitwise different values never tie.
    """
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    return np.where(bits < 0, np.int64(-(2**63)) - bits - 1, bits)


def power_key_base_limit(m: int) -> float:
    """Largest base ``p`` whose powers ``p^0 .. p^(m-1)`` stay finite in float64."""
    return math.inf if m <= 1 else math.exp(math.log(np.finfo(np.float64).max) / (m - 1))


def power_keys(outgoing: np.ndarray, p: float) -> np.ndarray:
    """sorensen2020 eq. (8): ``<W_{l+1}[:, j], (p^0, ..., p^{m-1})>`` for every unit ``j``.

    ``outgoing`` is ``W_{l+1}`` (``[m, n]``). The sum runs over the ``m`` rows in a fixed
    order for every unit, so a unit's key does not depend on its position. Raises a clear
    error instead of returning inf/NaN keys when ``p^(m-1)`` or a key overflows float64.
    """
    m = outgoing.shape[0]
    if not p > 1:
        raise ValueError(f"the power key needs p > 1, got p={p}")
    with np.errstate(over="ignore", invalid="ignore"):
        powers = p ** np.arange(m, dtype=np.float64)
        if not np.isfinite(powers).all():
            raise OverflowError(
                f"power key: p^{m - 1} overflows float64 for p={p} (a layer feeding {m} units "
                f"needs p < {power_key_base_limit(m):.6g}); choose a smaller p or "
                f"key='lexicographic'"
            )
        keys = np.zeros(outgoing.shape[1], dtype=np.float64)
        for row in range(m):
            keys = keys + outgoing[row] * powers[row]
    if not np.isfinite(keys).all():
        raise OverflowError(
            f"power key: a key <W[:, j], P> overflows float64 (p={p}, {m} outgoing weights); "
            f"choose a smaller p or key='lexicographic'"
        )
    return keys


def _unit_order(layers: list[Layer], layer: int, key: str, p: float | None) -> np.ndarray:
    """Canonical order of the units of hidden layer ``layer``.

    Primary key: the outgoing weights (power key or lexicographic). Ties are broken by
    quantities that do not depend on the order of the previous hidden layer, which is not
    canonical yet when this layer is sorted (layers go last to first): the outgoing weights'
    bits, the bias, then the *sorted* incoming weights (a multiset, invariant under any order of
    the previous layer). Only the first hidden layer's incoming weights (over the fixed input
    coordinates) are compared as vectors at once. The remaining case is broken by the incoming
    weights as a vector, in the previous layer's current order: two units of a deeper layer
    with identical outgoing weights and bias whose incoming weights are permutations of each
    other but not identical (see :func:`nodesort`).
    """
    w, b = layers[layer]
    outgoing = layers[layer + 1][0]  # [m, n]: column j = outgoing weights of unit j
    content = [outgoing.T]  # rows: units
    if b is not None:
        content.append(b[:, None])
    if layer > 0:
        content.append(np.sort(w, axis=1))
    content.append(w)
    tie_break = _ordered_bits(np.concatenate(content, axis=1))
    # np.lexsort sorts by the last key first: primary key last
    sort_keys = [tie_break[:, k] for k in range(tie_break.shape[1] - 1, -1, -1)]
    if key == "power":
        sort_keys.append(_ordered_bits(power_keys(outgoing, p)))
    elif key != "lexicographic":
        raise ValueError(f"key must be 'lexicographic' or 'power', got {key!r}")
    return np.lexsort(sort_keys)


def nodesort(params, key: str = "lexicographic", p: float | None = None):
    """NodeSort (sorensen2020 Algorithm 1): ``(canonical params, perms)``.

    ``key="power"`` is the thesis key with base ``p > 1``; ``key="lexicographic"`` compares the
    outgoing weight vectors coordinate by coordinate, exactly. Hidden layers are processed
    last to first. ``permute(params, perms)`` equals the returned params.

    The result is the same for every hidden-unit permutation of ``params`` except in one case:
    two units of a hidden layer other than the first with bitwise identical outgoing weights and
    bias whose incoming weights are the same multiset in different positions. Their order then
    follows the previous layer's order before it was sorted (trained float networks essentially
    never have such pairs; Table 1 counts bitwise identical networks in ``n_zero``).
    """
    if key == "power" and p is None:
        raise ValueError("key='power' needs a base p > 1")
    layers = as_numpy(params)
    n_hidden = len(layers) - 1
    perms: list[np.ndarray] = [None] * n_hidden
    current = layers
    for layer in range(n_hidden - 1, -1, -1):
        order = _unit_order(current, layer, key, p)
        perms[layer] = order
        identity = [np.arange(current[i][0].shape[0]) for i in range(n_hidden)]
        identity[layer] = order
        current = permute(current, identity)
    # composing: each step permuted only its own layer, so the per-layer orders are the answer
    return like(params, current), perms


def weight_match(params_ref, params, max_iter: int = 100, seed: int = 0) -> list[np.ndarray]:
    """Permutations that align ``params`` to ``params_ref`` (Git Re-Basin weight matching).

    For hidden layer ``l`` the units are matched by a linear assignment (scipy's
    ``linear_sum_assignment``) maximizing ``<W_l^ref, P W_l> + <b_l^ref, P b_l> +
    <W_{l+1}^ref, W_{l+1} P^T>`` with the neighbouring layers' current permutations applied.
    With one hidden layer this is exact in one step; deeper networks use coordinate descent
    over the layers in random order until no layer improves (at most ``max_iter`` sweeps).
    """
    ref = as_numpy(params_ref)
    other = as_numpy(params)
    n_hidden = len(ref) - 1
    perms = [np.arange(ref[layer][0].shape[0]) for layer in range(n_hidden)]
    rng = np.random.default_rng(seed)
    for _ in range(max_iter):
        improved = False
        for layer in rng.permutation(n_hidden):
            w_ref, b_ref = ref[layer]
            w, b = other[layer]
            if layer > 0:  # incoming weights in the matched order of the previous layer
                w = w[:, perms[layer - 1]]
            score = w_ref @ w.T
            if b is not None:
                score += np.outer(b_ref, b)
            w_next_ref = ref[layer + 1][0]
            w_next = other[layer + 1][0]
            if layer + 1 < n_hidden:
                w_next = w_next[perms[layer + 1]]
            score += w_next_ref.T @ w_next
            _, perm = linear_sum_assignment(score, maximize=True)
            old = score[np.arange(len(perm)), perms[layer]].sum()
            new = score[np.arange(len(perm)), perm].sum()
            if new > old + 1e-12 * max(1.0, abs(old)):
                perms[layer] = perm
                improved = True
        if not improved:
            break
    return perms


def align(reference, networks, method: str, *, key: str = "lexicographic",
          p: float | None = None, max_iter: int = 100, seed: int = 0):
    """Align every network of the stacked ``networks`` to ``reference`` (same kind returned).

    ``nodesort``: NodeSort every network (``key``, ``p`` as in :func:`nodesort`; a canonical
    form, so ``reference`` is not needed); ``weight_matching``: permute each network onto
    ``reference`` with :func:`weight_match` (a network bitwise equal to ``reference`` is kept
    as it is); ``none``: ``networks`` unchanged. Every network keeps its function.
    """
    if method not in ALIGN_METHODS:
        raise ValueError(f"method={method!r}, expected one of {ALIGN_METHODS}")
    if method == "none":
        return networks
    members = [member(networks, i) for i in range(n_networks(networks))]
    if method == "nodesort":
        return stack([nodesort(m, key=key, p=p)[0] for m in members])
    return stack([m if equal(m, reference)
                  else permute(m, weight_match(reference, m, max_iter=max_iter, seed=seed))
                  for m in members])


def average(list_of_params):
    """Elementwise mean of networks of one shape (sorensen2020 Sec. 5)."""
    layers = [as_numpy(p) for p in list_of_params]
    out = []
    for layer in range(len(layers[0])):
        w = np.mean([p[layer][0] for p in layers], axis=0)
        b0 = layers[0][layer][1]
        b = None if b0 is None else np.mean([p[layer][1] for p in layers], axis=0)
        out.append((w, b))
    return like(list_of_params[0], out)


def pairwise_distances(vectors: np.ndarray, block: int = 1 << 15) -> np.ndarray:
    """Euclidean distances of all pairs ``i < j`` of the rows of ``vectors`` ``[N, D]``.

    Uses the Gram matrix (``|a-b|^2 = |a|^2 + |b|^2 - 2 a.b``, one matrix product) instead of a
    loop over the ``N(N-1)/2`` pairs; returns the condensed vector in ``scipy``'s order. The
    Gram matrix is accumulated in float64 over ``block`` columns at a time, so float32 input
    of N = 1000 networks (``D = 401408``) never needs a full float64 copy.
    """
    x = np.asarray(vectors)
    gram = np.zeros((x.shape[0], x.shape[0]), dtype=np.float64)
    for start in range(0, x.shape[1], block):
        part = np.asarray(x[:, start:start + block], dtype=np.float64)
        gram += part @ part.T
    sq = np.diag(gram)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * gram, 0.0)
    iu = np.triu_indices(len(x), k=1)
    return np.sqrt(d2[iu])


def count_identical_pairs(vectors: np.ndarray) -> int:
    """Number of pairs ``i < j`` whose rows are bitwise identical (exact zero distance)."""
    # compared in their own dtype: float32 -> float64 is exact and injective, and a float64
    # copy of N = 1000 flattened 784x512 matrices would cost 3.2 GB
    x = np.ascontiguousarray(vectors)
    _, counts = np.unique(x.view(np.dtype((np.void, x.shape[1] * x.itemsize))),
                          return_counts=True)
    return int(sum(c * (c - 1) // 2 for c in counts))
