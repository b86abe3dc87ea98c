"""Fault-injection campaign (``mlptheory faults``): inject faults into a temporary copy of the
workflow on the smoke configuration and check that nothing is lost and every failure explained.

Each fault runs a number of trials; a trial *survives* when the workflow recovers with the
documented commands (or refuses with a message that names the file or key and what to do), and
*loses data* when a wrong result is accepted silently: a resumed run that differs from an
uninterrupted one, a damaged file read back as different numbers, a CSV that differs after
recovery, a previous snapshot destroyed, a bad config value accepted. A trial that neither
survives nor loses data failed without a clear message. The command exits non-zero if any data
was lost or any trial did not survive.

Faults (trials in the full campaign; ``--quick`` runs one or two of each):

- ``sigkill_training``: SIGKILL a training process at a random moment, resume it; the run
  file's arrays must equal an uninterrupted run's bit for bit.
- ``sigkill_snakemake``: SIGKILL snakemake's whole process group during the table and figure
  jobs; ``--unlock`` then ``--rerun-incomplete`` must give byte-identical CSVs.
- ``truncated_*`` / ``bitflip_*``: a run file or the prepared dataset cut at a random byte or
  with one random bit flipped: reading it fails with :class:`~mlptheory.errors.DamagedFile`, or
  gives exactly the original numbers (a flip in unused bytes).
- ``truncated_run_file_job``: the table job on a truncated run file: one message naming the file
  and the rebuild command, no traceback.
- ``disk_full_snapshot``: a file-size limit while a snapshot is written: the job stops saying
  so, the previous snapshot is unchanged, a rerun resumes and finishes bitwise identical.
- ``concurrent_snakemake``: two snakemake runs started at once in the same directory.
- ``bad_config``: every numeric, string, boolean and list key of the config set to a negative
  number, zero, NaN or a value of the wrong type; NaN and wrong types must be refused naming
  the key; negative or zero values must be refused naming the key or be allowed by the schema.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

WORKFLOW_FILES = ["Snakefile", "config.yaml", "configs", "rules", "scripts", "schemas", "src",
                  "profiles", "envs", "report"]
SMOKE = ("--configfile", "configs/quick.yaml", "smoke.yaml")
# the smoke DAG's cheapest chains through a run file: dataset -> run -> tables -> a table of
# the paper (markdown) and a figure
RUN_FILE = "results/runs/sorensen2020/networks_0-1.h5"
TABLE = "results/sorensen2020/tables/distances.csv"
OUTPUTS = [TABLE, "results/sorensen2020/table1_distances.md",
           "results/sorensen2020/table1_distances.csv", "results/sorensen2020/tables/averaging.csv",
           "results/sorensen2020/averaging.pdf", "results/sorensen2020/averaging.csv"]
TARGETS = ["results/sorensen2020/table1_distances.md", "results/sorensen2020/averaging.pdf"]
CSVS = [p for p in OUTPUTS if p.endswith(".csv")]
DATASET = "results/data/mnist.h5"
REUSED = ["results/data", "results/runs/sorensen2020", "results/sorensen2020",
          ".snakemake/metadata"]

# a small training run with a stateful optimizer and a shuffled data order, on MNIST
TRAIN_REQUEST = {
    "spec": {"input_dim": 784, "hidden": [32], "output_dim": 10, "activation": "tanh",
             "sw2": 1.5, "sb2": 0.1},
    "train": {"optimizer": "adam", "lr": 1e-3, "loss": "mse", "batch_size": 16,
              "max_steps": 1500, "checkpoint_steps": [0, 100, 1000], "log_every": 500},
    "seeds": [11, 12],
    "data": {"dataset": "mnist", "split": "train", "n": 256, "seed": 1, "unit_norm": True,
             "targets": "one_hot"},
}
TRAIN_CHILD = """
import logging, sys
sys.path.insert(0, {src!r})
from mlptheory.experiment import run_training
from mlptheory.run_request import RunRequest
from mlptheory.scripting import setup_logging
log = setup_logging(None, "faults")
run_training(RunRequest.from_dict({request!r}), sys.argv[1], sys.argv[2], threads=1,
             device="cpu", log=log, snapshot_seconds=float(sys.argv[3]))
"""


@dataclass
class Tally:
    fault: str
    trials: int = 0
    survived: int = 0
    data_lost: int = 0
    notes: list[str] = field(default_factory=list)
    example: str = ""  # the message a user saw, where the fault shows one

    def add(self, survived: bool, lost: bool = False, note: str = "") -> None:
        self.trials += 1
        self.survived += bool(survived and not lost)
        self.data_lost += bool(lost)
        if note and (lost or not survived):
            self.notes.append(note)


class Campaign:
    """The temporary workflow and the helpers every fault uses."""

    def __init__(self, workflow: Path, mnist_dir: Path, root: Path, rng: random.Random,
                 log: Callable[[str], None] = print):
        self.src_workflow, self.mnist_dir, self.root = workflow, mnist_dir, root
        self.wd = root / "wf"
        self.rng, self.log = rng, log

    # --- workflow copy and snakemake ---------------------------------------------------------
    def setup(self, reuse: Path | None = None) -> None:
        """Copy the workflow and MNIST; build the targets, or copy them (with Snakemake's
        metadata) from ``reuse``, a workflow copy where the smoke targets were built."""
        self.wd.mkdir(parents=True)
        for name in WORKFLOW_FILES:
            src = self.src_workflow / name
            if src.is_dir():
                shutil.copytree(src, self.wd / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, self.wd / name)
        shutil.copy2(self.src_workflow / "tests" / "smoke.yaml", self.wd / "smoke.yaml")
        raw = self.wd / "data" / "raw" / "mnist"
        raw.mkdir(parents=True)
        for f in self.mnist_dir.glob("*-ubyte.gz"):
            shutil.copy2(f, raw / f.name)
        if reuse is not None:
            for part in REUSED:
                shutil.copytree(Path(reuse) / part, self.wd / part)
            self.reference = {p: (self.wd / p).read_bytes() for p in CSVS}
            return
        result = self.snakemake(*TARGETS)
        if result.returncode != 0:
            raise RuntimeError(f"the smoke targets {TARGETS} do not build in {self.wd}:\n"
                               + result.stdout[-3000:])
        self.reference = {p: (self.wd / p).read_bytes() for p in CSVS}

    def snakemake_cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "snakemake", "--cores", "1", *args, *SMOKE]

    def snakemake(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(self.snakemake_cmd(*args), cwd=self.wd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout,
                              env=self.env())

    def env(self) -> dict:
        return dict(os.environ, PYTHONPATH=str(self.wd / "src"))

    def csvs_equal(self) -> bool:
        return all((self.wd / p).is_file() and (self.wd / p).read_bytes() == ref
                   for p, ref in self.reference.items())

    def remove_outputs(self) -> None:
        for p in OUTPUTS:
            (self.wd / p).unlink(missing_ok=True)

    # --- training in a child process -----------------------------------------------------------
    def train_child(self, out: Path, snapshot_seconds: float = 0.2, preexec=None
                    ) -> subprocess.Popen:
        script = self.root / "train_child.py"
        if not script.exists():
            script.write_text(textwrap.dedent(TRAIN_CHILD).format(
                src=str(self.wd / "src"), request=TRAIN_REQUEST))
        return subprocess.Popen(
            [sys.executable, str(script), str(self.wd / DATASET), str(out),
             str(snapshot_seconds)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=self.env(), preexec_fn=preexec, start_new_session=True)


def _run_arrays(path: Path) -> dict:
    """Every number a run file holds (losses, status, every checkpoint array)."""
    from ..runs import read_run

    run = read_run(path)
    out = {"loss": run.losses, "final_step": run.final_step,
           "status": json.dumps(run.status), "config": json.dumps(run.config, sort_keys=True)}
    for step in run.checkpoint_steps:
        for name, value in run.checkpoint(int(step)).items():
            out[f"{step}/{name}"] = value
    return out


def _dataset_arrays(path: Path) -> dict:
    from ..data import read_split

    out = {}
    for split in ("train", "test"):
        images, labels, names = read_split(path, split)
        out.update({f"{split}/images": images, f"{split}/labels": labels,
                    f"{split}/names": json.dumps(names)})
    return out


def _same(a: dict, b: dict) -> bool:
    import numpy as np

    return a.keys() == b.keys() and all(
        (a[k] == b[k]) if isinstance(a[k], str) else
        (np.asarray(a[k]).dtype == np.asarray(b[k]).dtype
         and np.asarray(a[k]).tobytes() == np.asarray(b[k]).tobytes()) for k in a)


# --- faults ----------------------------------------------------------------------------------
def sigkill_training(c: Campaign, trials: int) -> Tally:
    tally = Tally("sigkill_training")
    reference = c.root / "train_reference.h5"
    t0 = time.monotonic()
    proc = c.train_child(reference)
    proc.communicate(timeout=600)
    duration = time.monotonic() - t0
    want = _run_arrays(reference)
    for i in range(trials):
        out = c.root / f"train_killed_{i}.h5"
        proc = c.train_child(out)
        moment = c.rng.uniform(0.0, duration)
        try:
            proc.communicate(timeout=moment)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        if out.exists():  # it finished before the kill (this run was faster than the first)
            same = _same(_run_arrays(out), want)
            tally.add(same, lost=not same, note=f"finished before {moment:.1f} s but differs")
            continue
        resumed = c.train_child(out)
        text, _ = resumed.communicate(timeout=600)
        if resumed.returncode != 0:
            tally.add(False, note=f"resume after a kill at {moment:.1f} s failed:\n{text[-800:]}")
            continue
        same = _same(_run_arrays(out), want)
        tally.add(same, lost=not same, note=f"kill at {moment:.1f} s: resumed run differs")
    return tally


def _kill_snakemake_once(c: Campaign, moment: float) -> tuple[bool, bool, str]:
    c.remove_outputs()
    proc = subprocess.Popen(c.snakemake_cmd(*TARGETS), cwd=c.wd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=c.env(), start_new_session=True)
    try:
        proc.wait(timeout=moment)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # snakemake and its jobs, as a crash would
        proc.wait()
    unlock = c.snakemake("--unlock")
    rerun = c.snakemake("--rerun-incomplete", *TARGETS)
    if unlock.returncode != 0 or rerun.returncode != 0:
        return False, False, (unlock.stdout + rerun.stdout)[-1500:]
    same = c.csvs_equal()
    return same, not same, f"kill at {moment:.1f} s: CSVs differ after recovery"


def sigkill_snakemake(c: Campaign, trials: int, duration: float | None = None) -> Tally:
    """``duration``: how long the table and figure jobs take from snakemake's start (measured
    by a plain rerun, which must give the same CSVs, when not given)."""
    tally = Tally("sigkill_snakemake")
    if duration is None:
        c.remove_outputs()
        t0 = time.monotonic()
        if c.snakemake(*TARGETS).returncode != 0 or not c.csvs_equal():
            tally.add(False, lost=True, note="a plain rerun of the tables and figure differs")
            return tally
        duration = time.monotonic() - t0
    for _ in range(trials):
        tally.add(*_kill_snakemake_once(c, c.rng.uniform(0.3 * duration, duration)))
    return tally


def _damage(path: Path, rng: random.Random, how: str) -> Path:
    raw = bytearray(path.read_bytes())
    damaged = path.with_name(f"damaged-{how}-{path.name}")
    if how == "truncate":
        raw = raw[: rng.randrange(0, len(raw))]
    else:
        bit = rng.randrange(len(raw) * 8)
        raw[bit // 8] ^= 1 << (bit % 8)
    damaged.write_bytes(bytes(raw))
    return damaged


def damaged_files(c: Campaign, kind: str, how: str, trials: int) -> Tally:
    from ..errors import DamagedFile

    tally = Tally(f"{'truncated' if how == 'truncate' else 'bitflip'}_{kind}")
    path = c.wd / (RUN_FILE if kind == "run_file" else DATASET)
    read = _run_arrays if kind == "run_file" else _dataset_arrays
    want = read(path)
    for _ in range(trials):
        damaged = _damage(path, c.rng, how)
        try:
            got = read(damaged)
        except DamagedFile as err:
            named = str(damaged) in str(err) and "snakemake --cores all" in str(err)
            tally.add(named, note=f"message does not name the file and command: {err}")
        except Exception as err:  # the campaign reports it: an unexplained failure
            tally.add(False, note=f"{type(err).__name__}: {err}")
        else:
            same = _same(got, want)
            tally.add(same, lost=not same, note=f"{damaged.name} read back different numbers")
        damaged.unlink()
    return tally


def truncated_run_file_job(c: Campaign) -> Tally:
    tally = Tally("truncated_run_file_job")
    run_file = c.wd / RUN_FILE
    original = run_file.read_bytes()
    stat = run_file.stat()
    try:
        run_file.write_bytes(original[: len(original) // 2])
        os.utime(run_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # not newer: no retrain
        result = c.snakemake("--force", TABLE)
        text = result.stdout
        ok = (result.returncode != 0 and f"{RUN_FILE} is damaged" in text
              and f"snakemake --cores all {RUN_FILE}" in text and "Traceback" not in text)
        tally.add(ok, note=text[-2000:])
        tally.example = next((line for line in text.splitlines() if "is damaged" in line), "")
    finally:
        run_file.write_bytes(original)
        os.utime(run_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    rebuilt = c.snakemake(TABLE, *TARGETS)  # the table the job could not write, and after it
    tally.notes += [] if rebuilt.returncode == 0 else [rebuilt.stdout[-1000:]]
    return tally


def disk_full_snapshot(c: Campaign, trials: int) -> Tally:
    tally = Tally("disk_full_snapshot")
    want = _run_arrays(c.root / "train_reference.h5") if (
        c.root / "train_reference.h5").exists() else None
    if want is None:
        proc = c.train_child(c.root / "train_reference.h5")
        proc.communicate(timeout=600)
        want = _run_arrays(c.root / "train_reference.h5")
    for i in range(trials):
        out = c.root / f"disk_full_{i}.h5"
        partial = out.with_name(out.name + ".partial")
        proc = c.train_child(out, snapshot_seconds=0.1)
        deadline = time.monotonic() + 300
        while not partial.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(c.rng.uniform(0.0, 0.5))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        if not partial.exists():
            tally.add(False, note="no snapshot was written before the kill")
            continue
        before = partial.read_bytes()
        limit = int(len(before) * c.rng.uniform(0.1, 0.9))

        def small_disk(limit=limit):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        full = c.train_child(out, snapshot_seconds=0.1, preexec=small_disk)
        text, _ = full.communicate(timeout=600)
        said = (full.returncode != 0 and f"could not write {partial}" in text
                and "no space left" in text)
        intact = partial.read_bytes() == before
        leftovers = [p.name for p in out.parent.glob(f".{partial.name}.*")]
        resumed = c.train_child(out)
        resumed.communicate(timeout=600)
        same = resumed.returncode == 0 and _same(_run_arrays(out), want)
        tally.add(said and intact and same and not leftovers, lost=not intact or not same,
                  note=f"limit {limit} B: message {said}, previous snapshot intact {intact}, "
                       f"temp files left {leftovers}, final run identical {same}\n{text[-800:]}")
    return tally


def concurrent_snakemake(c: Campaign, trials: int) -> Tally:
    tally = Tally("concurrent_snakemake")
    for _ in range(trials):
        c.remove_outputs()
        procs = [subprocess.Popen(c.snakemake_cmd(*TARGETS), cwd=c.wd, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env=c.env())
                 for _ in range(2)]
        outs = [p.communicate(timeout=600)[0] for p in procs]
        codes = [p.returncode for p in procs]
        refused = all(code == 0 or "cannot be locked" in out
                      for code, out in zip(codes, outs, strict=True))
        if 0 not in codes:  # both refused: the user reruns
            c.snakemake(*TARGETS)
        same = c.csvs_equal()
        tally.add(refused and same, lost=not same,
                  note=f"exit codes {codes}, CSVs identical {same}\n" + "\n".join(
                      o[-600:] for o in outs))
    return tally


def _leaves(data, path=()):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, (*path, k))
    else:
        yield path, data


def _set(data, path, value):
    for k in path[:-1]:
        data = data[k]
    data[path[-1]] = value


def bad_config(c: Campaign, max_trials: int | None = None) -> Tally:
    """Every leaf key of the smoke config, set to each bad value; validated as the workflow
    does (the JSON schema, then :func:`mlptheory.checks.reject_nan`)."""
    import jsonschema
    import yaml

    from ..checks import merge_configs, reject_nan
    from ..errors import BadInput

    tally = Tally("bad_config")
    config = merge_configs([c.wd / "configs/quick.yaml", c.wd / "smoke.yaml"], c.wd)
    schema = yaml.safe_load((c.wd / "schemas" / "config.schema.yaml").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    cases = []
    for path, value in _leaves(config):
        if isinstance(value, bool):
            cases += [(path, "yes", True)]
        elif isinstance(value, int | float):
            cases += [(path, -1 - abs(value), False), (path, 0, False),
                      (path, math.nan, True), (path, "one", True)]
        elif isinstance(value, str):
            cases += [(path, 123, True)]
        elif isinstance(value, list):
            cases += [(path, "x", True)]
            if value and all(isinstance(v, int | float) and not isinstance(v, bool)
                             for v in value):
                cases += [((*path, 0), math.nan, True), ((*path, 0), -1.0, False)]
    if max_trials is not None:
        cases = c.rng.sample(cases, min(max_trials, len(cases)))
    for path, value, must_refuse in cases:
        bad = copy.deepcopy(config)
        _set(bad, path, value)
        key = "".join(f"[{k!r}]" for k in path)
        errors = list(validator.iter_errors(bad))
        message = "; ".join(f"{e.message} at {list(e.absolute_path)}" for e in errors)
        if not errors:
            try:
                reject_nan(bad)
            except BadInput as err:
                message = str(err)
        refused = bool(message)
        named = refused and (key in message or str(list(path)) in message or any(
            tuple(e.absolute_path)[: len(path)] == tuple(path) for e in errors))
        if refused:
            tally.add(named, note=f"{key} = {value!r}: refused without naming it: {message}")
        else:
            tally.add(not must_refuse, lost=must_refuse, note=f"{key} = {value!r} accepted")
    return tally


def bad_config_dry_run(c: Campaign) -> Tally:
    """What a user sees: ``snakemake -n`` with a NaN learning rate in a --configfile."""
    tally = Tally("bad_config_dry_run")
    (c.wd / "nan.yaml").write_text("tsuchida2019:\n  optimizers:\n    adam: {lr: .nan}\n")
    result = subprocess.run(c.snakemake_cmd("-n") + ["nan.yaml"], cwd=c.wd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=c.env())
    ok = (result.returncode != 0 and "['tsuchida2019']['optimizers']['adam']['lr']" in
          result.stdout and "NaN" in result.stdout)
    tally.add(ok, note=result.stdout[-1500:])
    return tally


# --- the campaign ------------------------------------------------------------------------------
FULL = {"sigkill_training": 20, "sigkill_snakemake": 4, "damaged": 20, "disk_full": 3,
        "concurrent": 2, "bad_config": None}
QUICK = {"sigkill_training": 2, "sigkill_snakemake": 1, "damaged": 5, "disk_full": 1,
         "concurrent": 1, "bad_config": 40}


def run_campaign(workflow: Path, mnist_dir: Path, quick: bool = False, budget_s: float = 900,
                 seed: int = 0, keep: bool = False, log: Callable[[str], None] = print
                 ) -> list[Tally]:
    """Run every fault (fewer trials with ``quick``); a fault that would start after
    ``budget_s`` seconds is skipped and reported with 0 trials."""
    sizes = QUICK if quick else FULL
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="mlptheory-faults-"))
    start = time.monotonic()
    c = Campaign(Path(workflow).resolve(), Path(mnist_dir).resolve(), root, rng, log)
    log(f"workflow copy in {c.wd}")
    c.setup()
    steps = [
        ("sigkill_training", lambda: sigkill_training(c, sizes["sigkill_training"])),
        ("sigkill_snakemake", lambda: sigkill_snakemake(c, sizes["sigkill_snakemake"])),
        ("truncated_run_file", lambda: damaged_files(c, "run_file", "truncate",
                                                     sizes["damaged"])),
        ("bitflip_run_file", lambda: damaged_files(c, "run_file", "flip", sizes["damaged"])),
        ("truncated_dataset", lambda: damaged_files(c, "dataset", "truncate", sizes["damaged"])),
        ("bitflip_dataset", lambda: damaged_files(c, "dataset", "flip", sizes["damaged"])),
        ("truncated_run_file_job", lambda: truncated_run_file_job(c)),
        ("disk_full_snapshot", lambda: disk_full_snapshot(c, sizes["disk_full"])),
        ("concurrent_snakemake", lambda: concurrent_snakemake(c, sizes["concurrent"])),
        ("bad_config", lambda: bad_config(c, sizes["bad_config"])),
        ("bad_config_dry_run", lambda: bad_config_dry_run(c)),
    ]
    tallies = []
    try:
        for name, step in steps:
            if time.monotonic() - start > budget_s:
                tallies.append(Tally(name, notes=[f"skipped: budget of {budget_s:.0f} s spent"]))
                continue
            t0 = time.monotonic()
            tally = step()
            log(f"{name}: {tally.trials} trials, {tally.survived} survived, "
                f"{tally.data_lost} lost ({time.monotonic() - t0:.0f} s)")
            tallies.append(tally)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return tallies


def table(tallies: list[Tally]) -> str:
    rows = [("fault", "trials", "survived", "data_lost")] + [
        (t.fault, str(t.trials), str(t.survived), str(t.data_lost)) for t in tallies]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    return "\n".join(lines)


def add_arguments(p) -> None:
    p.add_argument("--workflow", default=".", help="the workflow to copy (default: .)")
    p.add_argument("--mnist-dir", default=os.environ.get("MLPTHEORY_MNIST_DIR"),
                   help="folder with the four original MNIST .gz files (default: "
                        "$MLPTHEORY_MNIST_DIR, else <workflow>/data/raw/mnist)")
    p.add_argument("--quick", action="store_true", help="one or two trials per fault")
    p.add_argument("--budget-s", type=float, default=900,
                   help="start no fault after this many seconds (default 900)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random moments and bytes")
    p.add_argument("--keep", action="store_true", help="keep the temporary workflow copy")


def run(args) -> None:
    from ..errors import MissingData

    workflow = Path(args.workflow)
    mnist = Path(args.mnist_dir or workflow / "data" / "raw" / "mnist")
    if not (mnist / "train-images-idx3-ubyte.gz").is_file():
        raise MissingData(f"no MNIST archives in {mnist}; pass --mnist-dir DIR with the four "
                          "original *-ubyte.gz files")
    if not all((workflow / f).is_file() for f in ("Snakefile", "tests/smoke.yaml")):
        raise MissingData(f"{workflow} is not the mlptheory workflow (Snakefile and "
                          "tests/smoke.yaml expected); pass --workflow DIR")
    t0 = time.monotonic()
    tallies = run_campaign(workflow, mnist, quick=args.quick, budget_s=args.budget_s,
                           seed=args.seed, keep=args.keep,
                           log=lambda m: print(m, file=sys.stderr, flush=True))
    for t in tallies:
        for note in t.notes[:3]:
            print(f"--- {t.fault}: {note}", file=sys.stderr)
        if t.example:
            print(f"{t.fault} message: {t.example}", file=sys.stderr)
    print(table(tallies))
    print(f"wall time {time.monotonic() - t0:.0f} s")
    failed = [t.fault for t in tallies if t.data_lost or t.survived < t.trials or not t.trials]
    if failed:
        print(f"not survived or data lost: {', '.join(failed)}")
        sys.exit(1)
