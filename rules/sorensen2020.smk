# sorensen2020: N networks trained in chunks (generic rule train_run), then Table 1, Fig. 2,
# weight averaging and the linear-path barrier. Requests and measurements live in
# mlptheory.papers.sorensen2020.
from mlptheory.papers import sorensen2020 as S2020

SORENSEN = config["sorensen2020"]
SORENSEN_RUNS = [
    register_run("sorensen2020", name, request)
    for name, request in S2020.run_requests(SORENSEN, config["seed"]).items()
]

PAPER_TARGETS["sorensen2020"] += [
    "results/sorensen2020/table1_distances.csv",
    "results/sorensen2020/table1_distances.md",
    "results/sorensen2020/fig2_sorted_points.pdf",
    "results/sorensen2020/fig2_sorted_points.csv",
    "results/sorensen2020/averaging.pdf",
    "results/sorensen2020/averaging.csv",
    "results/sorensen2020/barrier.pdf",
    "results/sorensen2020/barrier.csv",
]


rule sorensen2020_table1:
    input:
        runs=SORENSEN_RUNS,
    output:
        csv="results/sorensen2020/table1_distances.csv",
        md="results/sorensen2020/table1_distances.md",
    log:
        "results/logs/sorensen2020/table1_distances.log",
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=SORENSEN["mem_mb"],
        runtime=SORENSEN["runtime_min"],
    params:
        p=SORENSEN["power_base"],
    script:
        "../scripts/sorensen2020_table1.py"


rule sorensen2020_fig2:
    output:
        pdf=figure("sorensen2020", "fig2_sorted_points"),
        csv="results/sorensen2020/fig2_sorted_points.csv",
    log:
        "results/logs/sorensen2020/fig2_sorted_points.log",
    # three points drawn in seconds: never worth a cluster job
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/sorensen2020_fig2.py"


rule sorensen2020_averaging:
    input:
        runs=SORENSEN_RUNS,
        dataset=dataset_file("sorensen2020"),
    output:
        pdf=figure("sorensen2020", "averaging"),
        csv="results/sorensen2020/averaging.csv",
    log:
        "results/logs/sorensen2020/averaging.log",
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=SORENSEN["mem_mb"],
        runtime=SORENSEN["runtime_min"],
    params:
        ks=SORENSEN["averaging_k"],
        sort_key=SORENSEN["sort_key"],
        p=SORENSEN["power_base"],
    script:
        "../scripts/sorensen2020_averaging.py"


rule sorensen2020_barrier:
    input:
        runs=SORENSEN_RUNS,
        dataset=dataset_file("sorensen2020"),
    output:
        pdf=figure("sorensen2020", "barrier"),
        csv="results/sorensen2020/barrier.csv",
    log:
        "results/logs/sorensen2020/barrier.log",
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        n_points=SORENSEN["barrier_points"],
        sort_key=SORENSEN["sort_key"],
        p=SORENSEN["power_base"],
    script:
        "../scripts/sorensen2020_barrier.py"
