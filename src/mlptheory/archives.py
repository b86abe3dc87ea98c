"""Parse the original MNIST (IDX) and CIFAR-10 (python pickle) archives into one HDF5 layout.

HDF5 layout of ``results/data/<dataset>.h5``::

    /train/images  uint8 [N, 28, 28] (MNIST) or [N, 32, 32, 3] (CIFAR-10, HWC, RGB)
    /train/labels  uint8 [N]
    /test/images, /test/labels   likewise
    attrs: dataset, class_names (JSON list), source_md5 (JSON {file: md5}),
           mlptheory_version, git_commit, torch/numpy/h5py/python versions,
           complete (True, written last)

Arrays carry HDF5's fletcher32 checksums and the metadata its own (newest file format), so a
truncated or corrupted file fails to read (:func:`mlptheory.files.read_h5`) instead of giving
wrong pixels.

No torchvision: the IDX header (magic, counts, sizes) and the pickles are read here.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .datasets import DATASETS
from .errors import BadInput, DamagedFile
from .files import checksummed, write_h5
from .provenance import provenance

MNIST_FILES = {
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "t10k-images-idx3-ubyte.gz",
    ("test", "labels"): "t10k-labels-idx1-ubyte.gz",
}
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR10_TEST = ["test_batch"]
CIFAR10_CLASSES = list(DATASETS["cifar10"].class_names)
MNIST_CLASSES = list(DATASETS["mnist"].class_names)
CIFAR10_INPUT_DIM = DATASETS["cifar10"].input_dim
IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049


class ArchiveError(DamagedFile, ValueError):
    """A raw archive is truncated or not in the expected format."""


def parse_idx(path: str | Path, kind: str) -> np.ndarray:
    """An IDX file (gzip-compressed) as uint8 ``[N, rows, cols]`` images or ``[N]`` labels."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ArchiveError(f"{path}: not a complete gzip file ({err})") from err
    magic_expected = IDX_IMAGES_MAGIC if kind == "images" else IDX_LABELS_MAGIC
    header_len = 16 if kind == "images" else 8
    if len(raw) < header_len:
        raise ArchiveError(f"{path}: {len(raw)} bytes, shorter than the IDX header")
    magic, n = struct.unpack(">II", raw[:8])
    if magic != magic_expected:
        raise ArchiveError(
            f"{path}: IDX magic number {magic}, expected {magic_expected} ({kind})"
        )
    shape = (n,)
    if kind == "images":
        rows, cols = struct.unpack(">II", raw[8:16])
        shape = (n, rows, cols)
    expected = int(np.prod(shape))
    body = len(raw) - header_len
    if body != expected:
        raise ArchiveError(
            f"{path}: header announces {shape} ({expected} bytes) but {body} bytes follow "
            f"({'truncated' if body < expected else 'trailing data'})"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(shape).copy()


def read_mnist(raw_dir: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """``{split: {"images", "labels"}}`` from the four original MNIST files in ``raw_dir``."""
    raw_dir = Path(raw_dir)
    out: dict[str, dict[str, np.ndarray]] = {"train": {}, "test": {}}
    for (split, kind), name in MNIST_FILES.items():
        out[split][kind] = parse_idx(raw_dir / name, kind)
    for split, arrays in out.items():
        n_img, n_lab = len(arrays["images"]), len(arrays["labels"])
        if n_img != n_lab:
            raise ArchiveError(f"MNIST {split}: {n_img} images but {n_lab} labels in {raw_dir}")
        if arrays["labels"].max(initial=0) > 9:
            raise ArchiveError(f"MNIST {split}: label {arrays['labels'].max()} outside 0..9")
    return out


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Loads the CIFAR-10 batches (dicts of numpy arrays, lists, bytes) and nothing else."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a CIFAR-10 batch")


def _cifar_batch(tar: tarfile.TarFile, member: str, archive: Path):
    try:
        info = tar.getmember(f"cifar-10-batches-py/{member}")
    except KeyError as err:
        raise ArchiveError(f"{archive}: no cifar-10-batches-py/{member} inside") from err
    try:
        raw = tar.extractfile(info).read()
        batch = _ArrayOnlyUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (EOFError, OSError, zlib.error, pickle.UnpicklingError, tarfile.TarError) as err:
        raise ArchiveError(f"{archive}: cannot read {member} ({err})") from err
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch.get("data"))
    labels = np.asarray(batch.get("labels"), dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != CIFAR10_INPUT_DIM:
        raise ArchiveError(f"{archive}: {member} 'data' is {data.dtype} {data.shape}, "
                           f"expected uint8 [N, {CIFAR10_INPUT_DIM}]")
    n_classes = len(CIFAR10_CLASSES)
    if (labels.shape != (data.shape[0],) or labels.min(initial=0) < 0
            or labels.max(initial=0) >= n_classes):
        raise ArchiveError(f"{archive}: {member} 'labels' do not match 'data' "
                           f"or leave 0..{n_classes - 1}")
    # rows are channel-major: 1024 red, 1024 green, 1024 blue values, each row-major 32x32
    height, width, channels = DATASETS["cifar10"].image_shape
    images = data.reshape(-1, channels, height, width).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.uint8)


def read_cifar10(archive: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """``{split: {"images" [N,32,32,3], "labels"}}`` from ``cifar-10-python.tar.gz``."""
    archive = Path(archive)
    out = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for split, members in (("train", CIFAR10_TRAIN), ("test", CIFAR10_TEST)):
                parts = [_cifar_batch(tar, m, archive) for m in members]
                out[split] = {
                    "images": np.concatenate([p[0] for p in parts]),
                    "labels": np.concatenate([p[1] for p in parts]),
                }
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise ArchiveError(f"{archive}: not a complete tar.gz archive ({err})") from err
    return out


def write_dataset_h5(out_path: str | Path, name: str, splits, class_names, source_md5) -> None:
    """Write the layout in the module docstring, atomically (temp file, then rename)."""
    with write_h5(out_path) as h5:
        for split, arrays in splits.items():
            group = h5.create_group(split)
            for key in ("images", "labels"):
                group.create_dataset(key, data=arrays[key], **checksummed(arrays[key]))
        h5.attrs["dataset"] = name
        h5.attrs["class_names"] = json.dumps(list(class_names))
        h5.attrs["source_md5"] = json.dumps(dict(source_md5), sort_keys=True)
        for key, value in provenance().items():
            h5.attrs[key] = str(value)
        h5.attrs["complete"] = True


def prepare_dataset(name: str, raw_dir: str | Path, md5s: dict, out_path: str | Path) -> dict:
    """Verify the raw archives of ``name`` in ``raw_dir``, parse them and write the HDF5 file.

    Returns ``{split: n_images}``. Raises :class:`~mlptheory.download.ChecksumError` (file
    moved aside, both md5s named) or :class:`ArchiveError` (which file, what is wrong).
    """
    from .download import verify_md5s

    raw_dir = Path(raw_dir)
    verify_md5s(raw_dir, md5s)
    if name == "mnist":
        splits, classes = read_mnist(raw_dir), MNIST_CLASSES
    elif name == "cifar10":
        splits, classes = read_cifar10(raw_dir / CIFAR10_ARCHIVE), CIFAR10_CLASSES
    else:
        raise BadInput(f"unknown dataset {name!r}, expected 'mnist' or 'cifar10'")
    write_dataset_h5(out_path, name, splits, classes, md5s)
    return {split: len(arrays["labels"]) for split, arrays in splits.items()}
