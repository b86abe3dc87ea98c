"""Writing outputs so that nothing half-written is ever seen, and reading HDF5 files so that a
damaged one is named with the command that rebuilds it.

- :func:`atomic_output`: write to a temporary file in the same folder, then ``os.replace``; a
  crash, a full disk or a file-size limit leaves the previous file (if any) untouched.
- HDF5 files are written with :func:`write_h5` (newest format: superblock and object headers
  carry checksums) and :data:`CHECKSUM` on every array (fletcher32 per chunk), and carry the
  attribute ``complete``, set last; :func:`read_h5` turns what h5py raises for a truncated or
  corrupted file into :class:`~mlptheory.errors.DamagedFile`.
"""

from __future__ import annotations

import errno
import glob
import io
import logging
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import DamagedFile, MissingData, UserError, WriteFailed, rebuild_command

log = logging.getLogger(__name__)

# create_dataset keywords: HDF5's own per-chunk checksum (checked by HDF5 on every read)
CHECKSUM = {"fletcher32": True}
NO_SPACE = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def _no_space(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) is a full disk or a file-size limit."""
    while err is not None:
        if isinstance(err, OSError) and (err.errno in NO_SPACE or any(
                s in str(err) for s in ("No space left", "File too large", "Disk quota"))):
            return True
        err = err.__cause__ or err.__context__
    return False


TMP_SUFFIX = ".tmp"


def leftover_temporaries(path) -> list[Path]:
    """Temporary files of :func:`atomic_output` for ``path`` that an interrupted write (a
    killed process) left behind: ``.<name>.<random>.tmp`` beside it."""
    path = Path(path)
    return sorted(path.parent.glob(f".{glob.escape(path.name)}.*{TMP_SUFFIX}"))


@contextmanager
def atomic_output(path, keep_previous: str = "the previous version of it, if any, is unchanged"):
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    On any exception the temporary file is removed and ``path`` stays as it was; a full disk or
    a file-size limit becomes :class:`~mlptheory.errors.WriteFailed` saying so
    (``keep_previous`` completes the sentence about the previous file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp makes it private; the output gets the usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    except Exception as err:
        if _no_space(err):
            raise WriteFailed(f"could not write {path}: no space left on the device or file "
                              f"size limit reached ({err}); {keep_previous}. Free space (or "
                              "raise the limit) and run the same command again") from err
        raise
    finally:
        tmp.unlink(missing_ok=True)


def damaged_message(path, err, what: str = "file") -> str:
    return (f"{path} is damaged: {err}. The {what} is truncated, corrupted or was not "
            f"completely written. Rebuild it: {rebuild_command(path)}")


@contextmanager
def read_h5(path, what: str = "HDF5 file"):
    """``h5py.File(path, "r")``; a missing, truncated or corrupted file (h5py raises
    ``OSError``, also for a failed fletcher32 checksum) or one whose ``complete`` attribute is
    false becomes a clear error naming ``path`` and the command that rebuilds it."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise MissingData(f"{path} does not exist; build it with `snakemake --cores all {path}`")
    try:
        with h5py.File(path, "r") as f:
            yield f
    except OSError as err:
        if isinstance(err, UserError):  # e.g. MissingData raised by the caller's block
            raise
        raise DamagedFile(damaged_message(path, err, what)) from err


@contextmanager
def write_h5(path, keep_previous: str = "the previous version of it, if any, is unchanged"):
    """Yield a new HDF5 file (newest format: checksummed metadata) that becomes ``path``.

    The file is built in memory and then written with :func:`atomic_output`: HDF5 itself
    handles a failing write badly (errors while closing, even a crash), a plain write fails
    cleanly. The writer sets the file's ``complete`` attribute last.
    """
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w", libver="latest") as f:
        yield f
    with atomic_output(path, keep_previous) as tmp, open(tmp, "wb") as fh:
        fh.write(buffer.getbuffer())
        fh.flush()
        os.fsync(fh.fileno())


def checksummed(data) -> dict:
    """create_dataset keywords for ``data``: fletcher32 unless HDF5 cannot chunk it (scalars,
    empty arrays, variable-length strings)."""
    import numpy as np

    a = np.asarray(data)
    if a.ndim == 0 or a.size == 0 or a.dtype.kind in "OUS":
        return {}
    return dict(CHECKSUM)


def set_aside(path: Path, reason: str) -> Path | None:
    """Rename a bad file to ``<name>.<reason>`` (never delete it); None if that is impossible."""
    target = path.with_name(f"{path.name}.{reason}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.{reason}.{n}")
        n += 1
    try:
        os.replace(path, target)
    except OSError as err:
        log.warning("could not move %s aside (%s); it stays where it is", path, err)
        return None
    return target
