# lee2019 "Wide networks evolve as linear models": tables in results/lee2019/tables/, figures
# results/lee2019/<figure>.{pdf,csv}. Runs, tables and figures are registered by the
# torch-free mlptheory.papers.lee2019.plan; what each holds: its compute/draw module.
from mlptheory.papers.lee2019.plan import plan as lee2019_plan

LEE = register_plan("lee2019", lee2019_plan(config))


rule lee2019_table:
    input:
        unpack(table_inputs(LEE)),
    output:
        "results/lee2019/tables/{table}.csv",
    log:
        "results/logs/lee2019/tables/{table}.log",
    benchmark:
        "results/benchmarks/lee2019_table/{table}.tsv"
    wildcard_constraints:
        table=LEE.pattern(LEE.tables),
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc: LEE.tables[wc.table].mem_mb,
        runtime=lambda wc: LEE.tables[wc.table].runtime_min,
    params:
        compute=lambda wc: LEE.tables[wc.table].compute,
        table=lambda wc: LEE.tables[wc.table].params,
    script:
        "../scripts/make_table.py"


rule lee2019_figure:
    input:
        figure_tables(LEE),
    output:
        pdf=figures_output("lee2019"),
        csv="results/lee2019/{figure}.csv",
    log:
        "results/logs/lee2019/{figure}.log",
    benchmark:
        "results/benchmarks/lee2019_figure/{figure}.tsv"
    wildcard_constraints:
        figure=LEE.pattern(LEE.figures),
    # drawing from a finished table takes seconds: never worth a cluster job
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        draw=lambda wc: LEE.figures[wc.figure].make,
        figure=lambda wc: LEE.figures[wc.figure].params,
    script:
        "../scripts/draw_figure.py"
