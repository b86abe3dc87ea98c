"""sorensen2020 Secs. 3.1-3.2 and 5 checked on the trained networks, one row per network.

* ``test_accuracy``, ``test_loss``: how well the network trained (MNIST test set);
* ``invariance_thesis_key``: max |NodeSort(pi theta) - NodeSort(theta)| over random hidden-unit
  permutations ``pi`` when the order is the thesis' power key alone (eq. (8), a stable argsort as
  in its Listing 1: tied keys keep the input order); ``power_key_ties``: unit pairs with equal
  keys (the only way this can be nonzero);
* ``invariance_nodesort``: the same for our NodeSort (power key, ties broken by content);
* ``function_change``: max |logits(NodeSort(theta)) - logits(theta)| / max |logits(theta)| on
  the test set (float64);
* ``order_agreement_*``: fraction of the hidden-unit pairs that the power key (base ``p``) orders
  as the lexicographic order (first outgoing weight first, the thesis' reading), as the reverse
  lexicographic order (last outgoing weight first), and the same two for the power key with
  base ``P_LARGE`` (what a key that is a lexicographic order in the limit p -> infinity does);
* ``sign_agreement_*``: fraction of the weights (W1 and W2) whose sign equals network 0's, as
  trained and after NodeSort (power key): the thesis' "same octant" after sorting would be 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...data import load
from ...params import member, permute
from ...symmetry import nodesort, power_keys
from .averaging import evaluate, member_logits
from .networks import load_networks
from .table1 import training_settings

P_LARGE = 1e30  # p^(m-1) = 1e270 stays finite in float64 for m = 10 outputs
COLUMNS = ["network", "test_accuracy", "test_loss", "power_key_ties", "invariance_thesis_key",
           "invariance_nodesort", "function_change", "order_agreement_lexicographic",
           "order_agreement_reverse_lexicographic", "order_agreement_lexicographic_p_large",
           "order_agreement_reverse_lexicographic_p_large", "sign_agreement_unsorted",
           "sign_agreement_sorted"]


def thesis_nodesort(net, p: float):
    """NodeSort of a one-hidden-layer network with the thesis' key alone (sorensen2020 eq. (8),
    Listing 1): units in the stable argsort order of ``<W_2[:, j], (p^0, ..., p^(m-1))>``."""
    order = np.argsort(power_keys(net[1][0], p), kind="stable")
    return permute(net, [order])


def max_difference(a, b) -> float:
    return max(float(np.abs(np.asarray(x, float) - np.asarray(y, float)).max())
               for (wa, ba), (wb, bb) in zip(a, b, strict=True)
               for x, y in ((wa, wb), (ba, bb)) if x is not None)


def concordance(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pairs ``i < j`` that the rank vectors ``a`` and ``b`` order the same way."""
    iu = np.triu_indices(len(a), k=1)
    return float(np.mean(np.sign(a[:, None] - a[None, :])[iu]
                         == np.sign(b[:, None] - b[None, :])[iu]))


def ranks(order: np.ndarray) -> np.ndarray:
    out = np.empty_like(order)
    out[order] = np.arange(len(order))
    return out


def key_orders(outgoing: np.ndarray, p: float) -> dict[str, float]:
    """How the power key's order of the units (columns of ``outgoing`` ``[m, n]``) agrees with
    the lexicographic orders, at base ``p`` and at ``P_LARGE``."""
    lexi = ranks(np.lexsort(outgoing[::-1]))  # np.lexsort: last key primary -> row 0 primary
    reverse = ranks(np.lexsort(outgoing))  # row m-1 primary
    out = {}
    for suffix, base in (("", p), ("_p_large", P_LARGE)):
        power = ranks(np.argsort(power_keys(outgoing, base), kind="stable"))
        out[f"order_agreement_lexicographic{suffix}"] = concordance(power, lexi)
        out[f"order_agreement_reverse_lexicographic{suffix}"] = concordance(power, reverse)
    return out


def sign_agreement(net, reference) -> float:
    signs = [np.sign(np.asarray(w, float)).ravel() for w, _ in net]
    ref = [np.sign(np.asarray(w, float)).ravel() for w, _ in reference]
    return float(np.mean(np.concatenate(signs) == np.concatenate(ref)))


def checks_table(params, spec, x, labels, p: float, permutations: int = 2, seed: int = 0
                 ) -> pd.DataFrame:
    """The per-network checks of the module docstring (``x`` float64 for ``function_change``)."""
    rng = np.random.default_rng(seed)
    acc, loss = evaluate(params, spec, x, labels)
    n = len(acc)
    nets = [member(params, i) for i in range(n)]
    sorted_nets = [nodesort(net, key="power", p=p)[0] for net in nets]
    rows = []
    for i, net in enumerate(nets):
        hidden = net[0][0].shape[0]
        keys = power_keys(net[1][0], p)
        thesis = thesis_nodesort(net, p)
        inv_thesis = inv_ours = 0.0
        for _ in range(permutations):
            shuffled = permute(net, [rng.permutation(hidden)])
            inv_thesis = max(inv_thesis, max_difference(thesis_nodesort(shuffled, p), thesis))
            inv_ours = max(inv_ours, max_difference(nodesort(shuffled, key="power", p=p)[0],
                                                    sorted_nets[i]))
        logits = [torch.cat(list(member_logits(
            [(np.asarray(w)[None], np.asarray(b)[None]) for w, b in m], spec, x)))[0]
            for m in (net, sorted_nets[i])]
        change = float((logits[1] - logits[0]).abs().max() / logits[0].abs().max())
        rows.append({"network": i, "test_accuracy": acc[i], "test_loss": loss[i],
                     "power_key_ties": int(len(keys) - len(np.unique(keys))),
                     "invariance_thesis_key": inv_thesis, "invariance_nodesort": inv_ours,
                     "function_change": change, **key_orders(np.asarray(net[1][0], float), p),
                     "sign_agreement_unsorted": np.nan if i == 0 else sign_agreement(net, nets[0]),
                     "sign_agreement_sorted": np.nan if i == 0
                     else sign_agreement(sorted_nets[i], sorted_nets[0])})
    return pd.DataFrame(rows, columns=COLUMNS)


def table(settings: dict, inputs, log=None) -> pd.DataFrame:
    networks, spec, _ = load_networks(inputs["runs"])
    x, labels = load(inputs["dataset"], "test", dtype=torch.float64)
    frame = checks_table(networks, spec, x, labels, settings["p"],
                         permutations=int(settings["permutations"]))
    if log is not None:
        log.info("\n%s", frame.to_string(index=False))
    trained = training_settings(inputs["runs"])
    return frame.assign(n_networks=trained["n_networks"], epochs=trained["epochs"],
                        p=settings["p"])


def draw(tables, settings):
    """Per network: how the power key's order agrees with the lexicographic orders (left) and
    the fraction of weights sharing network 0's sign, as trained and after NodeSort (right)."""
    import matplotlib.pyplot as plt

    frame = tables[0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [2, 1]})
    p = float(frame["p"].iloc[0])
    order = [("order_agreement_lexicographic", f"lexicographic\np = {p:g}"),
             ("order_agreement_reverse_lexicographic", f"reverse lexicographic\np = {p:g}"),
             ("order_agreement_lexicographic_p_large", "lexicographic\np = 1e30"),
             ("order_agreement_reverse_lexicographic_p_large", "reverse lexicographic\np = 1e30")]
    signs = [("sign_agreement_unsorted", "as trained"), ("sign_agreement_sorted", "NodeSorted")]
    for ax, columns in ((axes[0], order), (axes[1], signs)):
        for j, (column, _) in enumerate(columns):
            v = frame[column].dropna().to_numpy()
            jitter = np.linspace(-0.2, 0.2, len(v)) if len(v) > 1 else np.zeros(len(v))
            ax.plot(j + jitter, v, "o", ms=3, alpha=0.6)
            ax.plot([j - 0.3, j + 0.3], [v.mean()] * 2, color="k", lw=1.5)
        ax.set_xticks(range(len(columns)), [label for _, label in columns], fontsize=8)
        ax.axhline(1, color="tab:red", lw=0.8, ls="--")
        ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
        ax.set_ylim(-0.02, 1.05)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("fraction of unit pairs the power key orders alike")
    axes[1].set_ylabel("fraction of weights with network 0's sign")
    axes[0].set_title("Sec. 3.2: is the power key a lexicographic order? (1 = yes)", fontsize=9)
    axes[1].set_title("Sec. 5: one octant after sorting? (1 = yes)", fontsize=9)
    fig.suptitle(f"sorensen2020: NodeSort checks on {len(frame)} trained networks "
                 "(points = networks, bar = mean)")
    fig.tight_layout()
    return fig, frame
