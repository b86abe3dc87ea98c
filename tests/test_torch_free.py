"""The planning modules (what Snakemake imports to turn the config into runs) load no torch."""

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("torch", "scipy", "pandas", "matplotlib", "h5py")
PLANNING_MODULES = [
    "mlptheory.train_config",
    "mlptheory.spec",
    "mlptheory.seeding",
    "mlptheory.checks",
    "mlptheory.datasets",
    "mlptheory.run_request",
    "mlptheory.params",
    "mlptheory.papers.tsuchida2019.plan",
]


@pytest.mark.parametrize("module", PLANNING_MODULES)
def test_planning_module_imports_no_heavy_library(module):
    code = (f"import sys; import {module}; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC), "PATH": ""}, check=True)
    assert out.stdout.strip() == "", f"{module} loaded {out.stdout.strip()}"


def test_no_import_cycle_in_the_library():
    """No two modules of src/mlptheory import each other, directly or through others (imports
    inside functions count: they are cycles deferred to run time)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "src" / "mlptheory"
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def targets(module, node):
        package = module.split(".") if modules[module].name == "__init__.py" else \
            module.split(".")[:-1]
        if node.level:
            base = ".".join(package[:len(package) - node.level + 1]
                            + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        found = [base] if base in modules else []
        return found + [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]

    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                graph[module].update(t for t in targets(module, node) if t != module)
            elif isinstance(node, ast.Import):
                graph[module].update(a.name for a in node.names if a.name in modules)

    def reaches(start, goal):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                if nxt == goal:
                    return True
                seen.add(nxt)
                todo.append(nxt)
        return False

    assert len(graph) > 40 and graph["mlptheory.runs"]  # the parse found the imports
    cycles = sorted(m for m in graph if reaches(m, m))
    assert not cycles, f"modules on an import cycle: {cycles}"


def test_the_run_file_format_imports_no_training_or_model_module():
    """mlptheory.runs is the run-file format only: the execution policy (seeds, member inits,
    the lr cap, resume, snapshots) is mlptheory.experiment's, so runs imports neither the
    training loop nor the models, at module level or inside a function."""
    import ast

    tree = ast.parse((SRC / "mlptheory" / "runs.py").read_text())
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert not imported & {"models", "training", "experiment", "optimizers", "kernels",
                           "mlptheory.models", "mlptheory.training", "mlptheory.experiment"}
    assert len((SRC / "mlptheory" / "runs.py").read_text().splitlines()) < 300
