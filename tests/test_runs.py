"""Run files: HDF5 round trip, exact resume after SIGKILL, stale partial files moved aside."""

import json
import logging
import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from mlptheory.errors import DamagedFile
from mlptheory.experiment import train_to_file
from mlptheory.models import EnsembleMLP, ensemble_at
from mlptheory.runs import (
    partial_path,
    read_resume_state,
    read_run,
    resolved_config,
    write_run,
)
from mlptheory.seeding import derive_seed
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig
from mlptheory.training import Trainer

torch.set_num_threads(1)
SRC = Path(__file__).resolve().parents[1] / "src"

SPEC = NetworkSpec(6, (10,), 3, activation="tanh", sw2=1.5, sb2=0.1)
CONFIG = TrainConfig(optimizer="adam", lr=0.01, loss="cross_entropy", batch_size=5,
                     max_steps=60, checkpoint_steps=(10, 25, 37), log_every=10)


def data():
    rng = np.random.default_rng(5)
    return rng.standard_normal((23, 6)), rng.integers(0, 3, size=23)


def test_hdf5_round_trip(tmp_path):
    x, y = data()
    out = tmp_path / "run.h5"

    def callback(step, model, active):
        return {"outputs": model(torch.as_tensor(x))}

    result = train_to_file(SPEC, [1, 2], x, y, CONFIG, out, callback=callback)
    run = read_run(out)
    assert run.spec == SPEC and run.train == CONFIG and list(run.seeds) == [1, 2]
    np.testing.assert_array_equal(run.losses, result.losses)
    assert run.losses.shape == (60, 2)
    assert run.status == result.status == ["max_steps", "max_steps"]
    assert list(run.checkpoint_steps) == [0, 10, 25, 37, 60]
    for (w, b), (rw, rb) in zip(result.params, run.params(), strict=True):
        np.testing.assert_array_equal(w, rw)
        np.testing.assert_array_equal(b, rb)
    model = ensemble_at(run, 25)
    np.testing.assert_allclose(model(torch.as_tensor(x)).detach().numpy(),
                               run.checkpoint(25)["outputs"], rtol=0, atol=0)
    # plain h5py, as the module docstring documents
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "mlptheory-run" and bool(f.attrs["complete"])
        assert json.loads(f.attrs["config_json"])["train"]["optimizer"] == "adam"
        assert f["checkpoints/37/W0"].shape == (2, 10, 6)
        assert f["checkpoints/37/b1"].shape == (2, 3)
        assert f["checkpoints/37/outputs"].shape == (2, 23, 3)
        assert "git_commit" in f.attrs and "torch_version" in f.attrs
        assert "resume" not in f
    assert not partial_path(out).exists()
    with pytest.raises(FileExistsError, match="exists"):
        train_to_file(SPEC, [1, 2], x, y, CONFIG, out)


CHILD = """
import logging, os, signal, sys
import numpy as np, torch
sys.path.insert(0, {src!r})
from mlptheory.experiment import train_to_file
from mlptheory.seeding import derive_seed
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
spec = NetworkSpec.from_json({spec!r})
config = TrainConfig.from_dict({config!r})
rng = np.random.default_rng(5)
x, y = rng.standard_normal((23, 6)), rng.integers(0, 3, size=23)
kill_at = int(sys.argv[2])
def callback(step, model, active):
    if step == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
train_to_file(spec, [1, 2], x, y, config, sys.argv[1], snapshot_every=10,
              snapshot_seconds=None, callback=callback)
"""


def run_child(script, out, kill_at):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run([sys.executable, str(script), str(out), str(kill_at)],
                          capture_output=True, text=True, env=env, timeout=120)


def test_resume_after_sigkill_is_bitwise_identical(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD).format(
        src=str(SRC), spec=SPEC.to_json(), config=CONFIG.to_dict()))
    x, y = data()
    reference = tmp_path / "reference.h5"
    train_to_file(SPEC, [1, 2], x, y, CONFIG, reference)

    out = tmp_path / "killed.h5"
    killed = run_child(script, out, kill_at=37)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists() and partial_path(out).exists()
    assert "snapshot at step 30" in killed.stdout

    resumed = run_child(script, out, kill_at=-1)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step 30" in resumed.stdout
    assert not partial_path(out).exists()

    a, b = read_run(reference), read_run(out)
    assert a.losses.tobytes() == b.losses.tobytes()
    assert list(a.checkpoint_steps) == list(b.checkpoint_steps)
    for step in a.checkpoint_steps:
        ca, cb = a.checkpoint(step), b.checkpoint(step)
        assert sorted(ca) == sorted(cb)
        for name in ca:
            assert ca[name].tobytes() == cb[name].tobytes(), (step, name)
    assert a.status == b.status and a.config == b.config


def test_resume_partial_with_different_config_is_moved_aside(tmp_path, caplog):
    x, y = data()
    out = tmp_path / "run.h5"
    other = TrainConfig(**{**CONFIG.to_dict(), "lr": 0.02, "checkpoint_steps": (10,)})
    trainer = Trainer(EnsembleMLP(SPEC, seeds=[1, 2]), x, y, other, order_seeds=[3, 4])
    trainer.run(snapshot=lambda t: write_run(
        partial_path(out), t.state(), resolved_config(SPEC, other, [1, 2], [3, 4], x, y),
        "cpu", partial=True), snapshot_every=10)
    with caplog.at_level(logging.INFO, logger="mlptheory.training"):
        result = train_to_file(SPEC, [1, 2], x, y, CONFIG, out)
    stale = list(tmp_path.glob("run.h5.partial.stale-*"))
    assert len(stale) == 1
    assert "config hash" in caplog.text and "differs" in caplog.text
    assert "moved it to" in caplog.text and "resuming from step" not in caplog.text
    fresh = train_to_file(SPEC, [1, 2], x, y, CONFIG, tmp_path / "fresh.h5")
    assert result.losses.tobytes() == fresh.losses.tobytes()


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "nadam"])
def test_resume_in_process_from_snapshot_equals_uninterrupted(optimizer):
    x, y = data()
    cfg = TrainConfig(optimizer=optimizer, lr=0.01, loss="mse", batch_size=4, max_steps=30,
                      tol=1e-3, patience=5, momentum=0.5 if optimizer == "sgd" else 0.0)
    y_mse = np.eye(3)[y]
    full = Trainer(EnsembleMLP(SPEC, seeds=[1, 2, 3]), x, y_mse, cfg, order_seeds=[4, 5, 6])
    ref = full.run()
    snaps = []
    first = Trainer(EnsembleMLP(SPEC, seeds=[1, 2, 3]), x, y_mse, cfg, order_seeds=[4, 5, 6])
    first.run(snapshot=lambda t: snaps.append(t.state()), snapshot_every=7)
    second = Trainer(EnsembleMLP(SPEC, seeds=[1, 2, 3]), x, y_mse, cfg, order_seeds=[4, 5, 6])
    second.load_state(snaps[1])
    assert second.step == 14
    res = second.run()
    assert res.losses.tobytes() == ref.losses.tobytes() and res.status == ref.status
    for (w, b), (rw, rb) in zip(res.params, ref.params, strict=True):
        assert w.tobytes() == rw.tobytes() and b.tobytes() == rb.tobytes()


def test_resume_unreadable_partial_is_moved_aside(tmp_path, caplog):
    x, y = data()
    out = tmp_path / "run.h5"
    partial_path(out).write_bytes(b"not an hdf5 file")
    with caplog.at_level(logging.INFO, logger="mlptheory.training"):
        result = train_to_file(SPEC, [1, 2], x, y, CONFIG, out)
    assert "is damaged" in caplog.text and str(partial_path(out)) in caplog.text
    assert len(list(tmp_path.glob("run.h5.partial.stale-*"))) == 1
    assert read_run(out).losses.tobytes() == result.losses.tobytes()


def test_read_run_rejects_other_files(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "something-else"
    with pytest.raises(DamagedFile, match="not an mlptheory-run file"):
        read_run(path)


def snapshot_at(tmp_path, step=30):
    """A run killed after its snapshot at ``step``: ``(out, partial)`` (out does not exist)."""
    x, y = data()
    out = tmp_path / "run.h5"
    order_seeds = [derive_seed(s, "data_order") for s in (1, 2)]
    trainer = Trainer(EnsembleMLP(SPEC, seeds=[1, 2]), x, y, CONFIG, order_seeds=order_seeds)
    trainer.run(pause_at=step)
    write_run(partial_path(out), trainer.state(),
              resolved_config(SPEC, CONFIG, [1, 2], order_seeds, x, y), "cpu", partial=True)
    return out, partial_path(out)


def test_bug_in_state_loading_propagates_instead_of_restarting(tmp_path, monkeypatch, caplog):
    out, partial = snapshot_at(tmp_path)
    before = partial.read_bytes()
    x, y = data()

    def broken(self, state):
        raise KeyError("best_step")  # what a bug in load_state looks like

    monkeypatch.setattr(Trainer, "load_state", broken)
    with caplog.at_level(logging.INFO, logger="mlptheory.training"):
        with pytest.raises(KeyError, match="best_step"):
            train_to_file(SPEC, [1, 2], x, y, CONFIG, out, snapshot_every=10,
                          snapshot_seconds=None)
    # not moved aside, not overwritten by a run from step 0, no run file
    assert partial.read_bytes() == before and not out.exists()
    assert not list(tmp_path.glob("*.stale-*")) and "step 0" not in caplog.text
    monkeypatch.undo()
    with caplog.at_level(logging.INFO, logger="mlptheory.training"):
        train_to_file(SPEC, [1, 2], x, y, CONFIG, out)
    assert "resuming from step 30" in caplog.text


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_run_file_names_itself_and_the_rebuild_command(tmp_path, damage):
    x, y = data()
    out = tmp_path / "run.h5"
    train_to_file(SPEC, [1, 2], x, y, CONFIG, out)
    raw = bytearray(out.read_bytes())
    with h5py.File(out, "r") as f:  # a byte inside the weights at step 37
        offset = f["checkpoints/37/W0"].id.get_chunk_info(0).byte_offset
    if damage == "truncate":
        out.write_bytes(raw[: len(raw) // 2])
    else:
        raw[offset + 3] ^= 0x10
        out.write_bytes(raw)
    with pytest.raises(DamagedFile) as err:
        run = read_run(out)
        run.checkpoint(37)
    assert str(out) in str(err.value) and f"snakemake --cores all {out}" in str(err.value)


def test_full_disk_during_snapshot_keeps_the_previous_one(tmp_path):
    out, partial = snapshot_at(tmp_path)
    before = partial.read_bytes()
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD).format(
        src=str(SRC), spec=SPEC.to_json(), config=CONFIG.to_dict()))
    limit = len(before) // 2  # the next snapshot cannot be written

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(SRC))
    full = subprocess.run([sys.executable, str(script), str(out), "-1"], capture_output=True,
                          text=True, env=env, timeout=120, preexec_fn=small_disk)
    assert full.returncode != 0
    assert "WriteFailed" in full.stderr and f"could not write {partial}" in full.stderr
    assert "no space left" in full.stderr and "previous snapshot" in full.stderr
    assert partial.read_bytes() == before and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["child.py", partial.name]
    resumed = run_child(script, out, kill_at=-1)
    assert resumed.returncode == 0 and "resuming from step 30" in resumed.stdout


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
def test_resume_state_roundtrips_through_partial_file(tmp_path, optimizer):
    """Also for optimizers without state (plain GD/SGD): the partial file must still resume."""
    x, y = data()
    y_mse = np.eye(3)[y]
    cfg = TrainConfig(optimizer=optimizer, lr=0.01, loss="mse", max_steps=20,
                      batch_size=None if optimizer == "gd" else 4)
    ref = Trainer(EnsembleMLP(SPEC, seeds=[1, 2]), x, y_mse, cfg, order_seeds=[4, 5]).run()
    first = Trainer(EnsembleMLP(SPEC, seeds=[1, 2]), x, y_mse, cfg, order_seeds=[4, 5])
    first.run(pause_at=9)
    path = tmp_path / "run.h5.partial"
    write_run(path, first.state(), resolved_config(SPEC, cfg, [1, 2], [4, 5], x, y_mse),
              "cpu", partial=True)
    second = Trainer(EnsembleMLP(SPEC, seeds=[1, 2]), x, y_mse, cfg, order_seeds=[4, 5])
    second.load_state(read_resume_state(path))
    assert second.step == 9
    res = second.run()
    assert res.losses.tobytes() == ref.losses.tobytes()
    for (w, b), (rw, rb) in zip(res.params, ref.params, strict=True):
        assert w.tobytes() == rw.tobytes() and b.tobytes() == rb.tobytes()


def test_lr_cap_trains_each_member_at_min_of_lr_and_its_critical_fraction(tmp_path):
    """``lr_cap``: member e trains at min(lr, cap * 2S/lambda_max(Theta_0 of member e)), the
    critical rate taken from the explicit Jacobian of the initial member; a rate far above
    every member's critical rate diverges uncapped and trains capped."""
    from torch.func import functional_call, jacrev

    spec = NetworkSpec(6, (10, 10), 3, activation="relu", sw2=2.0, sb2=0.1, dtype="float64")
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((12, 6)), np.eye(3)[rng.integers(0, 3, 12)]
    base = dict(optimizer="gd", lr=50.0, loss="mse", max_steps=40, log_every=10)
    inits = [{"sw2": 1.0, "sb2": 0.1}, {"sw2": 3.0, "sb2": 0.1}]
    capped = train_to_file(spec, [1, 2], x, y, TrainConfig(**base, lr_cap=0.5),
                           tmp_path / "capped.h5", member_inits=inits)
    uncapped = train_to_file(spec, [1, 2], x, y, TrainConfig(**base), tmp_path / "plain.h5",
                             member_inits=inits)
    run = read_run(tmp_path / "capped.h5")
    model = ensemble_at(run, 0)
    xt = torch.as_tensor(x)
    for e in range(2):
        member = model.member(e)
        params = {k: v.detach() for k, v in member.named_parameters()}
        jac = jacrev(lambda p, m=member: functional_call(m, p, (xt,)))(params)
        j = torch.cat([v.reshape(12 * 3, -1) for v in jac.values()], dim=1)
        crit = 2 * 12 / torch.linalg.eigvalsh(j @ j.T)[-1].item()
        np.testing.assert_allclose(run.train.member_lr[e], min(50.0, 0.5 * crit), rtol=1e-10)
        assert run.train.member_lr[e] < 50.0
    assert run.train.lr_cap == 0.5
    assert capped.status == ["max_steps", "max_steps"]
    assert uncapped.status[1] == "diverged"  # the chaotic member (the other may die instead)
    assert np.all(run.losses[-1] < run.losses[0])
    # the resolved rates are a function of the hashed init and data: not part of the hash
    stored = resolved_config(spec, run.train, [1, 2], [3, 4], x, y)
    from mlptheory.runs import config_hash
    bare = dict(stored, train={k: v for k, v in stored["train"].items() if k != "member_lr"})
    assert config_hash(stored) == config_hash(bare)


def test_lr_cap_needs_gradient_descent_on_mse():
    with pytest.raises(ValueError, match="lr_cap needs optimizer='gd'"):
        TrainConfig(optimizer="adam", lr_cap=0.5)
    with pytest.raises(ValueError, match="lr_cap must be > 0"):
        TrainConfig(lr_cap=0.0)
    assert "lr_cap" not in TrainConfig().to_dict()


def test_temporary_files_of_an_interrupted_write_are_removed(tmp_path):
    out, partial = snapshot_at(tmp_path)
    left = [tmp_path / ".run.h5.partial.abc123.tmp", tmp_path / ".run.h5.xyz.tmp"]
    for p in left:
        p.write_bytes(b"half a file")
    keep = tmp_path / ".other.h5.abc.tmp"
    keep.write_bytes(b"another run's")
    x, y = data()
    train_to_file(SPEC, [1, 2], x, y, CONFIG, out)
    assert not any(p.exists() for p in left) and keep.exists()
