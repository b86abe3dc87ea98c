"""Validation helpers shared by the config objects, and the workflow's configuration as
Snakemake builds it from ``config.yaml`` and ``--configfile`` overlays (torch-free)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
    from snakemake.utils import update_config

    sources = config_sources(workdir, configfiles)
    config = sources[0][1]
    for _, overlay in sources[1:]:
        update_config(config, overlay)
    return config


def load_config(configfiles: Iterable[str | Path], workdir: str | Path = ".") -> dict:
    """The configuration Snakemake builds (:func:`merge_configs`), validated with the schema's
    defaults filled in."""
    from snakemake.utils import validate

    config = merge_configs(configfiles, workdir)
    validate(config, str(Path(workdir) / "schemas" / "config.schema.yaml"))
    return config


def dotted(path: Iterable) -> str:
    """A config key path as people write it: ``seleznova2021.ntk_variance.widths[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def key_source(path: Sequence, sources: Sequence[tuple[str, Mapping]]) -> str:
    """Where the value at ``path`` came from: the last of ``sources`` (``(name, its dict)``, in
    the order Snakemake applies them) that sets it, else the first that sets its parent."""
    for depth in range(len(path), 0, -1):
        for name, data in reversed(sources):
            node = data
            for part in path[:depth]:
                if isinstance(node, Mapping) and part in node:
                    node = node[part]
                elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                    node = node[part]
                else:
                    break
            else:
                return name
    return sources[0][0] if sources else "config"


def _schema_at(schema: Mapping, path: Sequence, root: Mapping) -> Mapping:
    """The subschema that describes the value at ``path`` (following ``$ref`` into ``$defs``)."""
    node = schema
    for part in path:
        while "$ref" in node:
            node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, node.get("additionalProperties", {}))
        if not isinstance(node, Mapping):
            return {}
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def config_errors(config: Mapping, schema: Mapping, sources: Sequence[tuple[str, Mapping]]
                  ) -> list[str]:
    """One line per schema violation of ``config``: the dotted key, the file (or ``--config``)
    it came from, what was expected and, for an unknown key, the closest valid one.
    ``sources`` are ``(name, dict)`` in the order they were merged."""
    import difflib

    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    lines = []
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        path = list(err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = list(_schema_at(schema, path, schema).get("properties", {}))
            extra = sorted(set(err.instance) - set(allowed), key=str)
            for key in extra:
                near = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f"; did you mean '{near[0]}'?" if near else (
                    f"; valid keys here: {', '.join(allowed)}")
                lines.append(f"{dotted([*path, key])} (in {key_source([*path, key], sources)}):"
                             f" unknown key{hint}")
            continue
        if err.validator == "required":
            what = err.message.replace(" is a required property", "")
            lines.append(f"{dotted(path)} (in {key_source(path, sources)}): missing key {what}")
            continue
        message = err.message
        if len(message) > 160:
            message = message[:157] + "..."
        lines.append(f"{dotted(path)} (in {key_source(path, sources)}): {message}")
    return lines


def validate_config(config: dict, schema_path: str | Path,
                    sources: Sequence[tuple[str, Mapping]]) -> None:
    """Validate the workflow's ``config`` (defaults filled in, as Snakemake's ``validate``)
    and raise :class:`BadInput` with one line per error (:func:`config_errors`) instead of a
    schema dump."""
    import yaml
    from snakemake.utils import validate

    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = list(dict.fromkeys(config_errors(config, schema, sources)))
    if errors:
        raise BadInput("invalid configuration: " + errors[0] if len(errors) == 1 else
                       "invalid configuration:\n  " + "\n  ".join(errors))
    validate(config, str(schema_path))


def nearest_names(requested: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The ``n`` names of ``known`` closest to ``requested`` (by file name first, then path)."""
    import difflib

    known = sorted(set(known))
    by_name = {}
    for k in known:
        by_name.setdefault(Path(k).name, []).append(k)
    near = difflib.get_close_matches(Path(requested).name, list(by_name), n=n, cutoff=0.5)
    out = [k for name in near for k in by_name[name]]
    out += [k for k in difflib.get_close_matches(requested, known, n=n, cutoff=0.5)
            if k not in out]
    return out[:n]


def command_line(argv: Sequence[str]):
    """The ``snakemake`` command line ``argv`` as Snakemake's own parser reads it (None where
    it cannot read it, e.g. inside a job's own invocation)."""
    try:
        from snakemake.cli import get_argument_parser

        args, _ = get_argument_parser().parse_known_args(list(argv))
    except (Exception, SystemExit):  # not a command line snakemake's parser reads: no check
        return None
    return args


def snakemake_argv() -> list[str]:
    """This process's command-line arguments if it is the ``snakemake`` command (``snakemake``
    or ``python -m snakemake``), else none: ``mlptheory cost`` or a test that builds the DAG
    through Snakemake's API has arguments of its own, not targets."""
    import sys

    program = Path(sys.argv[0])
    return sys.argv[1:] if "snakemake" in (program.name, program.parent.name) else []


def requested_targets(argv: Sequence[str]) -> list[str]:
    """The positional targets of a ``snakemake`` command line (empty where it cannot tell)."""
    args = command_line(argv)
    return [t for t in (getattr(args, "targets", None) or []) if isinstance(t, str)]


def config_sources(basedir: str | Path, configfiles: Iterable[str | Path] = (),
                   config_args: Mapping | None = None, launch_dir: str | Path = "."
                   ) -> list[tuple[str, dict]]:
    """``(name, dict)`` of every configuration source in the order Snakemake merges them:
    ``config.yaml`` of ``basedir``, each ``--configfile`` overlay (named relative to
    ``launch_dir``), then the ``--config`` values."""
    import os

    import yaml

    main = Path(basedir, "config.yaml")
    sources = [("config.yaml", yaml.safe_load(main.read_text()))]
    for path in configfiles:
        path = Path(path)
        if path.resolve() != main.resolve():
            name = os.path.relpath(Path(launch_dir, path), launch_dir)
            sources.append((name, yaml.safe_load(path.read_text()) or {}))
    sources.append(("--config", dict(config_args or {})))
    return sources


def unknown_target_message(target: str, known: Iterable[str]) -> str:
    """The one line for a requested file that no rule builds, with the nearest ``known``."""
    near = nearest_names(target, known)
    return (f"unknown target {target}: no rule builds it"
            + (f"; did you mean {' or '.join(near)}?" if near else "")
            + " (every target is listed in the README, section What it reproduces)")


def resume_command(argv: Sequence[str]) -> str:
    """The command that resumes an interrupted ``snakemake`` run given as ``argv``."""
    import shlex

    argv = [a for a in argv if a != "--rerun-incomplete"]
    return " ".join(["snakemake", *map(shlex.quote, argv), "--rerun-incomplete"])
