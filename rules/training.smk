# The generic training rule: every paper's ensembles are trained here, with exact resume from
# <run>.h5.partial after an interruption (snakemake --rerun-incomplete).


rule train_run:
    input:
        dataset=lambda wc: mlptheory_dataset_file(run_request(wc)["data"]["dataset"]),
    output:
        RUN,
    log:
        "results/logs/runs/{paper}/{run}.log",
    benchmark:
        "results/benchmarks/train_run/{paper}/{run}.tsv"
    conda:
        "../envs/mlptheory.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=config["training"]["mem_mb"],
        runtime=config["training"]["runtime_min"],
        gpu=gpu_count(),
    params:
        request=run_request,
        device=config["device"],
        snapshot_seconds=config["training"]["snapshot_seconds"],
    script:
        "../scripts/train_run.py"
