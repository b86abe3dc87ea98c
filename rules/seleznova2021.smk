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


def selez_table_inputs(wildcards):
    """Inputs of a table: the dataset (variance tables), the run files (NTK change), or none."""
    if wildcards.table.startswith("ntk_variance_"):
        return {"dataset": dataset_file("seleznova2021")}
    if wildcards.table.startswith("ntk_change_"):
        return {
            "runs": [p for n, p in SELEZ_RUNS.items() if n.startswith(f"{wildcards.table}_")]
        }
    return {}


rule seleznova2021_table:
    input:
        unpack(selez_table_inputs),
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
