"""Seeds derived from a base seed and a target's wildcards, never from time."""

from __future__ import annotations

import hashlib


def derive_seed(base_seed: int, *keys) -> int:
    """A 63-bit seed that is a pure function of ``base_seed`` and ``keys``.

    ``derive_seed(0, "seleznova2021", "relu", 100)`` is stable across Python versions,
    platforms and runs (SHA-256 of the keys' ``repr``), unlike ``hash()``.
    """
    text = repr((int(base_seed), *keys)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1


def derive_seeds(base_seed: int, n: int, *keys) -> list[int]:
    """``n`` distinct seeds for the members of one target (e.g. an ensemble)."""
    return [derive_seed(base_seed, *keys, i) for i in range(n)]
