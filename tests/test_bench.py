"""The benchmark's data reader and a tiny run of `python -m mlptheory.bench ensemble`."""

import gzip
import struct

import numpy as np
import pytest
import torch

from mlptheory.bench import bench_ensemble, read_idx_gz

torch.set_num_threads(1)


def test_read_idx_gz(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">III", 2, 3, 4) + a.tobytes())
    np.testing.assert_array_equal(read_idx_gz(path), a)
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as f:
        f.write(struct.pack(">HBB", 0, 0x0D, 1) + struct.pack(">I", 1) + b"\0\0\0\0")
    with pytest.raises(ValueError, match="not an unsigned-byte IDX"):
        read_idx_gz(bad)


def test_bench_ensemble_tiny_run(capsys):
    ratio = bench_ensemble(n_networks=2, steps=2, chunk=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("data: random data of MNIST shape")
    assert lines[-1].startswith(f"ensemble: {ratio:.1f}x faster (2 nets 784-512-10")
    assert ratio > 0
