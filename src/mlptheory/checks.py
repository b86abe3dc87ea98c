"""Validation helpers shared by the config objects (torch-free)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import BadInput


def reject_unknown_keys(data: Mapping, allowed: Iterable[str], what: str) -> None:
    """Raise :class:`~mlptheory.errors.BadInput` (a ``ValueError``) naming the unknown keys of
    ``data`` and the allowed ones.

    ``what`` says where the keys came from (``"NetworkSpec"``, ``"run request 'data' block"``).
    """
    allowed = list(allowed)
    unknown = sorted(set(data) - set(allowed), key=str)
    if unknown:
        raise BadInput(f"unknown {what} keys {unknown}; allowed: {sorted(allowed)}")
