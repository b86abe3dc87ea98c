"""NodeSort, permutations, weight matching and distances (sorensen2020)."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist

from mlptheory.models import MLP
from mlptheory.spec import NetworkSpec
from mlptheory.symmetry import (
    average,
    count_identical_pairs,
    invert,
    nodesort,
    pairwise_distances,
    permute,
    power_key_base_limit,
    weight_match,
)


def random_net(widths, seed, bias=True):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((o, i)) / np.sqrt(i), rng.standard_normal(o) if bias else None)
        for i, o in zip(widths[:-1], widths[1:], strict=True)
    ]


def random_perms(params, seed):
    rng = np.random.default_rng(seed)
    return [rng.permutation(w.shape[0]) for w, _ in params[:-1]]


def same_bits(a, b):
    return all(
        wa.tobytes() == wb.tobytes() and (ba is None and bb is None or ba.tobytes() == bb.tobytes())
        for (wa, ba), (wb, bb) in zip(a, b, strict=True)
    )


def forward(params, x):
    net = MLP.from_params([(torch.as_tensor(w), None if b is None else torch.as_tensor(b))
                           for w, b in params], activation="relu")
    return net(torch.as_tensor(x)).detach().numpy()


WIDTHS = [[6, 9, 3], [5, 8, 7, 4], [10, 16, 12, 6, 2]]


@pytest.mark.parametrize("widths", WIDTHS)
@pytest.mark.parametrize(("key", "p"), [("lexicographic", None), ("power", 1.5)])
@pytest.mark.parametrize("bias", [True, False])
def test_nodesort_bitwise_invariant_and_function_preserving(widths, key, p, bias):
    params = random_net(widths, 0, bias)
    canonical, perms = nodesort(params, key=key, p=p)
    assert same_bits(canonical, permute(params, perms))
    x = np.random.default_rng(1).standard_normal((5, widths[0]))
    np.testing.assert_allclose(forward(canonical, x), forward(params, x), rtol=1e-12, atol=1e-12)
    for seed in range(5):
        shuffled = permute(params, random_perms(params, seed))
        assert same_bits(nodesort(shuffled, key=key, p=p)[0], canonical)


def test_nodesort_orders_units_by_outgoing_weights():
    params = random_net([4, 6, 3], 2)
    canonical, _ = nodesort(params, key="lexicographic")
    outgoing = canonical[1][0].T  # rows: hidden units in canonical order
    assert all(tuple(outgoing[i]) <= tuple(outgoing[i + 1]) for i in range(len(outgoing) - 1))
    power, _ = nodesort(params, key="power", p=1.1)
    keys = power[1][0].T @ (1.1 ** np.arange(3))
    assert (np.diff(keys) >= 0).all()


def test_ties_broken_by_content_keep_invariance():
    params = random_net([4, 6, 2], 3)
    w1, b1 = params[0]
    w2, b2 = params[1]
    w2[:, 1] = w2[:, 4]  # units 1 and 4: identical outgoing weights, different incoming
    w2[:, 2] = w2[:, 5] = 0.0
    w2[0, 5] = -0.0  # bitwise different from +0.0 but equal as a number
    params = [(w1, b1), (w2, b2)]
    for key, p in [("lexicographic", None), ("power", 2.0)]:
        canonical, _ = nodesort(params, key=key, p=p)
        for seed in range(10):
            shuffled = permute(params, random_perms(params, seed))
            assert same_bits(nodesort(shuffled, key=key, p=p)[0], canonical)


def test_ties_in_a_deeper_layer_do_not_depend_on_the_previous_layers_order():
    """Two units of the second hidden layer with identical outgoing weights and bias: their
    order must not follow the (not yet canonical) order of the first hidden layer, which is
    sorted after them. Their incoming weights differ as multisets, so the tie is broken
    canonically; before the fix, the raw incoming weights (columns in the first layer's
    current order) decided it, and permuting the first layer changed the canonical form."""
    params = random_net([5, 7, 6, 3], 4)
    (w1, b1), (w2, b2), (w3, b3) = params
    w3[:, 2] = w3[:, 4]  # layer-2 units 2 and 4: same outgoing weights ...
    b2[2] = b2[4]  # ... and bias; incoming weights differ
    params = [(w1, b1), (w2, b2), (w3, b3)]
    for key, p in [("lexicographic", None), ("power", 2.0)]:
        canonical, _ = nodesort(params, key=key, p=p)
        for seed in range(20):
            rng = np.random.default_rng(seed)
            only_first = [rng.permutation(7), np.arange(6)]  # the first hidden layer alone
            for perms in (only_first, random_perms(params, seed)):
                assert same_bits(nodesort(permute(params, perms), key=key, p=p)[0], canonical)


def test_the_stated_remaining_tie_is_the_only_order_dependent_case():
    """Identical outgoing weights and bias, incoming weights equal as multisets but in other
    positions: the documented exception (canonical up to the first layer's prior order)."""
    params = random_net([5, 4, 3, 2], 6)
    (w1, b1), (w2, b2), (w3, b3) = params
    w3[:, 1] = w3[:, 2]
    b2[1] = b2[2]
    w2[2] = w2[1][[1, 0, 2, 3]]  # same multiset of incoming weights, two entries swapped
    params = [(w1, b1), (w2, b2), (w3, b3)]
    results = {nodesort(permute(params, [np.roll(np.arange(4), k), np.arange(3)]))[0][1][0]
               .tobytes() for k in range(4)}
    # every result is a valid NodeSort (same function, sorted outgoing weights) ...
    assert 1 <= len(results) <= 2
    x = np.random.default_rng(0).standard_normal((3, 5))
    np.testing.assert_allclose(forward(nodesort(params)[0], x), forward(params, x), rtol=1e-12)


def test_power_key_overflow_is_a_clear_error():
    params = random_net([3, 4, 1100], 4)
    with pytest.raises(OverflowError, match="p < "):
        nodesort(params, key="power", p=2.0)
    limit = power_key_base_limit(1100)
    assert 1.9 < limit < 1.92  # 2^1023 is about the largest float64 power of two
    with pytest.raises(ValueError, match="p > 1"):
        nodesort(params, key="power", p=1.0)


@pytest.mark.parametrize("widths", WIDTHS)
def test_weight_match_recovers_known_permutation(widths):
    params = random_net(widths, 5)
    true = random_perms(params, 6)
    shuffled = permute(params, true)
    perms = weight_match(params, shuffled)
    assert same_bits(permute(shuffled, perms), params)
    for found, t in zip(perms, true, strict=True):
        np.testing.assert_array_equal(found, invert(t))


def test_torch_in_torch_out():
    net = MLP(NetworkSpec(5, (7,), 3), seed=0).to_params()
    canonical, perms = nodesort(net)
    assert isinstance(canonical[0][0], torch.Tensor)
    assert torch.equal(canonical[0][0], net[0][0][torch.as_tensor(perms[0])])


def test_average_and_distances():
    a, b = random_net([3, 4, 2], 7), random_net([3, 4, 2], 8)
    avg = average([a, b])
    np.testing.assert_allclose(avg[0][0], (a[0][0] + b[0][0]) / 2)
    x = np.random.default_rng(9).standard_normal((30, 50))
    np.testing.assert_allclose(pairwise_distances(x), pdist(x), rtol=1e-10)
    x[7] = x[3]
    x[12] = x[3]
    assert count_identical_pairs(x) == 3


def test_pairwise_distances_accumulates_blocks_of_float32_input_in_float64():
    x = np.random.default_rng(4).standard_normal((9, 50)).astype(np.float32)
    want = pdist(x.astype(np.float64))
    for block in (1, 7, 50, 1 << 15):
        np.testing.assert_allclose(pairwise_distances(x, block=block), want, rtol=1e-12)


@pytest.mark.parametrize("key", ["lexicographic", "power"])
def test_nodesort_keeps_the_dtype(key):
    params = [(w.astype(np.float32), b.astype(np.float32)) for w, b in random_net([5, 7, 3], 6)]
    canonical, perms = nodesort(params, key=key, p=1.5)
    assert all(w.dtype == np.float32 and b.dtype == np.float32 for w, b in canonical)
    assert same_bits(canonical, permute(params, perms))


def test_count_identical_pairs_in_float32():
    x = np.random.default_rng(5).standard_normal((6, 11)).astype(np.float32)
    x[4] = x[1]
    assert count_identical_pairs(x) == 1
    x[4, 3] = np.nextafter(x[4, 3], np.float32(1))  # one ulp apart: not identical
    assert count_identical_pairs(x) == 0
