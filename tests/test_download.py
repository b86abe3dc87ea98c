"""Downloads from mirrors: verified, resumable, falling through bad mirrors, failing fast."""

import hashlib
import time

import pytest

from mlptheory.download import DownloadError, fetch_file, md5sum, obtain_archives

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB
MD5 = hashlib.md5(PAYLOAD).hexdigest()


def test_download_verifies_and_renames(http_server, tmp_path):
    url, served, requests = http_server
    (served / "a.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "raw"
    path = fetch_file("a.bin", MD5, dest, [url])
    assert path == dest / "a.bin" and md5sum(path) == MD5
    assert not (dest / "a.bin.part").exists()
    fetch_file("a.bin", MD5, dest, [url])  # present and valid: no new request
    assert len(requests) == 1


def test_download_resumes_from_part_file(http_server, tmp_path):
    url, served, requests = http_server
    (served / "a.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "raw"
    dest.mkdir()
    (dest / "a.bin.part").write_bytes(PAYLOAD[:300_000])
    fetch_file("a.bin", MD5, dest, [url])
    assert requests == [("a.bin", "bytes=300000-")]
    assert md5sum(dest / "a.bin") == MD5


def test_interrupted_download_then_resumed(http_server, tmp_path):
    url, served, _ = http_server
    (served / "a.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "raw"
    with pytest.raises(DownloadError):
        fetch_file("a.bin", MD5, dest, [url + "cut/"])
    part = dest / "a.bin.part"
    assert 0 < part.stat().st_size < len(PAYLOAD)
    fetch_file("a.bin", MD5, dest, [url])
    assert md5sum(dest / "a.bin") == MD5


def test_bad_mirror_is_skipped_and_its_bytes_kept(http_server, tmp_path):
    url, served, _ = http_server
    (served / "bad").mkdir()
    (served / "bad" / "a.bin").write_bytes(b"not the file")
    (served / "a.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "raw"
    fetch_file("a.bin", MD5, dest, [url + "bad/", url + "missing/", url])
    assert md5sum(dest / "a.bin") == MD5
    kept = list(dest.glob("a.bin.part.bad-md5-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"not the file"


def test_unreachable_mirrors_fail_fast_and_name_every_missing_file(tmp_path):
    md5s = {"x.gz": "1" * 32, "y.gz": "2" * 32}
    # port 9 on loopback: connection refused at once, as on a machine without network
    mirrors = ["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/", "http://mirror.invalid/"]
    start = time.monotonic()
    with pytest.raises(DownloadError) as err:
        obtain_archives(tmp_path / "raw", md5s, mirrors, timeout=5)
    assert time.monotonic() - start < 10
    message = str(err.value)
    for name, md5 in md5s.items():
        assert f"{name}  md5 {md5}" in message
    assert str((tmp_path / "raw").resolve()) in message
    assert "skipped, host 127.0.0.1:9 unreachable" in message


def test_downloads_off_names_missing_files(tmp_path):
    with pytest.raises(DownloadError, match="downloads are off") as err:
        obtain_archives(tmp_path, {"x.gz": "1" * 32}, ["http://127.0.0.1:9/"], download=False)
    assert "x.gz  md5 " + "1" * 32 in str(err.value)
