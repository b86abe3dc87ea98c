"""The cost model (mlptheory.cost): FLOP counts against torch's own FLOP counter, the estimate of
the smoke DAG against its jobs' benchmark files, the summary printed before the first job, and
`mlptheory cost` for the paper and quick configurations."""

import dataclasses
import math

import pytest
import torch
from conftest import OVERLAYS, REPO, rst_to_html
from torch.utils.flop_counter import FlopCounterMode

from mlptheory.cost.calibration import Calibration
from mlptheory.cost.dag import targets_of, workflow_jobs
from mlptheory.cost.model import structured_ntk_flops, training_work
from mlptheory.cost.report import RunRefused, measured_rows, read_benchmark, start_summary
from mlptheory.kernels import empirical_ntk
from mlptheory.models import MLP, EnsembleMLP
from mlptheory.papers import PAPERS
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig
from mlptheory.training import Trainer


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """scale -> (every job Snakemake plans for it, the config), built through Snakemake's API
    in a copy of the workflow (the quick scale's workdir is created there, not here)."""
    from conftest import copy_workflow

    wd = copy_workflow(tmp_path_factory.mktemp("cost") / "wf")
    cache = {}

    def get(scale):
        if scale not in cache:
            cache[scale] = workflow_jobs([REPO / p for p in OVERLAYS[scale]],
                                         snakefile=wd / "Snakefile")
        return cache[scale]

    get.root = wd
    return get


class Wildcards(list):
    """Snakemake's wildcards of a job: its values in order, each also an attribute."""

    def __init__(self, **values):
        super().__init__(values.values())
        self.__dict__.update(values)


class SnakemakeJob:
    """A stand-in for one of Snakemake's jobs, as onstart's DAG hands them over (hashable,
    like them)."""

    def __init__(self, rule, request=None, **wildcards):
        from types import SimpleNamespace

        self.rule = SimpleNamespace(name=rule) if rule else None
        self.wildcards = Wildcards(**wildcards)
        self.params = SimpleNamespace(request=request)
        self.threads, self.benchmark, self.is_norun, self.resources = 1, None, False, {}


def smoke_training_job(config):
    from mlptheory.papers import PAPER

    request = PAPER["sorensen2020"].plan(config).runs["networks_0-1"].to_dict()
    return SnakemakeJob("train_run", request, paper="sorensen2020", run="networks_0-1")


class FakeDag:
    def __init__(self, jobs):
        self.jobs, self.dependencies = jobs, {}

    def needrun_jobs(self):
        return self.jobs


def counted(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def test_training_step_flops_match_torchs_flop_counter():
    spec = NetworkSpec(12, (16, 8), 3, activation="tanh")
    x, y = torch.randn(20, 12, dtype=torch.float64), torch.randn(20, 3, dtype=torch.float64)
    trainer = Trainer(EnsembleMLP(spec, seeds=range(4)), x, y,
                      TrainConfig(optimizer="gd", lr=1e-3, max_steps=5, log_every=0))
    trainer.run(pause_at=1)
    per_step = counted(lambda: trainer.run(pause_at=3)) / 2
    work = training_work(spec, 4, 20, 20, 1, "gd")
    assert per_step == work.flops64  # the element-wise update is memory traffic, not FLOPs
    # GD: read weights and gradients, write the weights: 3 passes of 8 bytes per parameter
    assert work.traffic == 4 * spec.n_params * 8 * 3


def test_optimizer_traffic_matches_the_bytes_the_update_touches():
    """UPDATE_PASSES counts the tensors each torch.optim update reads and writes: the distinct
    tensors it touches (weights, gradients, slots) and the ones it writes, per parameter."""
    from mlptheory.cost.model import UPDATE_PASSES

    opts = {"gd": lambda p: torch.optim.SGD(p, lr=0.1),
            "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.1),
            "adam": lambda p: torch.optim.Adam(p, lr=0.1),
            "nadam": lambda p: torch.optim.NAdam(p, lr=0.1)}
    for name, make in opts.items():
        w = torch.nn.Parameter(torch.ones(64))
        w.grad = torch.full_like(w, 0.5)
        opt = make([w])
        opt.step()
        slots = [v for v in opt.state[w].values() if torch.is_tensor(v) and v.shape == w.shape]
        before = [t.clone() for t in (w, *slots)]
        opt.step()
        written = sum(not torch.equal(a, b) for a, b in zip(before, (w, *slots), strict=True))
        read = 2 + len(slots)  # weights, gradients, slots
        assert UPDATE_PASSES[name] == read + written, name
    assert UPDATE_PASSES["sgd"] == UPDATE_PASSES["gd"]


@pytest.mark.parametrize("n2", [None, 5])
def test_structured_ntk_flops_match_torchs_flop_counter(n2):
    spec = NetworkSpec(10, (12, 7), 2, activation="relu")
    model = MLP(spec, seed=0)
    x1 = torch.randn(6, 10, dtype=torch.float64)
    x2 = None if n2 is None else torch.randn(n2, 10, dtype=torch.float64)
    got = counted(lambda: empirical_ntk(model, x1, x2, method="structured"))
    assert got == structured_ntk_flops(spec.widths, 6, n2)


CAL = Calibration(job_s=2.0, op_s=1e-4, step_s=3e-4, gflops64=20.0, gflops32=50.0,
                  random_s=1e-8, plot_s=1.0, stream_gbs=30.0)


def test_summary_before_the_first_job_suggests_quick_and_slurm_only_when_long(planned):
    jobs, paper = planned("paper")
    paper = {**paper, "cpu_consent": True}
    running = sum(job.runs for job in jobs.values())
    assert running == len(jobs) - 1 and not jobs["all/all"].runs  # `all` only collects files
    lines = start_summary(paper, jobs, 2, CAL, gpu=False)
    assert lines[0].startswith(f"mlptheory cost estimate for the {running} job(s)")
    text = "\n".join(lines)
    assert "--configfile configs/quick.yaml" in text and "profiles/slurm" in text
    assert "as recorded in reference/quick/" in text  # the measured time, not the model's
    # with a GPU, or for a small run, only the estimate
    assert len(start_summary(paper, jobs, 2, CAL, gpu=True)) == 1
    smoke_jobs, smoke = planned("smoke")
    assert len(start_summary(smoke, smoke_jobs, 2, CAL, gpu=False)) == 1
    # only the jobs about to run are counted
    about = {j: smoke_jobs[j] for j in ("train_run/sorensen2020/networks_0-1", "all/all")}
    one = start_summary(smoke, about, 2, CAL, gpu=False)
    assert "for the 1 job(s)" in one[0]


def test_a_long_cpu_run_is_refused_before_its_first_job_unless_gpu_cluster_or_consent(planned):
    jobs, paper = planned("paper")
    with pytest.raises(RunRefused) as refused:
        start_summary(paper, jobs, 2, CAL, gpu=False)
    message = str(refused.value)
    running = sum(job.runs for job in jobs.values())
    assert "\n" not in message and message.startswith(f"Not started: the {running} job(s)")
    for way in ("--configfile configs/quick.yaml", "--profile profiles/slurm",
                "--config cpu_consent=True", "cpu_max_hours = 2 h"):
        assert way in message
    # a GPU, a cluster executor or consent: it starts (the estimate is printed)
    for ok in (dict(gpu=True), dict(gpu=False, cluster=True)):
        assert start_summary(paper, jobs, 2, CAL, **ok)[0].startswith("mlptheory cost")
    assert start_summary({**paper, "cpu_consent": True}, jobs, 2, CAL, gpu=False)
    # the threshold is the config key: a smoke run above a tiny one is refused too
    smoke_jobs, smoke = planned("smoke")
    assert start_summary(smoke, smoke_jobs, 2, CAL, gpu=False)
    with pytest.raises(RunRefused):
        start_summary({**smoke, "cpu_max_hours": 1e-6}, smoke_jobs, 2, CAL, gpu=False)


def test_a_refused_run_prints_one_line_and_exits(capsys, monkeypatch, planned):
    import mlptheory.cost.report as cost

    monkeypatch.setattr(cost.Calibration, "load", staticmethod(lambda: CAL))
    monkeypatch.setattr(cost, "gpu_visible", lambda device: False)
    _, smoke = planned("smoke")
    smoke = {**smoke, "cpu_max_hours": 1e-9}
    dag = FakeDag([smoke_training_job(smoke)])
    with pytest.raises(SystemExit) as stopped:
        cost.print_start_summary(smoke, dag, 2)
    assert stopped.value.code == 1
    assert capsys.readouterr().err.startswith("Not started: the 1 job(s)")
    cost.print_start_summary(smoke, dag, 2, cluster=True)  # never on a cluster
    assert "mlptheory cost estimate for the 1 job(s)" in capsys.readouterr().out


def test_start_summary_never_stops_the_run(capsys, planned):
    """onstart on a cluster (no --cores: cores None) still prints the estimate, and an error
    inside the estimate is reported in one line instead of raised (it only informs)."""
    from mlptheory.cost.report import print_start_summary

    _, smoke = planned("smoke")
    print_start_summary(smoke, FakeDag([smoke_training_job(smoke)]), None)
    assert "mlptheory cost estimate for the 1 job(s)" in capsys.readouterr().out
    print_start_summary(smoke, FakeDag([SnakemakeJob(None)]), 2)
    assert "mlptheory cost estimate skipped (AttributeError" in capsys.readouterr().out


def test_cost_command_prints_totals_for_paper_and_quick(capsys, monkeypatch, planned):
    """The command builds Snakemake's DAG of the workflow in the current folder: its total
    counts every job Snakemake plans for the configuration."""
    from mlptheory.cli import main

    monkeypatch.chdir(planned.root)
    totals = {}
    for scale in ("paper", "quick"):
        main(["cost", "--cores", "2", "--papers-only",
              *(["--configfile", *OVERLAYS[scale]] if OVERLAYS[scale] else [])])
        out = capsys.readouterr().out
        total = next(line for line in out.splitlines() if line.startswith("total"))
        totals[scale] = float(out.split("CPU: ")[1].split(" core-hours")[0])
        assert total.split()[1] == str(len(planned(scale)[0]))
        assert "GPU: about" in out and "Building DAG" not in out
    assert totals["paper"] > 50 * totals["quick"]


def test_cost_jobs_lists_every_lee2019_training_run_with_its_own_gpu_estimate(capsys, monkeypatch,
                                                                               planned):
    """lee2019's networks are training runs of their own (not hidden in table jobs): at paper
    scale Fig. 2's 100 networks are 5 run files, each a job with a GPU estimate, and the one
    figure's jobs are exactly its runs, its table and itself (and the data)."""
    from mlptheory.cli import main

    monkeypatch.chdir(planned.root)
    main(["cost", "--jobs", "lee2019/fig2_predictive_distribution"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    runs = [r for r in rows if r[0].startswith("train_run/lee2019/predictive_")]
    assert len(runs) == 5
    assert {r[0].split("/")[0] for r in rows} == {"train_run", "lee2019_table", "lee2019_figure",
                                                  "fetch_archives", "prepare_dataset"}
    for r in runs:  # GFLOP, peak mem (value unit), CPU (value unit), GPU (value unit)
        assert float(r[1]) > 1e7 and r[-1] in ("h", "min") and float(r[-2]) > 0


def test_every_job_of_the_smoke_run_has_a_benchmark_and_the_estimate_is_within_3x(
        smoke_workflow):
    """Every computing rule declares `benchmark:`; the cost model's CPU estimate of the smoke
    DAG is within 3x of the jobs' measured CPU time (the benchmark files' ``cpu_time``: on a
    shared machine, other processes' load stretches wall time but not that), in total and per
    paper; results/cost.csv sums the benchmark files' wall times."""
    jobs, _ = workflow_jobs([smoke_workflow / "configs/quick.yaml", smoke_workflow / "smoke.yaml"],
                            snakefile=smoke_workflow / "Snakefile")
    targets = targets_of(jobs)
    cal = Calibration.load()
    # `all` and the aggregates run nothing; `cost` is the job that reads the benchmark files
    jobs = {j: job for j, job in jobs.items() if job.runs and job.rule != "cost"}
    measured = {j: read_benchmark(job.benchmark) for j, job in jobs.items()}
    cpu = {j: read_benchmark(job.benchmark, "cpu_time") for j, job in jobs.items()}
    assert [j for j, m in measured.items() if m is None] == []
    assert all(job.benchmark.startswith(str(smoke_workflow)) for job in jobs.values())
    by_paper = {}
    for j, job in jobs.items():
        paper = next((p for p in PAPERS if p in j), "data and claims")
        got = by_paper.setdefault(paper, [0.0, 0.0])
        got[0] += cpu[j][0]
        got[1] += cal.cpu_seconds(job.work, job.threads)
    total = [sum(v[0] for v in by_paper.values()), sum(v[1] for v in by_paper.values())]
    print({k: [round(a, 1) for a in v] for k, v in by_paper.items()}, total)
    for name, (meas, est) in [*by_paper.items(), ("total", total)]:
        if name != "data and claims":
            assert meas / 3 <= est <= 3 * meas, (name, meas, est)
    rows = {r["target"]: r for r in measured_rows(jobs, cal)}
    csv_rows = (smoke_workflow / "results" / "cost.csv").read_text().splitlines()
    assert len(csv_rows) == len(rows) + 1
    fig = "seleznova2021/fig3_ntk_change_tanh"
    want = sum(measured[j][0] for j in targets[fig])
    assert math.isclose(rows[fig]["wall_s"], want, abs_tol=0.02)
    assert rows[fig]["measured_jobs"] == rows[fig]["jobs"] == len(targets[fig])
    assert rows["total (every job once)"]["measured_jobs"] == len(jobs)


def test_calibration_round_trips(tmp_path):
    path = tmp_path / "cal.json"
    CAL.save(path)
    assert Calibration.load(path) == CAL
    with pytest.raises(FileNotFoundError, match="mlptheory cost --calibrate --write"):
        Calibration.load(tmp_path / "missing.json")
    old = tmp_path / "old.json"  # written before the stream rate was measured
    old.write_text(path.read_text().replace('"stream_gbs"', '"unused"'))
    with pytest.raises(ValueError, match="lacks stream_gbs.*mlptheory cost --calibrate --write"):
        Calibration.load(old)
    assert dataclasses.replace(CAL, job_s=0.0).cpu_seconds(training_work(
        NetworkSpec(4, (4,), 1), 1, 4, 4, 10)) > 0



def test_cost_rst_is_a_valid_table_of_every_row():
    from mlptheory.cost.report import cost_rst

    rows = [{"target": "seleznova2021/fig1_ntk_variance_relu", "jobs": 5, "measured_jobs": 5,
             "wall_s": 15.86, "peak_mem_mb": 372.2, "estimated_cpu_s": 12.7},
            {"target": "total (every job once)", "jobs": 111, "measured_jobs": 0,
             "wall_s": 0.0, "peak_mem_mb": math.nan, "estimated_cpu_s": 1354.9}]
    html = rst_to_html(cost_rst(rows))
    assert "system-message" not in html and html.count("<tr") == 3
    assert "5 (5)" in html and "372 MB" in html and "n/a" in html and "23 min" in html


def test_wall_time_is_the_longer_of_the_spread_work_and_the_longest_chain():
    """Three jobs that wait for each other (10 s each) and one beside them (5 s): one core
    does all 35 s; two cores cannot beat the 30 s chain; twenty cores neither."""
    from mlptheory.cost.dag import Job
    from mlptheory.cost.model import Work
    from mlptheory.cost.report import estimate, longest_chain

    cal = Calibration(job_s=0.0, op_s=1.0, step_s=0.0, gflops64=1.0, gflops32=1.0,
                      random_s=0.0, plot_s=0.0, stream_gbs=1.0)
    jobs = {"r/a": Job("r", "a", Work(ops=10)), "r/b": Job("r", "b", Work(ops=10), ("r/a",)),
            "r/c": Job("r", "c", Work(ops=10), ("r/b",)), "r/d": Job("r", "d", Work(ops=5))}
    seconds = {j: 10.0 if j != "r/d" else 5.0 for j in jobs}
    assert longest_chain(jobs, jobs, seconds) == 30.0
    assert longest_chain(jobs, ["r/b", "r/c", "r/d"], seconds) == 20.0  # r/a done already
    assert [estimate(jobs, jobs, cal, n).wall_s for n in (1, 2, 20)] == [35.0, 30.0, 30.0]
    assert estimate(jobs, jobs, cal, 2).cpu_s == 35.0


def test_only_the_snakemake_command_line_names_targets(monkeypatch):
    """The Snakefile reads targets from this process's command line only when it is
    `snakemake`: under `mlptheory cost` or pytest, building the DAG through the API, the
    arguments are not targets."""
    import sys

    from mlptheory.checks import requested_targets, snakemake_argv

    assert snakemake_argv() == []
    for program in ("/venv/bin/snakemake", "/venv/lib/site-packages/snakemake/__main__.py"):
        monkeypatch.setattr(sys, "argv", [program, "-n", "lee2019"])
        assert requested_targets(snakemake_argv()) == ["lee2019"]
    monkeypatch.setattr(sys, "argv", ["/venv/bin/mlptheory", "cost", "lee2019"])
    assert snakemake_argv() == []


def test_cost_command_errors_are_one_line(tmp_path, monkeypatch):
    """A missing overlay, a folder without a Snakefile: one line naming it, no traceback."""
    from mlptheory.cli import main

    with pytest.raises(SystemExit, match=r"^mlptheory cost: no configuration file nope\.yaml$"):
        main(["cost", "--configfile", "nope.yaml"])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=r"no Snakefile at .*: run `mlptheory cost` in the "):
        main(["cost"])
