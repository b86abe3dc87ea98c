"""Tables and figures as objects: what each paper's rules build, and from what.

A paper's planning module (``mlptheory.papers.<paper>.plan``) turns its config block into a
:class:`Registry`. Snakemake's ``rules/papers.smk`` drives one table rule and one figure rule
from it (a wildcard constraint lists exactly the registered names), and the jobs call the
registered functions. Planning imports no torch, scipy, pandas or matplotlib: the functions are
named by ``"module:function"`` and imported only inside the job that runs them.

* :class:`Table`: ``results/<paper>/tables/<name>.csv``, computed by ``compute(settings, inputs,
  log)`` from its ``inputs`` (a dataset, run files) and ``settings`` -- exactly the config values
  it depends on, so editing one key reruns only the tables that read it. ``cost`` names its cost
  term ``cost(settings, inputs, runs, paper_config)`` -> :class:`mlptheory.cost.model.Work`
  (the paper's ``work`` module), which `mlptheory cost` and the onstart estimate add up.
* :class:`Figure`: ``results/<paper>/<name>.pdf`` plus ``<name>.csv`` (the plotted rows), drawn
  by ``draw(tables, settings)`` from its tables alone (never from the config).
* a table of the paper (:meth:`Registry.paper_table`): ``results/<paper>/<name>.csv`` and
  ``.md``, rendered by ``make(tables, settings)`` from its tables.

``settings`` is a table's or figure's own configuration (what Snakemake's ``params`` of its job
carry); a network's weights are its ``params`` (:mod:`mlptheory.params`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

NAME = re.compile(r"[A-Za-z0-9_.+-]+")


def _check_name(kind: str, name: str) -> None:
    if not NAME.fullmatch(name):
        raise ValueError(f"{kind} name {name!r} may only hold letters, digits and _ . + -")


# Where the workflow's files live, relative to a scale's work directory: the one place these
# path templates are written. The rules fill in their wildcards (``TABLE.format(paper=p,
# table="{table}")``), the plans and the cost model call the functions below.
DATASET = "results/data/{dataset}.h5"         # a prepared dataset (rules/data.smk)
RUN = "results/runs/{paper}/{run}.h5"         # a training run's file (rules/training.smk)
TABLE = "results/{paper}/tables/{table}.csv"  # a registered table (rules/papers.smk)
TARGET = "results/{paper}/{name}.{ext}"       # a figure (pdf, csv) or table of the paper (csv, md)


def dataset_file(dataset: str) -> str:
    """The prepared HDF5 dataset ``results/data/<dataset>.h5``."""
    return DATASET.format(dataset=dataset)


def run_file(paper: str, run: str) -> str:
    """The run file ``results/runs/<paper>/<run>.h5`` of a training run."""
    return RUN.format(paper=paper, run=run)


def target_file(paper: str, name: str, ext: str) -> str:
    """The file ``results/<paper>/<name>.<ext>`` of a figure or a table of the paper."""
    return TARGET.format(paper=paper, name=name, ext=ext)


def resolve(path: str) -> Callable:
    """The function named ``"package.module:function"``."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Table:
    """An intermediate table computed from inputs; ``inputs``: input name -> path(s);
    ``cost``: ``"module:function"`` of its cost term. What its job asks the scheduler for:
    ``threads`` (torch's threads in the job), ``gpu`` (a table that trains or measures on a
    GPU asks for one, unless ``device: cpu``), ``mem_mb`` and ``runtime_min``."""

    name: str
    compute: str
    cost: str
    settings: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    mem_mb: int = 4000
    runtime_min: int = 120
    threads: int = 1
    gpu: bool = False

    def __post_init__(self):
        if not (isinstance(self.threads, int) and self.threads >= 1):
            raise ValueError(f"table {self.name!r}: threads must be a whole number >= 1, not "
                             f"{self.threads!r}")


@dataclass(frozen=True)
class Figure:
    """A figure drawn from ``tables`` (names of registered tables, in order) by
    ``make(tables, settings)`` -> ``(figure, plotted rows)``; as a table of the paper (see
    :meth:`Registry.paper_table`), ``make`` returns ``(markdown text, rows of the CSV)``."""

    name: str
    make: str
    tables: tuple[str, ...]
    settings: dict = field(default_factory=dict)


class Registry:
    """The tables, figures and paper tables of one paper, each registered once by name."""

    def __init__(self, paper: str):
        self.paper = paper
        self.tables: dict[str, Table] = {}
        self.figures: dict[str, Figure] = {}
        self.paper_tables: dict[str, Figure] = {}

    # ----- registering ------------------------------------------------------------------------
    def table(self, name: str, compute: str, settings: dict | None = None,
              inputs: dict | None = None, *, cost: str, **resources) -> str:
        """Register a table computed by ``compute`` whose cost term is ``cost`` (both
        ``"module:function"``). A second registration must be identical: shared tables such as
        the Fig. 1 cells that Fig. 7 shows again are computed once. Returns its name."""
        _check_name("table", name)
        for what, path in (("compute", compute), ("cost", cost)):
            if not re.fullmatch(r"[\w.]+:\w+", path):
                raise ValueError(f"{self.paper}: table {name!r}: {what} must be "
                                 f"'package.module:function', not {path!r}")
        table = Table(name, compute, cost, dict(settings or {}), dict(inputs or {}), **resources)
        previous = self.tables.setdefault(name, table)
        if previous != table:
            raise ValueError(f"{self.paper}: table {name!r} registered twice with different "
                             f"settings:\n  {previous}\n  {table}")
        return name

    def figure(self, name: str, draw: str, tables, settings: dict | None = None) -> None:
        """Register a figure drawn by ``draw`` from ``tables``."""
        self._add(self.figures, Figure(name, draw, tuple(tables), dict(settings or {})), "figure")

    def paper_table(self, name: str, render: str, tables, settings: dict | None = None
                    ) -> None:
        """Register a table of the paper rendered by ``render`` from ``tables``."""
        self._add(self.paper_tables, Figure(name, render, tuple(tables), dict(settings or {})),
                  "paper table")

    def _add(self, where: dict, item: Figure, kind: str) -> None:
        _check_name(kind, item.name)
        if item.name in self.figures or item.name in self.paper_tables:
            raise ValueError(f"{self.paper}: {kind} {item.name!r} registered twice")
        missing = [t for t in item.tables if t not in self.tables]
        if missing:
            raise ValueError(f"{self.paper}: {kind} {item.name!r} reads unregistered tables "
                             f"{missing}")
        where[item.name] = item

    # ----- what Snakemake needs ---------------------------------------------------------------
    def table_path(self, name: str) -> str:
        return TABLE.format(paper=self.paper, table=name)

    def table_paths(self, names) -> list[str]:
        return [self.table_path(n) for n in names]

    def targets(self) -> list[str]:
        """Every file target of the paper: figures (pdf, csv) and paper tables (csv, md)."""
        out = [target_file(self.paper, name, ext) for name in self.figures
               for ext in ("pdf", "csv")]
        out += [target_file(self.paper, name, ext) for name in self.paper_tables
                for ext in ("csv", "md")]
        return out

    @staticmethod
    def pattern(names) -> str:
        """A wildcard constraint matching exactly ``names`` (and nothing else)."""
        names = sorted(names, key=len, reverse=True)
        return "|".join(re.escape(n) for n in names) if names else "(?!)"


@dataclass(frozen=True)
class Plan:
    """What a paper's planning module returns: its training runs (run name ->
    :class:`~mlptheory.run_request.RunRequest`, executed by the generic ``train_run`` rule, which
    receives it as the plain dict Snakemake's params need; empty for a paper whose tables train
    their own networks) and its registry of tables and figures."""

    runs: dict
    registry: Registry
