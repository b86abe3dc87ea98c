# sorensen2020: N networks trained in chunks (generic rule train_run), then Table 1, Fig. 2,
# weight averaging and the linear-path barrier. Runs, tables and figures are registered by the
# torch-free mlptheory.papers.sorensen2020.plan.
from mlptheory.papers.sorensen2020.plan import plan as sorensen2020_plan

SORENSEN = register_plan("sorensen2020", sorensen2020_plan(config))


rule sorensen2020_table:
    input:
        unpack(table_inputs(SORENSEN)),
    output:
        "results/sorensen2020/tables/{table}.csv",
    log:
        "results/logs/sorensen2020/tables/{table}.log",
    benchmark:
        "results/benchmarks/sorensen2020_table/{table}.tsv"
    wildcard_constraints:
        table=SORENSEN.pattern(SORENSEN.tables),
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc: SORENSEN.tables[wc.table].mem_mb,
        runtime=lambda wc: SORENSEN.tables[wc.table].runtime_min,
    params:
        compute=lambda wc: SORENSEN.tables[wc.table].compute,
        table=lambda wc: SORENSEN.tables[wc.table].params,
    script:
        "../scripts/make_table.py"


rule sorensen2020_figure:
    input:
        figure_tables(SORENSEN),
    output:
        pdf=figures_output("sorensen2020"),
        csv="results/sorensen2020/{figure}.csv",
    log:
        "results/logs/sorensen2020/{figure}.log",
    benchmark:
        "results/benchmarks/sorensen2020_figure/{figure}.tsv"
    wildcard_constraints:
        figure=SORENSEN.pattern(SORENSEN.figures),
    # drawing from a finished table takes seconds: never worth a cluster job
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        draw=lambda wc: SORENSEN.figures[wc.figure].make,
        figure=lambda wc: SORENSEN.figures[wc.figure].params,
    script:
        "../scripts/draw_figure.py"


rule sorensen2020_paper_table:
    input:
        paper_table_tables(SORENSEN),
    output:
        csv=report(
            "results/sorensen2020/{name}.csv",
            caption="../report/captions/sorensen2020_tables.rst",
            category="sorensen2020",
            labels={"paper": "sorensen2020", "figure": "{name}"},
        ),
        md="results/sorensen2020/{name}.md",
    log:
        "results/logs/sorensen2020/{name}.log",
    benchmark:
        "results/benchmarks/sorensen2020_paper_table/{name}.tsv"
    wildcard_constraints:
        name=SORENSEN.pattern(SORENSEN.paper_tables),
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        draw=lambda wc: SORENSEN.paper_tables[wc.name].make,
        figure=lambda wc: SORENSEN.paper_tables[wc.name].params,
    script:
        "../scripts/draw_figure.py"
