# seleznova2021 "Can we trust NTK theory?": tables in results/seleznova2021/tables/, figures
# results/seleznova2021/<target>.{pdf,csv}. What each table and figure holds:
# mlptheory.papers.seleznova2021 (figure_targets, make_table, make_figure).
from mlptheory.papers import seleznova2021 as selez

SELEZ = config["seleznova2021"]
# One ensemble per (activation, width, depth): every sw2 and seed of Figs. 3, 4, 8-11.
SELEZ_RUNS = {
    name: register_run("seleznova2021", name, request)
    for name, request in selez.training_requests(
        {**SELEZ["ntk_change"], "dataset": SELEZ["dataset"]}, config["seed"]
    ).items()
}
SELEZ_FIGURES = selez.figure_targets(SELEZ)
PAPER_TARGETS["seleznova2021"] += [
    f"results/seleznova2021/{target}.{ext}"
    for target in SELEZ_FIGURES
    for ext in ("pdf", "csv")
]


rule seleznova2021_table:
    input:
        unpack(
            lambda wc: selez.table_inputs(
                wc.table, dataset_file("seleznova2021"), SELEZ_RUNS
            )
        ),
    output:
        "results/seleznova2021/tables/{table}.csv",
    log:
        "results/logs/seleznova2021/tables/{table}.log",
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        config=SELEZ,
        seed=config["seed"],
    script:
        "../scripts/seleznova2021_table.py"


for _target, _tables in SELEZ_FIGURES.items():

    rule:
        name:
            f"seleznova2021_{_target}"
        input:
            [f"results/seleznova2021/tables/{t}.csv" for t in _tables],
        output:
            pdf=figure("seleznova2021", _target),
            csv=f"results/seleznova2021/{_target}.csv",
        log:
            f"results/logs/seleznova2021/{_target}.log",
        # drawing from a finished table takes seconds: never worth a cluster job
        localrule: True
        conda:
            "../envs/mlptheory.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=20,
        params:
            config=SELEZ,
            target=_target,
        script:
            "../scripts/seleznova2021_figure.py"
