"""The project's user errors (torch-free): what a person can fix, as opposed to a bug.

A rule script (:func:`mlptheory.scripting.run_rule`) shows a :class:`UserError` as its message
alone, which names the file or key, what was expected and what to do; every other exception
keeps its full traceback, because it is a bug to report. Each class also derives from the
builtin a caller would have caught before (``ValueError``, ``FileNotFoundError``).
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; the message says what and how."""


class BadInput(UserError, ValueError):
    """A configuration value, request or argument that is not allowed (which key, what is)."""


class DamagedFile(UserError):
    """A file that is truncated, corrupted or was not completely written."""


class MissingData(UserError, FileNotFoundError):
    """An input file that does not exist (and the command that builds it)."""


class WriteFailed(UserError):
    """A file could not be written (disk full, file-size limit); earlier files are intact."""


def rebuild_command(path) -> str:
    """How to rebuild a damaged workflow output: move it aside (never delete it), rerun."""
    return (f"mv {path} {path}.damaged && snakemake --cores all {path} "
            "(with the --configfile options of your run)")
