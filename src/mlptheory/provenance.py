"""What produced a file: package versions and the git commit of the workflow."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import h5py
import numpy as np
import torch

from . import __version__


def git_commit(path: str | Path = ".") -> str:
    """``<sha>`` of the checkout containing ``path`` (``<sha>-dirty`` with local changes)."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def provenance(path: str | Path = ".") -> dict[str, str]:
    """Attributes every result file carries."""
    return {
        "mlptheory_version": __version__,
        "git_commit": git_commit(path),
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
        "python_version": platform.python_version(),
    }
