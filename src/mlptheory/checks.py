"""Validation helpers shared by the config objects (torch-free)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def reject_unknown_keys(data: Mapping, allowed: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the unknown keys of ``data`` and the allowed ones.

    ``what`` says where the keys came from (``"NetworkSpec"``, ``"run request 'data' block"``).
    """
    allowed = list(allowed)
    unknown = sorted(set(data) - set(allowed), key=str)
    if unknown:
        raise ValueError(f"unknown {what} keys {unknown}; allowed: {sorted(allowed)}")
