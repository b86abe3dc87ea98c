# The tables and figures of every paper in mlptheory.papers.PAPER, by the same three rules per
# paper (named <paper>_table, <paper>_figure, <paper>_paper_table) and one aggregate rule
# <paper>: tables in results/<paper>/tables/, figures results/<paper>/<figure>.{pdf,csv}, tables
# of the paper results/<paper>/<name>.{csv,md}. What each paper builds comes from its torch-free
# plan (mlptheory.papers.<paper>.plan: runs, tables, figures); what a table or figure holds, from
# its compute/draw module.
REGISTRIES = {name: register_plan(name, PAPER[name].plan(config)) for name in PAPERS}


def registered(registry, kind, attribute):
    """A params/resources function of a paper's rule: ``attribute`` of the registered table
    ({table}), figure ({figure}) or table of the paper ({name})."""
    items, wildcard = {
        "table": (registry.tables, "table"),
        "figure": (registry.figures, "figure"),
        "paper_table": (registry.paper_tables, "name"),
    }[kind]
    return lambda wc: getattr(items[wc[wildcard]], attribute)


def table_gpus(registry):
    """The `gpu` resource of a table's job: gpu_count() for a table registered with gpu=True
    (it trains or measures on a GPU), else 0."""
    return lambda wc: gpu_count() if registry.tables[wc.table].gpu else 0


for _paper, _registry in REGISTRIES.items():

    rule:
        name:
            f"{_paper}_table"
        input:
            unpack(table_inputs(_registry)),
        output:
            TABLE.format(paper=_paper, table="{table}"),
        log:
            f"results/logs/{_paper}/tables/{{table}}.log",
        benchmark:
            f"results/benchmarks/{_paper}_table/{{table}}.tsv"
        wildcard_constraints:
            table=_registry.pattern(_registry.tables),
        conda:
            "../envs/mlptheory.yaml"
        threads: registered(_registry, "table", "threads")
        resources:
            mem_mb=registered(_registry, "table", "mem_mb"),
            runtime=registered(_registry, "table", "runtime_min"),
            gpu=table_gpus(_registry),
        params:
            compute=registered(_registry, "table", "compute"),
            table=registered(_registry, "table", "settings"),
        script:
            "../scripts/make_table.py"

    rule:
        name:
            f"{_paper}_figure"
        input:
            figure_tables(_registry),
        output:
            pdf=figures_output(_paper),
            csv=TARGET.format(paper=_paper, name="{figure}", ext="csv"),
        log:
            f"results/logs/{_paper}/{{figure}}.log",
        benchmark:
            f"results/benchmarks/{_paper}_figure/{{figure}}.tsv"
        wildcard_constraints:
            figure=_registry.pattern(_registry.figures),
        # drawing from a finished table takes seconds: never worth a cluster job
        localrule: True
        conda:
            "../envs/mlptheory.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=20,
        params:
            draw=registered(_registry, "figure", "make"),
            figure=registered(_registry, "figure", "settings"),
        script:
            "../scripts/draw_figure.py"

    if _registry.paper_tables:

        rule:
            name:
                f"{_paper}_paper_table"
            input:
                paper_table_tables(_registry),
            output:
                csv=report(
                    TARGET.format(paper=_paper, name="{name}", ext="csv"),
                    caption=f"../report/captions/{_paper}_tables.rst",
                    category=_paper,
                    labels={"paper": _paper, "figure": "{name}"},
                ),
                md=TARGET.format(paper=_paper, name="{name}", ext="md"),
            log:
                f"results/logs/{_paper}/{{name}}.log",
            benchmark:
                f"results/benchmarks/{_paper}_paper_table/{{name}}.tsv"
            wildcard_constraints:
                name=_registry.pattern(_registry.paper_tables),
            localrule: True
            conda:
                "../envs/mlptheory.yaml"
            threads: 1
            resources:
                mem_mb=1000,
                runtime=10,
            params:
                draw=registered(_registry, "paper_table", "make"),
                figure=registered(_registry, "paper_table", "settings"),
            script:
                "../scripts/draw_figure.py"

    # `snakemake <paper>`: every target of one paper
    rule:
        name:
            f"{_paper}"
        input:
            paper_targets(_paper),
