"""The jobs of a run as Snakemake plans them, each given the work registered for it.

Snakemake builds the DAG (rules, wildcards, dependencies, threads, benchmark files); this
module maps each of its jobs to its :class:`~mlptheory.cost.model.Work`: a training run by its
request (the job's ``params.request``), a paper's table by the cost term its plan registered, a
figure or table of the paper as one plot, a prepared dataset by its bytes. Two ways in: the DAG
Snakemake hands to ``onstart`` (:func:`jobs_of`), or :func:`workflow_jobs`, which builds it
through Snakemake's API in dry-run mode (``mlptheory cost`` and the report's cost table).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..papers import PAPER, rule_of
from ..registry import Plan, run_file
from ..run_request import RunRequest
from .model import Work, dataset_bytes, run_work, table_work


@dataclass(frozen=True)
class Job:
    """One Snakemake job: its rule, its wildcards joined by ``/`` (``key``), its work, the ids
    of the jobs it waits for, its threads, its benchmark file (absolute), whether it runs
    anything (``all`` and a paper's aggregate rule only collect files) and the GPUs it asks
    for."""

    rule: str
    key: str
    work: Work
    after: tuple[str, ...] = ()
    threads: int = 1
    benchmark: str | None = None
    runs: bool = True
    gpus: int = 0

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.key}"


def job_id(job) -> str:
    """``<rule>/<wildcards joined by />`` of a Snakemake job (``<rule>/<rule>`` without)."""
    values = [str(v) for v in job.wildcards]
    return f"{job.rule.name}/{'/'.join(values) if values else job.rule.name}"


class RegisteredWork:
    """The work of each Snakemake job under ``config`` (each paper's plan made once)."""

    def __init__(self, config: Mapping):
        self.config = config
        self._plans: dict[str, tuple[Plan, dict[str, RunRequest]]] = {}

    def _plan(self, paper: str) -> tuple[Plan, dict[str, RunRequest]]:
        if paper not in self._plans:
            plan = PAPER[paper].plan(dict(self.config))
            self._plans[paper] = plan, {run_file(paper, name): req
                                        for name, req in plan.runs.items()}
        return self._plans[paper]

    def __call__(self, job) -> Work:
        rule, wildcards = job.rule.name, job.wildcards
        if rule == "train_run":
            return run_work(RunRequest.from_dict(job.params.request))
        if rule == "prepare_dataset":
            return Work(mem=dataset_bytes(wildcards.dataset))
        if rule == "claims":
            return Work(ops=1e3)
        paper_rule = rule_of(rule)
        if paper_rule is None:  # fetch_archives, cost, all: a job's start at most
            return Work()
        paper, kind = paper_rule
        if kind != "table":  # a figure or a table of the paper: one drawing
            return Work(plots=1.0)
        plan, runs = self._plan(paper)
        return table_work(plan.registry.tables[wildcards.table], runs, self.config[paper])


def jobs_of(dag_jobs: Iterable, dependencies: Mapping, config: Mapping) -> dict[str, Job]:
    """:class:`Job` of each of Snakemake's ``dag_jobs`` (``dependencies``: job -> the jobs it
    needs, Snakemake's ``dag.dependencies``; only those among ``dag_jobs`` are kept)."""
    dag_jobs = list(dag_jobs)
    ids = {job: job_id(job) for job in dag_jobs}
    work = RegisteredWork(config)
    out = {}
    for job in dag_jobs:
        rule, key = ids[job].split("/", 1)
        after = tuple(sorted(ids[d] for d in dependencies.get(job, ()) if d in ids))
        out[ids[job]] = Job(rule, key, work(job), after, int(job.threads),
                            os.path.abspath(job.benchmark) if job.benchmark else None,
                            not job.is_norun, int(job.resources.get("gpu", 0)))
    return out


def workflow_jobs(configfiles: Iterable[str | Path] = (), config: Mapping | None = None,
                  targets: Iterable[str] = (), snakefile: str | Path = "Snakefile",
                  cores: int | None = None) -> tuple[dict[str, Job], dict]:
    """Every job of the workflow for the targets (default: its default target), as Snakemake
    plans them from scratch (``--forceall --dry-run``), and the configuration it used.
    ``configfiles``: overlays as ``--configfile``; ``config``: values as ``--config``;
    ``cores``: as ``--cores`` (Snakemake scales a job's threads down to it; default: this
    machine's)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        Quietness,
        ResourceSettings,
    )

    snakefile = Path(snakefile).resolve()
    if not snakefile.is_file():
        raise FileNotFoundError(f"no Snakefile at {snakefile}: run `mlptheory cost` in the "
                                "workflow's folder (where the Snakefile is)")
    configfiles = [Path(f).resolve() for f in configfiles]
    here = os.getcwd()
    os.chdir(snakefile.parent)  # as `snakemake` run there (the Snakefile sets the workdir)
    log = logging.getLogger("snakemake.logging")
    level = log.level
    try:
        with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
            log.setLevel(logging.WARNING)  # no "Building DAG of jobs..." on stdout
            workflow_api = api.workflow(
                ResourceSettings(cores=cores or os.cpu_count() or 1),
                ConfigSettings(configfiles=configfiles, config=dict(config or {})),
                snakefile=snakefile)
            workflow_api.dag(DAGSettings(targets=set(targets), forceall=True))
            # what the DAG API's printdag/printrulegraph do before printing (not a public
            # call: tested with snakemake 9.27; another version that lacks it is named)
            try:
                workflow = workflow_api._workflow
                prepare, build = workflow._prepare_dag, workflow._build_dag
            except AttributeError as missing:
                from snakemake import __version__

                raise RuntimeError(f"snakemake {__version__} builds its DAG differently from "
                                   f"9.x ({missing}); `mlptheory cost` needs snakemake 9") from None
            prepare(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
            build()
            dag = workflow.dag
            return jobs_of(dag.jobs, dag.dependencies, workflow.config), dict(workflow.config)
    finally:
        os.chdir(here)
        log.setLevel(level)


def upstream(jobs: Mapping[str, Job], ids: Iterable[str]) -> list[str]:
    """``ids`` and every job they wait for, directly or not."""
    out, todo = {}, list(ids)
    while todo:
        j = todo.pop()
        if j not in out:
            out[j] = None
            todo.extend(jobs[j].after)
    return list(out)


def targets_of(jobs: Mapping[str, Job]) -> dict[str, list[str]]:
    """Per target -- ``<paper>/<name>`` of each figure and table of a paper, and ``claims`` --
    the ids of the jobs it needs (itself included)."""
    out = {}
    for job_id_, job in jobs.items():
        paper_rule = rule_of(job.rule)
        if paper_rule and paper_rule[1] != "table":
            out[f"{paper_rule[0]}/{job.key}"] = upstream(jobs, [job_id_])
        elif job.rule == "claims":
            out["claims"] = [job_id_]
    return dict(sorted(out.items(), key=lambda kv: _target_order(kv[0])))


def _target_order(target: str) -> tuple:
    """Papers in :data:`~mlptheory.papers.PAPER` order, then ``claims``; within a paper by
    name, numbers as numbers (``fig2`` before ``fig10``)."""
    papers = list(PAPER)
    paper = target.split("/")[0]
    name = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", target)]
    return (papers.index(paper) if paper in papers else len(papers), name)
