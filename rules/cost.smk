# What this run cost: wall time and peak memory per target from every job's benchmark file
# (results/benchmarks/<rule>/...tsv), beside the estimate of `mlptheory cost`; the report's
# "Cost" section. Before the first job, the estimate of what is about to run (onstart).
from mlptheory.cost.report import print_start_summary


onstart:
    # --cores locally; on a cluster (--jobs / a profile) cores is None and the parallel job
    # slots are the nodes setting
    # a local run without a GPU estimated above cpu_max_hours stops here, before its
    # first job; a cluster executor never does
    print_start_summary(
        config,
        workflow.dag,
        workflow.resource_settings.cores or workflow.resource_settings.nodes or 1,
        cluster=not workflow.executor_plugin.common_settings.local_exec,
    )


rule cost:
    input:
        all_targets(),
        "results/claims.csv",
    output:
        csv=report(
            "results/cost.csv",
            caption="../report/captions/cost.rst",
            category="Cost",
            labels={"table": "cost"},
        ),
        rst="results/cost.rst",
    log:
        "results/logs/cost.log",
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/make_cost.py"
