"""Fetch raw dataset archives from a list of mirrors, verified by md5.

A download goes to ``<file>.part`` and is renamed to ``<file>`` only after its md5 matches,
so a file under its real name is always complete and verified. An interrupted download
resumes from the ``.part`` file where the server honours HTTP ``Range`` requests. A mirror
that serves a file with the wrong checksum is skipped and its bytes kept aside as
``<file>.part.bad-md5-<actual>``; a host that cannot be reached is not asked again for the
other files of the same run, so a machine without network fails within seconds.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .errors import DamagedFile, MissingData
from .files import set_aside

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class DownloadError(MissingData):
    """No mirror delivered a file with the expected checksum."""


class IncompleteDownload(ConnectionError):
    """The server closed the connection before sending everything it announced."""


class ChecksumError(DamagedFile):
    """A file on disk does not have the md5 the configuration expects."""


def md5sum(path: str | Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def missing_files_message(raw_dir: Path, md5s: Mapping[str, str], reasons: Iterable[str] = ()):
    """The message a user can act on: every missing file, its md5 and where to put it."""
    missing = [name for name in md5s if not (raw_dir / name).is_file()]
    lines = [f"could not obtain the raw archives for {raw_dir}:"]
    lines += [f"  - {reason}" for reason in reasons]
    lines.append(f"Put these files (original names) into {raw_dir.resolve()}/ and run again:")
    lines += [f"  {name}  md5 {md5s[name]}" for name in missing]
    lines.append(
        "or point the config key data.raw_dir at a directory that holds <dataset>/<file>."
    )
    return "\n".join(lines)


def _download_once(url: str, part: Path, timeout: float) -> None:
    """Append the rest of ``url`` to ``part`` (resuming where the server supports Range)."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "mlptheory"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = getattr(response, "status", 200)
        if offset and status == 206:
            log.info("resuming %s at byte %d", part.name, offset)
            mode = "ab"
        else:
            mode = "wb"  # server ignored Range (or fresh start): begin again
        total = response.headers.get("Content-Length")
        expected = int(total) if total and total.isdigit() else None
        done, last = 0, time.monotonic()
        with open(part, mode) as fh:
            for block in iter(lambda: response.read(CHUNK), b""):
                fh.write(block)
                done += len(block)
                if time.monotonic() - last > 10:
                    log.info("%s: %.1f MB of %s", part.name, done / 1e6, total or "?")
                    last = time.monotonic()
    if expected is not None and done < expected:
        raise IncompleteDownload(
            f"connection closed after {done} of {expected} bytes; {part} is kept for resuming"
        )


def fetch_file(
    name: str,
    md5: str,
    dest_dir: str | Path,
    mirrors: list[str],
    timeout: float = 20.0,
    deadline_s: float = 50.0,
    all_md5s: Mapping[str, str] | None = None,
) -> Path:
    """Make ``dest_dir/name`` exist with checksum ``md5``, downloading it if needed.

    ``mirrors`` are base URLs (``.../``) to which ``name`` is appended, or full URLs ending
    in ``name``. Raises :class:`DownloadError` naming every missing file of ``all_md5s``
    when no mirror delivers, within about ``deadline_s`` seconds of trying.
    """
    dest_dir = Path(dest_dir)
    dest = dest_dir / name
    if dest.is_file():
        actual = md5sum(dest)
        if actual == md5:
            return dest
        aside = set_aside(dest, f"bad-md5-{actual}")
        log.warning("%s had md5 %s, expected %s; moved to %s", dest, actual, md5, aside)
    dest_dir.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(name + ".part")
    reasons = []
    unreachable_hosts: set[str] = set()
    start = time.monotonic()
    for base in mirrors:
        url = base if base.endswith("/" + name) else urljoin(base.rstrip("/") + "/", name)
        host = urlsplit(url).netloc
        if host in unreachable_hosts:
            reasons.append(f"{url}: skipped, host {host} unreachable")
            continue
        if time.monotonic() - start > deadline_s:
            reasons.append(f"{url}: not tried, gave up after {deadline_s:.0f} s")
            continue
        log.info("downloading %s", url)
        try:
            _download_once(url, part, timeout)
        except urllib.error.HTTPError as err:
            reasons.append(f"{url}: HTTP {err.code} {err.reason}")
            continue
        except (IncompleteDownload, http.client.HTTPException) as err:
            reasons.append(f"{url}: {err!r}")
            continue
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
            reason = getattr(err, "reason", err)
            reasons.append(f"{url}: {reason}")
            unreachable_hosts.add(host)
            continue
        actual = md5sum(part)
        if actual == md5:
            os.replace(part, dest)
            log.info("%s: md5 %s ok", dest, md5)
            return dest
        aside = set_aside(part, f"bad-md5-{actual}")
        reasons.append(f"{url}: md5 {actual}, expected {md5} (bytes kept as {aside})")
    raise DownloadError(
        missing_files_message(dest_dir, all_md5s or {name: md5}, reasons)
        + "\n(set data.download: false to skip download attempts; see README 'Data')"
    )


def obtain_archives(
    raw_dir: str | Path,
    md5s: Mapping[str, str],
    mirrors: list[str],
    download: bool = True,
    timeout: float = 20.0,
    deadline_s: float = 50.0,
) -> dict[str, dict]:
    """Make every archive of ``md5s`` present and verified in ``raw_dir``.

    Files already present are checked first (a mismatch raises :class:`ChecksumError` and the
    file is moved aside, never deleted; the next run downloads a fresh copy). Missing files
    are downloaded; if any cannot be obtained, one :class:`DownloadError` names all of them.
    Returns ``{name: {"md5", "bytes", "path"}}``.
    """
    raw_dir = Path(raw_dir)
    present = {n: m for n, m in md5s.items() if (raw_dir / n).is_file()}
    verify_md5s(raw_dir, present)
    missing = [n for n in md5s if n not in present]
    if missing and not download:
        raise DownloadError(
            missing_files_message(raw_dir, md5s, ["downloads are off (data.download: false)"])
        )
    failures = []
    for name in missing:
        try:
            fetch_file(name, md5s[name], raw_dir, mirrors, timeout, deadline_s, md5s)
        except DownloadError as err:
            failures.append(err)
    if failures:
        raise failures[-1]  # its message lists every file still missing
    return {
        name: {"md5": md5, "bytes": (raw_dir / name).stat().st_size,
               "path": str((raw_dir / name).resolve())}
        for name, md5 in md5s.items()
    }


def verify_md5s(raw_dir: str | Path, md5s: Mapping[str, str]) -> dict[str, str]:
    """Check every file of ``md5s`` in ``raw_dir``; return ``{name: md5}``.

    A mismatching file is renamed aside (``<name>.bad-md5-<actual>``, never deleted) and a
    :class:`ChecksumError` names the file, the expected and the actual md5.
    """
    raw_dir = Path(raw_dir)
    missing = [n for n in md5s if not (raw_dir / n).is_file()]
    if missing:
        raise DownloadError(missing_files_message(raw_dir, md5s))
    for name, expected in md5s.items():
        path = raw_dir / name
        actual = md5sum(path)
        if actual != expected:
            aside = set_aside(path, f"bad-md5-{actual}")
            where = f"moved aside to {aside}" if aside else f"left in place at {path}"
            raise ChecksumError(
                f"md5 mismatch for {path}: expected {expected}, got {actual}. "
                f"The file was {where} (not deleted). Replace it with the original file, or "
                f"delete it and run again to download a fresh copy."
            )
    return dict(md5s)
