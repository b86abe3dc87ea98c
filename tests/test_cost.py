"""The cost model (mlptheory.cost): FLOP counts against torch's own FLOP counter, the estimate of
the smoke DAG against its jobs' benchmark files, the summary printed before the first job, and
`mlptheory cost` for the paper and quick configurations."""

import dataclasses
import math

import pytest
import torch
from conftest import OVERLAYS, REPO, rst_to_html
from torch.utils.flop_counter import FlopCounterMode

from mlptheory.checks import load_config
from mlptheory.cost import (
    Calibration,
    RunRefused,
    measured_rows,
    plan_jobs,
    read_benchmark,
    start_summary,
    structured_ntk_flops,
    training_work,
)
from mlptheory.kernels import empirical_ntk
from mlptheory.models import MLP, EnsembleMLP
from mlptheory.papers import PAPERS
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig
from mlptheory.training import Trainer


def config_of(scale):
    return load_config([str(REPO / p) for p in OVERLAYS[scale]], REPO)


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
    from mlptheory.cost import UPDATE_PASSES

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


def test_summary_before_the_first_job_suggests_quick_and_slurm_only_when_long():
    paper = {**config_of("paper"), "cpu_consent": True}
    jobs, _ = plan_jobs(paper)
    lines = start_summary(paper, list(jobs), 2, CAL, gpu=False)
    assert lines[0].startswith(f"mlptheory cost estimate for the {len(jobs)} job(s)")
    text = "\n".join(lines)
    assert "--configfile configs/quick.yaml" in text and "profiles/slurm" in text
    # with a GPU, or for a small run, only the estimate
    assert len(start_summary(paper, list(jobs), 2, CAL, gpu=True)) == 1
    smoke = config_of("smoke")
    smoke_jobs, _ = plan_jobs(smoke)
    assert len(start_summary(smoke, list(smoke_jobs), 2, CAL, gpu=False)) == 1
    # only the jobs about to run are counted
    one = start_summary(smoke, ["train_run/sorensen2020/networks_0-1", "all/all"], 2, CAL,
                        gpu=False)
    assert "for the 1 job(s)" in one[0]


def test_a_long_cpu_run_is_refused_before_its_first_job_unless_gpu_cluster_or_consent():
    paper = config_of("paper")
    jobs, _ = plan_jobs(paper)
    with pytest.raises(RunRefused) as refused:
        start_summary(paper, list(jobs), 2, CAL, gpu=False)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"Not started: the {len(jobs)} job(s)")
    for way in ("--configfile configs/quick.yaml", "--profile profiles/slurm",
                "--config cpu_consent=True", "cpu_max_hours = 2 h"):
        assert way in message
    # a GPU, a cluster executor or consent: it starts (the estimate is printed)
    for ok in (dict(gpu=True), dict(gpu=False, cluster=True)):
        assert start_summary(paper, list(jobs), 2, CAL, **ok)[0].startswith("mlptheory cost")
    assert start_summary({**paper, "cpu_consent": True}, list(jobs), 2, CAL, gpu=False)
    # the threshold is the config key: a smoke run above a tiny one is refused too
    smoke = config_of("smoke")
    smoke_jobs, _ = plan_jobs(smoke)
    assert start_summary(smoke, list(smoke_jobs), 2, CAL, gpu=False)
    with pytest.raises(RunRefused):
        start_summary({**smoke, "cpu_max_hours": 1e-6}, list(smoke_jobs), 2, CAL, gpu=False)


def test_a_refused_run_prints_one_line_and_exits(capsys, monkeypatch):
    from types import SimpleNamespace

    import mlptheory.cost as cost

    monkeypatch.setattr(cost.Calibration, "load", staticmethod(lambda: CAL))
    monkeypatch.setattr(cost, "gpu_visible", lambda device: False)
    job = SimpleNamespace(rule=SimpleNamespace(name="train_run"),
                          wildcards=["sorensen2020", "networks_0-1"])
    smoke = {**config_of("smoke"), "cpu_max_hours": 1e-9}
    with pytest.raises(SystemExit) as stopped:
        cost.print_start_summary(smoke, [job], 2)
    assert stopped.value.code == 1
    assert capsys.readouterr().err.startswith("Not started: the 1 job(s)")
    cost.print_start_summary(smoke, [job], 2, cluster=True)  # never on a cluster
    assert "mlptheory cost estimate for the 1 job(s)" in capsys.readouterr().out


def test_start_summary_never_stops_the_run(capsys):
    """onstart on a cluster (no --cores: cores None) still prints the estimate, and an error
    inside the estimate is reported in one line instead of raised (it only informs)."""
    from types import SimpleNamespace

    from mlptheory.cost import print_start_summary

    smoke = config_of("smoke")
    job = SimpleNamespace(rule=SimpleNamespace(name="train_run"),
                          wildcards=["sorensen2020", "networks_0-1"])
    print_start_summary(smoke, [job], None)
    assert "mlptheory cost estimate for the 1 job(s)" in capsys.readouterr().out
    broken = SimpleNamespace(rule=None, wildcards=[])
    print_start_summary(smoke, [broken], 2)
    assert "mlptheory cost estimate skipped (AttributeError" in capsys.readouterr().out


def test_cost_command_prints_totals_for_paper_and_quick(capsys):
    from mlptheory.cli import main

    totals = {}
    for scale in ("paper", "quick"):
        main(["cost", "--cores", "2", "--papers-only",
              *(["--configfile", *[str(REPO / p) for p in OVERLAYS[scale]]]
                if OVERLAYS[scale] else [])])
        out = capsys.readouterr().out
        total = next(line for line in out.splitlines() if line.startswith("total"))
        totals[scale] = float(out.split("CPU: ")[1].split(" core-hours")[0])
        assert total.split()[1] == str(len(plan_jobs(config_of(scale))[0]))
        assert "GPU: about" in out
    assert totals["paper"] > 50 * totals["quick"]


def test_cost_jobs_lists_every_lee2019_training_run_with_its_own_gpu_estimate(capsys):
    """lee2019's networks are training runs of their own (not hidden in table jobs): at paper
    scale Fig. 2's 100 networks are 5 run files, each a job with a GPU estimate, and the one
    figure's jobs are exactly its runs, its table and itself (and the data)."""
    from mlptheory.cli import main

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
    config = load_config([str(smoke_workflow / "configs/quick.yaml"),
                          str(smoke_workflow / "smoke.yaml")], smoke_workflow)
    jobs, targets = plan_jobs(config)
    cal = Calibration.load()
    measured = {j: read_benchmark(smoke_workflow / job.benchmark) for j, job in jobs.items()}
    cpu = {j: read_benchmark(smoke_workflow / job.benchmark, "cpu_time")
           for j, job in jobs.items()}
    assert [j for j, m in measured.items() if m is None] == []
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
    rows = {r["target"]: r for r in measured_rows(config, smoke_workflow, cal)}
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
    from mlptheory.cost import cost_rst

    rows = [{"target": "seleznova2021/fig1_ntk_variance_relu", "jobs": 5, "measured_jobs": 5,
             "wall_s": 15.86, "peak_mem_mb": 372.2, "estimated_cpu_s": 12.7},
            {"target": "total (every job once)", "jobs": 111, "measured_jobs": 0,
             "wall_s": 0.0, "peak_mem_mb": math.nan, "estimated_cpu_s": 1354.9}]
    html = rst_to_html(cost_rst(rows))
    assert "system-message" not in html and html.count("<tr") == 3
    assert "5 (5)" in html and "372 MB" in html and "n/a" in html and "23 min" in html
