"""The experiments' loader API on a prepared (synthetic CIFAR-10) HDF5 file."""

import numpy as np
import pytest
import torch
from conftest import make_cifar_archive

from mlptheory.archives import prepare_dataset
from mlptheory.data import fixed_subset, load, one_hot, signed_targets
from mlptheory.download import md5sum


@pytest.fixture
def cifar_h5(tmp_path):
    archive = tmp_path / "raw" / "cifar-10-python.tar.gz"
    expected = make_cifar_archive(archive, per_batch=20)
    out = tmp_path / "cifar10.h5"
    prepare_dataset("cifar10", archive.parent, {archive.name: md5sum(archive)}, out)
    return out, expected


def test_inputs_scaled_and_flattened(cifar_h5):
    path, expected = cifar_h5
    x, labels = load(path, "train")
    assert x.shape == (100, 32 * 32 * 3) and x.dtype == torch.float64
    np.testing.assert_array_equal((x * 255).round().numpy().astype(np.uint8),
                                  expected["train"]["images"].reshape(100, -1))
    assert labels.tolist() == expected["train"]["labels"].tolist()
    images, _ = load(path, "test", flatten=False, dtype=torch.float32)
    assert images.shape == (20, 32, 32, 3) and images.dtype == torch.float32


def test_unit_norm(cifar_h5):
    x, _ = load(cifar_h5[0], unit_norm=True)
    torch.testing.assert_close(x.norm(dim=1), torch.ones(100, dtype=torch.float64))


def test_class_subset_relabels_in_given_order(cifar_h5):
    path, expected = cifar_h5
    x, labels = load(path, classes=("horse", "airplane"))
    original = expected["train"]["labels"]
    keep = np.isin(original, [7, 0])
    assert len(labels) == keep.sum() == 20
    assert labels.tolist() == [0 if o == 7 else 1 for o in original[keep]]
    y = signed_targets(labels)
    assert y.shape == (20, 1) and set(y.squeeze().tolist()) == {1.0, -1.0}
    with pytest.raises(ValueError, match="unknown class 'zebra'"):
        load(path, classes=("zebra",))


def test_fixed_subset_is_seeded_and_distinct(cifar_h5):
    a, la = load(cifar_h5[0], n=16, seed=5)
    b, lb = load(cifar_h5[0], n=16, seed=5)
    c, _ = load(cifar_h5[0], n=16, seed=6)
    assert torch.equal(a, b) and torch.equal(la, lb) and not torch.equal(a, c)
    idx = fixed_subset(100, 16, 5)
    assert len(set(idx.tolist())) == 16 and (np.diff(idx) > 0).all()
    with pytest.raises(ValueError, match="only 100"):
        fixed_subset(100, 101, 0)


def test_one_hot():
    y = one_hot(torch.tensor([2, 0]), 3)
    assert y.tolist() == [[0, 0, 1], [1, 0, 0]]


def test_missing_file_names_the_target(tmp_path):
    with pytest.raises(FileNotFoundError, match="snakemake"):
        load(tmp_path / "results" / "data" / "mnist.h5")


def test_input_scalings():
    from mlptheory.data import to_inputs

    images = np.random.default_rng(0).integers(0, 256, (5, 4, 4), dtype=np.uint8)
    pixels = to_inputs(images).numpy()
    np.testing.assert_array_equal(pixels, images.reshape(5, 16) / 255.0)
    unit = to_inputs(images, scaling="unit_norm").numpy()
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(unit, to_inputs(images, unit_norm=True).numpy())
    root = to_inputs(images, scaling="sqrt_dim").numpy()
    np.testing.assert_allclose((root**2).sum(1) / 16, 1.0, rtol=1e-14)
    np.testing.assert_allclose(root, 4.0 * unit, rtol=1e-14)
    with pytest.raises(ValueError, match="input scaling 'bogus'"):
        to_inputs(images, scaling="bogus")
