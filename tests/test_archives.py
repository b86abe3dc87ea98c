"""Raw archive parsing: the real MNIST files, synthetic CIFAR-10, malformed input."""

import gzip
import json
import struct

import h5py
import numpy as np
import pytest
from conftest import MNIST_DIR, make_cifar_archive, needs_mnist

from mlptheory.archives import (
    ArchiveError,
    parse_idx,
    prepare_dataset,
    read_cifar10,
    read_mnist,
)
from mlptheory.download import ChecksumError, md5sum

# label counts of the original MNIST files (published with the dataset)
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def write_idx(path, magic, dims, payload: bytes):
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
    with gzip.open(path, "wb") as fh:
        fh.write(header + payload)


@needs_mnist
def test_mnist_original_files():
    data = read_mnist(MNIST_DIR)
    assert data["train"]["images"].shape == (60000, 28, 28)
    assert data["test"]["images"].shape == (10000, 28, 28)
    assert data["train"]["images"].dtype == np.uint8
    assert np.bincount(data["train"]["labels"]).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(data["test"]["labels"]).tolist() == MNIST_TEST_COUNTS
    # the first training image is a 5 whose centre row is not blank
    assert data["train"]["labels"][0] == 5 and data["train"]["images"][0, 14].max() > 0


def test_idx_header_is_checked(tmp_path):
    img = tmp_path / "img.gz"
    write_idx(img, 2051, (2, 3, 4), bytes(range(24)))
    np.testing.assert_array_equal(parse_idx(img, "images").ravel(), np.arange(24))
    write_idx(img, 2049, (2, 3, 4), bytes(24))
    with pytest.raises(ArchiveError, match="magic number 2049, expected 2051"):
        parse_idx(img, "images")
    write_idx(img, 2051, (2, 3, 4), bytes(20))
    with pytest.raises(ArchiveError, match="truncated"):
        parse_idx(img, "images")
    lab = tmp_path / "lab.gz"
    write_idx(lab, 2049, (5,), bytes(6))
    with pytest.raises(ArchiveError, match="trailing data"):
        parse_idx(lab, "labels")
    broken = tmp_path / "broken.gz"
    full = gzip.compress(struct.pack(">II", 2049, 1000) + bytes(1000))
    broken.write_bytes(full[: len(full) // 2])
    with pytest.raises(ArchiveError, match="not a complete gzip file"):
        parse_idx(broken, "labels")


def test_cifar10_synthetic_archive_hwc(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    expected = make_cifar_archive(archive, per_batch=3)
    data = read_cifar10(archive)
    assert data["train"]["images"].shape == (15, 32, 32, 3)
    assert data["test"]["images"].shape == (3, 32, 32, 3)
    for split in ("train", "test"):
        np.testing.assert_array_equal(data[split]["images"], expected[split]["images"])
        np.testing.assert_array_equal(data[split]["labels"], expected[split]["labels"])
    # spot check against the channel-major definition: red of pixel (r, c) is data[r*32 + c],
    # green data[1024 + r*32 + c]; image 4 (batch 2, row 1), r=2, c=31
    img = data["train"]["images"][4]
    assert img[2, 31, 0] == (4 * 7 + 2 * 3 + 31 * 5) % 256
    assert img[2, 31, 1] == (4 * 7 + 2 * 3 + 31 * 5 + 101) % 256


def test_cifar10_malformed(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    make_cifar_archive(archive, per_batch=2)
    raw = archive.read_bytes()
    archive.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ArchiveError, match="cifar-10-python.tar.gz"):
        read_cifar10(archive)


def test_prepare_dataset_writes_layout_and_rejects_bad_md5(tmp_path):
    raw = tmp_path / "raw"
    archive = raw / "cifar-10-python.tar.gz"
    expected = make_cifar_archive(archive, per_batch=2)
    md5s = {archive.name: md5sum(archive)}
    out = tmp_path / "cifar10.h5"
    assert prepare_dataset("cifar10", raw, md5s, out) == {"train": 10, "test": 2}
    with h5py.File(out) as h5:
        np.testing.assert_array_equal(h5["train/images"][...], expected["train"]["images"])
        assert h5["test/labels"].dtype == np.uint8
        assert h5.attrs["dataset"] == "cifar10"
        assert json.loads(h5.attrs["source_md5"]) == md5s
        assert json.loads(h5.attrs["class_names"])[7] == "horse"
        assert h5.attrs["mlptheory_version"]
    with pytest.raises(ChecksumError) as err:
        prepare_dataset("cifar10", raw, {archive.name: "0" * 32}, out)
    message = str(err.value)
    assert "0" * 32 in message and md5s[archive.name] in message and archive.name in message
    assert not archive.exists()
    assert (raw / f"{archive.name}.bad-md5-{md5s[archive.name]}").exists()
