# seleznova2021 "Can we trust NTK theory?": tables in results/seleznova2021/tables/, figures
# results/seleznova2021/<figure>.{pdf,csv}. Runs, tables and figures are registered by the
# torch-free mlptheory.papers.seleznova2021.plan; what each holds: its compute/draw module.
from mlptheory.papers.seleznova2021.plan import plan as seleznova2021_plan

SELEZ = register_plan("seleznova2021", seleznova2021_plan(config))


rule seleznova2021_table:
    input:
        unpack(table_inputs(SELEZ)),
    output:
        "results/seleznova2021/tables/{table}.csv",
    log:
        "results/logs/seleznova2021/tables/{table}.log",
    benchmark:
        "results/benchmarks/seleznova2021_table/{table}.tsv"
    wildcard_constraints:
        table=SELEZ.pattern(SELEZ.tables),
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc: SELEZ.tables[wc.table].mem_mb,
        runtime=lambda wc: SELEZ.tables[wc.table].runtime_min,
    params:
        compute=lambda wc: SELEZ.tables[wc.table].compute,
        table=lambda wc: SELEZ.tables[wc.table].params,
    script:
        "../scripts/make_table.py"


rule seleznova2021_figure:
    input:
        figure_tables(SELEZ),
    output:
        pdf=figures_output("seleznova2021"),
        csv="results/seleznova2021/{figure}.csv",
    log:
        "results/logs/seleznova2021/{figure}.log",
    benchmark:
        "results/benchmarks/seleznova2021_figure/{figure}.tsv"
    wildcard_constraints:
        figure=SELEZ.pattern(SELEZ.figures),
    # drawing from a finished table takes seconds: never worth a cluster job
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        draw=lambda wc: SELEZ.figures[wc.figure].make,
        figure=lambda wc: SELEZ.figures[wc.figure].params,
    script:
        "../scripts/draw_figure.py"
