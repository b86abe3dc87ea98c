"""Planning: torch-free plan modules, registries of tables and figures, wildcard constraints that
reject misspelt targets, and jobs that see only their own configuration."""

import copy
import importlib
import re
import subprocess
import sys

import pytest
from conftest import REPO, SMOKE_CONFIG, run_snakemake

from mlptheory.registry import Registry

PLAN_MODULES = ["mlptheory.papers.seleznova2021.plan", "mlptheory.papers.sorensen2020.plan",
                "mlptheory.papers.tsuchida2019.plan", "mlptheory.papers.lee2019.plan"]
HEAVY = ("torch", "scipy", "pandas", "matplotlib")


def plan_config(workdir, *overlays) -> dict:
    """The configuration Snakemake builds from config.yaml and ``--configfile`` overlays
    (merged key by key, then validated with the schema's defaults filled in)."""
    from mlptheory.checks import load_config

    return load_config([workdir / path for path in overlays], workdir)


def plans(config):
    return {m.split(".")[2]: importlib.import_module(m).plan(config) for m in PLAN_MODULES}


def test_planning_modules_import_no_heavy_library():
    code = ("import sys\n"
            + "".join(f"import {m}\n" for m in PLAN_MODULES)
            + "import mlptheory.registry\n"
            # the cost model runs before the first job (Snakemake's onstart) and in the CLI
            + "import mlptheory.cost.report, mlptheory.cost.dag, mlptheory.cost.model\n"
            + "".join(f"import {m.replace('.plan', '.work')}\n" for m in PLAN_MODULES)
            # the claim lists are read at parse time (rules/common.smk: claim_sources)
            + "import mlptheory.claims\n"
            + "".join(f"import {m.replace('.plan', '.claims')}\n" for m in PLAN_MODULES)
            + f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, env={"PYTHONPATH": str(REPO / "src")})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("overlays", [(), ("configs/quick.yaml",),
                                      ("configs/quick.yaml", "tests/smoke.yaml")])
def test_every_figure_reads_registered_tables_and_targets_are_unique(overlays):
    for paper, plan in plans(plan_config(REPO, *overlays)).items():
        reg = plan.registry
        assert reg.figures, paper
        targets = reg.targets()
        assert len(targets) == len(set(targets))
        for fig in reg.figures.values():
            assert fig.tables and all(t in reg.tables for t in fig.tables)
        for table in reg.tables.values():
            for paths in table.inputs.values():
                for path in [paths] if isinstance(paths, str) else paths:
                    assert path.startswith("results/"), path


def test_wildcard_pattern_matches_exactly_the_registered_names():
    names = ["fig1_a", "fig1_ab", "x.y"]
    pattern = re.compile(Registry.pattern(names))
    for name in names:
        assert pattern.fullmatch(name)
    for name in ("fig1_", "fig1_abc", "xzy", "fig1_a/b", ""):
        assert not pattern.fullmatch(name), name
    assert not re.compile(Registry.pattern([])).fullmatch("anything")


def test_fig7_reuses_the_fig1_tables_it_shares():
    config = plan_config(REPO, "configs/quick.yaml")
    var = config["seleznova2021"]["ntk_variance"]
    assert var["bias_width"] in var["widths"] and var["sb2"] in var["bias_sb2"]
    reg = plans(config)["seleznova2021"].registry
    for act in var["activations"]:
        fig1 = set(reg.figures[f"fig1_ntk_variance_{act}"].tables)
        shared = fig1 & set(reg.figures["fig7_ntk_variance_bias"].tables)
        assert len(shared) == 1
        (name,) = shared
        assert reg.tables[name].settings["width"] == var["bias_width"]
        assert reg.tables[name].settings["sb2"] == var["sb2"]


def test_a_table_depends_only_on_its_own_keys():
    base = plan_config(REPO, "configs/quick.yaml")
    changed = copy.deepcopy(base)
    changed["seleznova2021"]["thm53"]["n_inits"] = 7
    before, after = plans(base), plans(changed)
    for paper in before:
        a, b = before[paper].registry, after[paper].registry
        assert a.figures == b.figures and before[paper].runs == after[paper].runs
        differ = {n for n in a.tables if a.tables[n] != b.tables[n]}
        assert differ == ({"thm53"} if paper == "seleznova2021" else set())


def test_misspelt_target_is_rejected_by_snakemake(workflow_dir):
    ok = run_snakemake(workflow_dir, "-n", "--cores", "1",
                       "results/seleznova2021/fig1_ntk_variance_relu.pdf", *SMOKE_CONFIG)
    assert ok.returncode == 0, ok.stdout[-3000:]
    bad_targets = ("results/seleznova2021/fig1_ntk_variance_reluu.pdf",
                   "results/seleznova2021/tables/kappa_typo.csv",
                   "results/sorensen2020/table1_distance.md")
    bad = run_snakemake(workflow_dir, "-n", "--cores", "1",
                        "results/seleznova2021/fig1_ntk_variance_relu.pdf", *bad_targets,
                        *SMOKE_CONFIG)
    assert bad.returncode != 0
    for target in bad_targets:  # one line each, the good target not among them
        assert f"unknown target {target}: no rule builds it" in bad.stdout, bad.stdout[-3000:]
    assert bad.stdout.count("unknown target") == len(bad_targets), bad.stdout[-3000:]


def planned_jobs(output: str) -> dict[str, int]:
    """The job counts of a dry run's 'Job stats' table."""
    stats = output[output.index("Job stats:"):]
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.MULTILINE) if m.group(1) != "total"}


@pytest.mark.slow
def test_changing_one_key_reruns_only_its_table_and_figure(smoke_workflow):
    """After a completed run, a second --configfile holding one changed nested key plans only
    the table that reads it, the figure drawn from that table and the aggregate rule."""
    untouched = run_snakemake(smoke_workflow, "-n", "--cores", "1", "seleznova2021",
                              *SMOKE_CONFIG)
    assert untouched.returncode == 0 and "Nothing to be done" in untouched.stdout, \
        untouched.stdout[-3000:]
    (smoke_workflow / "overlay_n_inits.yaml").write_text(
        "seleznova2021: {thm53: {n_inits: 7}}\n")
    result = run_snakemake(smoke_workflow, "-n", "--cores", "1", "seleznova2021",
                           *SMOKE_CONFIG, "overlay_n_inits.yaml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert planned_jobs(result.stdout) == {"seleznova2021_table": 1, "seleznova2021_figure": 1,
                                           "seleznova2021": 1}, result.stdout[-3000:]
    assert "results/seleznova2021/tables/thm53.csv" in result.stdout
    assert "results/seleznova2021/thm53_output_variance.pdf" in result.stdout


@pytest.mark.parametrize("overlays", [(), ("configs/quick.yaml",)], ids=["paper", "quick"])
def test_cost_counts_the_jobs_snakemake_plans(workflow_dir, overlays, capsys, monkeypatch):
    """`mlptheory cost` counts, rule by rule, exactly the jobs `snakemake -n` plans for the same
    configuration and targets (paper and quick scale; everything, and one figure), and gives
    every job its registered work: a training run its FLOPs, a table its cost term."""
    from collections import Counter

    from mlptheory.cli import main
    from mlptheory.cost.dag import workflow_jobs
    from mlptheory.papers import PAPERS, rule_of

    files = [a for path in overlays for a in ("--configfile", path)]
    figure = "results/seleznova2021/fig3_ntk_change_tanh.pdf"
    every = {}
    for targets in ([], [figure]):
        dry = run_snakemake(workflow_dir, "-n", "--cores", "2", *targets, *files)
        assert dry.returncode == 0, dry.stdout[-3000:]
        want = planned_jobs(dry.stdout)
        every = every or want
        jobs, _ = workflow_jobs([workflow_dir / p for p in overlays], targets=targets,
                                snakefile=workflow_dir / "Snakefile")
        assert dict(Counter(job.rule for job in jobs.values())) == want
        for job in jobs.values():
            kind = rule_of(job.rule)
            if job.rule == "train_run":
                assert job.work.flops > 0 and job.work.steps > 0, job
            elif kind and kind[1] == "table":  # its registered cost term
                assert job.work.flops + job.work.ops > 0, job
            elif kind:  # a figure or a table of the paper
                assert job.work.plots == 1, job
            else:  # no paper rule goes uncosted: rules/papers.smk and rule_of name them alike
                assert job.rule in {"fetch_archives", "prepare_dataset", "claims", "cost",
                                    "all", *PAPERS}, job.rule
    monkeypatch.chdir(workflow_dir)
    main(["cost", "--papers-only", *files])
    total = next(line for line in capsys.readouterr().out.splitlines()
                 if line.startswith("total"))
    assert int(total.split()[1]) == sum(every.values())


@pytest.mark.parametrize("scale", ["paper", "laptop", "quick"])
def test_every_registered_function_path_imports_and_exists(scale):
    """Each table's compute and cost term, figure's draw and paper table's render named
    "module:function" in a plan resolves to a callable (a typo would otherwise surface only when
    its job runs, or when the cost is estimated)."""
    from conftest import OVERLAYS, REPO, merged_config

    from mlptheory.papers import PAPER
    from mlptheory.registry import resolve

    config = merged_config(REPO, *OVERLAYS[scale])
    paths = set()
    for paper in PAPER.values():
        reg = paper.plan(config).registry
        paths |= {t.compute for t in reg.tables.values()}
        paths |= {t.cost for t in reg.tables.values()}
        paths |= {f.make for f in (*reg.figures.values(), *reg.paper_tables.values())}
    assert len(paths) > 20
    for path in sorted(paths):
        assert callable(resolve(path)), path


def test_no_module_is_imported_by_a_name_built_from_a_string():
    """Papers are reached through mlptheory.papers.PAPER (static imports the import graph sees),
    never by importing a module whose name is pasted together at run time."""
    import re

    from conftest import REPO

    pasted = re.compile(r"import_module\(\s*(f['\"]|['\"][^'\"]*['\"]\s*\+|.*\.format\()")
    files = [*(REPO / "src").rglob("*.py"), *(REPO / "rules").glob("*.smk"),
             *(REPO / "scripts").glob("*.py"), REPO / "Snakefile"]
    where = [f"{f.relative_to(REPO)}:{n}" for f in files
             for n, line in enumerate(f.read_text().splitlines(), 1) if pasted.search(line)]
    assert where == []


def test_the_paper_rules_are_one_generic_file():
    """rules/papers.smk defines every paper's rules; no rules file is named for a paper."""
    from conftest import REPO

    from mlptheory.papers import PAPERS

    assert not [p for p in PAPERS if (REPO / "rules" / f"{p}.smk").exists()]


def test_the_paper_names_are_listed_once():
    """mlptheory.papers.PAPERS is the one list of the papers: no other file of the workflow
    spells out two paper names in a row (a second list would drift when a paper is added)."""
    import re

    from conftest import REPO

    from mlptheory.papers import PAPERS

    names = "|".join(PAPERS)
    two_in_a_row = re.compile(rf"['\"]({names})['\"]\s*,\s*['\"]({names})['\"]")
    files = [*(REPO / "src").rglob("*.py"), *(REPO / "rules").glob("*.smk"),
             *(REPO / "scripts").glob("*.py"), *(REPO / "tests").glob("*.py"), REPO / "Snakefile"]
    where = [f"{f.relative_to(REPO)}:{n}" for f in files
             for n, line in enumerate(f.read_text().splitlines(), 1)
             if two_in_a_row.search(line) and f != REPO / "src/mlptheory/papers/__init__.py"]
    assert where == []


def test_a_table_asks_the_scheduler_for_what_its_registration_says(monkeypatch, tmp_path):
    """Threads and a GPU of a table's job come from its registration (a table that trains says
    so): Snakemake plans the job with them, and with `device: cpu` the GPU request is 0."""
    import dataclasses

    from conftest import copy_workflow

    from mlptheory.cost.dag import workflow_jobs
    from mlptheory.papers import PAPER
    from mlptheory.registry import Table

    paper = PAPER["sorensen2020"]
    plan = paper.plan_module.plan

    def heavier(config):
        made = plan(config)
        table = made.registry.tables["sorted_points"]
        made.registry.tables["sorted_points"] = dataclasses.replace(table, threads=2, gpu=True)
        return made

    monkeypatch.setattr(paper.plan_module, "plan", heavier)
    wd = copy_workflow(tmp_path / "wf")
    overlays = [REPO / "configs" / "quick.yaml", REPO / "tests" / "smoke.yaml"]
    targets = [f"results/sorensen2020/tables/{t}.csv" for t in ("sorted_points", "nodesort_checks")]
    for device, gpus in (("auto", 1), ("cpu", 0)):
        jobs, _ = workflow_jobs(overlays, config={"device": device}, targets=targets,
                                snakefile=wd / "Snakefile", cores=4)
        assert (jobs["sorensen2020_table/sorted_points"].threads,
                jobs["sorensen2020_table/sorted_points"].gpus) == (2, gpus)
        other = jobs["sorensen2020_table/nodesort_checks"]  # registered with the defaults
        assert (other.threads, other.gpus) == (1, 0)
    with pytest.raises(ValueError, match="threads must be a whole number >= 1"):
        Table("t", "m:f", "m:g", threads=0)
