# "Does it reproduce?": every claim of the papers (mlptheory.papers.<paper>.claims) measured on
# the target CSVs it reads -> results/claims.csv, claims.md, claims.rst (the report's table) and
# claims_at_a_glance.pdf (every interval against its expected region).
# The input function claim_sources() and REFERENCES are in rules/common.smk.
rule claims:
    input:
        [path for paper in claim_sources().values() for path in paper.values()],
        # the recorded references (reference/<scale>/), shown beside this run's verdicts
        references=[
            f"{d}/{name}"
            for d in REFERENCES.values()
            for name in ("claims.csv", "provenance.json")
        ],
    output:
        csv=report(
            "results/claims.csv",
            caption="../report/captions/claims.rst",
            category="Does it reproduce?",
            labels={"table": "claims"},
        ),
        md="results/claims.md",
        rst="results/claims.rst",
        glance=report(
            "results/claims_at_a_glance.pdf",
            caption="../report/captions/claims_at_a_glance.rst",
            category="Does it reproduce?",
            labels={"figure": "claims at a glance"},
        ),
    log:
        "results/logs/claims.log",
    benchmark:
        "results/benchmarks/claims/claims.tsv"
    localrule: True
    conda:
        "../envs/mlptheory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        sources=claim_sources(),
        configs={paper: config[paper] for paper in PAPERS},
        scale=config.get("scale", "paper"),
        references=REFERENCES,
    script:
        "../scripts/make_claims.py"
