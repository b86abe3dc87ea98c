"""Validation helpers shared by the config objects, and the workflow's configuration as
Snakemake builds it from ``config.yaml`` and ``--configfile`` overlays (torch-free)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

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


def reject_nan(data, where: str = "config") -> None:
    """Raise :class:`~mlptheory.errors.BadInput` naming the first NaN value in a nested config.

    JSON Schema cannot express it: ``NaN`` passes ``minimum``/``exclusiveMinimum`` (every
    comparison with it is false), so a NaN learning rate or width would be accepted.
    """
    if isinstance(data, Mapping):
        for key, value in data.items():
            reject_nan(value, f"{where}[{key!r}]")
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            reject_nan(value, f"{where}[{i}]")
    elif isinstance(data, float) and data != data:
        raise BadInput(f"{where} is NaN; expected a number (check the value in your "
                       "config.yaml or --configfile/--config overlays)")


def merge_configs(configfiles: Iterable[str | Path], workdir: str | Path = ".") -> dict:
    """``config.yaml`` of ``workdir`` with each ``--configfile`` merged in key by key, as
    Snakemake merges overlays (not validated)."""
    import yaml

    workdir = Path(workdir)

    def merge(base, overlay):
        for key, value in overlay.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value
        return base

    config = yaml.safe_load((workdir / "config.yaml").read_text())
    for path in configfiles:
        if Path(path).resolve() != (workdir / "config.yaml").resolve():
            merge(config, yaml.safe_load(Path(path).read_text()) or {})
    return config


def load_config(configfiles: Iterable[str | Path], workdir: str | Path = ".") -> dict:
    """The configuration Snakemake builds (:func:`merge_configs`), validated with the schema's
    defaults filled in."""
    from snakemake.utils import validate

    config = merge_configs(configfiles, workdir)
    validate(config, str(Path(workdir) / "schemas" / "config.schema.yaml"))
    return config
