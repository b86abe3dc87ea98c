"""Per-member learning rates and eps (mlptheory.optimizers): every member of a batched sweep
equals its own run under torch.optim, in float64."""

import numpy as np
import pytest
import torch

from mlptheory.models import MLP, EnsembleMLP
from mlptheory.spec import NetworkSpec
from mlptheory.train_config import TrainConfig
from mlptheory.training import Trainer

SPEC = NetworkSpec(6, (7, 7), 6, bias=False, init="he", dtype="float64")
SWEEPS = {  # optimizer -> (member_lr, member_eps)
    "sgd": ([0.01, 0.1, 0.3], None),
    "adam": (None, [1e-16, 1e-8, 1.0]),
    "rmsprop": ([1e-3, 1e-3, 3e-3], [1e-16, 1e-4, 1.0]),
    "nadam": (None, [1e-16, 1e-6, 1.0]),
}


def _data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(40, 6))
    return x, x.copy()  # an autoencoder: the targets are the inputs


@pytest.mark.parametrize("optimizer", sorted(SWEEPS))
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_every_member_equals_its_separate_torch_optim_run(optimizer, momentum):
    if momentum and optimizer not in ("sgd",):
        pytest.skip("momentum is an SGD option here")
    member_lr, member_eps = SWEEPS[optimizer]
    n = len(member_lr or member_eps)
    seeds = [11, 12, 13]
    x, y = _data()
    common = dict(optimizer=optimizer, loss="mse", max_steps=25, batch_size=8,
                  data_order="shared", data_seed=5, momentum=momentum,
                  checkpoint_steps=(10,))
    sweep = TrainConfig(lr=1e-3, member_lr=member_lr, member_eps=member_eps, **common)
    ensemble = EnsembleMLP.from_members([MLP(SPEC, seed=s) for s in seeds])
    result = Trainer(ensemble, x, y, sweep).run()
    for e in range(n):
        alone = TrainConfig(lr=member_lr[e] if member_lr else 1e-3,
                            eps=member_eps[e] if member_eps else 1e-8, **common)
        single = EnsembleMLP.from_members([MLP(SPEC, seed=seeds[e])])
        ref = Trainer(single, x, y, alone).run()
        np.testing.assert_allclose(result.losses[:, e], ref.losses[:, 0], rtol=0, atol=1e-10)
        for (w, _), (w_ref, _) in zip(result.params, ref.params, strict=True):
            np.testing.assert_allclose(w[e], w_ref[0], rtol=0, atol=1e-10)
        assert np.abs(result.params[0][0][e] - MLP(SPEC, seed=seeds[e]).to_params()[0][0]
                      .detach().numpy()).max() > 1e-4  # it trained


def test_per_member_values_must_match_the_ensemble():
    config = TrainConfig(optimizer="adam", member_eps=(1e-8, 1.0), max_steps=2)
    ensemble = EnsembleMLP.from_members([MLP(SPEC, seed=s) for s in (1, 2, 3)])
    x, y = _data()
    with pytest.raises(ValueError, match="member_eps has 2 values for an ensemble of 3"):
        Trainer(ensemble, x, y, config)
    with pytest.raises(ValueError, match="member_lr must all be > 0"):
        TrainConfig(optimizer="sgd", batch_size=4, member_lr=(0.1, 0.0))


def test_per_member_config_round_trips_and_stays_out_of_plain_configs():
    config = TrainConfig(optimizer="adam", member_eps=(1e-16, 1.0))
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert "member_eps" not in TrainConfig(optimizer="adam").to_dict()
    assert torch.get_default_dtype() == torch.float32


@pytest.mark.parametrize("optimizer", ["adam", "nadam"])
def test_per_member_sweep_resumes_bitwise(optimizer):
    """Pause, save the state, continue in a new Trainer: bitwise the uninterrupted run."""
    x, y = _data()
    config = TrainConfig(optimizer=optimizer, member_eps=(1e-16, 1e-8, 1.0), max_steps=20,
                         batch_size=8, data_order="shared")
    members = lambda: EnsembleMLP.from_members([MLP(SPEC, seed=s) for s in (1, 2, 3)])  # noqa: E731
    full = Trainer(members(), x, y, config).run()
    first = Trainer(members(), x, y, config)
    assert first.run(pause_at=7) is None
    second = Trainer(members(), x, y, config)
    second.load_state(first.state())
    resumed = second.run()
    np.testing.assert_array_equal(resumed.losses, full.losses)
    for (w, _), (w_full, _) in zip(resumed.params, full.params, strict=True):
        np.testing.assert_array_equal(w, w_full)
