"""The training loop: ensembles equal separate runs, gradients equal autograd, stop rules."""

import math

import numpy as np
import pytest
import torch

from mlptheory.models import MLP, EnsembleMLP
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig, checkpoint_schedule
from mlptheory.training import EnsembleBackprop, Trainer, train

torch.set_num_threads(1)

SEEDS = [11, 12, 13]
ORDER_SEEDS = [101, 102, 103]


def toy_data(loss, n=24, d=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    if loss == "mse":
        return x, rng.standard_normal((n, k))
    return x, rng.integers(0, k, size=n)


def reference_run(spec, seed, order_seed, x, y, cfg):
    """One network alone: nn.Module, autograd loss, torch.optim with its default implementation."""
    net = MLP(spec, seed=seed)
    kwargs = {"lr": cfg.lr}
    if cfg.optimizer in ("gd", "sgd"):
        opt = torch.optim.SGD(net.parameters(), momentum=cfg.momentum, nesterov=cfg.nesterov,
                              **kwargs)
    elif cfg.optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), betas=cfg.betas, eps=cfg.eps, **kwargs)
    elif cfg.optimizer == "rmsprop":
        opt = torch.optim.RMSprop(net.parameters(), alpha=cfg.alpha, eps=cfg.eps,
                                  momentum=cfg.momentum, **kwargs)
    else:
        opt = torch.optim.NAdam(net.parameters(), betas=cfg.betas, eps=cfg.eps, **kwargs)
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    n, losses = len(x), []
    for step in range(cfg.max_steps):
        if cfg.batch_size is None:
            idx = torch.arange(n)
        else:
            spe = math.ceil(n / cfg.batch_size)
            epoch, pos = divmod(step, spe)
            perm = np.random.default_rng([order_seed, epoch]).permutation(n)
            idx = torch.as_tensor(perm[pos * cfg.batch_size:(pos + 1) * cfg.batch_size])
        out = net(x[idx])
        if cfg.loss == "mse":
            loss = 0.5 * ((out - y[idx]) ** 2).sum() / len(idx)
        else:
            loss = torch.nn.functional.cross_entropy(out, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return net.to_params(), np.array(losses)


OPTIMIZER_CASES = {
    "gd": dict(optimizer="gd", lr=0.05),
    "sgd": dict(optimizer="sgd", lr=0.05, batch_size=7),
    "sgd_momentum": dict(optimizer="sgd", lr=0.05, batch_size=7, momentum=0.9),
    "sgd_nesterov": dict(optimizer="sgd", lr=0.05, batch_size=7, momentum=0.9, nesterov=True),
    "adam": dict(optimizer="adam", lr=0.01, batch_size=7),
    "rmsprop": dict(optimizer="rmsprop", lr=0.003, batch_size=7),
    "nadam": dict(optimizer="nadam", lr=0.01, batch_size=7),
}


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("case", sorted(OPTIMIZER_CASES))
def test_ensemble_equals_separate_torch_optim(case, loss):
    spec = NetworkSpec(5, (8, 6), 3, activation="tanh", sw2=1.5, sb2=0.2)
    cfg = TrainConfig(loss=loss, max_steps=12, **OPTIMIZER_CASES[case])
    x, y = toy_data(loss)
    model = EnsembleMLP(spec, seeds=SEEDS)
    result = train(model, x, y, cfg, order_seeds=ORDER_SEEDS)
    assert result.status == ["max_steps"] * 3
    assert_members_equal_separate_runs(model, result, spec, x, y, cfg)


def assert_members_equal_separate_runs(model, result, spec, x, y, cfg):
    """Every member's losses and weights equal :func:`reference_run` of its seeds."""
    for e, (seed, order_seed) in enumerate(zip(SEEDS, ORDER_SEEDS, strict=True)):
        ref_params, ref_losses = reference_run(spec, seed, order_seed, x, y, cfg)
        np.testing.assert_allclose(result.losses[:, e], ref_losses, rtol=1e-10, atol=1e-12)
        for (w, b), (rw, rb) in zip(model.member(e).to_params(), ref_params, strict=True):
            np.testing.assert_allclose(w.numpy(), rw.numpy(), rtol=0, atol=1e-10)
            np.testing.assert_allclose(b.numpy(), rb.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("case", ["sgd_momentum", "adam", "nadam"])
def test_ensemble_equals_engine_runs_of_one(case):
    spec = NetworkSpec(5, (8,), 3, activation="relu", parameterization="ntk", sw2=2.0, sb2=0.1)
    cfg = TrainConfig(loss="cross_entropy", max_steps=15, **OPTIMIZER_CASES[case])
    x, y = toy_data("cross_entropy")
    together = train(EnsembleMLP(spec, seeds=SEEDS), x, y, cfg, order_seeds=ORDER_SEEDS)
    for e in range(3):
        alone = train(EnsembleMLP(spec, seeds=SEEDS[e:e + 1]), x, y, cfg,
                      order_seeds=ORDER_SEEDS[e:e + 1])
        np.testing.assert_allclose(together.losses[:, e], alone.losses[:, 0], rtol=1e-10)
        for (w, b), (wa, ba) in zip(together.params, alone.params, strict=True):
            np.testing.assert_allclose(w[e], wa[0], atol=1e-10, rtol=0)
            np.testing.assert_allclose(b[e], ba[0], atol=1e-10, rtol=0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "erf", "identity"])
@pytest.mark.parametrize("parameterization", ["standard", "ntk"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_ensemble_backprop_equals_autograd(activation, parameterization, loss):
    spec = NetworkSpec(5, (7, 6), 3, activation=activation, sw2=1.3, sb2=0.4,
                       parameterization=parameterization)
    x, y = toy_data(loss, n=9)
    x = torch.as_tensor(x)
    y_t = torch.as_tensor(y).unsqueeze(0)
    ens = EnsembleMLP(spec, seeds=SEEDS)
    losses = EnsembleBackprop(ens)(x, y_t, loss)
    for e, seed in enumerate(SEEDS):
        net = MLP(spec, seed=seed)
        out = net(x)
        if loss == "mse":
            ref = 0.5 * ((out - y_t[0]) ** 2).sum() / len(x)
        else:
            ref = torch.nn.functional.cross_entropy(out, y_t[0])
        ref.backward()
        assert abs(losses[e].item() - ref.item()) < 1e-13
        for p_ens, p_ref in zip(ens.parameters(), net.parameters(), strict=True):
            np.testing.assert_allclose(p_ens.grad[e].numpy(), p_ref.grad.numpy(),
                                       rtol=1e-12, atol=1e-14)


def test_ensemble_diverging_member_is_flagged_and_others_finish():
    spec = NetworkSpec(5, (8,), 1, activation="relu")
    x, y = toy_data("mse", k=1)
    model = EnsembleMLP(spec, seeds=SEEDS)
    with torch.no_grad():  # member 1 starts with huge weights, so lr 0.5 blows it up
        model.weights[0][1] *= 1e3
    cfg = TrainConfig(optimizer="gd", lr=0.1, max_steps=40)
    result = train(model, x, y, cfg)
    assert result.status[1] == "diverged"
    k = result.diverged_step[1]
    assert 0 <= k < 40 and result.final_step[1] == k
    assert not np.isfinite(result.losses[k, 1])
    assert np.isnan(result.losses[k + 1:, 1]).all()
    assert [result.status[e] for e in (0, 2)] == ["max_steps"] * 2
    assert list(result.diverged_step[[0, 2]]) == [-1, -1]
    assert np.isfinite(result.losses[:, [0, 2]]).all()
    # the others trained exactly as they would alone
    alone = train(EnsembleMLP(spec, seeds=[SEEDS[2]]), x, y, cfg)
    np.testing.assert_allclose(result.params[0][0][2], alone.params[0][0][0], atol=1e-12)
    # the diverged member is frozen at its weights of step k: the same as when trained alone
    lone = EnsembleMLP(spec, seeds=[SEEDS[1]])
    with torch.no_grad():
        lone.weights[0][0] *= 1e3
    lone_result = train(lone, x, y, cfg)
    assert lone_result.status == ["diverged"] and lone_result.diverged_step[0] == k
    assert lone_result.losses.shape == (k + 1, 1)
    for (w, b), (lw, lb) in zip(result.params, lone_result.params, strict=True):
        np.testing.assert_allclose(w[1], lw[0], rtol=1e-12)
        np.testing.assert_allclose(b[1], lb[0], rtol=1e-12)


def test_stop_rule_per_member_plateau():
    spec = NetworkSpec(5, (8,), 1, activation="tanh")
    x, y = toy_data("mse", k=1)
    cfg = TrainConfig(optimizer="gd", lr=0.05, max_steps=3000, tol=1e-3, patience=20)
    model = EnsembleMLP(spec, seeds=SEEDS)
    result = train(model, x, y, cfg)
    losses = result.losses
    for e in range(3):
        t = result.final_step[e]
        col = losses[: t + 1, e]
        if result.status[e] == "plateau":
            # independent recomputation of the rule: best-so-far with tolerance
            best, best_step = np.inf, 0
            for s, v in enumerate(col):
                if v < best - cfg.tol:
                    best, best_step = v, s
                elif s - best_step >= cfg.patience:
                    assert s == t
                    break
            else:
                raise AssertionError("rule never fired in the recomputation")
            assert np.isnan(losses[t + 1:, e]).all()
        else:
            assert result.status[e] == "max_steps" and t == 3000
    assert result.status == ["plateau"] * 3
    assert len(set(result.final_step)) == 3  # each member stopped on its own
    # each member equals its run alone, stopped by the same rule at the same step
    for e in range(3):
        alone = train(EnsembleMLP(spec, seeds=SEEDS[e:e + 1]), x, y, cfg)
        assert alone.final_step[0] == result.final_step[e]
        np.testing.assert_allclose(alone.params[1][0][0], result.params[1][0][e], atol=1e-12)


def test_checkpoint_schedule_and_callback():
    cfg = TrainConfig(max_steps=1000, checkpoints_per_decade=1)
    assert checkpoint_schedule(cfg) == [0, 1, 10, 100, 1000]
    cfg = TrainConfig(max_steps=50, checkpoint_steps=(5, 3, 70))
    assert checkpoint_schedule(cfg) == [0, 3, 5, 50]
    spec = NetworkSpec(5, (4,), 1)
    x, y = toy_data("mse", k=1)
    seen = []

    def callback(step, model, active):
        seen.append(step)
        norm = model(torch.as_tensor(x)).norm(dim=(1, 2))
        norm.sum().backward()  # autograd in a callback (as an NTK would) must not disturb training
        return {"output_norm": norm.detach()}

    cfg = TrainConfig(optimizer="gd", lr=0.01, max_steps=20, checkpoint_steps=(2, 10))
    model = EnsembleMLP(spec, seeds=[1, 2])
    result = Trainer(model, x, y, cfg, callback=callback).run()
    assert seen == [0, 2, 10, 20] == result.checkpoint_steps
    plain = train(EnsembleMLP(spec, seeds=[1, 2]), x, y, cfg)
    assert plain.losses.tobytes() == result.losses.tobytes()
    final = result.checkpoints[20]
    np.testing.assert_array_equal(final["W0"], result.params[0][0])
    net = MLP(spec, params=[(torch.as_tensor(final["W0"][1]), torch.as_tensor(final["b0"][1])),
                            (torch.as_tensor(final["W1"][1]), torch.as_tensor(final["b1"][1]))])
    assert abs(net(torch.as_tensor(x)).norm().item() - final["output_norm"][1]) < 1e-12


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="optimizer='gd' is full-batch"):
        TrainConfig(optimizer="gd", batch_size=4)
    with pytest.raises(ValueError, match="tol and patience"):
        TrainConfig(tol=1e-3)
    with pytest.raises(ValueError, match="unknown TrainConfig keys"):
        TrainConfig.from_dict({"learning_rate": 1})


def test_ensemble_shared_data_order_equals_separate_runs():
    spec = NetworkSpec(5, (8,), 3, activation="tanh")
    cfg = TrainConfig(optimizer="sgd", lr=0.05, batch_size=5, max_steps=12, data_order="shared",
                      data_seed=7, drop_last=True)
    x, y = toy_data("mse")
    together = Trainer(EnsembleMLP(spec, seeds=SEEDS), x, y, cfg)
    batches = [together.batch_indices(s).numpy() for s in range(12)]
    assert all(b.shape == (1, 5) for b in batches)  # 24 examples, drop_last: 4 batches/epoch
    epoch0 = np.concatenate([b[0] for b in batches[:4]])
    assert len(set(epoch0)) == 20 and set(epoch0) <= set(range(24))
    result = together.run()
    for e in range(3):
        alone = train(EnsembleMLP(spec, seeds=SEEDS[e:e + 1]), x, y, cfg)
        np.testing.assert_allclose(result.losses[:, e], alone.losses[:, 0], rtol=1e-12)


def test_per_member_order_needs_seeds_and_device_is_checked():
    from mlptheory.training import resolve_device

    spec = NetworkSpec(5, (4,), 3)
    x, y = toy_data("mse")
    with pytest.raises(ValueError, match="one order seed per member"):
        Trainer(EnsembleMLP(spec, seeds=SEEDS), x, y, TrainConfig(optimizer="sgd", batch_size=4))
    with pytest.raises(ValueError, match="x must be"):
        Trainer(EnsembleMLP(spec, seeds=SEEDS), x[:, :3], y, TrainConfig())
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(RuntimeError, match="cuda"):
            resolve_device("cuda")


def test_mse_per_output_is_the_mse_averaged_over_outputs_with_its_autograd_gradient():
    """``mse_per_output`` (tsuchida2019's autoencoder loss): 1/(2Sk) sum ||f - y||^2 and its
    gradient, against a direct float64 computation and autograd."""
    from mlptheory.training import member_losses

    gen = torch.Generator().manual_seed(0)
    out = torch.randn(3, 5, 7, dtype=torch.float64, generator=gen, requires_grad=True)
    y = torch.rand(1, 5, 7, dtype=torch.float64, generator=gen)
    losses, grad = member_losses(out, y, "mse_per_output")
    direct = ((out - y) ** 2).sum(dim=(1, 2)) / (2 * 5 * 7)
    torch.testing.assert_close(losses, direct, rtol=0, atol=1e-15)
    (auto,) = torch.autograd.grad(direct.sum(), out)
    torch.testing.assert_close(grad, auto, rtol=0, atol=1e-15)
    mse, _ = member_losses(out, y, "mse")
    torch.testing.assert_close(mse / 7, losses, rtol=1e-15, atol=0)


def test_trainer_without_weight_copies_records_the_same_run():
    """keep_weights=False stores only the callback's arrays at checkpoints; the training itself
    (losses, final weights, callback values) is bitwise the same."""
    spec = NetworkSpec(5, (6,), 2, activation="tanh", sw2=1.5, sb2=0.2)
    x = torch.as_tensor(np.random.default_rng(0).standard_normal((8, 5)))
    y = torch.as_tensor(np.random.default_rng(1).standard_normal((8, 2)))
    config = TrainConfig(optimizer="gd", lr=0.05, max_steps=20, checkpoint_steps=(5, 10))

    def record(step, model, active):
        with torch.no_grad():
            return {"out": model(x)}

    runs = [Trainer(EnsembleMLP(spec, seeds=[3, 4]), x, y, config, callback=record,
                    keep_weights=keep).run() for keep in (True, False)]
    kept, lean = runs
    np.testing.assert_array_equal(kept.losses, lean.losses)
    for (wa, ba), (wb, bb) in zip(kept.params, lean.params, strict=True):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)
    assert sorted(lean.checkpoints) == sorted(kept.checkpoints) == [0, 5, 10, 20]
    for step, arrays in lean.checkpoints.items():
        assert set(arrays) == {"out"}
        np.testing.assert_array_equal(arrays["out"], kept.checkpoints[step]["out"])
        assert "W0" in kept.checkpoints[step]
