# Configuration validation, wildcard constraints and input functions shared by all rules.
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

# Jobs import the mlptheory library from this checkout, also inside --use-conda environments
# and on cluster nodes (sbatch exports the environment).
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        p for p in (f"{workflow.basedir}/src", os.environ.get("PYTHONPATH")) if p
    )
)

# The rules import mlptheory's torch-free planning modules (mlptheory.papers.<paper>.plan: runs,
# tables and figures) from this checkout.
sys.path.insert(0, f"{workflow.basedir}/src")
from mlptheory.checks import (
    command_line,
    reject_nan,
    requested_targets,
    resume_command,
    snakemake_argv,
    unknown_target_message,
    validate_config,
)
from mlptheory.checks import config_sources as mlptheory_config_sources
from mlptheory.papers import PAPER, PAPERS
from mlptheory.papers import claim_sources as mlptheory_claim_sources
from mlptheory.registry import DATASET, RUN, TABLE, TARGET
from mlptheory.registry import dataset_file as mlptheory_dataset_file
from mlptheory.registry import run_file as mlptheory_run_file
from mlptheory.reference import reference_dirs as mlptheory_reference_dirs
from mlptheory.datasets import DATASETS as DATASET_INFO
from mlptheory.errors import BadInput


def config_sources():
    """(name, dict) of every configuration source, in the order Snakemake merged them."""
    return mlptheory_config_sources(
        workflow.basedir,
        workflow.config_settings.configfiles or (),
        workflow.config_settings.config,
        LAUNCH_DIR,
    )


try:
    # one line per error: the dotted key, the file it came from, what was expected and the
    # closest valid key (the schema's defaults are filled in as snakemake.utils.validate does)
    validate_config(
        config,
        Path(workflow.basedir, "schemas", "config.schema.yaml"),
        config_sources(),
    )
    reject_nan(config)  # the schema lets NaN through every numeric bound
except BadInput as err:
    # the lines that say what to fix, without a traceback into this file
    print(err, file=sys.stderr)
    sys.exit(1)

# `snakemake --report` (without --report-after-run) builds the report of what exists: the
# default target asks only for the files already built (built_only), so a partial build never
# fails with "marked for report but does not exist". The report's first lines name the
# configuration files; only the report reads config["report_run"].
_COMMAND_LINE = command_line(snakemake_argv())
REPORT_ONLY = bool(
    _COMMAND_LINE is not None
    and getattr(_COMMAND_LINE, "report", None)
    and not getattr(_COMMAND_LINE, "report_after_run", False)
)
if REPORT_ONLY:
    config["report_run"] = {
        "configfiles": ", ".join(name for name, _ in config_sources()[:-1]),
        "config_args": " ".join(f"{k}={v}" for k, v in config_sources()[-1][1].items()),
    }


def built_only(files):
    """``files``, or in `snakemake --report` only those that exist."""
    return [f for f in files if os.path.exists(f)] if REPORT_ONLY else list(files)


# raw archives are shared by every scale: data.raw_dir is relative to the launch directory
RAW_DIR = os.path.relpath(
    Path(LAUNCH_DIR, config["data"]["raw_dir"]), os.getcwd()
).rstrip("/")
DATASETS = tuple(DATASET_INFO)


wildcard_constraints:
    dataset="|".join(DATASETS),
    paper="|".join(PAPERS),
    run=r"[A-Za-z0-9_.=+-]+",


def dataset_file(paper):
    """The prepared HDF5 dataset a paper's experiments read."""
    return mlptheory_dataset_file(config[paper]["dataset"])


# rules/papers.smk registers each paper's file targets here (register_plan)
PAPER_TARGETS = {paper: [] for paper in PAPERS}


def paper_targets(paper):
    """Every file target of one paper (its registered targets, else its prepared dataset)."""
    return PAPER_TARGETS[paper] or [dataset_file(paper)]


def all_targets():
    """Every target of every paper, once."""
    return sorted({target for paper in PAPERS for target in paper_targets(paper)})


# Training runs: rules/papers.smk registers each run's request (see mlptheory.run_request) and
# asks for its file with register_run(); the generic rule train_run below executes it.
TRAINING_RUNS = {}


def register_run(paper, run, request):
    """Register a training run; returns its run file results/runs/<paper>/<run>.h5."""
    previous = TRAINING_RUNS.setdefault((paper, run), request)
    if previous != request:
        raise ValueError(f"run {paper}/{run} registered twice with different requests")
    return mlptheory_run_file(paper, run)


def run_request(wildcards):
    try:
        return TRAINING_RUNS[wildcards.paper, wildcards.run]
    except KeyError:
        raise ValueError(
            f"no training run {wildcards.paper}/{wildcards.run} is registered by the rules"
        ) from None


def register_plan(paper, plan):
    """Register a paper's plan (mlptheory.papers.<paper>.plan): its training runs and its
    targets. Returns its registry of tables and figures, which drives the paper's rules.
    """
    for name, request in plan.runs.items():
        # the one conversion to the plain dict Snakemake's params (and rerun check) need
        register_run(paper, name, request.to_dict())
    PAPER_TARGETS[paper] += plan.registry.targets()
    caption = Path(workflow.basedir) / "report" / "captions" / f"{paper}.rst"
    if plan.registry.figures:
        text = caption.read_text() if caption.is_file() else ""
        missing = [f for f in plan.registry.figures if f'figure == "{f}"' not in text]
        if missing:
            raise WorkflowError(
                f"{paper}: figure(s) {missing} have no caption block in {caption}; every "
                "figure in the report states the paper, the figure, the settings used and what "
                "to look for (see report/captions/README.md)"
            )
    return plan.registry


def table_inputs(registry):
    """Input function of a paper's table rule: the registered inputs of table {table}."""
    return lambda wc: registry.tables[wc.table].inputs


def figure_tables(registry):
    """Input function of a paper's figure rule: the table files figure {figure} draws from."""
    return lambda wc: registry.table_paths(registry.figures[wc.figure].tables)


def paper_table_tables(registry):
    """Input function of a paper's table-of-the-paper rule (markdown tables)."""
    return lambda wc: registry.table_paths(registry.paper_tables[wc.name].tables)


def figures_output(paper):
    """The output of a paper's wildcard figure rule: results/<paper>/{figure}.pdf, shown in
    `snakemake --report` with the caption block of {figure} in report/captions/<paper>.rst.
    """
    return report(
        TARGET.format(paper=paper, name="{figure}", ext="pdf"),
        caption=str(Path(workflow.basedir) / "report" / "captions" / f"{paper}.rst"),
        category=paper,
        labels={"paper": paper, "figure": "{figure}"},
    )


def gpu_count():
    """GPUs a training or measurement job requests: `resources: gpu=gpu_count()`.

    0 for `device: cpu` (the job runs anywhere, and on Slurm asks for no GPU), else 1: with
    profiles/slurm the plugin submits it with `--gpus=1`, so it lands on a GPU node. Locally the
    `gpu` resource limits nothing unless `--resources gpu=N` is given.
    """
    return 0 if config["device"] == "cpu" else 1


# name -> folder of each recorded reference run (reference/<scale>/: claims.csv, provenance.json)
REFERENCES = mlptheory_reference_dirs(Path(workflow.basedir) / "reference", os.getcwd())


def claim_sources():
    """paper -> {target name: CSV path} of every claim target this configuration builds."""
    return mlptheory_claim_sources(PAPER_TARGETS)


def check_requested_targets(rules):
    """Stop with one line per requested file that no rule can build, naming the registered
    targets nearest to it (instead of Snakemake's MissingRuleException about input functions).
    Call it after every rule is defined."""
    names = {rule.name for rule in rules}
    unknown = [
        t
        for t in requested_targets(snakemake_argv())
        if t not in names
        and not os.path.exists(t)
        and not any(rule.is_producer(t) for rule in rules)
    ]
    for target in unknown:
        print(unknown_target_message(target, [*all_targets(), *names]), file=sys.stderr)
    if unknown:
        sys.exit(1)


def print_resume_hint():
    """onerror: after an interrupted or failed run, the command that resumes it (once)."""
    print(
        "Nothing finished is lost: every completed file is kept, and an interrupted training "
        "run resumes from its last snapshot (results/runs/<paper>/<run>.h5.partial). "
        f"Resume with: {resume_command(sys.argv[1:])}",
        file=sys.stderr,
    )
