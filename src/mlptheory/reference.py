"""Recorded reference runs: ``reference/<scale>/`` holds one run's ``claims.csv`` and
``claims.md`` with a ``provenance.json`` that says what produced them (the commit, the machine,
the time per paper from the benchmark files, the configuration's hash, the date and the hash of
the claim definitions). A new run's "Does it reproduce?" shows its verdicts beside the recorded
ones; a reference whose claim definitions changed since it was recorded is marked stale.

Record one after a run (in the clone that ran it)::

    python -m mlptheory.reference record reference/laptop --configfile configs/laptop.yaml \\
        --wall-s 4100

The claim definitions are the paper claims modules (``mlptheory.papers.<paper>.claims``: what
is measured, the expected regions, the validity conditions) and the decision rule
(:func:`mlptheory.claims.verdict`, :func:`mlptheory.claims.interval_position`); any edit to
them changes :func:`claims_hash`. A reference never reruns: re-record it after such an edit.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import inspect
import json
import os
import platform
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .claims import COLUMNS, counts, interval_position, verdict
from .papers import PAPER, PAPERS, paper_claims

FILES = ("claims.csv", "claims.md", "provenance.json")


# ----- hashes ----------------------------------------------------------------------------------
def claims_hash(papers: Iterable[str] = PAPERS) -> str:
    """sha256 (first 16 hex digits) of the claim definitions: the source of each paper's claims
    module and of the decision rule (:func:`~mlptheory.claims.verdict`,
    :func:`~mlptheory.claims.interval_position`)."""
    h = hashlib.sha256()
    for paper in papers:
        h.update(f"{paper}\n".encode())
        h.update(inspect.getsource(PAPER[paper].claims_module).encode())
    for fn in (verdict, interval_position):
        h.update(inspect.getsource(fn).encode())
    return h.hexdigest()[:16]


def config_hash(config: Mapping) -> str:
    """sha256 (first 16 hex digits) of a merged configuration, keys sorted."""
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ----- what ran it -----------------------------------------------------------------------------
def machine(threads: int | None = None) -> dict:
    """The CPU model, cores, memory, torch version and threads per job of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    import torch

    from .provenance import provenance

    versions = provenance()  # the versions every result file carries
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory_gib, "gpu": gpu,
            "torch_version": versions["torch_version"], "torch_threads_per_job": threads,
            "python": versions["python_version"], "os": platform.platform()}


def _paper_of(parts: tuple[str, ...]) -> str:
    """The paper a benchmark file (path parts under results/benchmarks/) belongs to."""
    for part in parts[:2]:
        for paper in PAPERS:
            if part == paper or part.startswith(paper + "_"):
                return paper
    return "shared"  # downloads, dataset preparation, the claims table


def benchmark_times(benchmarks: Path) -> dict[str, dict]:
    """paper -> {jobs, wall_s, cpu_s}: Snakemake's ``benchmark:`` files under ``benchmarks``,
    summed per paper (the last row of each file: the run that built it); ``shared`` holds the
    downloads, the dataset preparation and the claims table."""
    out: dict[str, dict] = {}
    for path in sorted(Path(benchmarks).rglob("*.tsv")):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        if not rows:
            continue
        last = rows[-1]
        per = out.setdefault(_paper_of(path.relative_to(benchmarks).parts),
                             {"jobs": 0, "wall_s": 0.0, "cpu_s": 0.0})
        per["jobs"] += 1
        per["wall_s"] += float(last["s"])
        per["cpu_s"] += float(last.get("cpu_time") or "nan")
    order = [*PAPERS, "shared"]
    return {p: {"jobs": v["jobs"], "wall_s": round(v["wall_s"], 1), "cpu_s": round(v["cpu_s"], 1)}
            for p, v in sorted(out.items(), key=lambda kv: order.index(kv[0]))}


# ----- recording -------------------------------------------------------------------------------
def record(results: Path, out: Path, config: Mapping, workflow: Path = Path("."),
           wall_s: float | None = None, force: bool = False) -> dict:
    """Copy ``results``' claims.csv and claims.md into ``out`` and write its provenance.json.

    Refuses (ValueError) an ``out`` that already holds a reference unless ``force``, a results
    folder without claims.csv, and claims whose ids or columns differ from the registry."""
    from .provenance import git_commit

    results, out = Path(results), Path(out)
    csv_path = results / "claims.csv"
    if not csv_path.is_file():
        raise ValueError(f"{csv_path}: no claims.csv -- run the workflow (results/claims.csv) "
                         "before recording it")
    rows = _read_rows(csv_path)
    problems = check_rows(rows)
    if problems:
        raise ValueError(f"{csv_path} does not match the claims registry: " + "; ".join(problems))
    if (out / "provenance.json").exists() and not force:
        raise ValueError(f"{out} already holds a reference (provenance.json); pass --force to "
                         "replace it (git keeps the old one)")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("claims.csv", "claims.md"):
        shutil.copyfile(results / name, out / name)
    recorded = dt.datetime.fromtimestamp(csv_path.stat().st_mtime, dt.timezone.utc)
    prov = {
        "scale": config.get("scale"),
        "commit": git_commit(workflow),
        "date": recorded.strftime("%Y-%m-%d %H:%M UTC"),
        "recorded": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "config_hash": config_hash(config),
        "claims_hash": claims_hash(),
        "machine": machine(config.get("training", {}).get("threads")),
        "dag_wall_s": None if wall_s is None else round(float(wall_s), 1),
        "time_per_paper": benchmark_times(results / "benchmarks"),
        "notes": "date: when the run wrote claims.csv; dag_wall_s: the whole snakemake run, "
                 "measured around it; time_per_paper: each paper's jobs summed (wall_s: "
                 "Snakemake's benchmark s, cpu_s: its cpu_time; jobs of one thread ran two at "
                 "a time on the cores above); shared: downloads, dataset preparation, claims",
        "verdicts": counts(rows),
    }
    (out / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    return prov


# ----- reading and checking --------------------------------------------------------------------
@dataclass
class Reference:
    """One recorded reference (``reference/<name>/``)."""

    name: str
    path: Path
    rows: list[dict]
    provenance: dict
    current_hash: str = ""
    verdicts: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        """True when the claim definitions changed since this reference was recorded."""
        return self.provenance.get("claims_hash") != self.current_hash

    def label(self) -> str:
        commit = str(self.provenance.get("commit", "?"))[:7]
        stale = ", STALE" if self.stale else ""
        return f"{self.name} ({commit}, {str(self.provenance.get('date', '?'))[:10]}{stale})"

    def summary(self) -> str:
        """One sentence: what recorded it, and whether it is stale (by the hash)."""
        p = self.provenance
        m = p.get("machine", {})
        wall = p.get("dag_wall_s")
        text = (f"reference/{self.name}: scale {p.get('scale')}, commit "
                f"{str(p.get('commit', '?'))[:12]}, run {p.get('date')}, on {m.get('cores')} "
                f"cores of {m.get('cpu')}" + (f", {wall / 60:.0f} min wall" if wall else "")
                + f"; configuration {p.get('config_hash')}")
        if self.stale:
            text += (f"; STALE: the claim definitions changed since it was recorded (claims "
                     f"hash {p.get('claims_hash')} then, {self.current_hash} now), so its "
                     "verdicts were reached under other definitions")
        else:
            text += f"; claim definitions unchanged (claims hash {self.current_hash})"
        return text + "."


def _read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(path: Path, current_hash: str | None = None) -> Reference:
    """The reference in ``path`` (ValueError naming the missing file)."""
    path = Path(path)
    for name in ("claims.csv", "provenance.json"):
        if not (path / name).is_file():
            raise ValueError(f"{path / name}: missing; a reference folder holds "
                             f"{', '.join(FILES)} (python -m mlptheory.reference record)")
    rows = _read_rows(path / "claims.csv")
    prov = json.loads((path / "provenance.json").read_text())
    ref = Reference(path.name, path, rows, prov, current_hash or claims_hash())
    ref.verdicts = {(r["paper"], r["claim_id"]): r["verdict"] for r in rows}
    return ref


def reference_dirs(root: Path, relative_to: Path | str | None = None) -> dict[str, str]:
    """name -> folder of every reference under ``root`` (``reference/``), sorted by name; with
    ``relative_to`` the folders are named relative to it (the claims rule names them relative
    to the scale's workdir, so a moved checkout does not rerun the claims)."""
    import os

    root = Path(root)
    if not root.is_dir():
        return {}
    return {p.name: str(p) if relative_to is None else os.path.relpath(p, relative_to)
            for p in sorted(root.iterdir())
            if (p / "claims.csv").is_file() and (p / "provenance.json").is_file()}


def check_rows(rows: list[dict], papers: Iterable[str] = PAPERS) -> list[str]:
    """What in ``rows`` (a claims.csv) does not match the current registry: its columns, and
    per paper the claim ids missing or unknown (empty: it matches)."""
    problems = []
    if rows and tuple(rows[0].keys()) != COLUMNS:
        problems.append(f"columns {list(rows[0].keys())} != {list(COLUMNS)}")
    for paper in papers:
        want = [c.claim_id for c in paper_claims(paper)]
        got = [r["claim_id"] for r in rows if r["paper"] == paper]
        if got != want:
            missing = [c for c in want if c not in got]
            extra = [c for c in got if c not in want]
            problems.append(f"{paper}: ids differ (missing {missing}, unknown {extra}"
                            + (", order differs" if not missing and not extra else "") + ")")
    return problems


# ----- beside this run -------------------------------------------------------------------------
def _scale(r: Mapping) -> str:
    """The scale of a claims row (its ``scale`` column reads ``scale=<name>``)."""
    return str(r.get("scale", "")).removeprefix("scale=")


def comparison(rows: list[dict], refs: list[Reference]) -> list[tuple]:
    """One tuple per claim of this run: (paper, id, this run's verdict, each reference's
    verdict for the same id or "not recorded"); a reference of the same scale whose verdict
    differs gets " (differs)"."""
    out = []
    for r in rows:
        if r.get("kind", "claim") != "claim":
            continue
        cells = [r["paper"], r["claim_id"], r["verdict"].replace("_", " ")]
        for ref in refs:
            v = ref.verdicts.get((r["paper"], r["claim_id"]))
            if v is None:
                cells.append("not recorded")
                continue
            differs = ref.provenance.get("scale") == _scale(r) and v != r["verdict"]
            cells.append(v.replace("_", " ") + (" (differs)" if differs else ""))
        out.append(tuple(cells))
    return out


def comparison_rst(rows: list[dict], refs: list[Reference]) -> str:
    """The report's "beside the recorded references" table (empty without references)."""
    from .rst import list_table

    if not refs:
        return ""
    scale = _scale(rows[0]) if rows else "?"
    lines = ["", "**This run beside the recorded references.** Each claim's verdict in this run "
             f"(scale {scale}) and in each reference under ``reference/`` (same claim id; "
             "\"(differs)\" where a reference of the same scale reached another verdict):", ""]
    lines += [f"- {ref.summary()}" for ref in refs]
    lines.append("")
    head = ("paper", "id", f"this run ({scale})", *(ref.label() for ref in refs))
    width = max(8, 60 // max(1, len(refs) + 1))
    table = list_table(head, comparison(rows, refs), widths=(14, 14, *([width] * (len(refs) + 1))))
    return "\n".join(lines) + "\n" + table


def comparison_md(rows: list[dict], refs: list[Reference]) -> str:
    """The same comparison as markdown (``results/claims.md``)."""
    if not refs:
        return ""
    scale = _scale(rows[0]) if rows else "?"
    lines = ["## This run beside the recorded references", ""]
    lines += [f"- {ref.summary()}" for ref in refs]
    lines += ["", "| paper | id | this run (" + scale + ") | "
              + " | ".join(ref.label() for ref in refs) + " |",
              "|---|---|---|" + "---|" * len(refs)]
    lines += ["| " + " | ".join(cells) + " |" for cells in comparison(rows, refs)]
    return "\n".join(lines) + "\n"


# ----- command line ----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    from .checks import load_config

    p = argparse.ArgumentParser(prog="python -m mlptheory.reference", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record a finished run as reference/<scale>/")
    rec.add_argument("out", type=Path, help="the reference folder, e.g. reference/laptop")
    rec.add_argument("--configfile", nargs="*", default=[],
                     help="the overlays the run used (as given to snakemake)")
    rec.add_argument("--results", type=Path, default=None,
                     help="the run's results/ (default: <workdir of the config>/results)")
    rec.add_argument("--wall-s", type=float, default=None,
                     help="the whole DAG's wall time in seconds, measured around snakemake")
    rec.add_argument("--force", action="store_true", help="replace an existing reference")
    chk = sub.add_parser("check", help="check each reference against the claims registry")
    chk.add_argument("root", type=Path, nargs="?", default=Path("reference"))
    args = p.parse_args(argv)
    if args.command == "record":
        config = load_config(["config.yaml", *args.configfile], ".")
        results = args.results or Path(config.get("workdir", ".")) / "results"
        try:
            prov = record(results, args.out, config, Path("."), args.wall_s, args.force)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(json.dumps(prov, indent=2))
        return 0
    bad = 0
    for name, path in reference_dirs(args.root).items():
        ref = load(Path(path))
        problems = check_rows(ref.rows)
        state = "stale" if ref.stale else "current"
        print(f"{name}: {state}; " + ("; ".join(problems) if problems else "ids and columns match"))
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
