# tsuchida2019 "Exchangeability and kernel invariance in trained MLPs": tables in
# results/tsuchida2019/tables/, figures results/tsuchida2019/<figure>.{pdf,csv}. Runs, tables and
# figures are registered by the torch-free mlptheory.papers.tsuchida2019.plan; what each holds:
# its compute/draw module.
from mlptheory.papers.tsuchida2019.plan import plan as tsuchida2019_plan

TSU = register_plan("tsuchida2019", tsuchida2019_plan(config))


rule tsuchida2019_table:
    input:
        unpack(table_inputs(TSU)),
    output:
        "results/tsuchida2019/tables/{table}.csv",
    log:
        "results/logs/tsuchida2019/tables/{table}.log",
    benchmark:
        "results/benchmarks/tsuchida2019_table/{table}.tsv"
    wildcard_constraints:
        table=TSU.pattern(TSU.tables),
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc: TSU.tables[wc.table].mem_mb,
        runtime=lambda wc: TSU.tables[wc.table].runtime_min,
    params:
        compute=lambda wc: TSU.tables[wc.table].compute,
        table=lambda wc: TSU.tables[wc.table].params,
    script:
        "../scripts/make_table.py"


rule tsuchida2019_figure:
    input:
        figure_tables(TSU),
    output:
        pdf=figures_output("tsuchida2019"),
        csv="results/tsuchida2019/{figure}.csv",
    log:
        "results/logs/tsuchida2019/{figure}.log",
    benchmark:
        "results/benchmarks/tsuchida2019_figure/{figure}.tsv"
    wildcard_constraints:
        figure=TSU.pattern(TSU.figures),
    # drawing from a finished table takes seconds: never worth a cluster job
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        draw=lambda wc: TSU.figures[wc.figure].make,
        figure=lambda wc: TSU.figures[wc.figure].params,
    script:
        "../scripts/draw_figure.py"
