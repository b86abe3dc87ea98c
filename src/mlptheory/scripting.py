"""What every rule script needs: logging to the rule's log file, threads, clean errors.

A script in ``scripts/`` is a few lines::

    from mlptheory.scripting import run_rule

    def main(smk, log):
        ...

    run_rule(snakemake, main)
"""

from __future__ import annotations

import logging
import sys
import time

import torch

from .errors import UserError


def setup_logging(log_path: str | None, name: str) -> logging.Logger:
    """Log lines with timestamps to ``log_path`` (if given) and to stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    return logging.getLogger(name)


def run_rule(smk, main) -> None:
    """Call ``main(smk, log)`` for a Snakemake ``script:`` rule.

    Sets ``torch.set_num_threads(smk.threads)`` (several small jobs per machine are much faster
    with one thread each than with oversubscribed cores), logs to ``smk.log[0]``, and turns the
    project's user errors (:class:`~mlptheory.errors.UserError`: bad input, a damaged file,
    missing data, a failed write) into their message alone and exit status 1. Any other
    exception is a bug: it keeps its full traceback.
    """
    log = setup_logging(smk.log[0] if len(smk.log) else None, f"rule {smk.rule}")
    torch.set_num_threads(max(1, int(smk.threads)))
    start = time.monotonic()
    log.info("rule %s, %d thread(s), wildcards %s", smk.rule, smk.threads, dict(smk.wildcards))
    try:
        main(smk, log)
    except UserError as err:
        log.error("%s", err)
        sys.exit(1)
    except Exception:
        log.exception("rule %s failed", smk.rule)
        raise
    log.info("done in %.1f s", time.monotonic() - start)
