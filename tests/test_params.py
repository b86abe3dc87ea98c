"""Parameters as data (mlptheory.params) and symmetry.align, against explicit computations."""

import numpy as np
import pytest
import torch

from mlptheory import params as P
from mlptheory.symmetry import align, nodesort

WIDTHS = [4, 6, 5, 3]


def random_net(seed, widths=WIDTHS, bias=True, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((o, i)).astype(dtype),
             rng.standard_normal(o).astype(dtype) if bias else None)
            for i, o in zip(widths[:-1], widths[1:], strict=True)]


def forward(net, x):
    """The explicit network: tanh hidden layers, linear readout."""
    h = x
    for layer, (w, b) in enumerate(net):
        z = h @ w.T + (0.0 if b is None else b)
        h = np.tanh(z) if layer < len(net) - 1 else z
    return h


def random_perms(net, seed):
    rng = np.random.default_rng(seed)
    return [rng.permutation(w.shape[0]) for w, _ in net[:-1]]


def same_bits(a, b):
    """Bitwise equal networks (same dtypes), checked without mlptheory.params."""
    def arrays(net):
        return [np.asarray(t) for pair in net for t in pair if t is not None]
    return len(a) == len(b) and all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        for x, y in zip(arrays(a), arrays(b), strict=True))


@pytest.mark.parametrize("bias", [True, False])
def test_stack_unstack_member_select(bias):
    nets = [random_net(s, bias=bias, dtype=np.float32) for s in range(5)]
    stacked = P.stack(nets)
    assert P.n_networks(stacked) == 5
    assert stacked[0][0].shape == (5, 6, 4) and stacked[0][0].dtype == np.float32
    for i, net in enumerate(P.unstack(stacked)):
        assert same_bits(net, nets[i]) and same_bits(P.member(stacked, i), nets[i])
    picked = P.select(stacked, [3, 1])
    assert same_bits(P.member(picked, 0), nets[3]) and same_bits(P.member(picked, 1), nets[1])
    assert same_bits(P.select(stacked, slice(1, 3)), P.stack(nets[1:3]))


def test_torch_in_torch_out_and_clone_is_a_copy():
    nets = [[(torch.as_tensor(w, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32))
             for w, b in random_net(s)] for s in range(3)]
    stacked = P.stack(nets)
    assert isinstance(stacked[0][0], torch.Tensor) and stacked[0][0].dtype == torch.float32
    assert torch.equal(stacked[1][1][2], nets[2][1][1])
    copy = P.clone(stacked)
    copy[0][0][0, 0, 0] = 99.0
    assert stacked[0][0][0, 0, 0] != 99.0
    mean = P.mean(stacked)
    assert mean[0][0].dtype == torch.float64
    permuted = P.permute(nets[0], random_perms(nets[0], 1))
    assert isinstance(permuted[0][0], torch.Tensor) and permuted[0][0].dtype == torch.float32


def test_mean_is_the_float64_mean():
    nets = [random_net(s, dtype=np.float32) for s in range(7)]
    mean = P.mean(P.stack(nets))
    for layer, (w, b) in enumerate(mean):
        assert w.dtype == np.float64
        want_w = np.mean([n[layer][0] for n in nets], axis=0, dtype=np.float64)
        want_b = np.mean([n[layer][1] for n in nets], axis=0, dtype=np.float64)
        np.testing.assert_array_equal(w, want_w)
        np.testing.assert_array_equal(b, want_b)


def test_interpolate_ends_exactly_and_midpoint():
    a, b = random_net(1), random_net(2)
    path = P.interpolate(a, b, [0.0, 0.5, 1.0])
    assert P.n_networks(path) == 3
    assert same_bits(P.member(path, 0), a) and same_bits(P.member(path, 2), b)
    for (wm, bm), (wa, ba), (wb, bb) in zip(P.member(path, 1), a, b, strict=True):
        np.testing.assert_array_equal(wm, (wa + wb) / 2)
        np.testing.assert_array_equal(bm, (ba + bb) / 2)


@pytest.mark.parametrize("bias", [True, False])
def test_permute_keeps_the_function(bias):
    net = random_net(3, bias=bias)
    perms = random_perms(net, 4)
    permuted = P.permute(net, perms)
    assert not same_bits(permuted, net)
    np.testing.assert_array_equal(permuted[0][0], net[0][0][perms[0]])
    x = np.random.default_rng(5).standard_normal((10, WIDTHS[0]))
    np.testing.assert_allclose(forward(permuted, x), forward(net, x), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="not a permutation"):
        P.permute(net, [np.zeros(6, dtype=int), perms[1]])


def test_align_weight_matching_recovers_the_reference_bitwise():
    ref = random_net(6)
    copies = [ref] + [P.permute(ref, random_perms(ref, s)) for s in range(4)]
    aligned = align(ref, P.stack(copies), "weight_matching")
    for i in range(len(copies)):
        assert same_bits(P.member(aligned, i), ref)


def test_align_nodesort_and_none():
    ref = random_net(7)
    copies = P.stack([P.permute(ref, random_perms(ref, s)) for s in range(3)])
    sorted_ = align(ref, copies, "nodesort", key="power", p=1.1)
    canonical = nodesort(ref, key="power", p=1.1)[0]
    for i in range(3):
        assert same_bits(P.member(sorted_, i), canonical)
    assert align(ref, copies, "none") is copies
    with pytest.raises(ValueError, match="expected one of"):
        align(ref, copies, "rebasin")
