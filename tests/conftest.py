"""Shared fixtures: a copy of the workflow as a clean clone, MNIST, synthetic CIFAR-10, a local
HTTP server with Range support."""

from __future__ import annotations

import http.server
import io
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(
    os.environ.get("MLPTHEORY_MNIST_DIR")
    or next(
        (d for d in (REPO / "data" / "raw" / "mnist", REPO.parent / "shared" / "data" / "mnist")
         if (d / "train-images-idx3-ubyte.gz").is_file()),
        REPO / "data" / "raw" / "mnist",
    )
)
WORKFLOW_FILES = ["Snakefile", "config.yaml", "configs", "rules", "scripts", "schemas", "src",
                  "profiles", "envs", "report", "reference"]


def have_mnist() -> bool:
    return (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file()


if os.environ.get("CI") and not have_mnist():
    raise RuntimeError(f"CI must provide the original MNIST files; none in {MNIST_DIR}")

needs_mnist = pytest.mark.skipif(
    not have_mnist(), reason=f"the original MNIST files are not in {MNIST_DIR}"
)


def copy_workflow(wd: Path) -> Path:
    """Copy the workflow (what a clean clone holds, no results) into ``wd``."""
    wd.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        src = REPO / name
        if not src.exists():  # reference/ before the first recorded run
            continue
        if src.is_dir():
            shutil.copytree(src, wd / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, wd / name)
    shutil.copy2(REPO / "tests" / "smoke.yaml", wd / "smoke.yaml")
    return wd


def copy_mnist(wd: Path) -> Path:
    """The original MNIST archives into ``wd``'s raw-data folder (as a user would put them)."""
    raw = wd / "data" / "raw" / "mnist"
    raw.mkdir(parents=True)
    for f in MNIST_DIR.glob("*-ubyte.gz"):
        shutil.copy2(f, raw / f.name)
    return raw


@pytest.fixture
def workflow_dir(tmp_path) -> Path:
    """A fresh copy of the workflow (what a clean clone holds), with no results."""
    return copy_workflow(tmp_path / "wf")


SMOKE_CONFIG = ("--configfile", "configs/quick.yaml", "smoke.yaml")


@pytest.fixture(scope="session")
def smoke_workflow(tmp_path_factory) -> Path:
    """One completed run of the whole smoke DAG (every paper, ``all``), shared by the tests of
    the session: they read its results and may dry-run in it, but never change it."""
    if not have_mnist():
        pytest.skip(f"the original MNIST files are not in {MNIST_DIR}")
    wd = copy_workflow(tmp_path_factory.mktemp("smoke") / "wf")
    copy_mnist(wd)
    result = run_snakemake(wd, "all", "--cores", "2", *SMOKE_CONFIG, timeout=1800)
    assert result.returncode == 0, result.stdout[-5000:]
    return wd


# the --configfile overlays of each scale (paths relative to the repository)
OVERLAYS = {"paper": [], "laptop": ["configs/laptop.yaml"], "quick": ["configs/quick.yaml"],
            "smoke": ["configs/quick.yaml", "tests/smoke.yaml"]}


def rst_to_html(rst: str) -> str:
    """The HTML body docutils makes of ``rst``, with every system message (even infos) in it."""
    from docutils.core import publish_parts

    return publish_parts(rst, writer_name="html",
                         settings_overrides={"report_level": 1, "halt_level": 5})["body"]


def merged_config(root: Path, *overlays: str) -> dict:
    """``config.yaml`` of ``root`` with the overlay files (paths relative to ``root``) merged in
    key by key, as Snakemake merges ``--configfile`` overlays."""
    from mlptheory.checks import merge_configs

    return merge_configs([root / path for path in overlays], root)


def run_snakemake(wd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``snakemake`` in ``wd`` with this interpreter; ``.stdout`` holds stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=wd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
    )


def cifar_pixel(index: np.ndarray, row, col, channel) -> np.ndarray:
    """Known pixel values of the synthetic CIFAR-10 archive (global image index)."""
    return ((index * 7 + row * 3 + col * 5 + channel * 101) % 256).astype(np.uint8)


def make_cifar_archive(path: Path, per_batch: int = 4) -> dict[str, np.ndarray]:
    """A ``cifar-10-python.tar.gz`` in the original format with known pixels and labels.

    Each batch is a pickled dict with byte keys (as the original Python 2 pickles load with
    ``encoding="bytes"``) holding ``data`` uint8 ``[N, 3072]`` in channel-major order (1024
    red, 1024 green, 1024 blue values, each 32x32 row-major) and a list of ``labels``.
    Returns the expected HWC images and labels per split.
    """
    rows, cols, chans = np.meshgrid(np.arange(32), np.arange(32), np.arange(3), indexing="ij")
    expected = {"train": ([], []), "test": ([], [])}
    buffer = io.BytesIO()
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for b, name in enumerate(names):
            index = np.arange(per_batch) + b * per_batch
            hwc = cifar_pixel(index[:, None, None, None], rows, cols, chans)
            data = np.ascontiguousarray(hwc.transpose(0, 3, 1, 2)).reshape(per_batch, 3072)
            labels = [int(i % 10) for i in index]
            batch = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                     b"filenames": [f"img{i}.png".encode() for i in index]}
            payload = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
            split = "test" if name == "test_batch" else "train"
            expected[split][0].append(hwc)
            expected[split][1].append(np.array(labels, dtype=np.uint8))
        meta = pickle.dumps({b"label_names": [b"airplane"]}, protocol=2)
        info = tarfile.TarInfo("cifar-10-batches-py/batches.meta")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return {split: {"images": np.concatenate(im), "labels": np.concatenate(lb)}
            for split, (im, lb) in expected.items()}


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with ``Range: bytes=N-`` support; ``/cut/<file>`` sends half and drops."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        cut = self.path.startswith("/cut/")
        rel = self.path[len("/cut/"):] if cut else self.path.lstrip("/")
        path = Path(self.directory) / rel
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        header = self.headers.get("Range")
        if header and header.startswith("bytes=") and not cut:
            start = int(header[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.server.requests.append((rel, header))  # before the body: the client may be done
        self.wfile.write(body)


@pytest.fixture
def http_server(tmp_path):
    """``(base_url, directory, requests)`` of a loopback server serving ``directory``."""
    directory = tmp_path / "served"
    directory.mkdir()

    def handler(*args, **kwargs):
        return _RangeHandler(*args, directory=str(directory), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", directory, server.requests
    server.shutdown()
    server.server_close()


def pytest_collection_modifyitems(items):
    """Every test that uses the shared smoke DAG is marked ``slow`` through its fixture (``-m
    "not slow"`` leaves out the ~10 minutes that building it takes), not by hand."""
    for item in items:
        if "smoke_workflow" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
